// Firmware mistakes on the assembled platform (docs/errors.md, "Firmware mistakes"): each register
// sequence a driver might get wrong ends with an error status the firmware can read, a warning that
// names the register or address and the simulated time, and a run that goes on or ends cleanly.
// The firmware here is small C++ lambdas on the CPU stub, talking to the hardware only through the
// firmware HAL, as real drivers do. Fault injection (fault.*) is tested here too.
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/protocol_checker.h"
#include "compiler/compiler.h"
#include "encvp_regs.h"
#include "golden/golden.h"
#include "hal.h"
#include "netfile/netfile.h"
#include "sc_test.h"
#include "session.h"
#include "verify/random_network.h"

namespace encvp {
namespace {

// Collects the warnings reported while it lives ("model: message").
class warnings {
public:
    warnings() {
        list().clear();
        sc_core::sc_report_handler::set_handler(&handler);
    }
    ~warnings() { sc_core::sc_report_handler::set_handler(sc_core::sc_report_handler::default_handler); }
    // The first warning containing every piece, or "".
    std::string find(std::initializer_list<std::string> pieces) const {
        for (const std::string& w : list()) {
            bool all = true;
            for (const std::string& p : pieces) all = all && w.find(p) != std::string::npos;
            if (all) return w;
        }
        return "";
    }
    std::string dump() const {
        std::string s;
        for (const std::string& w : list()) s += "  " + w + "\n";
        return s;
    }

private:
    static std::vector<std::string>& list() {
        static std::vector<std::string> l;
        return l;
    }
    static void handler(const sc_core::sc_report& r, const sc_core::sc_actions& a) {
        if (r.get_severity() == sc_core::SC_WARNING) list().push_back(std::string(r.get_msg_type()) + ": " + r.get_msg());
        if (a & (sc_core::SC_THROW | sc_core::SC_ABORT | sc_core::SC_STOP))
            sc_core::sc_report_handler::default_handler(r, a & ~sc_core::SC_DISPLAY);
    }
};

// A simulated time in a message: "at 12345 ns" / "at 1.2 us" (sc_time's own format).
::testing::AssertionResult has_time(const std::string& w) {
    for (const char* unit : {" ps", " ns", " us", " ms", " s"})
        if (w.find(unit) != std::string::npos && (w.find(" at ") != std::string::npos || w.find("(at ") != std::string::npos)) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "no simulated time in: " << w;
}

class firmware_errors : public test::sc_test {
protected:
    // A small classification network, compiled for the default SRAM.
    compiled_network network() {
        std::mt19937 rng(77);
        std::string desc;
        nx::network net;
        for (unsigned i = 3;; ++i) {
            net = make_random_network(i, rng, desc);
            if (net.shape.classify) break;
        }
        network_file f = make_network_file(net, "t", {}, nlohmann::json::object());
        for (unsigned c = 0; c < net.layers.back().d.out_c; ++c) f.classes.push_back("c" + std::to_string(c));
        file_ = parse_network_file(serialize_network_file(f), "test");
        return compile_network(file_, 1u << 20);
    }
    // Runs `fw` as the platform's firmware.
    run_outcome run(session& s, std::function<int(const platform_config&)> fw) {
        const platform_config cfg = s.config();
        s.chip().cpu.set_firmware([fw, cfg](uint32_t) { return fw(cfg); }, 0);
        return s.run(nullptr);
    }
    network_file file_;
};

// Firmware helpers: raw register sequences.
void program_layers(uint32_t enc, const compiled_network& c) {
    const std::size_t n = c.descriptors.size() / 6;
    for (std::size_t i = 0; i < n; ++i) {
        const unsigned l = unsigned(i);
        hal_write32(enc + ENCODER_LAYER_IN_DIM(l), c.descriptors[6 * i + 0]);
        hal_write32(enc + ENCODER_LAYER_CHANNELS(l), c.descriptors[6 * i + 1]);
        hal_write32(enc + ENCODER_LAYER_CONV(l), c.descriptors[6 * i + 2]);
        hal_write32(enc + ENCODER_LAYER_PREC(l), c.descriptors[6 * i + 3]);
        hal_write32(enc + ENCODER_LAYER_W_ADDR(l), c.descriptors[6 * i + 4]);
        hal_write32(enc + ENCODER_LAYER_B_ADDR(l), c.descriptors[6 * i + 5]);
    }
    hal_write32(enc + ENCODER_TASK, c.task);
    hal_write32(enc + ENCODER_NUM_LAYERS, uint32_t(n));
}
uint32_t poll_encoder(uint32_t enc) {
    uint32_t st;
    while (!((st = hal_read32(enc + ENCODER_STATUS)) & (ENCODER_STATUS_DONE_MASK | ENCODER_STATUS_ERR_MASK))) {
    }
    return st;
}
uint32_t dma_copy_polled(uint32_t dma, uint32_t src, uint32_t dst, uint32_t bytes) {
    hal_write32(dma + DMA_CH_SRC(0), src);
    hal_write32(dma + DMA_CH_DST(0), dst);
    hal_write32(dma + DMA_CH_ROW_BYTES(0), bytes);
    hal_write32(dma + DMA_CH_ROWS(0), 1);
    hal_write32(dma + DMA_CH_CTRL(0), DMA_CH_CTRL_START_MASK);
    uint32_t st;
    while (!((st = hal_read32(dma + DMA_CH_STATUS(0))) & (DMA_CH_STATUS_DONE_MASK | DMA_CH_STATUS_ERR_MASK))) {
    }
    return st;
}

TEST_F(firmware_errors, start_while_busy_sets_err_busy_and_the_running_job_completes) {
    const compiled_network c = network();
    session s{platform_config()};
    s.chip().sram.load(0, c.sram_image.data(), c.sram_image.size());
    warnings w;
    uint32_t first = 0, after = 0;
    const run_outcome r = run(s, [&](const platform_config& cfg) {
        const uint32_t enc = uint32_t(cfg.encoder_base);
        program_layers(enc, c);
        hal_write32(enc + ENCODER_CTRL, ENCODER_CTRL_START_MASK);
        hal_write32(enc + ENCODER_CTRL, ENCODER_CTRL_START_MASK);  // the mistake: no wait for DONE
        first = hal_read32(enc + ENCODER_STATUS);
        after = poll_encoder(enc);
        return 0;
    });
    EXPECT_EQ(r.exit_code, 0) << r.fault;
    EXPECT_TRUE(first & ENCODER_STATUS_ERR_MASK);
    EXPECT_EQ(ENCVP_GET(ENCODER_STATUS_ERR_CODE, first), ENCODER_ERR_BUSY);
    EXPECT_TRUE(first & ENCODER_STATUS_BUSY_MASK);  // the first run goes on
    const std::string m = w.find({"encoder", "ERR_BUSY", "CTRL.START"});
    EXPECT_NE(m, "") << w.dump();
    EXPECT_TRUE(has_time(m));
    (void)after;
}

TEST_F(firmware_errors, dma_to_an_unmapped_address_ends_with_err_write_and_the_address) {
    session s{platform_config()};
    warnings w;
    uint32_t st = 0, addr = 0;
    const run_outcome r = run(s, [&](const platform_config& cfg) {
        const uint32_t dma = uint32_t(cfg.dma_base);
        st = dma_copy_polled(dma, uint32_t(cfg.dram_base), 0x00001000, 64);
        addr = hal_read32(dma + DMA_CH_ERR_ADDR(0));
        return 0;
    });
    EXPECT_EQ(r.exit_code, 0) << r.fault;
    EXPECT_TRUE(st & DMA_CH_STATUS_ERR_MASK);
    EXPECT_EQ(ENCVP_GET(DMA_CH_STATUS_ERR_CODE, st), DMA_ERR_WRITE);
    EXPECT_EQ(addr, 0x1000u);
    EXPECT_NE(w.find({"bus", "0x1000", "no target mapped"}), "") << w.dump();
    const std::string m = w.find({"dma", "bus error on write at 0x1000"});
    EXPECT_NE(m, "") << w.dump();
    EXPECT_TRUE(has_time(m));
}

TEST_F(firmware_errors, dma_into_a_read_only_register_ends_with_err_write) {
    session s{platform_config()};
    warnings w;
    uint32_t st = 0, addr = 0;
    const run_outcome r = run(s, [&](const platform_config& cfg) {
        const uint32_t dma = uint32_t(cfg.dma_base);
        st = dma_copy_polled(dma, uint32_t(cfg.dram_base), uint32_t(cfg.encoder_base + ENCODER_ID), 4);
        addr = hal_read32(dma + DMA_CH_ERR_ADDR(0));
        return int(hal_read32(uint32_t(cfg.encoder_base + ENCODER_ID)) == ENCODER_ID_RESET ? 0 : 1);
    });
    EXPECT_EQ(r.exit_code, 0) << "the ID register changed; " << r.fault;
    EXPECT_EQ(ENCVP_GET(DMA_CH_STATUS_ERR_CODE, st), DMA_ERR_WRITE);
    EXPECT_EQ(addr, uint32_t(platform_config().encoder_base));
    EXPECT_NE(w.find({"encoder", "write to ID", "read-only"}), "") << w.dump();
    EXPECT_NE(w.find({"dma", "bus error on write"}), "") << w.dump();
}

TEST_F(firmware_errors, descriptor_outside_the_sram_is_err_sram_range_with_the_layer) {
    const compiled_network c = network();
    session s{platform_config()};
    warnings w;
    uint32_t st = 0;
    const run_outcome r = run(s, [&](const platform_config& cfg) {
        const uint32_t enc = uint32_t(cfg.encoder_base);
        program_layers(enc, c);
        hal_write32(enc + ENCODER_LAYER_W_ADDR(1), 0x7FFF0);  // far beyond the 1 Mbit SRAM
        hal_write32(enc + ENCODER_CTRL, ENCODER_CTRL_START_MASK);
        st = poll_encoder(enc);
        return 0;
    });
    EXPECT_EQ(r.exit_code, 0) << r.fault;
    EXPECT_TRUE(st & ENCODER_STATUS_ERR_MASK);
    EXPECT_FALSE(st & ENCODER_STATUS_DONE_MASK);
    EXPECT_EQ(ENCVP_GET(ENCODER_STATUS_ERR_CODE, st), ENCODER_ERR_SRAM_RANGE);
    EXPECT_EQ(ENCVP_GET(ENCODER_STATUS_ERR_LAYER, st), 1u);
    const std::string m = w.find({"encoder", "ERR_SRAM_RANGE", "layer 1", "weight SRAM"});
    EXPECT_NE(m, "") << w.dump();
    EXPECT_TRUE(has_time(m));
}

TEST_F(firmware_errors, unsupported_precision_is_err_precision) {
    const compiled_network c = network();
    session s{platform_config()};
    warnings w;
    uint32_t st = 0;
    const run_outcome r = run(s, [&](const platform_config& cfg) {
        const uint32_t enc = uint32_t(cfg.encoder_base);
        program_layers(enc, c);
        const uint32_t prec = hal_read32(enc + ENCODER_LAYER_PREC(0));
        hal_write32(enc + ENCODER_LAYER_PREC(0), prec & ~ENCODER_LAYER_PREC_WBITS_MASK);  // 0-bit weights
        hal_write32(enc + ENCODER_CTRL, ENCODER_CTRL_START_MASK);
        st = poll_encoder(enc);
        // The encoder is usable again after the error: fix the descriptor and run.
        hal_write32(enc + ENCODER_STATUS, ENCODER_STATUS_ERR_MASK);
        hal_write32(enc + ENCODER_LAYER_PREC(0), prec);
        hal_write32(enc + ENCODER_CTRL, ENCODER_CTRL_START_MASK);
        return (poll_encoder(enc) & ENCODER_STATUS_DONE_MASK) ? 0 : 1;
    });
    EXPECT_EQ(r.exit_code, 0) << r.fault;
    EXPECT_EQ(ENCVP_GET(ENCODER_STATUS_ERR_CODE, st), ENCODER_ERR_PRECISION);
    const std::string m = w.find({"encoder", "ERR_PRECISION", "layer 0", "weights 0 bits"});
    EXPECT_NE(m, "") << w.dump();
    EXPECT_TRUE(has_time(m));
}

TEST_F(firmware_errors, interrupt_never_acknowledged_is_an_interrupt_storm_that_ends_the_run) {
    const compiled_network c = network();
    session s{platform_config()};
    s.chip().sram.load(0, c.sram_image.data(), c.sram_image.size());
    warnings w;
    const run_outcome r = run(s, [&](const platform_config& cfg) -> int {
        const uint32_t enc = uint32_t(cfg.encoder_base);
        hal_irq_set_handler([] {});  // the mistake: never clears the encoder's DONE
        hal_write32(uint32_t(cfg.intc_base) + INTC_ENABLE, 1u << INTC_IRQ_ENCODER);
        hal_irq_enable();
        program_layers(enc, c);
        hal_write32(enc + ENCODER_CTRL, ENCODER_CTRL_IRQ_EN_MASK | ENCODER_CTRL_START_MASK);
        for (;;) hal_wait_for_interrupt();
    });
    EXPECT_TRUE(r.exited);
    EXPECT_EQ(r.exit_code, cpu_stub::EXIT_IRQ_STORM);
    EXPECT_NE(r.fault.find("interrupt storm"), std::string::npos) << r.fault;
    EXPECT_NE(r.fault.find("line 8"), std::string::npos) << r.fault;  // the encoder's line, named
    EXPECT_TRUE(has_time(r.fault));
    EXPECT_NE(w.find({"cpu", "interrupt storm"}), "") << w.dump();
}

TEST_F(firmware_errors, waiting_for_an_interrupt_that_never_comes_times_out) {
    platform_config cfg;
    cfg.cpu_wfi_timeout_s = 1e-3;
    session s{cfg};
    warnings w;
    const run_outcome r = run(s, [&](const platform_config&) {
        hal_wait_for_interrupt();  // nothing was started, nothing is enabled
        return 0;
    });
    EXPECT_TRUE(r.exited);
    EXPECT_EQ(r.exit_code, cpu_stub::EXIT_WFI_TIMEOUT);
    EXPECT_NE(r.fault.find("waited for an interrupt"), std::string::npos) << r.fault;
    EXPECT_NEAR(r.sim_seconds, 1e-3, 1e-4);
}

TEST_F(firmware_errors, watchdog_ends_a_firmware_that_stops_kicking_it) {
    session s{platform_config()};
    warnings w;
    const run_outcome r = run(s, [&](const platform_config& cfg) -> int {
        const uint32_t sys = uint32_t(cfg.sysctrl_base);
        hal_write32(sys + SYSCTRL_WDT_LOAD, 2000);
        hal_write32(sys + SYSCTRL_WDT_CTRL, SYSCTRL_WDT_CTRL_EN_MASK);
        for (;;) (void)hal_read32(sys + SYSCTRL_SCRATCH);  // stuck in a loop, no kick
    });
    EXPECT_TRUE(r.exited);
    EXPECT_EQ(r.exit_code, sysctrl::EXIT_WATCHDOG);
    EXPECT_EQ(r.fault, "watchdog expired");
    const std::string m = w.find({"sysctrl", "watchdog expired", "WDT_KICK"});
    EXPECT_NE(m, "") << w.dump();
    EXPECT_TRUE(has_time(m));
}

TEST_F(firmware_errors, polling_forever_is_stopped_by_the_time_limit) {
    platform_config cfg;
    cfg.cpu_time_limit_s = 200e-6;
    session s{cfg};
    warnings w;
    const run_outcome r = run(s, [&](const platform_config& c) -> int {
        for (;;) (void)hal_read32(uint32_t(c.dma_base) + DMA_CH_STATUS(0));  // DONE never comes: nothing started
    });
    EXPECT_FALSE(r.exited);
    EXPECT_NE(r.fault.find("cpu.time_limit"), std::string::npos) << r.fault;
    EXPECT_NEAR(r.sim_seconds, 200e-6, 2e-6);
    EXPECT_NE(w.find({"session", "time limit"}), "") << w.dump();
}

// ---- fault injection ----

TEST_F(firmware_errors, injected_dma_bus_errors_reach_the_firmware_and_the_report) {
    platform_config cfg;
    cfg.fault.dma_error_every = 3;  // the 3rd transaction: the first burst's... 2nd read
    session s{cfg};
    warnings w;
    uint32_t st1 = 0, st2 = 0;
    const run_outcome r = run(s, [&](const platform_config& c) {
        const uint32_t dram = uint32_t(c.dram_base);
        st1 = dma_copy_polled(uint32_t(c.dma_base), dram + 0x10000, dram + 0x20000, 64);   // read, write: ok
        hal_write32(uint32_t(c.dma_base) + DMA_CH_STATUS(0), DMA_CH_STATUS_DONE_MASK | DMA_CH_STATUS_ERR_MASK);
        st2 = dma_copy_polled(uint32_t(c.dma_base), dram + 0x10000, dram + 0x20000, 64);   // read fails
        return 0;
    });
    EXPECT_EQ(r.exit_code, 0) << r.fault;
    EXPECT_TRUE(st1 & DMA_CH_STATUS_DONE_MASK);
    EXPECT_EQ(ENCVP_GET(DMA_CH_STATUS_ERR_CODE, st2), DMA_ERR_READ);
    EXPECT_NE(w.find({"dma_fault", "injected bus error", "0x80010000"}), "") << w.dump();
    const nlohmann::json rep = s.report(r);
    EXPECT_EQ(rep["models"]["faults"]["dma"]["injected_errors"].get<uint64_t>(), 1u);
}

TEST_F(firmware_errors, a_dropped_interrupt_leaves_the_firmware_waiting_until_its_timeout) {
    platform_config cfg;
    cfg.fault.drop_irq_every = 1;
    cfg.cpu_wfi_timeout_s = 1e-3;
    session s{cfg};
    warnings w;
    uint32_t raw = 0;
    const run_outcome r = run(s, [&](const platform_config& c) {
        const uint32_t dma = uint32_t(c.dma_base), dram = uint32_t(c.dram_base);
        hal_write32(uint32_t(c.intc_base) + INTC_ENABLE, 1u << INTC_IRQ_DMA_CH0);
        hal_write32(dma + DMA_CH_SRC(0), dram + 0x10000);
        hal_write32(dma + DMA_CH_DST(0), dram + 0x20000);
        hal_write32(dma + DMA_CH_ROW_BYTES(0), 64);
        hal_write32(dma + DMA_CH_ROWS(0), 1);
        hal_write32(dma + DMA_CH_CTRL(0), DMA_CH_CTRL_IRQ_EN_MASK | DMA_CH_CTRL_START_MASK);
        hal_delay_cycles(100000);  // long done
        raw = hal_read32(uint32_t(c.intc_base) + INTC_PENDING);
        hal_wait_for_interrupt();
        return 0;
    });
    EXPECT_EQ(raw & 1u, 0u);  // the request never reached the controller
    EXPECT_EQ(r.exit_code, cpu_stub::EXIT_WFI_TIMEOUT) << r.fault;
    EXPECT_NE(w.find({"irq_fault", "dropped interrupt request on line 0"}), "") << w.dump();
    EXPECT_EQ(s.report(r)["models"]["faults"]["irq"]["dropped"].get<uint64_t>(), 1u);
}

// The classification job of the real firmware over a network in a faulty SRAM: with ECC the
// single-bit errors are corrected and the results are the golden ones; without, they differ.
void classify_with_faults(const compiled_network& c, const network_file& f, double ber, bool ecc, bool& equal,
                          nlohmann::json& sram, uint64_t& uncorrectable_in_network) {
    platform_config cfg;
    cfg.fault.sram_ber = ber;
    cfg.fault.seed = 5;
    cfg.sram_ecc = ecc;
    golden_model gold(f);
    std::mt19937 rng(9);
    std::vector<std::vector<uint8_t>> in(8, std::vector<uint8_t>(c.in_bytes));
    for (auto& v : in)
        for (auto& p : v) p = uint8_t(rng());
    session s{cfg};
    equal = true;
    const inference_stats st = run_inference(
        s, c, in.size(), 4, [&](std::size_t i, std::vector<uint8_t>& out) { out = in[i]; },
        [&](const inference_record& r) {
            nx::inference_result g;
            gold.run(in[r.index].data(), g);
            std::vector<int32_t> logits;
            int cls = -1;
            decode_logits(r.output, unsigned(g.logits.size()), logits, cls);
            if (logits != g.logits) equal = false;
        });
    EXPECT_EQ(st.run.exit_code, 0) << st.run.fault;
    EXPECT_EQ(st.done, in.size());
    sram = s.report(st.run)["models"]["sram"];
    uncorrectable_in_network = s.chip().sram.uncorrectable_words(0, c.sram_image.size() * 8);
}

TEST_F(firmware_errors, sram_bit_errors_change_results_and_ecc_corrects_them) {
    const compiled_network c = network();
    bool equal = true;
    nlohmann::json sram;
    uint64_t bad = 0;
    classify_with_faults(c, file_, 3e-2, false, equal, sram, bad);
    EXPECT_GT(sram["faulty_cells"].get<uint64_t>(), 1000u);
    EXPECT_GT(sram["corrupted_words"].get<uint64_t>(), 0u);
    EXPECT_FALSE(equal) << "bit errors in the weights left every logit unchanged";
    classify_with_faults(c, file_, 1e-3, true, equal, sram, bad);
    EXPECT_GT(sram["ecc_corrected_words"].get<uint64_t>(), 0u) << sram.dump();
    ASSERT_EQ(bad, 0u) << "pick another seed: this fault map has a double error in the network";
    EXPECT_TRUE(equal) << "ECC should hand the encoder the weights as written";
}

}  // namespace
}  // namespace encvp

// CPU stub (models/cpu/cpu_stub.*, hal_vp.cpp): firmware (a C++ lambda calling the firmware HAL)
// runs on the stub's thread; its MMIO goes over a system bus to a system controller, an
// interrupt-line driver and a DRAM. Covers MMIO, bus faults, wait-for-interrupt, interrupt
// handlers and storms, DMI, temporal decoupling and halting.
#include <memory>

#include "bus/system_bus.h"
#include "cpu/cpu_stub.h"
#include "encvp_regs.h"
#include "hal.h"
#include "harness.h"
#include "memory/dram.h"
#include "sysctrl/sysctrl.h"

namespace encvp::test {
namespace {

constexpr uint32_t SYS_BASE = 0x10000000;
constexpr uint32_t DRV_BASE = 0x20000000;   // irq_driver: write the line level at offset 0
constexpr uint32_t DRAM_BASE = 0x80000000;
constexpr uint32_t DRAM_SIZE = 0x10000;
constexpr uint32_t HOLE = 0x50000000;       // nothing mapped
constexpr uint32_t SCRATCH = SYS_BASE + SYSCTRL_SCRATCH;

// The CPU's interrupt line, under the control of the test (raise at a given time) and of the
// firmware (a write to offset 0 sets the level, visible at once like a peripheral's level).
class irq_driver : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<irq_driver> socket;
    sc_core::sc_signal<bool, sc_core::SC_MANY_WRITERS> line{"line"};
    unsigned writes = 0;

    SC_HAS_PROCESS(irq_driver);
    explicit irq_driver(const sc_core::sc_module_name& nm) : sc_module(nm), socket("socket") {
        socket.register_b_transport(this, &irq_driver::b_transport);
        SC_THREAD(scheduled);
    }
    void raise_at(const sc_core::sc_time& t) { raise_at_ = t; }

private:
    void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time&) {
        if (tx.get_address() != 0 || tx.get_data_length() != 4) {
            tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
            return;
        }
        if (tx.is_write()) {
            ++writes;
            line.write(le32(tx.get_data_ptr()) != 0);
        } else {
            put_le32(tx.get_data_ptr(), line.read() ? 1 : 0);
        }
        tx.set_response_status(tlm::TLM_OK_RESPONSE);
    }
    void scheduled() {
        if (raise_at_ == sc_core::sc_max_time()) return;
        sc_core::wait(raise_at_);
        line.write(true);
    }
    sc_core::sc_time raise_at_ = sc_core::sc_max_time();
};

struct cpu_soc {
    cpu_stub cpu;
    system_bus bus{"bus"};
    sysctrl sys{"sysctrl", ns(2)};
    irq_driver drv{"drv"};
    dram mem{"dram", DRAM_SIZE};
    sc_core::sc_signal<bool> timer_irq{"timer_irq"}, host_irq{"host_irq"};

    explicit cpu_soc(const cpu_stub::config& c) : cpu("cpu", c) {
        cpu.bus.bind(bus.in);
        bus.out.bind(sys.in);
        bus.out.bind(drv.socket);
        bus.out.bind(mem.in);
        bus.map(0, SYS_BASE, sys.block_size(), "sysctrl");
        bus.map(1, DRV_BASE, 0x100, "drv");
        bus.map(2, DRAM_BASE, DRAM_SIZE, "dram");
        system_bus::timing bt;
        bt.hop_latency = ns(2);
        bt.cycle = ns(2);
        bt.width_bytes = 8;
        bus.set_timing(bt);
        dram::timing dt;
        dt.latency = ns(50);
        dt.bytes_per_ns = 8;
        mem.set_timing(dt);
        sys.timer_irq.bind(timer_irq);
        sys.host_irq.bind(host_irq);
        cpu.irq.bind(drv.line);
    }
};

// What the interrupt handler (a plain C function) sees and does.
struct handler_state {
    unsigned calls = 0, depth = 0, max_depth = 0;
    bool clear = true;       // acknowledge: drop the line
    bool touch_bus = false;  // read a register first (the line is still high then)
    sc_core::sc_time first_call = sc_core::sc_max_time();
};
handler_state g_handler;

void test_handler() {
    ++g_handler.calls;
    ++g_handler.depth;
    g_handler.max_depth = std::max(g_handler.max_depth, g_handler.depth);
    if (g_handler.calls == 1) g_handler.first_call = sc_core::sc_time_stamp();
    if (g_handler.touch_bus) (void)hal_read32(SCRATCH);
    if (g_handler.clear) hal_write32(DRV_BASE, 0);
    --g_handler.depth;
}

class cpu_stub_test : public sc_test {
protected:
    fresh_kernel kernel;
    report_capture log;
    std::unique_ptr<cpu_soc> soc;

    void SetUp() override {
        sc_test::SetUp();
        g_handler = handler_state();
    }
    static cpu_stub::config default_config() {
        cpu_stub::config c;
        c.wfi_timeout = us(100);
        c.stack_bytes = 256 * 1024;
        return c;
    }
    void build(const cpu_stub::config& c = default_config()) { soc = std::make_unique<cpu_soc>(c); }
    void boot(std::function<int(uint32_t)> fw, uint32_t arg = 0) { soc->cpu.set_firmware(std::move(fw), arg); }
    void run(const sc_core::sc_time& limit = sc_core::sc_time(1, sc_core::SC_SEC)) { sc_core::sc_start(limit); }
    nlohmann::json cpu_stats() const {
        nlohmann::json j;
        soc->cpu.stats(j);
        return j;
    }
    nlohmann::json dram_stats() const {
        nlohmann::json j;
        soc->mem.stats(j);
        return j;
    }
};

TEST_F(cpu_stub_test, FirmwareGetsItsBootArgumentAndItsReturnValueIsTheExitCode) {
    build();
    uint32_t seen = 0;
    boot([&](uint32_t arg) {
        seen = arg;
        return int(arg & 0x7F) ^ 0x5A;
    }, 0x1234);
    run();
    EXPECT_EQ(seen, 0x1234u);
    EXPECT_TRUE(soc->cpu.finished());
    EXPECT_EQ(soc->cpu.exit_code(), (0x34 ^ 0x5A));
    EXPECT_TRUE(soc->cpu.fault().empty());
    EXPECT_EQ(sc_core::sc_get_status(), sc_core::SC_STOPPED) << "returning from main stops the simulation";
}

TEST_F(cpu_stub_test, MmioRoundTripThroughTheBus) {
    build();
    uint32_t scratch = 0, id = 0, dram_word = 0;
    uint8_t byte = 0;
    boot([&](uint32_t) {
        hal_write32(SCRATCH, 0xCAFEBABE);
        scratch = hal_read32(SCRATCH);
        id = hal_read32(SYS_BASE + SYSCTRL_ID);
        hal_write32(DRAM_BASE + 0x100, 0x11223344);
        hal_write8(DRAM_BASE + 0x101, 0xAB);
        byte = hal_read8(DRAM_BASE + 0x100);
        dram_word = hal_read32(DRAM_BASE + 0x100);
        return 0;
    });
    run();
    EXPECT_EQ(soc->cpu.exit_code(), 0);
    EXPECT_EQ(scratch, 0xCAFEBABEu);
    EXPECT_EQ(soc->sys.scratch.get(), 0xCAFEBABEu) << "the write reached the peripheral";
    EXPECT_EQ(id, 0x454E4350u);
    EXPECT_EQ(byte, 0x44);
    EXPECT_EQ(dram_word, 0x1122AB44u);
    uint8_t back[4];
    soc->mem.dump(0x100, back, 4);
    EXPECT_EQ(le32(back), 0x1122AB44u);
    const nlohmann::json j = cpu_stats();
    EXPECT_EQ(j["loads"], 4);
    EXPECT_EQ(j["stores"], 3);
    EXPECT_EQ(j["bus_errors"], 0);
}

TEST_F(cpu_stub_test, BusErrorOnAReadHaltsTheCoreWithAFaultNamingTheAddress) {
    build();
    bool reached = false;
    boot([&](uint32_t) {
        hal_write32(SCRATCH, 1);
        (void)hal_read32(HOLE);
        reached = true;
        return 0;
    });
    run();
    EXPECT_FALSE(reached) << "the core traps: code after the faulting access never runs";
    EXPECT_TRUE(soc->cpu.finished());
    EXPECT_EQ(soc->cpu.exit_code(), cpu_stub::EXIT_BUS_FAULT);
    EXPECT_NE(soc->cpu.fault().find("read of 0x50000000"), std::string::npos) << soc->cpu.fault();
    EXPECT_NE(soc->cpu.fault().find("ADDRESS_ERROR"), std::string::npos) << soc->cpu.fault();
    EXPECT_EQ(cpu_stats()["bus_errors"], 1);
    EXPECT_EQ(sc_core::sc_get_status(), sc_core::SC_STOPPED);
}

TEST_F(cpu_stub_test, BusErrorOnAWriteHaltsTheCoreToo) {
    build();
    bool reached = false;
    boot([&](uint32_t) {
        hal_write32(HOLE + 4, 1);
        reached = true;
        return 0;
    });
    run();
    EXPECT_FALSE(reached);
    EXPECT_EQ(soc->cpu.exit_code(), cpu_stub::EXIT_BUS_FAULT);
    EXPECT_NE(soc->cpu.fault().find("write to 0x50000004"), std::string::npos) << soc->cpu.fault();
}

TEST_F(cpu_stub_test, BusErrorsCanBeDroppedInsteadOfTrapping) {
    cpu_stub::config c = default_config();
    c.stop_on_bus_error = false;
    build(c);
    uint32_t v = 0xFFFFFFFF;
    uint8_t b = 0xFF;
    boot([&](uint32_t) {
        v = hal_read32(HOLE);
        b = hal_read8(HOLE + 1);
        hal_write32(HOLE, 1);
        hal_write32(SCRATCH, 9);
        return int(hal_read32(SCRATCH));
    });
    run();
    EXPECT_EQ(v, 0u) << "a failed read returns 0";
    EXPECT_EQ(b, 0u);
    EXPECT_EQ(soc->cpu.exit_code(), 9) << "the firmware went on";
    EXPECT_TRUE(soc->cpu.fault().empty());
    EXPECT_EQ(cpu_stats()["bus_errors"], 3);
    EXPECT_TRUE(log.any({"cpu", "0x50000000", "dropped"})) << log.dump();
}

TEST_F(cpu_stub_test, WaitForInterruptSleepsUntilTheLineRises) {
    build();
    soc->drv.raise_at(us(5));
    sc_core::sc_time woke;
    uint64_t cycles = 0;
    boot([&](uint32_t) {
        hal_wait_for_interrupt();
        woke = sc_core::sc_time_stamp();
        cycles = hal_cycles();
        return 0;
    });
    run();
    EXPECT_EQ(soc->cpu.exit_code(), 0);
    EXPECT_EQ(woke, us(5));
    EXPECT_EQ(cycles, 2500u) << "5 us at 2 ns per cycle";
    const nlohmann::json j = cpu_stats();
    EXPECT_EQ(j["wfi"], 1);
    EXPECT_NEAR(j["wfi_seconds"].get<double>(), 5e-6, 1e-12);
}

TEST_F(cpu_stub_test, WaitForInterruptReturnsAtOnceWhenTheLineIsAlreadyHigh) {
    build();
    soc->drv.raise_at(ns(10));
    sc_core::sc_time before, after;
    boot([&](uint32_t) {
        hal_delay_cycles(1000);  // 2 us: the line is up by then
        (void)hal_read32(SCRATCH);
        before = sc_core::sc_time_stamp();
        hal_wait_for_interrupt();
        after = sc_core::sc_time_stamp();
        return 0;
    });
    run();
    EXPECT_EQ(soc->cpu.exit_code(), 0);
    EXPECT_GE(before, us(2) - us(1)) << "within a quantum of the core's time";
    EXPECT_LE(after, us(2) + ns(100)) << "no sleeping";
}

TEST_F(cpu_stub_test, WaitForInterruptTimesOutWhenNothingComes) {
    cpu_stub::config c = default_config();
    c.wfi_timeout = us(10);
    build(c);
    bool reached = false;
    boot([&](uint32_t) {
        hal_wait_for_interrupt();
        reached = true;
        return 0;
    });
    run();
    EXPECT_FALSE(reached);
    EXPECT_EQ(soc->cpu.exit_code(), cpu_stub::EXIT_WFI_TIMEOUT);
    EXPECT_NE(soc->cpu.fault().find("waited for an interrupt"), std::string::npos) << soc->cpu.fault();
    EXPECT_EQ(sc_core::sc_time_stamp(), us(10));
}

TEST_F(cpu_stub_test, HandlerRunsOnceWhenTheLineIsHighAndInterruptsAreEnabled) {
    build();
    soc->drv.raise_at(us(1));
    g_handler.touch_bus = true;  // an access while the line is still high: must not nest
    unsigned reads = 0;
    boot([&](uint32_t) {
        hal_irq_set_handler(&test_handler);
        hal_irq_enable();
        while (g_handler.calls == 0 && reads < 20000) {
            (void)hal_read32(SCRATCH);
            ++reads;
        }
        for (int i = 0; i < 100; ++i) (void)hal_read32(SCRATCH);  // the line is low now: no more calls
        return int(g_handler.calls);
    });
    run();
    EXPECT_EQ(g_handler.calls, 1u);
    EXPECT_EQ(soc->cpu.exit_code(), 1);
    EXPECT_EQ(g_handler.max_depth, 1u) << "interrupts are masked while the handler runs";
    EXPECT_GE(g_handler.first_call, us(1));
    EXPECT_LE(g_handler.first_call, us(3)) << "taken within about a quantum of the line rising";
    EXPECT_FALSE(soc->drv.line.read());
    EXPECT_EQ(cpu_stats()["interrupts_taken"], 1);
}

TEST_F(cpu_stub_test, HandlerWaitsForInterruptsToBeEnabled) {
    build();
    soc->drv.raise_at(us(1));
    unsigned calls_while_disabled = 99, calls_after_enable = 99;
    boot([&](uint32_t) {
        hal_irq_set_handler(&test_handler);
        for (int i = 0; i < 2000; ++i) (void)hal_read32(SCRATCH);  // 2000 x 8 ns: well past 1 us
        calls_while_disabled = g_handler.calls;
        hal_irq_enable();  // pending line: taken right away
        calls_after_enable = g_handler.calls;
        hal_irq_disable();
        return 0;
    });
    run();
    EXPECT_EQ(calls_while_disabled, 0u);
    EXPECT_EQ(calls_after_enable, 1u);
}

TEST_F(cpu_stub_test, WaitForInterruptThenHandler) {
    build();
    soc->drv.raise_at(us(3));
    boot([&](uint32_t) {
        hal_irq_set_handler(&test_handler);
        hal_irq_enable();
        hal_wait_for_interrupt();
        return int(g_handler.calls);
    });
    run();
    EXPECT_EQ(soc->cpu.exit_code(), 1) << "the handler ran when the core woke up";
    EXPECT_EQ(g_handler.first_call, us(3));
}

TEST_F(cpu_stub_test, InterruptStormWithAnEmptyHandlerEndsTheRun) {
    cpu_stub::config c = default_config();
    c.irq_storm_limit = 50;
    build(c);
    soc->drv.raise_at(ns(100));
    g_handler.clear = false;
    boot([&](uint32_t) {
        hal_irq_set_handler(&test_handler);
        hal_irq_enable();
        for (int i = 0; i < 5000; ++i) (void)hal_read32(SCRATCH);
        return 0;
    });
    run();
    EXPECT_EQ(soc->cpu.exit_code(), cpu_stub::EXIT_IRQ_STORM);
    EXPECT_EQ(g_handler.calls, 50u);
    EXPECT_NE(soc->cpu.fault().find("interrupt storm"), std::string::npos) << soc->cpu.fault();
}

TEST_F(cpu_stub_test, InterruptStormWithAHandlerThatReadsButNeverAcknowledgesEndsTheRun) {
    // The usual storm: the handler reads a status register and forgets to clear the cause.
    cpu_stub::config c = default_config();
    c.irq_storm_limit = 50;
    build(c);
    soc->drv.raise_at(ns(100));
    g_handler.clear = false;
    g_handler.touch_bus = true;
    boot([&](uint32_t) {
        hal_irq_set_handler(&test_handler);
        hal_irq_enable();
        for (int i = 0; i < 5000; ++i) (void)hal_read32(SCRATCH);
        return 0;
    });
    run();
    EXPECT_EQ(soc->cpu.exit_code(), cpu_stub::EXIT_IRQ_STORM)
        << "the handler ran " << g_handler.calls << " times with the line never dropping";
    EXPECT_LE(g_handler.calls, 51u);
}

TEST_F(cpu_stub_test, MemoryAccessesUseDmiWhenEnabled) {
    build();
    uint32_t sum = 0;
    boot([&](uint32_t) {
        for (uint32_t i = 0; i < 200; ++i) hal_write32(DRAM_BASE + 4 * i, i * 3);
        for (uint32_t i = 0; i < 200; ++i) sum += hal_read32(DRAM_BASE + 4 * i);
        (void)hal_read32(SCRATCH);  // peripherals never go through DMI
        return 0;
    });
    run();
    EXPECT_EQ(sum, 3u * 199u * 200u / 2u);
    const nlohmann::json c = cpu_stats(), d = dram_stats();
    EXPECT_EQ(c["dmi_accesses"], 399) << "all but the first DRAM access";
    EXPECT_EQ(d["dmi_grants"], 1);
    EXPECT_EQ(d["writes"].get<int>() + d["reads"].get<int>(), 1);
    uint8_t w[4];
    soc->mem.dump(4 * 77, w, 4);
    EXPECT_EQ(le32(w), 77u * 3u) << "DMI writes land in the DRAM";
    nlohmann::json s;
    soc->sys.stats(s);
    EXPECT_EQ(s["register_reads"], 1);
}

TEST_F(cpu_stub_test, MemoryAccessesAreTransactionsWhenDmiIsOff) {
    cpu_stub::config cfg = default_config();
    cfg.use_dmi = false;
    build(cfg);
    boot([&](uint32_t) {
        for (uint32_t i = 0; i < 200; ++i) hal_write32(DRAM_BASE + 4 * i, i);
        for (uint32_t i = 0; i < 200; ++i) (void)hal_read32(DRAM_BASE + 4 * i);
        return 0;
    });
    run();
    const nlohmann::json c = cpu_stats(), d = dram_stats();
    EXPECT_EQ(c["dmi_accesses"], 0);
    EXPECT_EQ(d["dmi_grants"], 0);
    EXPECT_EQ(d["writes"], 200);
    EXPECT_EQ(d["reads"], 200);
}

TEST_F(cpu_stub_test, InvalidatedDmiFallsBackToTheBusAndIsRegained) {
    build();
    boot([&](uint32_t) {
        for (uint32_t i = 0; i < 10; ++i) hal_write32(DRAM_BASE + 4 * i, i);
        soc->mem.invalidate_dmi();  // e.g. the host rewrites the DRAM
        for (uint32_t i = 0; i < 10; ++i) (void)hal_read32(DRAM_BASE + 4 * i);
        return 0;
    });
    run();
    const nlohmann::json c = cpu_stats(), d = dram_stats();
    EXPECT_EQ(d["dmi_grants"], 2);
    EXPECT_EQ(d["writes"].get<int>() + d["reads"].get<int>(), 2) << "one bus access before each grant";
    EXPECT_EQ(c["dmi_accesses"], 18);
}

TEST_F(cpu_stub_test, QuantumBoundsTheCoresLeadAndTimeAdvances) {
    build();  // quantum 1 us
    double max_lead_ns = -1e9;  // core time (from its cycle counter) minus global simulated time
    unsigned syncs = 0;
    uint64_t cycles = 0;
    boot([&](uint32_t) {
        sc_core::sc_time last = sc_core::sc_time_stamp();
        for (int i = 0; i < 1000; ++i) {
            (void)hal_read32(DRAM_BASE + 4 * (i % 64));  // DMI: 2 cycles + 50 ns + 2 ns hop = 56 ns
            const double lead = 2.0 * double(hal_cycles()) - sc_core::sc_time_stamp().to_seconds() * 1e9;
            if (lead > max_lead_ns) max_lead_ns = lead;
            if (sc_core::sc_time_stamp() != last) ++syncs;
            last = sc_core::sc_time_stamp();
        }
        cycles = hal_cycles();
        return 0;
    });
    run();
    EXPECT_GT(max_lead_ns, 100.0) << "temporally decoupled: the core runs ahead";
    EXPECT_LE(max_lead_ns, 1000.0) << "but never more than a quantum";
    EXPECT_GE(syncs, 50u);
    EXPECT_LE(syncs, 60u) << "about one synchronisation per quantum (56 us of work)";
    EXPECT_GE(cycles, 1000u * 56u / 2u - 100u);
    EXPECT_GE(sc_core::sc_time_stamp(), us(55));
}

TEST_F(cpu_stub_test, DelayCyclesAdvanceTheCoresClock) {
    build();
    uint64_t c0 = 0, c1 = 0, lo = 0, c2 = 0;
    boot([&](uint32_t) {
        c0 = hal_cycles();
        hal_delay_cycles(5000);
        c1 = hal_cycles();
        lo = hal_read32(SYS_BASE + SYSCTRL_CYCLE_LO);
        c2 = hal_cycles();
        return 0;
    });
    run();
    EXPECT_EQ(c1 - c0, 5000u);
    // The system controller's counter (same 2 ns clock) sees the access at the core's own time.
    EXPECT_GE(lo, c1);
    EXPECT_LE(lo, c2);
    EXPECT_EQ(cpu_stats()["compute_cycles"], 5000);
    EXPECT_GE(sc_core::sc_time_stamp(), us(10));
}

TEST_F(cpu_stub_test, HaltRequestStopsTheCoreAtTheExitWrite) {
    build();
    soc->sys.set_exit_hook([this](int) {
        soc->cpu.request_halt();
        sc_core::sc_stop();
    });
    bool reached = false;
    boot([&](uint32_t) {
        hal_write32(SYS_BASE + SYSCTRL_EXIT, 3);
        reached = true;
        (void)hal_read32(SCRATCH);
        return 0;
    });
    run();
    EXPECT_FALSE(reached);
    EXPECT_TRUE(soc->cpu.finished());
    EXPECT_EQ(soc->sys.exit_code(), 3);
    EXPECT_TRUE(soc->cpu.fault().empty());
}

TEST_F(cpu_stub_test, NoFirmwareIdles) {
    build();
    run(us(1));
    EXPECT_FALSE(soc->cpu.finished());
    EXPECT_TRUE(log.any({"cpu", "no firmware"})) << log.dump();
}

}  // namespace
}  // namespace encvp::test

#include "soc.h"

#include <stdexcept>

#include "common/report.h"
#include "encvp_boot.h"
#include "encvp_regs.h"

namespace encvp {

namespace {

sc_core::sc_time period(double hz) { return sc_core::sc_time(1.0 / hz, sc_core::SC_SEC); }

cpu_stub::config cpu_cfg(const platform_config& c) {
    cpu_stub::config k;
    k.clock_period = period(c.cpu_clock_hz);
    k.access_cycles = c.cpu_access_cycles;
    k.quantum = sc_core::sc_time(c.cpu_quantum_s, sc_core::SC_SEC);
    k.wfi_timeout = sc_core::sc_time(c.cpu_wfi_timeout_s, sc_core::SC_SEC);
    k.stack_bytes = c.cpu_stack_bytes;
    k.use_dmi = c.cpu_dmi;
    k.stop_on_bus_error = c.cpu_stop_on_bus_error;
    return k;
}

weight_sram::geometry sram_geom(const platform_config& c) {
    weight_sram::geometry g;
    g.size_bits = c.sram_size_bits;
    g.word_bits = c.sram_word_bits;
    g.banks = c.sram_banks;
    return g;
}

weight_sram::reliability sram_rel(const platform_config& c) {
    weight_sram::reliability r;
    r.ecc = c.sram_ecc;
    r.bit_error_rate = c.fault.sram_ber;
    r.stuck_rate = c.fault.sram_stuck_at;
    r.seed = c.fault.seed;
    return r;
}

dma::config dma_cfg(const platform_config& c) {
    dma::config d;
    d.channels = c.dma_channels;
    d.burst_bytes = c.dma_burst_bytes;
    d.sync_quantum = sc_core::sc_time(c.cpu_quantum_s, sc_core::SC_SEC);
    return d;
}

}  // namespace

soc::soc(const sc_core::sc_module_name& nm, const platform_config& cfg)
    : sc_module(nm),
      cpu("cpu", cpu_cfg(cfg)),
      bus("bus"),
      mem("dram", cfg.dram_size),
      sram("sram", sram_geom(cfg), period(cfg.soc_clock_hz), sram_rel(cfg)),
      dma0("dma", dma_cfg(cfg)),
      irqc("intc"),
      sys("sysctrl", period(cfg.soc_clock_hz)),
      enc("encoder", cfg.encoder, sram),
      cfg_(cfg),
      cpu_irq_("cpu_irq"),
      irq_lines_("irq", intc::NUM_LINES),
      irq_to_intc_("irq_to_intc") {
    validate_platform_config(cfg);

    // Every socket binding goes through a protocol checker when asked for (bus.protocol_check,
    // or ENCVP_PROTOCOL_CHECK=1 in the environment, as the test suite sets it).
    const bool check = cfg.bus_protocol_check || protocol_checker::forced_by_environment();
    using initiator = tlm::tlm_initiator_socket<>;
    auto through_checker = [&](initiator& from, const std::string& socket) -> initiator& {
        if (!check) return from;
        checkers_.push_back(std::make_unique<protocol_checker>(("check_" + socket).c_str()));
        from.bind(checkers_.back()->in);
        return checkers_.back()->out;
    };
    // Initiators (the DMA's data path through the bus-fault injector when faults are asked for).
    through_checker(cpu.bus, "cpu").bind(bus.in);
    initiator& dma_path = through_checker(dma0.bus, "dma");
    if (cfg.fault.dma_error_every) {
        dma_fault_ = std::make_unique<bus_fault>("dma_fault", cfg.fault.dma_error_every);
        dma_path.bind(dma_fault_->in);
        dma_fault_->out.bind(bus.in);
    } else {
        dma_path.bind(bus.in);
    }
    // Targets, in the order of their out-port index.
    const struct {
        sc_core::sc_module* m;
        uint64_t base, size;
        std::string name;
    } targets[] = {
        {&sys, cfg.sysctrl_base, sys.block_size(), "sysctrl"},
        {&irqc, cfg.intc_base, irqc.block_size(), "intc"},
        {&dma0, cfg.dma_base, dma0.block_size(), "dma"},
        {&enc, cfg.encoder_base, enc.block_size(), "encoder"},
        {&sram, cfg.sram_base, sram.size_bytes(), "sram"},
        {&mem, cfg.dram_base, mem.size(), "dram"},
    };
    auto bind_target = [&](tlm::tlm_target_socket<>& to, const std::string& socket) {
        if (!check) {
            bus.out.bind(to);
            return;
        }
        checkers_.push_back(std::make_unique<protocol_checker>(("check_" + socket).c_str()));
        bus.out.bind(checkers_.back()->in);
        checkers_.back()->out.bind(to);
    };
    bind_target(sys.in, "sysctrl");
    bind_target(irqc.in, "intc");
    bind_target(dma0.in, "dma_regs");
    bind_target(enc.in, "encoder");
    bind_target(sram.in, "sram");
    bind_target(mem.in, "dram");
    unsigned port = 0;
    for (const auto& t : targets) bus.map(port++, t.base, t.size, t.name);

    system_bus::timing bt;
    bt.hop_latency = sc_core::sc_time(cfg.bus_hop_latency_s, sc_core::SC_SEC);
    bt.cycle = period(cfg.soc_clock_hz);
    bt.width_bytes = cfg.bus_width_bytes;
    bus.set_timing(bt);

    dram::timing dt;
    dt.latency = sc_core::sc_time(cfg.dram_latency_s, sc_core::SC_SEC);
    dt.bytes_per_ns = cfg.dram_bandwidth / 1e9;
    mem.set_timing(dt);
    mem.set_dmi_enabled(cfg.dram_dmi);

    const sc_core::sc_time plat(cfg.peripheral_latency_s, sc_core::SC_SEC);
    sys.set_access_latency(plat);
    irqc.set_access_latency(plat);
    dma0.set_access_latency(plat);
    enc.set_access_latency(plat);

    // Interrupts.
    if (cfg.fault.drop_irq_every) {  // sources -> irq_fault -> controller
        irq_fault_ = std::make_unique<irq_fault>("irq_fault", intc::NUM_LINES, cfg.fault.drop_irq_every);
        irq_to_intc_.init(intc::NUM_LINES);
        for (unsigned i = 0; i < intc::NUM_LINES; ++i) {
            irq_fault_->in[i].bind(irq_lines_[i]);
            irq_fault_->out[i].bind(irq_to_intc_[i]);
            irqc.lines[i].bind(irq_to_intc_[i]);
        }
    } else {
        for (unsigned i = 0; i < intc::NUM_LINES; ++i) irqc.lines[i].bind(irq_lines_[i]);
    }
    for (unsigned i = 0; i < cfg.dma_channels; ++i) dma0.irq[i].bind(irq_lines_[INTC_IRQ_DMA_CH0 + i]);
    enc.irq.bind(irq_lines_[INTC_IRQ_ENCODER]);
    sys.timer_irq.bind(irq_lines_[INTC_IRQ_TIMER]);
    sys.host_irq.bind(irq_lines_[INTC_IRQ_HOST]);
    irqc.cpu_irq.bind(cpu_irq_);
    cpu.irq.bind(cpu_irq_);
    cpu.set_irq_describer([this] {
        const uint32_t active = irqc.pending.get() & irqc.enable.get();
        std::string lines;
        for (unsigned i = 0; i < intc::NUM_LINES; ++i)
            if (active & (1u << i)) lines += (lines.empty() ? "" : ", ") + std::to_string(i);
        if (lines.empty()) return std::string("no line pending and enabled at the interrupt controller");
        return std::string(lines.find(',') == std::string::npos ? "line " : "lines ") + lines +
               " pending and enabled at the interrupt controller (INTC.ACTIVE = " + hex_string(active) + ")";
    });

    // Tracing switches.
    cpu.set_trace(cfg.cpu_trace);
    bus.set_trace(cfg.bus_trace);
    mem.set_trace(cfg.dram_trace);
    sram.set_trace(cfg.sram_trace);
    dma0.set_trace(cfg.dma_trace);
    sys.set_trace(cfg.sysctrl_trace);
    irqc.set_trace(cfg.intc_trace);
    enc.set_trace(cfg.encoder.trace);

    // Firmware ends the run through the system controller.
    sys.set_exit_hook([this](int) {
        cpu.request_halt();
        sc_core::sc_stop();
    });
    // Host mailbox: pause the kernel so the host program can serve the request.
    sys.set_host_hook([](uint32_t) { sc_core::sc_pause(); });
}

std::vector<soc::region> soc::memory_map() const {
    std::vector<region> out;
    for (const auto& m : bus.memory_map()) out.push_back(region{m.name, m.base, m.size});
    return out;
}

void soc::dram_write(uint64_t a, const void* src, uint64_t len) {
    if (a < cfg_.dram_base) throw std::out_of_range("address " + hex_string(a) + " is below the DRAM");
    mem.load(a - cfg_.dram_base, src, len);
}

void soc::dram_read(uint64_t a, void* dst, uint64_t len) const {
    if (a < cfg_.dram_base) throw std::out_of_range("address " + hex_string(a) + " is below the DRAM");
    mem.dump(a - cfg_.dram_base, dst, len);
}

void soc::dram_write32(uint64_t a, uint32_t v) {
    const uint8_t b[4] = {uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)};
    dram_write(a, b, 4);
}

uint32_t soc::dram_read32(uint64_t a) const {
    uint8_t b[4];
    dram_read(a, b, 4);
    return uint32_t(b[0]) | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 | uint32_t(b[3]) << 24;
}

void soc::write_boot_block(uint64_t at, uint64_t job) {
    dram_write32(at + BOOT_MAGIC, ENCVP_BOOT_MAGIC);
    dram_write32(at + BOOT_VERSION, ENCVP_BOOT_VERSION);
    dram_write32(at + BOOT_SYSCTRL_BASE, uint32_t(cfg_.sysctrl_base));
    dram_write32(at + BOOT_INTC_BASE, uint32_t(cfg_.intc_base));
    dram_write32(at + BOOT_DMA_BASE, uint32_t(cfg_.dma_base));
    dram_write32(at + BOOT_ENCODER_BASE, uint32_t(cfg_.encoder_base));
    dram_write32(at + BOOT_SRAM_BASE, uint32_t(cfg_.sram_base));
    dram_write32(at + BOOT_SRAM_BYTES, uint32_t(cfg_.sram_size_bits / 8));
    dram_write32(at + BOOT_DRAM_BASE, uint32_t(cfg_.dram_base));
    dram_write32(at + BOOT_DRAM_BYTES, uint32_t(cfg_.dram_size));
    dram_write32(at + BOOT_JOB, uint32_t(job));
}

void soc::trace_signals(sc_core::sc_trace_file* tf) {
    sc_core::sc_trace(tf, cpu_irq_, "cpu_irq");
    for (unsigned i = 0; i < cfg_.dma_channels; ++i) {
        sc_core::sc_trace(tf, irq_lines_[INTC_IRQ_DMA_CH0 + i], "irq_dma_ch" + std::to_string(i));
        sc_core::sc_trace(tf, dma0.busy[i], "dma_ch" + std::to_string(i) + "_busy");
    }
    sc_core::sc_trace(tf, irq_lines_[INTC_IRQ_ENCODER], "irq_encoder");
    sc_core::sc_trace(tf, enc.busy, "encoder_busy");
    sc_core::sc_trace(tf, irq_lines_[INTC_IRQ_TIMER], "irq_timer");
}

nlohmann::json soc::stats() const {
    nlohmann::json j;
    cpu.stats(j["cpu"]);
    bus.stats(j["bus"]);
    mem.stats(j["dram"]);
    sram.stats(j["sram"]);
    dma0.stats(j["dma"]);
    irqc.stats(j["intc"]);
    sys.stats(j["sysctrl"]);
    enc.stats(j["encoder"]);
    for (const auto& c : checkers_) c->stats(j["protocol_checks"][c->basename()]);
    if (dma_fault_) dma_fault_->stats(j["faults"]["dma"]);
    if (irq_fault_) irq_fault_->stats(j["faults"]["irq"]);
    return j;
}

uint64_t soc::protocol_violations() const {
    uint64_t n = 0;
    for (const auto& c : checkers_) n += c->violations();
    return n;
}

}  // namespace encvp

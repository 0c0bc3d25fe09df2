#include "cpu/cpu_stub.h"

#include <cstring>
#include <sstream>

#include "common/report.h"
#include "common/timeline.h"

namespace encvp {

namespace {
cpu_stub* g_current = nullptr;

// Firmware activity on the timeline: running (between waits) and waiting for an interrupt.
void record_cpu(const sc_core::sc_time& from, const sc_core::sc_time& to, const char* what) {
    if (timeline* tl = timeline::active())
        if (to > from) tl->slice(tl->track("cpu firmware", 10), what, from.to_seconds(), to.to_seconds());
}
}

cpu_stub* cpu_stub::current() { return g_current; }

cpu_stub::cpu_stub(const sc_core::sc_module_name& nm, const config& cfg)
    : sc_module(nm), bus("bus"), irq("irq"), cfg_(cfg) {
    bus.register_invalidate_direct_mem_ptr(this, &cpu_stub::invalidate_direct_mem_ptr);
    tlm_utils::tlm_quantumkeeper::set_global_quantum(cfg.quantum);
    qk_.reset();
    SC_THREAD(run);
    // Firmware runs on this thread: give it a stack a C program can live with.
    set_stack_size(cfg.stack_bytes);
}

void cpu_stub::set_firmware(firmware_entry entry, uint32_t boot_arg) {
    entry_ = std::move(entry);
    boot_arg_ = boot_arg;
}

void cpu_stub::run() {
    if (!entry_) {
        report_warning(name(), "no firmware loaded; the core idles");
        return;
    }
    g_current = this;
    const int rc = entry_(boot_arg_);
    // Firmware returned from main without writing EXIT: treat the return value as the exit code,
    // as a C runtime would.
    qk_.sync();
    record_cpu(busy_since_, sc_core::sc_time_stamp(), "busy");
    finished_ = true;
    exit_code_ = rc;
    report_info(name(), "firmware returned " + std::to_string(rc) + " at " + time_string(sc_core::sc_time_stamp()));
    sc_core::sc_stop();
}

void cpu_stub::halt(int code, const std::string& why) {
    if (!why.empty()) {
        fault_ = why;
        report_warning(name(), why);
    }
    record_cpu(busy_since_, sc_core::sc_time_stamp() + qk_.get_local_time(), "busy");
    finished_ = true;
    exit_code_ = code;
    if (!halt_requested_) sc_core::sc_stop();  // else the platform already stopped the kernel
    // The firmware's C frames are never resumed: the core is halted for good.
    for (;;) sc_core::wait(never_);
}

tlm::tlm_dmi* cpu_stub::find_dmi(uint64_t addr, unsigned size, tlm::tlm_command cmd) {
    for (tlm::tlm_dmi& d : dmi_) {
        if (addr >= d.get_start_address() && addr + size - 1 <= d.get_end_address()) {
            if (cmd == tlm::TLM_READ_COMMAND ? d.is_read_allowed() : d.is_write_allowed()) return &d;
            return nullptr;
        }
    }
    return nullptr;
}

bool cpu_stub::dmi_access(tlm::tlm_command cmd, uint32_t addr, uint8_t* data, unsigned size) {
    tlm::tlm_dmi* d = find_dmi(addr, size, cmd);
    if (d == nullptr) return false;
    uint8_t* p = d->get_dmi_ptr() + (addr - d->get_start_address());
    if (cmd == tlm::TLM_READ_COMMAND) {
        std::memcpy(data, p, size);
        qk_.inc(d->get_read_latency());
    } else {
        std::memcpy(p, data, size);
        qk_.inc(d->get_write_latency());
    }
    ++dmi_accesses_;
    return true;
}

void cpu_stub::access(tlm::tlm_command cmd, uint32_t addr, uint8_t* data, unsigned size) {
    qk_.inc(cfg_.clock_period * double(cfg_.access_cycles));
    if (cmd == tlm::TLM_READ_COMMAND) ++reads_; else ++writes_;
    if (cfg_.use_dmi && dmi_access(cmd, addr, data, size)) {
        after_access();
        return;
    }
    tx_.set_command(cmd);
    tx_.set_address(addr);
    tx_.set_data_ptr(data);
    tx_.set_data_length(size);
    tx_.set_streaming_width(size);
    tx_.set_byte_enable_ptr(nullptr);
    tx_.set_dmi_allowed(false);
    tx_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_core::sc_time delay = qk_.get_local_time();
    bus->b_transport(tx_, delay);
    qk_.set(delay);
    if (trace_) trace_transaction(name(), tx_, delay);
    if (tx_.is_response_error()) {
        ++bus_errors_;
        std::ostringstream os;
        os << "firmware bus error: " << (cmd == tlm::TLM_READ_COMMAND ? "read of " : "write to ")
           << hex_string(addr) << " (" << size << " bytes) answered " << response_name(tx_.get_response_status())
           << " at " << time_string(sc_core::sc_time_stamp() + qk_.get_local_time());
        if (cfg_.stop_on_bus_error) halt(EXIT_BUS_FAULT, os.str() + "; the core traps and the simulation ends");
        report_warning(name(), os.str() + "; the access is dropped (reads return 0)");
        std::memset(data, 0, size);
    } else if (cfg_.use_dmi && tx_.is_dmi_allowed()) {
        tlm::tlm_dmi dmi;
        tx_.set_address(addr);
        if (bus->get_direct_mem_ptr(tx_, dmi)) dmi_.push_back(dmi);
    }
    after_access();
}

void cpu_stub::after_access() {
    if (halt_requested_) halt(exit_code_, "");
    if (qk_.need_sync()) qk_.sync();
    deliver_interrupt();
}

void cpu_stub::deliver_interrupt() {
    if (!irq.read()) {
        storm_count_ = 0;  // the line dropped: whatever ran before was acknowledged
        return;
    }
    if (!irq_enabled_ || in_handler_ || handler_ == nullptr) return;
    if (++storm_count_ > cfg_.irq_storm_limit) {
        halt(EXIT_IRQ_STORM, "interrupt storm at " + time_string(sc_core::sc_time_stamp() + qk_.get_local_time()) +
                                 ": the handler ran " + std::to_string(cfg_.irq_storm_limit) +
                                 " times in a row and the interrupt line stayed high" +
                                 (irq_describer_ ? " (" + irq_describer_() + ")" : std::string()) +
                                 ": is the interrupt acknowledged at the peripheral and the interrupt controller?");
    }
    ++irqs_taken_;
    if (timeline* tl = timeline::active())
        tl->instant(tl->track("cpu firmware", 10), "interrupt handler",
                    (sc_core::sc_time_stamp() + qk_.get_local_time()).to_seconds());
    in_handler_ = true;
    handler_();
    in_handler_ = false;
    // Let the lines the handler cleared settle (peripheral -> controller -> core takes a few delta
    // cycles) before the line is looked at again: wait up to one core cycle for it to drop, as a
    // real core sees a deassertion a few cycles after the acknowledging store.
    if (irq.read()) sc_core::wait(cfg_.clock_period, irq.negedge_event());
}

uint32_t cpu_stub::read(uint32_t addr, unsigned size) {
    uint8_t buf[4] = {0, 0, 0, 0};
    access(tlm::TLM_READ_COMMAND, addr, buf, size);
    return uint32_t(buf[0]) | uint32_t(buf[1]) << 8 | uint32_t(buf[2]) << 16 | uint32_t(buf[3]) << 24;
}

void cpu_stub::write(uint32_t addr, uint32_t value, unsigned size) {
    uint8_t buf[4] = {uint8_t(value), uint8_t(value >> 8), uint8_t(value >> 16), uint8_t(value >> 24)};
    access(tlm::TLM_WRITE_COMMAND, addr, buf, size);
}

void cpu_stub::wait_for_interrupt() {
    ++wfis_;
    qk_.sync();
    if (!irq.read()) {
        const sc_core::sc_time t0 = sc_core::sc_time_stamp();
        sc_core::wait(cfg_.wfi_timeout, irq.posedge_event());
        wfi_time_ += sc_core::sc_time_stamp() - t0;
        record_cpu(busy_since_, t0, "busy");
        record_cpu(t0, sc_core::sc_time_stamp(), "wfi");
        busy_since_ = sc_core::sc_time_stamp();
        if (!irq.read()) {
            halt(EXIT_WFI_TIMEOUT, "firmware waited for an interrupt for " + time_string(cfg_.wfi_timeout) +
                                       " of simulated time and none came (at " +
                                       time_string(sc_core::sc_time_stamp()) +
                                       "): is the interrupt enabled at the peripheral and the controller?");
        }
    }
    deliver_interrupt();
}

uint64_t cpu_stub::cycles() {
    return uint64_t((sc_core::sc_time_stamp() + qk_.get_local_time()) / cfg_.clock_period);
}

void cpu_stub::delay_cycles(uint64_t n) {
    delay_cycles_ += n;
    qk_.inc(cfg_.clock_period * double(n));
    if (qk_.need_sync()) qk_.sync();
}

void cpu_stub::irq_enable(bool on) {
    irq_enabled_ = on;
    if (on) deliver_interrupt();
}

void cpu_stub::invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end) {
    std::vector<tlm::tlm_dmi> keep;
    for (const tlm::tlm_dmi& d : dmi_)
        if (d.get_end_address() < start || d.get_start_address() > end) keep.push_back(d);
    dmi_.swap(keep);
}

void cpu_stub::stats(nlohmann::json& out) const {
    out["loads"] = reads_;
    out["stores"] = writes_;
    out["dmi_accesses"] = dmi_accesses_;
    out["bus_errors"] = bus_errors_;
    out["wfi"] = wfis_;
    out["wfi_seconds"] = wfi_time_.to_seconds();
    out["interrupts_taken"] = irqs_taken_;
    out["compute_cycles"] = delay_cycles_;
}

}  // namespace encvp

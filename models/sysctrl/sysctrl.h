// System controller: ID/version, the free-running cycle counter, a debug console, a one-shot
// timer with interrupt, a watchdog, and the EXIT register that ends the simulation with a code.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "common/peripheral.h"

namespace encvp {

class sysctrl : public peripheral {
public:
    sc_core::sc_out<bool> timer_irq;
    sc_core::sc_out<bool> host_irq;

    reg32 id;            // platform identification
    reg32 version;       // platform version
    reg32 cycle_lo;      // cycle counter, low word (latches the high word)
    reg32 cycle_hi;      // cycle counter, latched high word
    reg32 clock_khz;     // system clock in kHz
    reg32 scratch;       // scratch register
    reg32 console;       // debug console output
    reg32 exit;          // end of simulation with an exit code
    reg32 timer_load;    // one-shot timer period (cycles)
    reg32 timer_ctrl;    // one-shot timer control
    reg32 timer_status;  // one-shot timer status
    reg32 wdt_load;      // watchdog period (cycles)
    reg32 wdt_ctrl;      // watchdog control
    reg32 wdt_kick;      // watchdog reload
    reg32 host_req;      // host mailbox request
    reg32 host_ack;      // host mailbox answer
    reg32 host_status;   // host mailbox status

    // Exit codes the platform itself uses (firmware uses 0..127).
    static constexpr int EXIT_WATCHDOG = 253;

    SC_HAS_PROCESS(sysctrl);
    sysctrl(const sc_core::sc_module_name& nm, const sc_core::sc_time& clock_period);

    uint64_t cycles_at(const sc_core::sc_time& t) const;
    bool exited() const { return exited_; }
    int exit_code() const { return exit_code_; }
    sc_core::sc_time exit_time() const { return exit_time_; }
    const std::string& console_output() const { return console_text_; }
    // Where console lines go (default: stdout with a "[fw]" prefix).
    void set_console_sink(std::function<void(const std::string&)> sink) { console_sink_ = std::move(sink); }
    // Called when firmware writes EXIT or the watchdog fires; the platform stops the kernel.
    void set_exit_hook(std::function<void(int)> hook) { exit_hook_ = std::move(hook); }
    // Called when firmware writes HOST_REQ; the platform pauses the kernel and serves it.
    void set_host_hook(std::function<void(uint32_t)> hook) { host_hook_ = std::move(hook); }
    bool host_request_pending() const;
    uint32_t host_request() const { return host_req.get(); }
    // The host's answer (call while the simulation is paused); raises IRQ_HOST.
    void answer_host(uint32_t value);

    void stats(nlohmann::json& out) const override;
    void reset() override;

private:
    void write_console(uint32_t v);
    void write_exit(uint32_t v);
    void write_timer_ctrl(uint32_t now, uint32_t before);
    void write_timer_status(uint32_t now, uint32_t before);
    void write_wdt_ctrl(uint32_t now, uint32_t before);
    void kick_watchdog();
    void timer_expired();
    void watchdog_expired();
    void finish(int code);
    void write_host_req(uint32_t v);
    void write_host_status(uint32_t now);
    void drive_interrupts() override;

    sc_core::sc_time clock_period_;
    sc_core::sc_event timer_event_;
    sc_core::sc_event wdt_event_;
    sc_core::sc_time wdt_deadline_;
    bool exited_ = false;
    int exit_code_ = 0;
    sc_core::sc_time exit_time_;
    std::string console_line_;
    std::string console_text_;
    std::function<void(const std::string&)> console_sink_;
    std::function<void(int)> exit_hook_;
    std::function<void(uint32_t)> host_hook_;
    uint64_t host_requests_ = 0;
    uint64_t console_bytes_ = 0;
    uint64_t timer_fires_ = 0;
};

}  // namespace encvp

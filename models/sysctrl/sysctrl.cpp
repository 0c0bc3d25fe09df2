#include "sysctrl/sysctrl.h"

#include <iostream>

#include "common/report.h"
#include "encvp_regs.h"
#include "regs/encvp_regdefs.h"

namespace encvp {

namespace rd = regdefs::sysctrl;

sysctrl::sysctrl(const sc_core::sc_module_name& nm, const sc_core::sc_time& clock_period)
    : peripheral(nm, rd::BLOCK_SIZE),
      timer_irq("timer_irq"),
      host_irq("host_irq"),
      id(rd::ID),
      version(rd::VERSION),
      cycle_lo(rd::CYCLE_LO),
      cycle_hi(rd::CYCLE_HI),
      clock_khz(rd::CLOCK_KHZ),
      scratch(rd::SCRATCH),
      console(rd::CONSOLE),
      exit(rd::EXIT),
      timer_load(rd::TIMER_LOAD),
      timer_ctrl(rd::TIMER_CTRL),
      timer_status(rd::TIMER_STATUS),
      wdt_load(rd::WDT_LOAD),
      wdt_ctrl(rd::WDT_CTRL),
      wdt_kick(rd::WDT_KICK),
      host_req(rd::HOST_REQ),
      host_ack(rd::HOST_ACK),
      host_status(rd::HOST_STATUS),
      clock_period_(clock_period) {
    for (reg32* r : {&id, &version, &cycle_lo, &cycle_hi, &clock_khz, &scratch, &console, &exit, &timer_load,
                     &timer_ctrl, &timer_status, &wdt_load, &wdt_ctrl, &wdt_kick, &host_req, &host_ack,
                     &host_status})
        add_register(*r);

    clock_khz.set(uint32_t(1.0 / clock_period.to_seconds() / 1e3 + 0.5));

    cycle_lo.on_read([this](uint32_t) {
        const uint64_t c = cycles_at(access_time());
        cycle_hi.set(uint32_t(c >> 32));
        return uint32_t(c);
    });
    console.on_write([this](uint32_t v, uint32_t) { write_console(v); });
    exit.on_write([this](uint32_t v, uint32_t) { write_exit(v); });
    timer_ctrl.on_write([this](uint32_t n, uint32_t b) { write_timer_ctrl(n, b); });
    timer_status.on_write([this](uint32_t n, uint32_t b) { write_timer_status(n, b); });
    wdt_ctrl.on_write([this](uint32_t n, uint32_t b) { write_wdt_ctrl(n, b); });
    wdt_kick.on_write([this](uint32_t, uint32_t) { kick_watchdog(); });
    host_req.on_write([this](uint32_t v, uint32_t) { write_host_req(v); });
    host_status.on_write([this](uint32_t now, uint32_t) { write_host_status(now); });

    SC_METHOD(timer_expired);
    sensitive << timer_event_;
    dont_initialize();
    SC_METHOD(watchdog_expired);
    sensitive << wdt_event_;
    dont_initialize();
}

uint64_t sysctrl::cycles_at(const sc_core::sc_time& t) const {
    return static_cast<uint64_t>(t / clock_period_);
}

void sysctrl::write_console(uint32_t v) {
    const char c = static_cast<char>(v & SYSCTRL_CONSOLE_CHAR_MASK);
    ++console_bytes_;
    console_text_.push_back(c);
    if (c == '\n') {
        if (console_sink_) console_sink_(console_line_);
        else std::cout << "[fw] " << console_line_ << std::endl;
        console_line_.clear();
    } else {
        console_line_.push_back(c);
    }
}

void sysctrl::write_exit(uint32_t v) { finish(int(ENCVP_GET(SYSCTRL_EXIT_CODE, v))); }

void sysctrl::finish(int code) {
    if (exited_) return;
    if (!console_line_.empty()) write_console('\n');
    exited_ = true;
    exit_code_ = code;
    exit_time_ = access_time() > sc_core::sc_time_stamp() ? access_time() : sc_core::sc_time_stamp();
    report_info(name(), "exit code " + std::to_string(code) + " at " + time_string(exit_time_), sc_core::SC_MEDIUM);
    if (exit_hook_) exit_hook_(code);
}

void sysctrl::write_timer_ctrl(uint32_t now, uint32_t before) {
    const bool en = now & SYSCTRL_TIMER_CTRL_EN_MASK;
    const bool was = before & SYSCTRL_TIMER_CTRL_EN_MASK;
    if (en && !was) {  // start: load the period
        timer_event_.cancel();
        const sc_core::sc_time start = access_time() - sc_core::sc_time_stamp();
        timer_event_.notify(start + clock_period_ * double(timer_load.get()));
    } else if (!en && was) {  // stop
        timer_event_.cancel();
    }
    // EN unchanged (e.g. only IRQ_EN written): a running timer keeps running.
    update_interrupts();  // the line is EXPIRED && IRQ_EN
}

void sysctrl::write_timer_status(uint32_t now, uint32_t) {
    (void)now;
    update_interrupts();
}

void sysctrl::timer_expired() {
    ++timer_fires_;
    timer_ctrl.clear_bits(SYSCTRL_TIMER_CTRL_EN_MASK);
    timer_status.set_bits(SYSCTRL_TIMER_STATUS_EXPIRED_MASK);
    update_interrupts();
}

void sysctrl::write_wdt_ctrl(uint32_t now, uint32_t) {
    if (now & SYSCTRL_WDT_CTRL_EN_MASK) kick_watchdog();
    else wdt_event_.cancel();
}

void sysctrl::kick_watchdog() {
    if (!(wdt_ctrl.get() & SYSCTRL_WDT_CTRL_EN_MASK)) return;
    wdt_event_.cancel();
    const sc_core::sc_time offset = access_time() - sc_core::sc_time_stamp();
    wdt_deadline_ = access_time() + clock_period_ * double(wdt_load.get());
    wdt_event_.notify(offset + clock_period_ * double(wdt_load.get()));
}

void sysctrl::watchdog_expired() {
    report_warning(name(), "watchdog expired at " + time_string(sc_core::sc_time_stamp()) +
                               ": firmware did not write WDT_KICK within " + std::to_string(wdt_load.get()) +
                               " cycles; ending the simulation");
    finish(EXIT_WATCHDOG);
}

bool sysctrl::host_request_pending() const { return host_status.get() & SYSCTRL_HOST_STATUS_PENDING_MASK; }

void sysctrl::write_host_req(uint32_t v) {
    ++host_requests_;
    host_status.clear_bits(SYSCTRL_HOST_STATUS_ANSWERED_MASK);
    host_status.set_bits(SYSCTRL_HOST_STATUS_PENDING_MASK);
    update_interrupts();
    if (host_hook_) host_hook_(v);
    else report_warning(name(), "HOST_REQ " + hex_string(v) + " written but no host program listens; it stays pending");
}

void sysctrl::answer_host(uint32_t value) {
    host_ack.set(value);
    host_status.clear_bits(SYSCTRL_HOST_STATUS_PENDING_MASK);
    host_status.set_bits(SYSCTRL_HOST_STATUS_ANSWERED_MASK);
    update_interrupts();
}

void sysctrl::write_host_status(uint32_t) { update_interrupts(); }

void sysctrl::drive_interrupts() {
    timer_irq.write((timer_status.get() & SYSCTRL_TIMER_STATUS_EXPIRED_MASK) &&
                    (timer_ctrl.get() & SYSCTRL_TIMER_CTRL_IRQ_EN_MASK));
    host_irq.write((host_status.get() & SYSCTRL_HOST_STATUS_ANSWERED_MASK) != 0);
}

void sysctrl::stats(nlohmann::json& out) const {
    peripheral::stats(out);
    out["console_bytes"] = console_bytes_;
    out["timer_fires"] = timer_fires_;
    out["host_requests"] = host_requests_;
}

void sysctrl::reset() {
    peripheral::reset();
    timer_event_.cancel();
    wdt_event_.cancel();
    update_interrupts();
}

}  // namespace encvp

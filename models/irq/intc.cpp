#include "irq/intc.h"

#include "encvp_regs.h"
#include "regs/encvp_regdefs.h"

namespace encvp {

namespace rd = regdefs::intc;

intc::intc(const sc_core::sc_module_name& nm)
    : peripheral(nm, rd::BLOCK_SIZE),
      lines("lines", NUM_LINES),
      cpu_irq("cpu_irq"),
      pending(rd::PENDING),
      enable(rd::ENABLE),
      ack(rd::ACK),
      raw(rd::RAW),
      active(rd::ACTIVE),
      force(rd::FORCE) {
    for (reg32* r : {&pending, &enable, &ack, &raw, &active, &force}) add_register(*r);

    raw.on_read([this](uint32_t) { return levels(); });
    active.on_read([this](uint32_t) { return pending.get() & enable.get(); });
    enable.on_write([this](uint32_t, uint32_t) { update_output(); });
    ack.on_write([this](uint32_t v, uint32_t) {
        ++acks_;
        soft_ &= ~v;
        pending.set(levels() | soft_);
        update_output();
    });
    force.on_write([this](uint32_t v, uint32_t) {
        soft_ |= v;
        pending.set(levels() | soft_);
        update_output();
    });

    SC_METHOD(sample_lines);
    for (auto& l : lines) sensitive << l;
    dont_initialize();
}

uint32_t intc::levels() const {
    uint32_t v = 0;
    for (unsigned i = 0; i < NUM_LINES; ++i)
        if (lines[i].read()) v |= 1u << i;
    return v;
}

void intc::sample_lines() {
    // Level-sensitive: pending follows the sources (plus software-forced bits).
    const uint32_t lv = levels();
    const uint32_t rising = lv & ~last_levels_;
    for (unsigned i = 0; i < NUM_LINES; ++i)
        if (rising & (1u << i)) ++raised_[i];
    if (timeline* tl = timeline::active()) record_lines(*tl, lv);
    last_levels_ = lv;
    pending.set(lv | soft_);
    update_output();
}

// One slice per interrupt request, from the line's rise to its fall, on a track per line.
void intc::record_lines(timeline& tl, uint32_t lv) {
    const double now = sc_core::sc_time_stamp().to_seconds();
    const uint32_t changed = lv ^ last_levels_;
    for (unsigned i = 0; i < NUM_LINES; ++i) {
        if (!(changed & (1u << i))) continue;
        if (lv & (1u << i)) {
            rise_s_[i] = now;
            continue;
        }
        const char* what = i == INTC_IRQ_DMA_CH0   ? "dma ch0"
                           : i == INTC_IRQ_DMA_CH1 ? "dma ch1"
                           : i == INTC_IRQ_ENCODER ? "encoder"
                           : i == INTC_IRQ_TIMER   ? "timer"
                           : i == INTC_IRQ_HOST    ? "host mailbox"
                                                   : nullptr;
        const std::string name = what ? what : "line " + std::to_string(i);
        tl.slice(tl.track("irq " + name, 40 + int(i)), name, rise_s_[i], now, {{"line", double(i)}});
    }
}

void intc::update_output() { update_interrupts(); }

void intc::drive_interrupts() { cpu_irq.write((pending.get() & enable.get()) != 0); }

void intc::stats(nlohmann::json& out) const {
    peripheral::stats(out);
    nlohmann::json per_line = nlohmann::json::object();
    for (unsigned i = 0; i < NUM_LINES; ++i)
        if (raised_[i]) per_line[std::to_string(i)] = raised_[i];
    out["interrupts_raised"] = per_line;
    out["acks"] = acks_;
}

void intc::reset() {
    peripheral::reset();
    soft_ = 0;
    pending.set(levels());  // level-sensitive: sources still high stay pending
    update_output();
}

}  // namespace encvp

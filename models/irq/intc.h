// Interrupt controller: NUM_LINES level-sensitive inputs, pending/enable/acknowledge registers and
// one output line to the CPU stub (high while PENDING & ENABLE is non-zero).
#pragma once

#include <cstdint>

#include "common/peripheral.h"
#include "common/timeline.h"

namespace encvp {

class intc : public peripheral {
public:
    static constexpr unsigned NUM_LINES = 32;

    sc_core::sc_vector<sc_core::sc_in<bool>> lines;  // interrupt sources
    sc_core::sc_out<bool> cpu_irq;                   // to the CPU stub

    reg32 pending;  // latched pending interrupts
    reg32 enable;   // enable mask
    reg32 ack;      // write 1 to clear pending
    reg32 raw;      // current source levels
    reg32 active;   // pending & enable
    reg32 force;    // software set of pending bits

    SC_HAS_PROCESS(intc);
    explicit intc(const sc_core::sc_module_name& nm);

    void stats(nlohmann::json& out) const override;
    void reset() override;

private:
    void sample_lines();
    void record_lines(timeline& tl, uint32_t levels);
    void update_output();
    void drive_interrupts() override;
    uint32_t levels() const;

    uint32_t soft_ = 0;     // bits set by FORCE, cleared by ACK
    uint32_t last_levels_ = 0;
    uint64_t raised_[NUM_LINES] = {};
    double rise_s_[NUM_LINES] = {};  // when each line last rose (timeline)
    uint64_t acks_ = 0;
};

}  // namespace encvp

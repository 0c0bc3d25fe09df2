// Dropped-interrupt injection: sits between the interrupt sources and the interrupt controller and
// drops every Nth interrupt request (configuration key fault.drop_irq_every): the request's rising
// edge is not passed on, and the line stays low at the controller until the source drops it, as
// if the request had been lost on the way. Firmware waiting for it meets its timeout (WFI timeout,
// watchdog) or must recover by polling the peripheral's status.
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>
#include <systemc>

namespace encvp {

class irq_fault : public sc_core::sc_module {
public:
    sc_core::sc_vector<sc_core::sc_in<bool>> in;    // from the sources
    sc_core::sc_vector<sc_core::sc_out<bool>> out;  // to the interrupt controller

    SC_HAS_PROCESS(irq_fault);
    // every: 0 = never, else the Nth, 2Nth, ... request (counted over all lines) is dropped.
    irq_fault(const sc_core::sc_module_name& nm, unsigned lines, uint64_t every);

    uint64_t dropped() const { return dropped_; }
    void stats(nlohmann::json& out) const;

private:
    void propagate();

    uint64_t every_;
    std::vector<bool> level_, suppressed_;
    uint64_t requests_ = 0, dropped_ = 0;
};

}  // namespace encvp

// Bus-error injection: a pass-through placed on an initiator's socket (the DMA's data path) that
// answers every Nth transaction with TLM_GENERIC_ERROR_RESPONSE instead of forwarding it, as a
// transient bus fault would (configuration key fault.dma_error_every). Everything else, DMI and
// debug transport included, passes through unchanged.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

namespace encvp {

class bus_fault : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<bus_fault> in;
    tlm_utils::simple_initiator_socket<bus_fault> out;

    // every: 0 = never, else the Nth, 2Nth, ... transaction fails.
    bus_fault(const sc_core::sc_module_name& nm, uint64_t every);

    uint64_t injected() const { return injected_; }
    void stats(nlohmann::json& out) const;

private:
    void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
    bool get_direct_mem_ptr(tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi) { return out->get_direct_mem_ptr(tx, dmi); }
    unsigned transport_dbg(tlm::tlm_generic_payload& tx) { return out->transport_dbg(tx); }
    void invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end) { in->invalidate_direct_mem_ptr(start, end); }

    uint64_t every_;
    uint64_t count_ = 0, injected_ = 0;
};

}  // namespace encvp

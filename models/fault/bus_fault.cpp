#include "fault/bus_fault.h"

#include "common/report.h"

namespace encvp {

bus_fault::bus_fault(const sc_core::sc_module_name& nm, uint64_t every) : sc_module(nm), in("in"), out("out"), every_(every) {
    in.register_b_transport(this, &bus_fault::b_transport);
    in.register_get_direct_mem_ptr(this, &bus_fault::get_direct_mem_ptr);
    in.register_transport_dbg(this, &bus_fault::transport_dbg);
    out.register_invalidate_direct_mem_ptr(this, &bus_fault::invalidate_direct_mem_ptr);
}

void bus_fault::b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
    if (every_ == 0 || ++count_ % every_ != 0) {
        out->b_transport(tx, delay);
        return;
    }
    ++injected_;
    tx.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    report_warning(name(), std::string("injected bus error (fault.dma_error_every = ") + std::to_string(every_) + ") on the " +
                               (tx.is_read() ? "read of " : "write to ") + hex_string(tx.get_address()) + " (" +
                               std::to_string(tx.get_data_length()) + " bytes) at " +
                               time_string(sc_core::sc_time_stamp() + delay));
}

void bus_fault::stats(nlohmann::json& j) const {
    j["every"] = every_;
    j["transactions"] = count_;
    j["injected_errors"] = injected_;
}

}  // namespace encvp

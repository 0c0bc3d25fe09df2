// TLM-2.0 base-protocol checker: a pass-through module placed on one socket binding (initiator ->
// bus, bus -> target) when the configuration asks for it (bus.protocol_check, or the environment
// variable ENCVP_PROTOCOL_CHECK=1 that the test suite sets). It forwards every call unchanged and
// checks the rules of the base protocol that a loosely-timed platform can break:
//  * b_transport: the initiator hands over a well-formed payload (command, data pointer, length > 0,
//    streaming width > 0, byte-enable length > 0 when byte enables are given, response INCOMPLETE,
//    DMI hint false); on return the response is set (never INCOMPLETE), the delay has not gone
//    backwards, and command, address, data pointer, length, byte enables and streaming width are
//    what the initiator sent (interconnects restore the address they rewrote);
//  * byte enables and streaming width are honoured or rejected: an access answered OK inside a
//    region this checker has seen granted for DMI is compared with that memory (disabled bytes
//    untouched, streaming wraps at the width);
//  * DMI: a granted region contains the requested address, does not wrap and has a pointer and an
//    access right; data moved by b_transport inside a granted region is the data behind the DMI
//    pointer (the two views agree); invalidations remove the regions they cover;
//  * transport_dbg returns at most the requested length.
// A violation is a warning naming the checker (the socket), the rule and the transaction, and is
// counted; the session turns any violation into a failed run and the tests into a failure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

namespace encvp {

class protocol_checker : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<protocol_checker> in;      // the initiator side binds here
    tlm_utils::simple_initiator_socket<protocol_checker> out;  // bound to the target side

    explicit protocol_checker(const sc_core::sc_module_name& nm);

    uint64_t violations() const { return violations_; }
    uint64_t transactions() const { return transactions_; }
    // Violations of every checker in this process (for tests).
    static uint64_t total_violations();
    // True when ENCVP_PROTOCOL_CHECK is set to a true value in the environment.
    static bool forced_by_environment();

    void stats(nlohmann::json& out) const;

private:
    void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
    bool get_direct_mem_ptr(tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi);
    unsigned transport_dbg(tlm::tlm_generic_payload& tx);
    void invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end);

    void violation(const tlm::tlm_generic_payload& tx, const std::string& rule);
    const tlm::tlm_dmi* dmi_region(uint64_t lo, uint64_t hi) const;

    std::vector<tlm::tlm_dmi> dmi_;  // regions granted through this checker, still valid
    std::vector<uint8_t> before_;    // memory under a byte-enabled write, before it
    uint64_t transactions_ = 0, violations_ = 0, dmi_grants_ = 0, dmi_checks_ = 0, invalidations_ = 0;
};

}  // namespace encvp

// System bus: routes any number of initiators to any number of targets by an address map,
// translating addresses to target-relative offsets and back (DMI regions, invalidations).
// Each transaction pays a per-hop latency plus one bus cycle per data beat.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>

namespace encvp {

class system_bus : public sc_core::sc_module {
public:
    tlm_utils::multi_passthrough_target_socket<system_bus> in;      // initiators bind here
    tlm_utils::multi_passthrough_initiator_socket<system_bus> out;  // targets bind here

    struct mapping {
        std::string name;
        uint64_t base;
        uint64_t size;
        unsigned port;  // index of the out socket binding
    };

    struct timing {
        sc_core::sc_time hop_latency = sc_core::sc_time(2, sc_core::SC_NS);
        sc_core::sc_time cycle = sc_core::sc_time(2, sc_core::SC_NS);
        unsigned width_bytes = 8;
    };

    explicit system_bus(const sc_core::sc_module_name& nm);

    // Maps [base, base + size) to the target bound to out[port]. Throws on overlap or empty range.
    void map(unsigned port, uint64_t base, uint64_t size, const std::string& name);
    void set_timing(const timing& t) { timing_ = t; }
    void set_trace(bool on) { trace_ = on; }
    const std::vector<mapping>& memory_map() const { return map_; }
    const mapping* decode(uint64_t address) const;

    void stats(nlohmann::json& out) const;

private:
    void b_transport(int id, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
    bool get_direct_mem_ptr(int id, tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi);
    unsigned transport_dbg(int id, tlm::tlm_generic_payload& tx);
    void invalidate_direct_mem_ptr(int port, sc_dt::uint64 start, sc_dt::uint64 end);
    const mapping* route(uint64_t address, uint64_t span) const;

    std::vector<mapping> map_;
    timing timing_;
    bool trace_ = false;
    struct port_counters {
        uint64_t transactions = 0, bytes = 0, errors = 0, dmi_grants = 0;
    };
    std::vector<port_counters> counters_;
    uint64_t unmapped_ = 0;
    mutable const mapping* last_ = nullptr;
};

}  // namespace encvp

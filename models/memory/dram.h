// DRAM: byte-addressed storage with a fixed access latency and a bandwidth limit, DMI for fast
// initiators, debug transport, and a host-side backdoor (load/dump without advancing time).
#pragma once

#include <cstdint>
#include <memory>

#include <nlohmann/json.hpp>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

namespace encvp {

class dram : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<dram> in;

    struct timing {
        sc_core::sc_time latency = sc_core::sc_time(50, sc_core::SC_NS);  // per access
        double bytes_per_ns = 8.0;                                          // bandwidth
    };

    dram(const sc_core::sc_module_name& nm, uint64_t size_bytes);
    ~dram() override;

    void set_timing(const timing& t);
    void set_trace(bool on) { trace_ = on; }
    void set_dmi_enabled(bool on);
    uint64_t size() const { return size_; }

    // Backdoor for the host (CLI, tests). Out-of-range requests throw std::out_of_range naming the range.
    void load(uint64_t offset, const void* src, uint64_t len);
    void dump(uint64_t offset, void* dst, uint64_t len) const;
    void fill(uint64_t offset, uint8_t value, uint64_t len);
    uint8_t* data() { return mem_; }

    // Withdraws every DMI pointer handed out (e.g. before the host rewrites a region).
    void invalidate_dmi();

    void stats(nlohmann::json& out) const;

private:
    void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
    bool get_direct_mem_ptr(tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi);
    unsigned transport_dbg(tlm::tlm_generic_payload& tx);
    void check_range(uint64_t offset, uint64_t len, const char* what) const;

    uint64_t size_;
    uint8_t* mem_;
    timing timing_;
    sc_core::sc_time ns_per_byte_;
    bool trace_ = false;
    bool dmi_enabled_ = true;
    uint64_t reads_ = 0, writes_ = 0, bytes_read_ = 0, bytes_written_ = 0, errors_ = 0, dmi_grants_ = 0;
};

}  // namespace encvp

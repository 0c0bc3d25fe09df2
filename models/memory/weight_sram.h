// Weight SRAM: the encoder's on-chip weight memory (1 Mbit by default). Filled over the bus (by
// the DMA), read by the encoder through a fast path. Counts bits read and written for the energy
// and traffic estimates, and bumps a generation number on every write so the encoder knows when
// its decoded copy of the weights is stale.
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

namespace encvp {

class weight_sram : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<weight_sram> in;

    struct geometry {
        uint64_t size_bits = 1u << 20;  // capacity
        unsigned word_bits = 64;        // width of one SRAM word (read port width)
        unsigned banks = 2;             // independent banks: words accessed per cycle
    };

    weight_sram(const sc_core::sc_module_name& nm, const geometry& g, const sc_core::sc_time& clock_period);

    const geometry& geom() const { return geom_; }
    uint64_t size_bytes() const { return bytes_.size(); }
    void set_trace(bool on) { trace_ = on; }

    // Fast path for the encoder (no bus, no time): raw contents and traffic accounting.
    const uint8_t* contents() const { return bytes_.data(); }
    void account_read_bits(uint64_t bits) { bits_read_ += bits; }
    uint64_t generation() const { return generation_; }

    // Backdoor for the host and tests.
    void load(uint64_t offset, const void* src, uint64_t len);
    void dump(uint64_t offset, void* dst, uint64_t len) const;

    uint64_t bits_read() const { return bits_read_; }
    uint64_t bits_written() const { return bits_written_; }
    // Cycles the bus side needs to move len bytes (banks words per cycle).
    uint64_t access_cycles(uint64_t len) const;

    void stats(nlohmann::json& out) const;

private:
    void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
    unsigned transport_dbg(tlm::tlm_generic_payload& tx);

    geometry geom_;
    sc_core::sc_time clock_period_;
    std::vector<uint8_t> bytes_;
    bool trace_ = false;
    uint64_t generation_ = 0;
    uint64_t bits_read_ = 0, bits_written_ = 0, bus_bits_read_ = 0, errors_ = 0;
};

}  // namespace encvp

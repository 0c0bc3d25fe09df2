// Weight SRAM: the encoder's on-chip weight memory (1 Mbit by default). Filled over the bus (by
// the DMA), read by the encoder through a fast path. Counts bits read and written for the energy
// and traffic estimates, and bumps a generation number on every write so the encoder knows when
// its decoded copy of the weights is stale.
//
// Reliability (docs/fault-injection.md): optional SECDED ECC per word (Hamming code plus overall
// parity, check bits stored beside the word), and injected faults in the stored bits, data and
// check bits alike: a bit-error rate (a cell is faulty with that probability and stores the
// inverse of what is written) and stuck-at cells (stuck at 0 or 1), both drawn from a hash of the
// seed and the cell, so a fault map is reproducible and a higher rate keeps every fault of a lower
// one. Every read (bus and encoder) sees what the memory returns: the stored bits, corrected by
// the ECC when it is on.
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

    struct reliability {
        bool ecc = false;          // SECDED ECC per word
        double bit_error_rate = 0;  // fraction of cells that store the inverse of what is written
        double stuck_rate = 0;      // fraction of cells stuck at 0 or 1
        uint64_t seed = 1;          // fault map
        bool active() const { return ecc || bit_error_rate > 0 || stuck_rate > 0; }
    };

    weight_sram(const sc_core::sc_module_name& nm, const geometry& g, const sc_core::sc_time& clock_period);
    weight_sram(const sc_core::sc_module_name& nm, const geometry& g, const sc_core::sc_time& clock_period,
                const reliability& rel);

    const geometry& geom() const { return geom_; }
    uint64_t size_bytes() const { return bytes_.size(); }
    void set_trace(bool on) { trace_ = on; }

    // Fast path for the encoder (no bus, no time): contents as a read returns them (after the ECC)
    // and traffic accounting.
    const uint8_t* contents() const { return rel_.active() ? view_.data() : bytes_.data(); }
    const reliability& rel() const { return rel_; }
    // Words whose stored bits the ECC cannot correct (double errors), in [bit_lo, bit_hi).
    uint64_t uncorrectable_words(uint64_t bit_lo, uint64_t bit_hi) const;
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
    // With reliability on: bytes [offset, offset + len) of view_ hold what was just written; store
    // the words they touch (check bits, faults) and put back what a read of them returns.
    void commit(uint64_t offset, uint64_t len);
    void build_fault_map();

    geometry geom_;
    reliability rel_;
    // Reliability state (empty when off): stored data bits (bytes_), stored check bits per word,
    // fault masks for both, what reads return (view_), per-word ECC outcome.
    std::vector<uint8_t> view_;
    std::vector<uint16_t> check_;
    std::vector<uint8_t> flip_, stuck_mask_, stuck_value_;
    std::vector<uint16_t> check_flip_, check_stuck_mask_, check_stuck_value_;
    std::vector<uint8_t> word_state_;  // 0 clean, 1 corrected, 2 uncorrectable
    std::vector<uint16_t> hamming_pos_;  // code position of each data bit of a word
    unsigned hamming_bits_ = 0;
    // Faulty cells; words now holding a corrected / uncorrectable error or reading back wrong;
    // corrections and uncorrectable words met by writes so far.
    uint64_t fault_cells_ = 0, stuck_cells_ = 0, corrected_words_ = 0, uncorrectable_words_ = 0, corrupt_words_ = 0;
    uint64_t corrected_events_ = 0, uncorrectable_events_ = 0;
    sc_core::sc_time clock_period_;
    std::vector<uint8_t> bytes_;
    bool trace_ = false;
    uint64_t generation_ = 0;
    uint64_t bits_read_ = 0, bits_written_ = 0, bus_bits_read_ = 0, errors_ = 0;
};

}  // namespace encvp

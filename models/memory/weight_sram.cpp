#include "memory/weight_sram.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "common/memory_access.h"
#include "common/report.h"

namespace encvp {

namespace {

uint64_t mix(uint64_t x) {  // splitmix64 finaliser
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

// Uniform in [0, 1) for (seed, cell, what): the same cell draws the same number at every rate.
double draw(uint64_t seed, uint64_t cell, uint64_t what) {
    return double(mix(mix(seed ^ (what << 56)) ^ cell) >> 11) * (1.0 / 9007199254740992.0);
}

unsigned parity64(uint64_t v) { return unsigned(__builtin_popcountll(v) & 1); }

}  // namespace

weight_sram::weight_sram(const sc_core::sc_module_name& nm, const geometry& g, const sc_core::sc_time& clock_period)
    : weight_sram(nm, g, clock_period, reliability()) {}

weight_sram::weight_sram(const sc_core::sc_module_name& nm, const geometry& g, const sc_core::sc_time& clock_period,
                         const reliability& rel)
    : sc_module(nm), in("in"), geom_(g), rel_(rel), clock_period_(clock_period) {
    const std::string who = name();
    if (g.word_bits < 8 || g.word_bits > 1024 || (g.word_bits & (g.word_bits - 1)) != 0)
        throw std::invalid_argument(who + ": word_bits must be a power of two between 8 and 1024, got " +
                                    std::to_string(g.word_bits));
    if (g.banks == 0 || g.banks > 64)
        throw std::invalid_argument(who + ": banks must be 1..64, got " + std::to_string(g.banks));
    if (g.size_bits == 0 || g.size_bits % (uint64_t(g.word_bits) * g.banks) != 0 || g.size_bits % 32 != 0)
        throw std::invalid_argument(who + ": size_bits (" + std::to_string(g.size_bits) +
                                    ") must be a non-zero multiple of word_bits x banks and of 32");
    if (g.size_bits > (uint64_t(1) << 32))
        throw std::invalid_argument(who + ": size_bits above 4 Gbit is not supported");
    if (!(rel.bit_error_rate >= 0 && rel.bit_error_rate <= 1) || !(rel.stuck_rate >= 0 && rel.stuck_rate <= 1))
        throw std::invalid_argument(who + ": fault rates must be in 0..1");
    bytes_.assign(g.size_bits / 8, 0);
    if (rel_.active()) {
        const uint64_t words = g.size_bits / g.word_bits;
        view_.assign(bytes_.size(), 0);
        word_state_.assign(words, 0);
        // Hamming positions: data bits fill the positions that are not powers of two.
        while ((1u << hamming_bits_) < g.word_bits + hamming_bits_ + 1) ++hamming_bits_;
        for (unsigned pos = 1; hamming_pos_.size() < g.word_bits; ++pos)
            if (pos & (pos - 1)) hamming_pos_.push_back(uint16_t(pos));
        check_.assign(words, 0);
        build_fault_map();
        commit(0, bytes_.size());  // the all-zero contents, stored through the faults
        corrected_events_ = uncorrectable_events_ = 0;
    }
    in.register_b_transport(this, &weight_sram::b_transport);
    in.register_transport_dbg(this, &weight_sram::transport_dbg);
}

uint64_t weight_sram::access_cycles(uint64_t len) const {
    const uint64_t words = (len * 8 + geom_.word_bits - 1) / geom_.word_bits;
    return (words + geom_.banks - 1) / geom_.banks;
}

void weight_sram::build_fault_map() {
    const double ber = rel_.bit_error_rate, stuck = rel_.stuck_rate;
    if (!(ber > 0) && !(stuck > 0)) return;
    const uint64_t words = geom_.size_bits / geom_.word_bits;
    const unsigned cbits = rel_.ecc ? hamming_bits_ + 1 : 0;
    flip_.assign(bytes_.size(), 0);
    stuck_mask_.assign(bytes_.size(), 0);
    stuck_value_.assign(bytes_.size(), 0);
    check_flip_.assign(words, 0);
    check_stuck_mask_.assign(words, 0);
    check_stuck_value_.assign(words, 0);
    auto cell = [&](uint64_t index, bool& f, bool& s, bool& v) {
        f = ber > 0 && draw(rel_.seed, index, 1) < ber;
        s = stuck > 0 && draw(rel_.seed, index, 2) < stuck;
        v = s && draw(rel_.seed, index, 3) < 0.5;
        fault_cells_ += f && !s;
        stuck_cells_ += s;
    };
    bool f, st, v;
    for (uint64_t bit = 0; bit < geom_.size_bits; ++bit) {
        cell(bit, f, st, v);
        const uint8_t m = uint8_t(1u << (bit & 7));
        if (f) flip_[bit >> 3] |= m;
        if (st) stuck_mask_[bit >> 3] |= m;
        if (v) stuck_value_[bit >> 3] |= m;
    }
    // Check bits are cells too, numbered after the data cells.
    for (uint64_t w = 0; w < words; ++w)
        for (unsigned j = 0; j < cbits; ++j) {
            cell(geom_.size_bits + w * 16 + j, f, st, v);
            const uint16_t m = uint16_t(1u << j);
            if (f) check_flip_[w] |= m;
            if (st) check_stuck_mask_[w] |= m;
            if (v) check_stuck_value_[w] |= m;
        }
}

void weight_sram::commit(uint64_t offset, uint64_t len) {
    const unsigned wbytes = geom_.word_bits / 8;
    const unsigned r = hamming_bits_;
    const bool faults = !flip_.empty();
    std::vector<uint16_t> bit_at_pos;  // code position -> data bit + 1 (0: a check bit)
    if (rel_.ecc) {
        bit_at_pos.assign(std::size_t(1) << r, 0);
        for (std::size_t i = 0; i < hamming_pos_.size(); ++i) bit_at_pos[hamming_pos_[i]] = uint16_t(i + 1);
    }
    auto syndrome = [&](const uint8_t* d) {
        unsigned s = 0, par = 0;
        for (unsigned b = 0; b < wbytes; ++b) {
            par ^= unsigned(__builtin_popcount(d[b]) & 1);
            for (unsigned x = d[b]; x; x &= x - 1) s ^= hamming_pos_[b * 8 + unsigned(__builtin_ctz(x))];
        }
        return std::pair<unsigned, unsigned>(s, par);
    };
    std::vector<uint8_t> out(wbytes);
    for (uint64_t w = offset / wbytes; w < (offset + len + wbytes - 1) / wbytes; ++w) {
        uint8_t* want = &view_[w * wbytes];
        uint8_t* stored = &bytes_[w * wbytes];
        uint16_t check = 0;
        if (rel_.ecc) {
            const auto [s, par] = syndrome(want);
            check = uint16_t(s | ((par ^ parity64(s)) << r));
        }
        uint16_t check_stored = check;
        for (unsigned b = 0; b < wbytes; ++b) {
            const uint64_t i = w * wbytes + b;
            stored[b] = faults ? uint8_t(((want[b] ^ flip_[i]) & ~stuck_mask_[i]) | (stuck_value_[i] & stuck_mask_[i])) : want[b];
        }
        if (faults && rel_.ecc)
            check_stored = uint16_t(((check ^ check_flip_[w]) & ~check_stuck_mask_[w]) |
                                    (check_stuck_value_[w] & check_stuck_mask_[w]));
        check_[w] = check_stored;
        // The read path: stored bits through the ECC decoder.
        std::memcpy(out.data(), stored, wbytes);
        uint8_t state = 0;  // 0 clean, 1 corrected, 2 uncorrectable
        if (rel_.ecc) {
            const auto [s, par] = syndrome(stored);
            const unsigned hamming = check_stored & ((1u << r) - 1);
            const unsigned syn = s ^ hamming;
            const unsigned overall = par ^ parity64(hamming) ^ ((check_stored >> r) & 1u);
            if (overall) {
                state = 1;  // one bit in error: a check bit (syn 0 or a power of two) or a data bit
                if (syn & (syn - 1)) {
                    const unsigned bit = syn < bit_at_pos.size() ? bit_at_pos[syn] : 0;
                    if (bit == 0) state = 2;  // points outside the word: three or more errors
                    else out[(bit - 1) >> 3] ^= uint8_t(1u << ((bit - 1) & 7));
                }
            } else if (syn) {
                state = 2;  // two bits in error
            }
        }
        const bool wrong = std::memcmp(out.data(), want, wbytes) != 0;
        const uint8_t old = word_state_[w];
        corrected_words_ -= (old & 3) == 1;
        uncorrectable_words_ -= (old & 3) == 2;
        corrupt_words_ -= (old >> 2) & 1;
        corrected_words_ += state == 1;
        uncorrectable_words_ += state == 2;
        corrupt_words_ += wrong;
        corrected_events_ += state == 1;
        uncorrectable_events_ += state == 2;
        word_state_[w] = uint8_t(state | (wrong ? 4 : 0));
        std::memcpy(want, out.data(), wbytes);
    }
}

uint64_t weight_sram::uncorrectable_words(uint64_t bit_lo, uint64_t bit_hi) const {
    if (word_state_.empty() || bit_hi <= bit_lo) return 0;
    uint64_t n = 0;
    const uint64_t w1 = std::min<uint64_t>((bit_hi + geom_.word_bits - 1) / geom_.word_bits, word_state_.size());
    for (uint64_t w = bit_lo / geom_.word_bits; w < w1; ++w) n += (word_state_[w] & 3) == 2;
    return n;
}

void weight_sram::b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
    const uint64_t offset = tx.get_address();
    const unsigned len = tx.get_data_length();
    const uint64_t span = memory_access_span(tx);
    if (offset > bytes_.size() || span > bytes_.size() - offset) {
        ++errors_;
        tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        report_warning(name(), std::string(tx.is_read() ? "read" : "write") + " at offset " + hex_string(offset) +
                                   " (" + std::to_string(len) + " bytes) outside the " +
                                   std::to_string(geom_.size_bits) + "-bit weight SRAM");
    } else {
        memory_access(tx, rel_.active() ? view_.data() : bytes_.data(), offset);
        if (rel_.active() && tx.is_write()) commit(offset, span);
        delay += clock_period_ * double(access_cycles(len));
        if (tx.is_write()) {
            bits_written_ += uint64_t(len) * 8;
            ++generation_;
        } else if (tx.is_read()) {
            bus_bits_read_ += uint64_t(len) * 8;
        }
    }
    if (trace_) trace_transaction(name(), tx, delay);
}

unsigned weight_sram::transport_dbg(tlm::tlm_generic_payload& tx) {
    const uint64_t offset = tx.get_address();
    const uint64_t len = tx.get_data_length();
    if (offset >= bytes_.size()) {
        tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return 0;
    }
    const unsigned n = unsigned(std::min<uint64_t>(len, bytes_.size() - offset));
    uint8_t* mem = rel_.active() ? view_.data() : bytes_.data();
    if (tx.is_read()) std::memcpy(tx.get_data_ptr(), mem + offset, n);
    else if (tx.is_write()) {
        std::memcpy(mem + offset, tx.get_data_ptr(), n);
        if (rel_.active()) commit(offset, n);
        ++generation_;
    }
    tx.set_response_status(n == len ? tlm::TLM_OK_RESPONSE : tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return n;
}

void weight_sram::load(uint64_t offset, const void* src, uint64_t len) {
    if (offset > bytes_.size() || len > bytes_.size() - offset)
        throw std::out_of_range(std::string(name()) + ": load of " + std::to_string(len) + " bytes at " +
                                hex_string(offset) + " does not fit");
    if (rel_.active()) {
        std::memcpy(view_.data() + offset, src, len);
        commit(offset, len);
    } else {
        std::memcpy(bytes_.data() + offset, src, len);
    }
    ++generation_;
}

void weight_sram::dump(uint64_t offset, void* dst, uint64_t len) const {
    if (offset > bytes_.size() || len > bytes_.size() - offset)
        throw std::out_of_range(std::string(name()) + ": dump of " + std::to_string(len) + " bytes at " +
                                hex_string(offset) + " does not fit");
    std::memcpy(dst, contents() + offset, len);
}

void weight_sram::stats(nlohmann::json& out) const {
    out["size_bits"] = geom_.size_bits;
    out["word_bits"] = geom_.word_bits;
    out["banks"] = geom_.banks;
    out["bits_written"] = bits_written_;
    out["bits_read_by_encoder"] = bits_read_;
    out["bits_read_by_bus"] = bus_bits_read_;
    out["errors"] = errors_;
    if (rel_.active()) {
        out["ecc"] = rel_.ecc;
        out["fault_bit_error_rate"] = rel_.bit_error_rate;
        out["fault_stuck_rate"] = rel_.stuck_rate;
        out["fault_seed"] = rel_.seed;
        out["faulty_cells"] = fault_cells_;
        out["stuck_cells"] = stuck_cells_;
        out["ecc_corrected_words"] = corrected_words_;
        out["ecc_uncorrectable_words"] = uncorrectable_words_;
        out["ecc_corrections"] = corrected_events_;
        out["ecc_uncorrectable_writes"] = uncorrectable_events_;
        out["corrupted_words"] = corrupt_words_;
    }
}

}  // namespace encvp

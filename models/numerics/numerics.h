// The encoder's integer contract (docs/numerics.md), in one SystemC-free place: weight codes,
// bit packing, accumulator saturation, bit-shift normalization with half-wave quantization.
// The encoder model, the golden reference and the network compiler all call these functions.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace encvp::nx {

constexpr int ACC_BITS = 24;
constexpr int32_t ACC_MAX = (int32_t(1) << (ACC_BITS - 1)) - 1;
constexpr int32_t ACC_MIN = -(int32_t(1) << (ACC_BITS - 1));
constexpr unsigned MAX_SHIFT = 24;
constexpr unsigned MIN_BIAS_BITS = 2;
constexpr unsigned MAX_BIAS_BITS = 24;
constexpr unsigned INPUT_BITS = 8;

static_assert((-3 >> 1) == -2, "the contract needs an arithmetic right shift");

// Sticky flags a run can raise (mirrors STATUS.WCODE_ERR and STATUS.ACC_SAT).
struct flags {
    bool weight_code_error = false;
    bool acc_saturated = false;
    void merge(const flags& o) {
        weight_code_error |= o.weight_code_error;
        acc_saturated |= o.acc_saturated;
    }
};

// ---- weight codes (numerics §1) ----
// Value of a weight code of the given width; an unused code decodes to 0 and sets *invalid.
inline int decode_weight(unsigned code, unsigned bits, bool* invalid = nullptr) {
    switch (bits) {
    case 1: return (code & 1u) ? 1 : -1;
    case 2:
        switch (code & 3u) {
        case 0: return 0;
        case 1: return 1;
        case 3: return -1;
        default: break;
        }
        break;
    case 3:
        switch (code & 7u) {
        case 0: return 0;
        case 1: return 1;
        case 2: return 2;
        case 6: return -2;
        case 7: return -1;
        default: break;
        }
        break;
    default: break;
    }
    if (invalid) *invalid = true;
    return 0;
}

// Code of a weight value; throws std::invalid_argument if the width cannot hold it.
inline unsigned encode_weight(int value, unsigned bits) {
    switch (bits) {
    case 1:
        if (value == 1) return 1;
        if (value == -1) return 0;
        break;
    case 2:
        if (value >= -1 && value <= 1) return unsigned(value) & 3u;
        break;
    case 3:
        if (value >= -2 && value <= 2) return unsigned(value) & 7u;
        break;
    default:
        throw std::invalid_argument("weight width must be 1, 2 or 3 bits, got " + std::to_string(bits));
    }
    throw std::invalid_argument("weight value " + std::to_string(value) + " cannot be stored on " +
                                std::to_string(bits) + " bits");
}

inline bool weight_code_valid(unsigned code, unsigned bits) {
    bool bad = false;
    decode_weight(code, bits, &bad);
    return !bad;
}

inline int max_abs_weight(unsigned bits) { return bits == 3 ? 2 : 1; }

// ---- bit packing (numerics §4): field i at stream bits [i*w, i*w+w), LSB first ----
inline uint32_t get_bits(const uint8_t* stream, uint64_t bit, unsigned width) {
    uint32_t v = 0;
    for (unsigned i = 0; i < width; ++i, ++bit) v |= uint32_t((stream[bit >> 3] >> (bit & 7)) & 1u) << i;
    return v;
}

inline void put_bits(uint8_t* stream, uint64_t bit, unsigned width, uint32_t value) {
    for (unsigned i = 0; i < width; ++i, ++bit) {
        const uint8_t m = uint8_t(1u << (bit & 7));
        if ((value >> i) & 1u) stream[bit >> 3] |= m;
        else stream[bit >> 3] &= uint8_t(~m);
    }
}

inline int32_t sign_extend(uint32_t v, unsigned bits) {
    const uint32_t m = 1u << (bits - 1);
    v &= (bits >= 32) ? 0xFFFFFFFFu : ((1u << bits) - 1u);
    return int32_t((v ^ m) - m);
}

inline int64_t bias_min(unsigned bits) { return -(int64_t(1) << (bits - 1)); }
inline int64_t bias_max(unsigned bits) { return (int64_t(1) << (bits - 1)) - 1; }

// Smallest signed width (>= MIN_BIAS_BITS) that holds v.
inline unsigned bits_for_signed(int64_t v) {
    unsigned b = MIN_BIAS_BITS;
    while (b < 63 && (v < bias_min(b) || v > bias_max(b))) ++b;
    return b;
}

// ---- accumulation and output stage (numerics §2.2, §3) ----
inline int32_t saturate24(int64_t v, flags& f) {
    if (v > ACC_MAX) {
        f.acc_saturated = true;
        return ACC_MAX;
    }
    if (v < ACC_MIN) {
        f.acc_saturated = true;
        return ACC_MIN;
    }
    return int32_t(v);
}

// y = clamp(floor((sat24(acc + bias) + 2^(S-1)) / 2^S), 0, 2^A - 1)
inline uint8_t requantize(int64_t acc_plus_bias, unsigned shift, unsigned act_bits, flags& f) {
    const int64_t t = saturate24(acc_plus_bias, f);
    const int64_t r = shift ? (int64_t(1) << (shift - 1)) : 0;
    const int64_t u = (t + r) >> shift;
    const int64_t top = (int64_t(1) << act_bits) - 1;
    return uint8_t(u < 0 ? 0 : (u > top ? top : u));
}

}  // namespace encvp::nx

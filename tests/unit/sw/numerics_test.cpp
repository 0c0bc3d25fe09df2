// The integer contract of docs/numerics.md, primitive by primitive: weight codes, bit packing,
// sign extension, bias widths, saturation and requantization, argmax, output packing, layer
// geometry and the checks that decide what the hardware accepts.
#include <climits>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "numerics/layer.h"
#include "numerics/network.h"
#include "numerics/numerics.h"

namespace nx = encvp::nx;

namespace {

// ---------------------------------------------------------------------------------------------
// Weight codes (numerics §1)
// ---------------------------------------------------------------------------------------------

struct code_row {
    unsigned bits, code;
    bool used;
    int value;
};

// The table of numerics §1, every code of every width.
const code_row CODE_TABLE[] = {
    {1, 0b0, true, -1},  {1, 0b1, true, +1},
    {2, 0b00, true, 0},  {2, 0b01, true, +1}, {2, 0b10, false, 0}, {2, 0b11, true, -1},
    {3, 0b000, true, 0}, {3, 0b001, true, +1}, {3, 0b010, true, +2}, {3, 0b011, false, 0},
    {3, 0b100, false, 0}, {3, 0b101, false, 0}, {3, 0b110, true, -2}, {3, 0b111, true, -1},
};

TEST(WeightCodes, EveryCodeOfEveryWidthDecodesToTheDocumentedValue) {
    unsigned seen[4] = {0, 0, 0, 0};
    for (const code_row& r : CODE_TABLE) {
        bool invalid = false;
        EXPECT_EQ(nx::decode_weight(r.code, r.bits, &invalid), r.value) << "W=" << r.bits << " code=" << r.code;
        EXPECT_EQ(invalid, !r.used) << "W=" << r.bits << " code=" << r.code;
        EXPECT_EQ(nx::weight_code_valid(r.code, r.bits), r.used) << "W=" << r.bits << " code=" << r.code;
        // Without a flag pointer the decoder must not crash and gives the same value.
        EXPECT_EQ(nx::decode_weight(r.code, r.bits), r.value);
        ++seen[r.bits];
    }
    // The table really is exhaustive: 2^W codes per width.
    EXPECT_EQ(seen[1], 2u);
    EXPECT_EQ(seen[2], 4u);
    EXPECT_EQ(seen[3], 8u);
}

TEST(WeightCodes, UnusedCodesDecodeToZeroAndTheFlagIsSticky) {
    // A valid code never clears a flag that an earlier invalid code set (sticky WCODE_ERR).
    bool invalid = false;
    EXPECT_EQ(nx::decode_weight(0b10, 2, &invalid), 0);
    EXPECT_TRUE(invalid);
    EXPECT_EQ(nx::decode_weight(0b01, 2, &invalid), 1);
    EXPECT_TRUE(invalid);
    // A valid code never sets it.
    bool clean = false;
    for (unsigned c : {0u, 1u, 2u, 6u, 7u}) nx::decode_weight(c, 3, &clean);
    EXPECT_FALSE(clean);
    for (unsigned c : {3u, 4u, 5u}) {
        bool f = false;
        EXPECT_EQ(nx::decode_weight(c, 3, &f), 0);
        EXPECT_TRUE(f) << c;
    }
}

TEST(WeightCodes, WidthsOutsideOneToThreeAreInvalid) {
    for (unsigned bits : {0u, 4u, 8u}) {
        bool invalid = false;
        EXPECT_EQ(nx::decode_weight(0, bits, &invalid), 0);
        EXPECT_TRUE(invalid) << bits;
        EXPECT_FALSE(nx::weight_code_valid(1, bits)) << bits;
        EXPECT_THROW(nx::encode_weight(0, bits), std::invalid_argument) << bits;
    }
}

TEST(WeightCodes, EncodeGivesTheTableCodeAndRoundTrips) {
    for (const code_row& r : CODE_TABLE) {
        if (!r.used) continue;
        EXPECT_EQ(nx::encode_weight(r.value, r.bits), r.code) << "W=" << r.bits << " value=" << r.value;
    }
    for (unsigned bits = 1; bits <= 3; ++bits) {
        for (int v = -5; v <= 5; ++v) {
            const bool storable = bits == 1 ? (v == -1 || v == 1) : (bits == 2 ? (v >= -1 && v <= 1) : (v >= -2 && v <= 2));
            if (!storable) {
                EXPECT_THROW(nx::encode_weight(v, bits), std::invalid_argument) << "W=" << bits << " v=" << v;
                continue;
            }
            const unsigned code = nx::encode_weight(v, bits);
            EXPECT_LT(code, 1u << bits);
            bool invalid = false;
            EXPECT_EQ(nx::decode_weight(code, bits, &invalid), v);
            EXPECT_FALSE(invalid);
        }
        // Every used code survives decode -> encode.
        for (unsigned code = 0; code < (1u << bits); ++code) {
            if (nx::weight_code_valid(code, bits)) {
                EXPECT_EQ(nx::encode_weight(nx::decode_weight(code, bits), bits), code);
            }
        }
    }
}

TEST(WeightCodes, EncodeErrorsSayWhatIsWrong) {
    try {
        nx::encode_weight(2, 2);
        FAIL() << "no throw";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("2"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("bits"), std::string::npos);
    }
    try {
        nx::encode_weight(0, 1);  // binary weights have no zero
        FAIL() << "no throw";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("1 bits"), std::string::npos) << e.what();
    }
}

TEST(WeightCodes, MaxAbsWeight) {
    EXPECT_EQ(nx::max_abs_weight(1), 1);
    EXPECT_EQ(nx::max_abs_weight(2), 1);
    EXPECT_EQ(nx::max_abs_weight(3), 2);
}

// ---------------------------------------------------------------------------------------------
// Bit packing (numerics §4): field i at stream bits [i*w, i*w+w), stream bit j = bit j%8 of byte j/8
// ---------------------------------------------------------------------------------------------

TEST(BitPacking, PutBitsHandComputedPatterns) {
    {
        // 3-bit 5 (101b) at stream bit 6: bits 6,7 of byte 0 = 1,0 ; bit 0 of byte 1 = 1.
        uint8_t s[2] = {0, 0};
        nx::put_bits(s, 6, 3, 5);
        EXPECT_EQ(s[0], 0x40);
        EXPECT_EQ(s[1], 0x01);
        EXPECT_EQ(nx::get_bits(s, 6, 3), 5u);
    }
    {
        // 12-bit 0xABC at bit 4: low nibble C into bits 4..7 of byte 0, 0xAB into byte 1.
        uint8_t s[2] = {0, 0};
        nx::put_bits(s, 4, 12, 0xABC);
        EXPECT_EQ(s[0], 0xC0);
        EXPECT_EQ(s[1], 0xAB);
    }
    {
        // 24-bit 0x123456 at bit 3 = the integer 0x123456 << 3 = 0x91A2B0, little-endian bytes.
        uint8_t s[4] = {0, 0, 0, 0};
        nx::put_bits(s, 3, 24, 0x123456);
        EXPECT_EQ(s[0], 0xB0);
        EXPECT_EQ(s[1], 0xA2);
        EXPECT_EQ(s[2], 0x91);
        EXPECT_EQ(s[3], 0x00);
        EXPECT_EQ(nx::get_bits(s, 3, 24), 0x123456u);
    }
    {
        // 32-bit 0xDEADBEEF at bit 1 = 0x1BD5B7DDE: DE 7D 5B BD 01.
        uint8_t s[5] = {0, 0, 0, 0, 0};
        nx::put_bits(s, 1, 32, 0xDEADBEEFu);
        const uint8_t want[5] = {0xDE, 0x7D, 0x5B, 0xBD, 0x01};
        for (int i = 0; i < 5; ++i) EXPECT_EQ(s[i], want[i]) << i;
        EXPECT_EQ(nx::get_bits(s, 1, 32), 0xDEADBEEFu);
    }
}

TEST(BitPacking, PutBitsClearsZeroBitsAndLeavesNeighboursAlone) {
    uint8_t s[3] = {0xFF, 0xFF, 0xFF};
    nx::put_bits(s, 2, 4, 0);  // clears bits 2..5 of byte 0
    EXPECT_EQ(s[0], 0xC3);
    EXPECT_EQ(s[1], 0xFF);
    nx::put_bits(s, 14, 4, 0b1010);  // bits 14,15 = 0,1 ; bits 16,17 = 0,1
    EXPECT_EQ(s[1], 0xBF);           // bit 14 cleared, bit 15 kept 1
    EXPECT_EQ(s[2], 0xFE);           // bit 16 cleared, bit 17 set (already 1)
    EXPECT_EQ(s[0], 0xC3);
    // Value bits above the width are ignored.
    uint8_t t[2] = {0, 0};
    nx::put_bits(t, 0, 3, 0xFF);
    EXPECT_EQ(t[0], 0x07);
    EXPECT_EQ(t[1], 0x00);
}

TEST(BitPacking, GetBitsReadsSequencesOfFields) {
    // 1..7,0 at 3 bits = 0x1F58D1 (Σ v_i << 3i), bytes D1 58 1F.
    const uint8_t s[3] = {0xD1, 0x58, 0x1F};
    const uint32_t want[8] = {1, 2, 3, 4, 5, 6, 7, 0};
    for (unsigned i = 0; i < 8; ++i) EXPECT_EQ(nx::get_bits(s, i * 3, 3), want[i]) << i;
    EXPECT_EQ(nx::get_bits(s, 0, 0), 0u);
    EXPECT_EQ(nx::get_bits(s, 0, 24), 0x1F58D1u);
    EXPECT_EQ(nx::get_bits(s, 8, 8), 0x58u);
    EXPECT_EQ(nx::get_bits(s, 4, 8), 0x8Du);  // high nibble of D1, low nibble of 58
}

TEST(BitPacking, RandomFieldSequencesRoundTripForEveryWidth) {
    std::mt19937 rng(7);
    for (unsigned w = 1; w <= 32; ++w) {
        std::vector<uint32_t> vals(57);
        for (auto& v : vals) v = uint32_t(rng()) & (w == 32 ? 0xFFFFFFFFu : ((1u << w) - 1));
        std::vector<uint8_t> s((vals.size() * w + 7) / 8 + 1, 0xA5);
        for (std::size_t i = 0; i < vals.size(); ++i) nx::put_bits(s.data(), i * w, w, vals[i]);
        for (std::size_t i = 0; i < vals.size(); ++i) ASSERT_EQ(nx::get_bits(s.data(), i * w, w), vals[i]) << "w=" << w;
        // Bit j of the stream is bit j%8 of byte j/8: rebuild each field bit by bit.
        for (std::size_t i = 0; i < vals.size(); ++i) {
            uint32_t v = 0;
            for (unsigned b = 0; b < w; ++b) {
                const uint64_t j = i * w + b;
                v |= uint32_t((s[j / 8] >> (j % 8)) & 1u) << b;
            }
            ASSERT_EQ(v, vals[i]);
        }
    }
}

TEST(BitPacking, PackValuesLayout) {
    // 3-bit values 1..7,0 -> D1 58 1F (see GetBitsReadsSequencesOfFields).
    EXPECT_EQ(nx::pack_values({1, 2, 3, 4, 5, 6, 7, 0}, 3), (std::vector<uint8_t>{0xD1, 0x58, 0x1F}));
    // 1-bit 1,0,1,1,0,0,0,1 | 1,0 -> 0b10001101 = 0x8D, 0x01.
    EXPECT_EQ(nx::pack_values({1, 0, 1, 1, 0, 0, 0, 1, 1, 0}, 1), (std::vector<uint8_t>{0x8D, 0x01}));
    // 2-bit 1,0,2,0 -> 1 | 2<<4 = 0x21; 3,3,3,3,1 -> 0xFF, 0x01.
    EXPECT_EQ(nx::pack_values({1, 0, 2, 0}, 2), (std::vector<uint8_t>{0x21}));
    EXPECT_EQ(nx::pack_values({3, 3, 3, 3, 1}, 2), (std::vector<uint8_t>{0xFF, 0x01}));
    EXPECT_TRUE(nx::pack_values({}, 3).empty());
    // Size is ceil(n*bits/8).
    for (unsigned bits = 1; bits <= 3; ++bits)
        for (std::size_t n = 0; n < 20; ++n) EXPECT_EQ(nx::pack_values(std::vector<uint8_t>(n, 1), bits).size(), (n * bits + 7) / 8);
}

// ---------------------------------------------------------------------------------------------
// Signed fields
// ---------------------------------------------------------------------------------------------

TEST(SignExtend, HandCases) {
    EXPECT_EQ(nx::sign_extend(0b111, 3), -1);
    EXPECT_EQ(nx::sign_extend(0b100, 3), -4);
    EXPECT_EQ(nx::sign_extend(0b011, 3), 3);
    EXPECT_EQ(nx::sign_extend(0b10, 2), -2);
    EXPECT_EQ(nx::sign_extend(0b01, 2), 1);
    EXPECT_EQ(nx::sign_extend(0xFFFFFF, 24), -1);
    EXPECT_EQ(nx::sign_extend(0x800000, 24), -8388608);
    EXPECT_EQ(nx::sign_extend(0x7FFFFF, 24), 8388607);
    EXPECT_EQ(nx::sign_extend(0x1FF, 8), -1);  // bits above the width are ignored
    EXPECT_EQ(nx::sign_extend(0x17F, 8), 127);
    EXPECT_EQ(nx::sign_extend(0xFFFFFFFFu, 32), -1);
    EXPECT_EQ(nx::sign_extend(0x80000000u, 32), INT32_MIN);
    EXPECT_EQ(nx::sign_extend(1, 1), -1);
    EXPECT_EQ(nx::sign_extend(0, 1), 0);
}

TEST(SignExtend, ExhaustiveSmallWidths) {
    for (unsigned b = 1; b <= 14; ++b)
        for (uint32_t v = 0; v < (1u << b); ++v) {
            const int32_t want = v >= (1u << (b - 1)) ? int32_t(v) - int32_t(1u << b) : int32_t(v);
            ASSERT_EQ(nx::sign_extend(v, b), want) << "b=" << b << " v=" << v;
            ASSERT_EQ(nx::sign_extend(v | (0xAB000000u << 0), b), want) << "high garbage, b=" << b;
        }
}

TEST(BiasWidth, BoundsAndBitsForSigned) {
    EXPECT_EQ(nx::bias_min(2), -2);
    EXPECT_EQ(nx::bias_max(2), 1);
    EXPECT_EQ(nx::bias_min(24), -8388608);
    EXPECT_EQ(nx::bias_max(24), 8388607);
    struct {
        int64_t v;
        unsigned bits;
    } cases[] = {{0, 2},   {1, 2},   {-1, 2},  {-2, 2},   {2, 3},          {-3, 3},         {-4, 3},        {3, 3},
                 {4, 4},   {127, 8}, {-128, 8}, {128, 9}, {-129, 9},       {8388607, 24},   {-8388608, 24}, {8388608, 25},
                 {-8388609, 25}};
    for (const auto& c : cases) EXPECT_EQ(nx::bits_for_signed(c.v), c.bits) << c.v;
    // Against the definition: the smallest b >= 2 with -2^(b-1) <= v <= 2^(b-1)-1.
    for (int64_t v = -5000; v <= 5000; ++v) {
        unsigned b = 2;
        while (!(v >= -(int64_t(1) << (b - 1)) && v <= (int64_t(1) << (b - 1)) - 1)) ++b;
        ASSERT_EQ(nx::bits_for_signed(v), b) << v;
        // The value survives storage at that width.
        ASSERT_EQ(nx::sign_extend(uint32_t(int32_t(v)), b), v);
    }
}

// ---------------------------------------------------------------------------------------------
// Saturation and requantization (numerics §2.2, §3)
// ---------------------------------------------------------------------------------------------

TEST(Saturate24, BoundsAndFlag) {
    EXPECT_EQ(nx::ACC_MAX, 8388607);
    EXPECT_EQ(nx::ACC_MIN, -8388608);
    struct {
        int64_t in;
        int32_t out;
        bool sat;
    } cases[] = {{0, 0, false},
                 {8388607, 8388607, false},
                 {8388608, 8388607, true},
                 {-8388608, -8388608, false},
                 {-8388609, -8388608, true},
                 {int64_t(1) << 40, 8388607, true},
                 {-(int64_t(1) << 40), -8388608, true},
                 {12345, 12345, false}};
    for (const auto& c : cases) {
        nx::flags f;
        EXPECT_EQ(nx::saturate24(c.in, f), c.out) << c.in;
        EXPECT_EQ(f.acc_saturated, c.sat) << c.in;
        EXPECT_FALSE(f.weight_code_error);
    }
    // Sticky: a later in-range value does not clear it.
    nx::flags f;
    nx::saturate24(1 << 24, f);
    nx::saturate24(0, f);
    EXPECT_TRUE(f.acc_saturated);
}

TEST(Flags, MergeIsAnOr) {
    nx::flags a, b;
    a.merge(b);
    EXPECT_FALSE(a.acc_saturated || a.weight_code_error);
    b.acc_saturated = true;
    a.merge(b);
    EXPECT_TRUE(a.acc_saturated);
    EXPECT_FALSE(a.weight_code_error);
    nx::flags c;
    c.weight_code_error = true;
    a.merge(c);
    EXPECT_TRUE(a.acc_saturated && a.weight_code_error);
    a.merge(nx::flags());
    EXPECT_TRUE(a.acc_saturated && a.weight_code_error);
}

uint8_t rq(int64_t acc, unsigned shift, unsigned a, bool* sat = nullptr) {
    nx::flags f;
    const uint8_t y = nx::requantize(acc, shift, a, f);
    if (sat) *sat = f.acc_saturated;
    return y;
}

TEST(Requantize, HandComputedCases) {
    // shift 0: no rounding, y = clamp(acc).
    EXPECT_EQ(rq(0, 0, 3), 0);
    EXPECT_EQ(rq(5, 0, 3), 5);
    EXPECT_EQ(rq(7, 0, 3), 7);
    EXPECT_EQ(rq(8, 0, 3), 7);
    EXPECT_EQ(rq(-1, 0, 3), 0);
    // Round half up: 5/2 = 2.5 -> 3; 3/2 = 1.5 -> 2; 1/2 = 0.5 -> 1; 4/2 = 2.
    EXPECT_EQ(rq(5, 1, 3), 3);
    EXPECT_EQ(rq(3, 1, 3), 2);
    EXPECT_EQ(rq(1, 1, 3), 1);
    EXPECT_EQ(rq(4, 1, 3), 2);
    // 10/4 = 2.5 -> 3; 9/4 = 2.25 -> 2; 11/4 = 2.75 -> 3; 6/4 = 1.5 -> 2; 2/4 = 0.5 -> 1; 1/4 -> 0.
    EXPECT_EQ(rq(10, 2, 3), 3);
    EXPECT_EQ(rq(9, 2, 3), 2);
    EXPECT_EQ(rq(11, 2, 3), 3);
    EXPECT_EQ(rq(6, 2, 3), 2);
    EXPECT_EQ(rq(2, 2, 3), 1);
    EXPECT_EQ(rq(1, 2, 3), 0);
    // 24/16 = 1.5 -> 2; 23/16 = 1.4375 -> 1; 40/16 = 2.5 -> 3.
    EXPECT_EQ(rq(24, 4, 3), 2);
    EXPECT_EQ(rq(23, 4, 3), 1);
    EXPECT_EQ(rq(40, 4, 3), 3);
    // Negative ties: -1/2 = -0.5 -> 0 (half up); -3/2 = -1.5 -> -1 -> ReLU 0; -2/4 -> 0; -6/4 = -1.5 -> -1 -> 0.
    EXPECT_EQ(rq(-1, 1, 3), 0);
    EXPECT_EQ(rq(-3, 1, 3), 0);
    EXPECT_EQ(rq(-2, 2, 3), 0);
    EXPECT_EQ(rq(-6, 2, 3), 0);
    EXPECT_EQ(rq(-1000, 3, 3), 0);
}

TEST(Requantize, ClampToActivationWidth) {
    for (unsigned a = 1; a <= 3; ++a) {
        const uint8_t top = uint8_t((1u << a) - 1);
        EXPECT_EQ(rq(100, 0, a), top) << a;
        EXPECT_EQ(rq(top, 0, a), top) << a;
        EXPECT_EQ(rq(top + 1, 0, a), top) << a;
        EXPECT_EQ(rq(top - 1, 0, a), top - 1) << a;
        EXPECT_EQ(rq(-100, 0, a), 0) << a;
        EXPECT_EQ(rq(nx::ACC_MAX, 0, a), top) << a;
        EXPECT_EQ(rq(nx::ACC_MIN, 0, a), 0) << a;
        // 2*top/2 + rounding: (2*top + 1) >> 1 = top.
        EXPECT_EQ(rq(2 * top, 1, a), top) << a;
        EXPECT_EQ(rq(2 * top + 1, 1, a), top) << a;  // (2top+2)>>1 = top+1 -> clamp
    }
    // A = 1: binary code, 0.5 rounds up to 1.
    EXPECT_EQ(rq(1, 1, 1), 1);
    EXPECT_EQ(rq(0, 1, 1), 0);
}

TEST(Requantize, SaturatesTo24BitsBeforeTheShiftAndSetsTheFlag) {
    bool sat = false;
    // No saturation at the bounds.
    EXPECT_EQ(rq(nx::ACC_MAX, 20, 3, &sat), 7);  // (8388607 + 2^19) >> 20 = 8 -> clamp 7
    EXPECT_FALSE(sat);
    EXPECT_EQ(rq(nx::ACC_MIN, 20, 3, &sat), 0);
    EXPECT_FALSE(sat);
    // 2^30 saturates to 8388607: (8388607 + 2^20) >> 21 = 9437183 >> 21 = 4 (4.5 floored).
    // Without saturation it would be (2^30 + 2^20) >> 21 = 512 -> 7.
    EXPECT_EQ(rq(int64_t(1) << 30, 21, 3, &sat), 4);
    EXPECT_TRUE(sat);
    EXPECT_EQ(rq(nx::ACC_MAX + 1, 21, 3, &sat), 4);
    EXPECT_TRUE(sat);
    EXPECT_EQ(rq(nx::ACC_MIN - 1, 0, 3, &sat), 0);
    EXPECT_TRUE(sat);
    // Shift 24: (8388607 + 2^23) >> 24 = 0; the wide sum does not overflow.
    EXPECT_EQ(rq(nx::ACC_MAX, 24, 3, &sat), 0);
    EXPECT_FALSE(sat);
    EXPECT_EQ(rq(int64_t(1) << 50, 24, 3, &sat), 0);
    EXPECT_TRUE(sat);
    // Shift 23: (8388607 + 2^22) >> 23 = 1.
    EXPECT_EQ(rq(nx::ACC_MAX, 23, 3, &sat), 1);
    EXPECT_FALSE(sat);
}

// floor(a / b) for b > 0, written independently of >>.
int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    if ((a % b != 0) && (a < 0)) --q;
    return q;
}

// y = clamp(floor((acc)/2^S + 1/2), 0, 2^A - 1) with acc saturated to 24 bits; computed as
// floor((2*acc + 2^S) / 2^(S+1)).
int64_t formula(int64_t acc, unsigned s, unsigned a, bool& sat) {
    sat = acc > nx::ACC_MAX || acc < nx::ACC_MIN;
    if (acc > nx::ACC_MAX) acc = nx::ACC_MAX;
    if (acc < nx::ACC_MIN) acc = nx::ACC_MIN;
    const int64_t u = floor_div(2 * acc + (int64_t(1) << s), int64_t(1) << (s + 1));
    const int64_t top = (int64_t(1) << a) - 1;
    return u < 0 ? 0 : (u > top ? top : u);
}

TEST(Requantize, ExhaustiveAgainstTheFormula) {
    for (unsigned a = 1; a <= 3; ++a)
        for (unsigned s = 0; s <= 10; ++s)
            for (int64_t acc = -2100; acc <= 2100; ++acc) {
                bool sat_want = false, sat = false;
                const int64_t want = formula(acc, s, a, sat_want);
                ASSERT_EQ(rq(acc, s, a, &sat), want) << "acc=" << acc << " S=" << s << " A=" << a;
                ASSERT_FALSE(sat);
            }
    // Near the saturation bounds with every shift.
    for (unsigned a = 1; a <= 3; ++a)
        for (unsigned s = 0; s <= 24; ++s)
            for (int64_t base : {int64_t(nx::ACC_MAX), int64_t(nx::ACC_MIN)})
                for (int64_t d = -40; d <= 40; ++d) {
                    const int64_t acc = base + d;
                    bool sat_want = false, sat = false;
                    const int64_t want = formula(acc, s, a, sat_want);
                    ASSERT_EQ(rq(acc, s, a, &sat), want) << "acc=" << acc << " S=" << s << " A=" << a;
                    ASSERT_EQ(sat, sat_want) << "acc=" << acc;
                }
    // Large shifts over values spread across the range, where the output is non-trivial.
    std::mt19937 rng(3);
    for (int i = 0; i < 200000; ++i) {
        const unsigned s = unsigned(rng() % 25), a = 1 + unsigned(rng() % 3);
        const int64_t acc = int64_t(rng() % (1u << 26)) - (int64_t(1) << 25);
        bool sat_want = false, sat = false;
        const int64_t want = formula(acc, s, a, sat_want);
        ASSERT_EQ(rq(acc, s, a, &sat), want) << "acc=" << acc << " S=" << s << " A=" << a;
        ASSERT_EQ(sat, sat_want);
    }
}

// ---------------------------------------------------------------------------------------------
// argmax (numerics §2.4: lowest index wins ties)
// ---------------------------------------------------------------------------------------------

TEST(Argmax, LowestIndexWinsTies) {
    EXPECT_EQ(nx::argmax_lowest({}), -1);
    EXPECT_EQ(nx::argmax_lowest({42}), 0);
    EXPECT_EQ(nx::argmax_lowest({1, 2, 3}), 2);
    EXPECT_EQ(nx::argmax_lowest({3, 2, 1}), 0);
    EXPECT_EQ(nx::argmax_lowest({3, 5, 5}), 1);
    EXPECT_EQ(nx::argmax_lowest({5, 3, 5}), 0);
    EXPECT_EQ(nx::argmax_lowest({-1, -1}), 0);
    EXPECT_EQ(nx::argmax_lowest({-7, -3, -3, -9}), 1);
    EXPECT_EQ(nx::argmax_lowest({nx::ACC_MIN, nx::ACC_MIN}), 0);
    EXPECT_EQ(nx::argmax_lowest({0, 0, 0, 0, 0, 0, 0, 0, 0, 1}), 9);
    EXPECT_EQ(nx::argmax_lowest({INT32_MIN, INT32_MAX, INT32_MAX}), 1);
}

// ---------------------------------------------------------------------------------------------
// Layer geometry, checks and the accumulator bound
// ---------------------------------------------------------------------------------------------

nx::layer_desc valid_conv(bool first = false) {
    nx::layer_desc d;
    d.type = nx::layer_type::conv;
    d.in_c = 8, d.in_h = 16, d.in_w = 12;
    d.out_c = 4, d.kernel = 3, d.stride = 1, d.pad = 1, d.groups = 2;
    d.w_bits = 2, d.in_bits = first ? 8 : 2, d.a_bits = 2, d.b_bits = 12, d.shift = 5, d.pool = false;
    return d;
}

TEST(LayerGeometry, OutputSizesAndCounts) {
    nx::layer_desc d = valid_conv();
    // (16 + 2 - 3)/1 + 1 = 16, (12 + 2 - 3)/1 + 1 = 12
    EXPECT_EQ(d.conv_h(), 16u);
    EXPECT_EQ(d.conv_w(), 12u);
    EXPECT_EQ(d.fan_in(), 9u * 4);
    EXPECT_EQ(d.n_weights(), 4u * 36);
    EXPECT_EQ(d.weight_bits(), 4u * 36 * 2);
    EXPECT_EQ(d.bias_bits(), 4u * 12);
    EXPECT_EQ(d.macs(), 16u * 12 * 4 * 36);
    EXPECT_EQ(d.input_elements(), 8u * 16 * 12);
    EXPECT_EQ(d.output_elements(), 4u * 16 * 12);
    d.stride = 2;  // (16+2-3)/2+1 = 8, (12+2-3)/2+1 = 6
    EXPECT_EQ(d.conv_h(), 8u);
    EXPECT_EQ(d.conv_w(), 6u);
    d.pool = true;
    EXPECT_EQ(d.out_h(), 4u);
    EXPECT_EQ(d.out_w(), 3u);
    d.kernel = 5, d.pad = 0, d.stride = 2, d.pool = true;  // (16-5)/2+1 = 6, (12-5)/2+1 = 4 -> pool 3x2
    EXPECT_EQ(d.conv_h(), 6u);
    EXPECT_EQ(d.conv_w(), 4u);
    EXPECT_EQ(d.out_h(), 3u);
    EXPECT_EQ(d.out_w(), 2u);
    d.in_h = 7, d.in_w = 9, d.kernel = 1, d.stride = 1, d.pool = true;  // odd: 7x9 -> 3x4
    EXPECT_EQ(d.out_h(), 3u);
    EXPECT_EQ(d.out_w(), 4u);

    nx::layer_desc fc;
    fc.type = nx::layer_type::fc;
    fc.in_c = 6, fc.in_h = 3, fc.in_w = 2, fc.out_c = 10, fc.w_bits = 1, fc.b_bits = 9;
    EXPECT_EQ(fc.out_h(), 1u);
    EXPECT_EQ(fc.out_w(), 1u);
    EXPECT_EQ(fc.fan_in(), 6u);
    EXPECT_EQ(fc.n_weights(), 60u);
    EXPECT_EQ(fc.macs(), 60u);
    EXPECT_EQ(fc.output_elements(), 10u);
    EXPECT_EQ(fc.bias_bits(), 90u);
}

TEST(CheckLayer, ValidLayersPass) {
    EXPECT_EQ(nx::check_layer(valid_conv(), false), "");
    EXPECT_EQ(nx::check_layer(valid_conv(true), true), "");
    // The extremes the hardware takes.
    nx::layer_desc d = valid_conv();
    d.kernel = 7, d.pad = 3, d.groups = 1, d.w_bits = 1, d.b_bits = 2, d.shift = 24, d.a_bits = 1;
    EXPECT_EQ(nx::check_layer(d, false), "");
    d.b_bits = 24, d.w_bits = 3, d.a_bits = 3, d.shift = 0, d.pad = 0, d.kernel = 1;
    EXPECT_EQ(nx::check_layer(d, false), "");
    d.in_c = 1024, d.out_c = 1024, d.in_h = 1024, d.in_w = 1, d.groups = 1024;
    EXPECT_EQ(nx::check_layer(d, false), "");
    // Kernel exactly as large as the padded input.
    d = valid_conv();
    d.in_h = 1, d.in_w = 1, d.kernel = 3, d.pad = 1;
    EXPECT_EQ(nx::check_layer(d, false), "");
}

struct layer_case {
    const char* what;
    void (*mutate)(nx::layer_desc&);
    bool first;
    const char* expect;  // substring of the message
};

TEST(CheckLayer, EachInvalidFieldIsNamed) {
    const layer_case cases[] = {
        {"w_bits 0", [](nx::layer_desc& d) { d.w_bits = 0; }, false, "weight_bits 0 not in 1..3"},
        {"w_bits 4", [](nx::layer_desc& d) { d.w_bits = 4; }, false, "weight_bits 4 not in 1..3"},
        {"b_bits 1", [](nx::layer_desc& d) { d.b_bits = 1; }, false, "bias_bits 1 not in 2..24"},
        {"b_bits 25", [](nx::layer_desc& d) { d.b_bits = 25; }, false, "bias_bits 25 not in 2..24"},
        {"first in_bits 2", [](nx::layer_desc& d) { d.in_bits = 2; }, true, "8-bit input pixels, got in_bits 2"},
        {"in_bits 8 inside", [](nx::layer_desc& d) { d.in_bits = 8; }, false, "input activation bits 8 not in 1..3"},
        {"in_bits 0", [](nx::layer_desc& d) { d.in_bits = 0; }, false, "input activation bits 0 not in 1..3"},
        {"in_c 0", [](nx::layer_desc& d) { d.in_c = 0; }, false, "input channels 0 not in 1..1024"},
        {"in_c 1025", [](nx::layer_desc& d) { d.in_c = 1025; d.groups = 1; }, false, "input channels 1025 not in 1..1024"},
        {"out_c 0", [](nx::layer_desc& d) { d.out_c = 0; }, false, "output channels 0 not in 1..1024"},
        {"out_c 2048", [](nx::layer_desc& d) { d.out_c = 2048; }, false, "output channels 2048 not in 1..1024"},
        {"in_h 0", [](nx::layer_desc& d) { d.in_h = 0; }, false, "input size 0x12 not in 1..1024"},
        {"in_w 1025", [](nx::layer_desc& d) { d.in_w = 1025; }, false, "input size 16x1025 not in 1..1024"},
        {"kernel 4", [](nx::layer_desc& d) { d.kernel = 4; }, false, "kernel 4 is not odd in 1..7"},
        {"kernel 0", [](nx::layer_desc& d) { d.kernel = 0; }, false, "kernel 0 is not odd in 1..7"},
        {"kernel 9", [](nx::layer_desc& d) { d.kernel = 9; }, false, "kernel 9 is not odd in 1..7"},
        {"stride 0", [](nx::layer_desc& d) { d.stride = 0; }, false, "stride 0 not in 1..2"},
        {"stride 3", [](nx::layer_desc& d) { d.stride = 3; }, false, "stride 3 not in 1..2"},
        {"pad 2 on k3", [](nx::layer_desc& d) { d.pad = 2; }, false, "padding 2 larger than kernel/2"},
        {"pad 1 on k1", [](nx::layer_desc& d) { d.kernel = 1; d.pad = 1; }, false, "padding 1 larger than kernel/2"},
        {"groups 0", [](nx::layer_desc& d) { d.groups = 0; }, false, "groups 0 does not divide"},
        {"groups 3", [](nx::layer_desc& d) { d.groups = 3; }, false, "groups 3 does not divide input channels 8 and output channels 4"},
        {"groups 8 (not dividing out 4)", [](nx::layer_desc& d) { d.groups = 8; }, false, "groups 8 does not divide"},
        {"a_bits 0", [](nx::layer_desc& d) { d.a_bits = 0; }, false, "activation bits 0 not in 1..3"},
        {"a_bits 4", [](nx::layer_desc& d) { d.a_bits = 4; }, false, "activation bits 4 not in 1..3"},
        {"shift 25", [](nx::layer_desc& d) { d.shift = 25; }, false, "shift 25 not in 0..24"},
        {"kernel larger than input", [](nx::layer_desc& d) { d.in_h = 2; d.kernel = 7; d.pad = 2; }, false,
         "kernel 7 larger than the padded input 2x12"},
        {"empty after pool", [](nx::layer_desc& d) { d.in_h = 1; d.pool = true; }, false, "output is empty after pooling"},
    };
    for (const layer_case& c : cases) {
        nx::layer_desc d = valid_conv(c.first);
        c.mutate(d);
        const std::string e = nx::check_layer(d, c.first);
        EXPECT_NE(e.find(c.expect), std::string::npos) << c.what << ": got '" << e << "'";
    }
}

TEST(CheckLayer, FcIgnoresConvFieldsAndLimitsApply) {
    nx::layer_desc fc;
    fc.type = nx::layer_type::fc;
    fc.in_c = 16, fc.in_h = 4, fc.in_w = 4, fc.in_bits = 2, fc.out_c = 10, fc.w_bits = 2, fc.b_bits = 16;
    fc.kernel = 4, fc.stride = 9, fc.shift = 99;  // meaningless for fc
    EXPECT_EQ(nx::check_layer(fc, false), "");
    fc.w_bits = 0;
    EXPECT_NE(nx::check_layer(fc, false).find("weight_bits 0"), std::string::npos);
    fc.w_bits = 2;
    fc.out_c = 0;
    EXPECT_NE(nx::check_layer(fc, false).find("output channels 0"), std::string::npos);
    // Custom hardware limits.
    nx::hw_limits lim;
    lim.max_channels = 8;
    lim.max_kernel = 3;
    lim.max_dim = 10;
    nx::layer_desc d = valid_conv();
    EXPECT_NE(nx::check_layer(d, false, lim).find("input size 16x12 not in 1..10"), std::string::npos);
    d.in_h = 10, d.in_w = 10;
    EXPECT_EQ(nx::check_layer(d, false, lim), "");
    d.in_c = 9, d.groups = 1;
    EXPECT_NE(nx::check_layer(d, false, lim).find("input channels 9 not in 1..8"), std::string::npos);
    d = valid_conv();
    d.in_h = 10, d.in_w = 10, d.kernel = 5, d.pad = 1;
    EXPECT_NE(nx::check_layer(d, false, lim).find("kernel 5 is not odd in 1..3"), std::string::npos);
}

TEST(WorstCaseAccumulator, HandCases) {
    // conv k3, 8 in / 2 groups -> fan_in 9*4 = 36; 2-bit input max 3; 2-bit weights max 1: 36*1*3 + 100 = 208.
    nx::layer_desc d = valid_conv();
    EXPECT_EQ(nx::worst_case_accumulator(d, 100), 208);
    // 3-bit weights (max 2), 3-bit inputs (max 7): 36*2*7 + 0 = 504.
    d.w_bits = 3, d.in_bits = 3;
    EXPECT_EQ(nx::worst_case_accumulator(d, 0), 504);
    // First layer: 8-bit pixels (255), k1, 3 channels, 1-bit weights: 3*1*255 + 7 = 772.
    nx::layer_desc f = valid_conv(true);
    f.in_c = 3, f.groups = 1, f.kernel = 1, f.pad = 0, f.w_bits = 1;
    EXPECT_EQ(nx::worst_case_accumulator(f, 7), 772);
    // k7 on 1024 channels of 8-bit input with 3-bit weights: 49*1024*2*255 = 25,589,760 + bias.
    f.kernel = 7, f.in_c = 1024, f.w_bits = 3;
    EXPECT_EQ(nx::worst_case_accumulator(f, 1), 25589761);
    // fc: 5 channels summed over 2x3 positions = 30 terms; 3-bit inputs (7); 1-bit weights: 30*7 + 7 = 217.
    nx::layer_desc fc;
    fc.type = nx::layer_type::fc;
    fc.in_c = 5, fc.in_h = 2, fc.in_w = 3, fc.in_bits = 3, fc.w_bits = 1, fc.out_c = 4;
    EXPECT_EQ(nx::worst_case_accumulator(fc, 7), 217);
    fc.w_bits = 3;  // 30*2*7 = 420
    EXPECT_EQ(nx::worst_case_accumulator(fc, 0), 420);
}

// A classification chain: 3x16x16 -> conv (k3 p1, pool) 8x8x8 -> conv (k3 s2 p1, g2) 4x4x4 -> fc 10.
nx::network_shape valid_shape() {
    nx::network_shape n;
    n.in_c = 3, n.in_h = 16, n.in_w = 16, n.classify = true;
    nx::layer_desc a;
    a.type = nx::layer_type::conv;
    a.in_c = 3, a.in_h = 16, a.in_w = 16, a.in_bits = 8;
    a.out_c = 8, a.kernel = 3, a.stride = 1, a.pad = 1, a.groups = 1, a.w_bits = 3, a.a_bits = 2, a.b_bits = 12, a.shift = 6;
    a.pool = true;
    nx::layer_desc b = a;
    b.in_c = 8, b.in_h = 8, b.in_w = 8, b.in_bits = 2;
    b.out_c = 4, b.stride = 2, b.groups = 2, b.w_bits = 2, b.a_bits = 3, b.pool = false;
    nx::layer_desc fc;
    fc.type = nx::layer_type::fc;
    fc.in_c = 4, fc.in_h = 4, fc.in_w = 4, fc.in_bits = 3, fc.out_c = 10, fc.w_bits = 1, fc.b_bits = 10;
    n.layers = {a, b, fc};
    return n;
}

TEST(CheckNetwork, ValidNetworksPass) {
    EXPECT_EQ(nx::check_network(valid_shape()), "");
    nx::network_shape c = valid_shape();
    c.layers.pop_back();
    c.classify = false;
    EXPECT_EQ(nx::check_network(c), "");
}

TEST(CheckNetwork, EachProblemIsNamedWithTheLayer) {
    {
        nx::network_shape n = valid_shape();
        n.layers.clear();
        EXPECT_EQ(nx::check_network(n), "network has no layers");
    }
    {
        // 33 layers of 1x1 convs on a 1x1 image.
        nx::network_shape n;
        n.in_c = 1, n.in_h = 1, n.in_w = 1, n.classify = false;
        nx::layer_desc l;
        l.in_c = 1, l.in_h = 1, l.in_w = 1, l.in_bits = 8, l.out_c = 1, l.kernel = 1;
        for (int i = 0; i < 32; ++i) {
            n.layers.push_back(l);
            l.in_bits = l.a_bits;
        }
        EXPECT_EQ(nx::check_network(n), "");
        n.layers.push_back(l);
        EXPECT_NE(nx::check_network(n).find("network has 33 layers, the encoder holds at most 32"), std::string::npos);
    }
    {
        nx::network_shape n = valid_shape();
        n.layers[1].in_h = 9;
        const std::string e = nx::check_network(n);
        EXPECT_NE(e.find("layer 1 (conv): input 8x9x8 does not match the previous output 8x8x8"), std::string::npos) << e;
    }
    {
        nx::network_shape n = valid_shape();
        n.in_c = 4;
        const std::string e = nx::check_network(n);
        EXPECT_NE(e.find("layer 0 (conv): input 3x16x16 does not match the previous output 4x16x16"), std::string::npos) << e;
    }
    {
        nx::network_shape n = valid_shape();
        n.layers[2].in_bits = 2;
        const std::string e = nx::check_network(n);
        EXPECT_NE(e.find("layer 2 (fc): input bits 2 do not match the previous output bits 3"), std::string::npos) << e;
    }
    {
        nx::network_shape n = valid_shape();
        n.layers[1].shift = 30;
        const std::string e = nx::check_network(n);
        EXPECT_NE(e.find("layer 1 (conv): shift 30 not in 0..24"), std::string::npos) << e;
    }
    {
        nx::network_shape n = valid_shape();
        n.layers[0].in_bits = 3;
        const std::string e = nx::check_network(n);
        EXPECT_NE(e.find("layer 0 (conv): input bits 3 do not match the previous output bits 8"), std::string::npos) << e;
    }
    {
        // fc in the middle.
        nx::network_shape n = valid_shape();
        nx::layer_desc fc2 = n.layers[2];
        fc2.in_c = 10, fc2.in_h = 1, fc2.in_w = 1, fc2.in_bits = n.layers[2].a_bits;
        n.layers.push_back(fc2);
        const std::string e = nx::check_network(n);
        EXPECT_NE(e.find("layer 2 (fc): an fc head must be the last layer"), std::string::npos) << e;
    }
    {
        // fc first.
        nx::network_shape n;
        n.in_c = 3, n.in_h = 4, n.in_w = 4;
        nx::layer_desc fc;
        fc.type = nx::layer_type::fc;
        fc.in_c = 3, fc.in_h = 4, fc.in_w = 4, fc.in_bits = 8, fc.out_c = 2, fc.w_bits = 2;
        n.layers = {fc};
        const std::string e = nx::check_network(n);
        EXPECT_NE(e.find("layer 0 (fc): an fc head needs a conv layer before it"), std::string::npos) << e;
    }
    {
        nx::network_shape n = valid_shape();
        n.layers.pop_back();
        const std::string e = nx::check_network(n);
        EXPECT_NE(e.find("layer 1 (conv): a classification network must end with an fc head"), std::string::npos) << e;
    }
    {
        nx::network_shape n = valid_shape();
        n.classify = false;
        const std::string e = nx::check_network(n);
        EXPECT_NE(e.find("layer 2 (fc): a compression network has no fc head"), std::string::npos) << e;
    }
}

}  // namespace

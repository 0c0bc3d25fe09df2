// The .evc container and its optional entropy coding.
#include <random>

#include <gtest/gtest.h>

#include "bitstream/bitstream.h"
#include "bitstream/entropy.h"
#include "common/error.h"

namespace encvp {
namespace {

code_stream make_stream(unsigned w, unsigned h, unsigned c, uint32_t seed, double p_one) {
    code_stream s;
    s.width = w, s.height = h, s.patch = 16, s.code_c = uint16_t(c), s.code_h = 4, s.code_w = 4, s.net_crc = 0xABCD1234u;
    s.codes.assign((s.total_bits() + 7) / 8, 0);
    std::mt19937 rng(seed);
    std::bernoulli_distribution one(p_one);
    for (uint64_t i = 0; i < s.total_bits(); ++i)
        if (one(rng)) s.codes[i >> 3] |= uint8_t(1u << (i & 7));
    return s;
}

std::string error_of(const std::vector<uint8_t>& bytes) {
    try {
        parse_code_stream(bytes, "x.evc");
    } catch (const input_error& e) {
        return e.what();
    }
    return "";
}

TEST(Bitstream, RawRoundTripKeepsEveryField) {
    const code_stream s = make_stream(100, 70, 4, 1, 0.5);  // 7 x 5 patches, padded
    EXPECT_EQ(s.cols(), 7u);
    EXPECT_EQ(s.rows(), 5u);
    EXPECT_EQ(s.total_bits(), 7u * 5 * 64);
    const code_stream back = parse_code_stream(serialize_code_stream(s), "x.evc");
    EXPECT_EQ(back.width, 100u);
    EXPECT_EQ(back.height, 70u);
    EXPECT_EQ(back.code_c, 4);
    EXPECT_EQ(back.net_crc, 0xABCD1234u);
    EXPECT_EQ(back.codes, s.codes);
    EXPECT_EQ(serialize_code_stream(s).size(), 52u + 7 * 5 * 8 + 4);
}

TEST(Bitstream, EntropyCodingIsLosslessOnRandomAndStructuredCodes) {
    for (double p : {0.5, 0.1, 0.9}) {
        code_stream s = make_stream(768, 512, 4, 7, p);
        s.flags = EVC_FLAG_ENTROPY_CODED;
        const std::vector<uint8_t> file = serialize_code_stream(s);
        const code_stream back = parse_code_stream(file, "x.evc");
        EXPECT_EQ(back.codes, s.codes) << "p = " << p;
        const std::size_t raw = s.codes.size();
        if (p == 0.5) EXPECT_LT(file.size(), raw * 103 / 100 + 64);  // incompressible: adaptation costs ~1%
        else EXPECT_LT(file.size(), raw * 6 / 10);                // skewed bits: H(0.1) = 0.47 bit
    }
}

TEST(Bitstream, EntropyCodingUsesNeighbourContext) {
    // Codes equal to their left neighbour (long runs along rows) compress far below 1 bit per bit.
    code_stream s = make_stream(256, 256, 2, 3, 0.5);
    const uint32_t th = s.rows() * 4, tw = s.cols() * 4;
    std::mt19937 rng(5);
    for (unsigned c = 0; c < 2; ++c)
        for (uint32_t y = 0; y < th; ++y) {
            const int v = int(rng() & 1);
            for (uint32_t x = 0; x < tw; ++x) {
                const uint64_t i = (uint64_t(y / 4) * s.cols() + x / 4) * s.bits_per_patch() + (c * 4 + y % 4) * 4 + x % 4;
                if (v) s.codes[i >> 3] |= uint8_t(1u << (i & 7));
                else s.codes[i >> 3] &= uint8_t(~(1u << (i & 7)));
            }
        }
    const std::vector<uint8_t> coded = entropy_encode(s);
    EXPECT_LT(coded.size(), s.codes.size() / 8);
    code_stream d = s;
    entropy_decode(coded, d);
    EXPECT_EQ(d.codes, s.codes);
}

TEST(Bitstream, BadFilesAreClearErrors) {
    const std::vector<uint8_t> good = serialize_code_stream(make_stream(64, 48, 4, 2, 0.5));
    EXPECT_NE(error_of({}).find("truncated"), std::string::npos);
    auto bad = good;
    bad[0] = 'X';
    EXPECT_NE(error_of(bad).find("bad magic"), std::string::npos);
    bad = good;
    bad[8] = 2;
    EXPECT_NE(error_of(bad).find("unsupported bitstream version 2"), std::string::npos);
    bad = good;
    bad.pop_back();
    EXPECT_NE(error_of(bad).find("truncated"), std::string::npos);
    bad = good;
    bad[60] ^= 1;  // a code bit
    EXPECT_NE(error_of(bad).find("checksum mismatch"), std::string::npos);
    // A header claiming a huge frame is refused before anything is allocated.
    bad = good;
    bad[12] = 0xA0, bad[13] = 0x86, bad[14] = 0x01, bad[15] = 0;  // width 100000
    EXPECT_NE(error_of(bad).find("frame size 100000x48 outside"), std::string::npos);
    bad = good;
    bad[32] = 99;  // patch columns
    EXPECT_NE(error_of(bad).find("patch grid"), std::string::npos);
    bad = good;
    bad[44] = 4;  // unknown flag
    EXPECT_NE(error_of(bad).find("unknown flags"), std::string::npos);
}

}  // namespace
}  // namespace encvp

// The .evc container and its optional entropy coding.
#include <random>

#include <gtest/gtest.h>

#include "bitstream/bitstream.h"
#include "bitstream/entropy.h"
#include "common/crc32.h"
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

// Both entropy models: model 1 (the first format) and model 2 (context mixing).
constexpr uint32_t MODELS[2] = {EVC_FLAG_ENTROPY_CODED, EVC_FLAG_ENTROPY_CODED | EVC_FLAG_ENTROPY_MIXED};

TEST(Bitstream, EntropyCodingIsLosslessOnRandomAndStructuredCodes) {
    for (uint32_t flags : MODELS)
        for (double p : {0.5, 0.1, 0.9}) {
            code_stream s = make_stream(768, 512, 4, 7, p);
            s.flags = flags;
            const std::vector<uint8_t> file = serialize_code_stream(s);
            const code_stream back = parse_code_stream(file, "x.evc");
            EXPECT_EQ(back.codes, s.codes) << "p = " << p << ", flags " << flags;
            EXPECT_EQ(back.flags, flags);
            const std::size_t raw = s.codes.size();
            if (p == 0.5) EXPECT_LT(file.size(), raw * 103 / 100 + 64) << flags;  // incompressible: adaptation costs ~1%
            else EXPECT_LT(file.size(), raw * 6 / 10) << flags;                   // skewed bits: H(0.1) = 0.47 bit
        }
}

// Sets code value (c, y, x) of the frame's code tensor (4x4 codes per patch).
void put(code_stream& s, unsigned c, uint32_t y, uint32_t x, int v) {
    const uint64_t i = (uint64_t(y / 4) * s.cols() + x / 4) * s.bits_per_patch() + (c * 4 + y % 4) * 4 + x % 4;
    if (v) s.codes[i >> 3] |= uint8_t(1u << (i & 7));
    else s.codes[i >> 3] &= uint8_t(~(1u << (i & 7)));
}

TEST(Bitstream, EntropyCodingUsesNeighbourContext) {
    // Codes equal to their left neighbour (long runs along rows) compress far below 1 bit per bit.
    for (uint32_t flags : MODELS) {
        code_stream s = make_stream(256, 256, 2, 3, 0.5);
        s.flags = flags;
        std::mt19937 rng(5);
        for (unsigned c = 0; c < 2; ++c)
            for (uint32_t y = 0; y < s.rows() * 4; ++y) {
                const int v = int(rng() & 1);
                for (uint32_t x = 0; x < s.cols() * 4; ++x) put(s, c, y, x, v);
            }
        const std::vector<uint8_t> coded = entropy_encode(s);
        EXPECT_LT(coded.size(), s.codes.size() / 8) << flags;
        code_stream d = s;
        entropy_decode(coded, d);
        EXPECT_EQ(d.codes, s.codes) << flags;
    }
}

TEST(Bitstream, MixedModelSeesChannelsFurtherBelow) {
    // Channel 2 repeats channel 0 (random bits): model 1 sees only the channel right below and
    // codes it at ~1 bit per bit; model 2 conditions on the 7 channels below and codes it nearly free.
    code_stream s = make_stream(512, 512, 3, 11, 0.5);
    const uint32_t th = s.rows() * 4, tw = s.cols() * 4;
    for (uint32_t y = 0; y < th; ++y)
        for (uint32_t x = 0; x < tw; ++x) {
            const uint64_t i = (uint64_t(y / 4) * s.cols() + x / 4) * s.bits_per_patch() + (y % 4) * 4 + x % 4;
            put(s, 2, y, x, (s.codes[i >> 3] >> (i & 7)) & 1);
        }
    std::size_t size[2];
    for (int m = 0; m < 2; ++m) {
        s.flags = MODELS[m];
        const std::vector<uint8_t> coded = entropy_encode(s);
        size[m] = coded.size();
        code_stream d = s;
        entropy_decode(coded, d);
        EXPECT_EQ(d.codes, s.codes) << "model " << m + 1;
    }
    EXPECT_GT(size[0], s.codes.size() * 95 / 100);  // model 1: all three channels cost ~1 bit per bit
    EXPECT_LT(size[1], s.codes.size() * 72 / 100);  // model 2: channel 2 (a third) nearly free
}

// The entropy-coded bytes of a fixed stream: a change of the coder, its contexts or the tensor
// indexing would make existing .evc files undecodable. Values from the first implementation of
// each model.
TEST(Bitstream, EntropyCodingFormatIsStable) {
    code_stream s;
    s.width = 100, s.height = 70, s.patch = 16, s.code_c = 3, s.code_h = 4, s.code_w = 2, s.net_crc = 1;
    s.codes.assign((s.total_bits() + 7) / 8, 0);
    uint32_t x = 12345;
    for (uint8_t& b : s.codes) {  // skewed bits (P(1) = 1/4) from a fixed LCG
        x = x * 1103515245u + 12345u;
        b = uint8_t((x >> 16) & (x >> 24));
    }
    const std::size_t sizes[2] = {99u, 100u};
    const uint32_t crcs[2] = {2542141099u, 1481673734u};
    for (int m = 0; m < 2; ++m) {
        s.flags = MODELS[m];
        const std::vector<uint8_t> coded = entropy_encode(s);
        EXPECT_EQ(coded.size(), sizes[m]) << "model " << m + 1;
        EXPECT_EQ(crc32(coded.data(), coded.size()), crcs[m]) << "model " << m + 1;
        code_stream d = s;
        entropy_decode(coded, d);
        EXPECT_EQ(d.codes, s.codes);
    }
}

TEST(Bitstream, EntropyExpansionLimitAdmitsTheBestCase) {
    // All-zero codes are the coder's best case (every probability at its limit): the real
    // expansion stays below the reader's bound, and the file is accepted.
    for (uint32_t flags : MODELS) {
        code_stream s = make_stream(512, 512, 64, 1, 0.0);
        s.flags = flags;
        const std::vector<uint8_t> file = serialize_code_stream(s);
        const uint64_t raw = s.codes.size(), payload = file.size() - 52 - 4;  // header, CRC
        EXPECT_GT(raw, 75 * payload) << raw << " bytes of codes in " << payload;  // near the limit: the test means something
        EXPECT_LT(raw, EVC_MAX_EXPANSION * payload) << raw << " bytes of codes in " << payload;
        EXPECT_EQ(parse_code_stream(file, "zeros.evc").codes, s.codes);
    }
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
    // An entropy-coded payload of 5 bytes cannot hold a 32768 x 32768 frame of 256 x 4 x 4 codes
    // per 4-pixel patch (34 GB): refused before anything is allocated.
    {
        std::vector<uint8_t> tiny(good.begin(), good.begin() + 52);  // the header
        auto put16 = [&](std::size_t at, uint32_t v) { tiny[at] = uint8_t(v), tiny[at + 1] = uint8_t(v >> 8); };
        auto put32 = [&](std::size_t at, uint32_t v) { for (int i = 0; i < 4; ++i) tiny[at + std::size_t(i)] = uint8_t(v >> (8 * i)); };
        put32(12, 32768), put32(16, 32768), put16(20, 4), put16(22, 256), put16(24, 4), put16(26, 4);
        put32(28, 4096), put32(32, 8192), put32(36, 8192), put32(44, 1), put32(48, 5);
        tiny.resize(52 + 5, 0);
        const uint32_t crc = crc32(tiny.data(), tiny.size());
        for (int i = 0; i < 4; ++i) tiny.push_back(uint8_t(crc >> (8 * i)));
        EXPECT_NE(error_of(tiny).find("entropy-coded payload of 5 bytes is implausible for 34359738368 bytes"), std::string::npos)
            << error_of(tiny);
    }
    bad = good;
    bad[44] = 4;  // unknown flag
    EXPECT_NE(error_of(bad).find("unknown flags"), std::string::npos);
    bad[44] = 2;  // a model without entropy coding
    EXPECT_NE(error_of(bad).find("flags 2: an entropy model (bit 1) without entropy coding (bit 0)"), std::string::npos)
        << error_of(bad);
}

}  // namespace
}  // namespace encvp

// sw/common: CRC-32 (IEEE 802.3, as zlib's crc32) and whole-file I/O with limits.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/crc32.h"
#include "common/error.h"
#include "common/file.h"
#include "sw_test_util.h"

namespace {

uint32_t crc_of(const std::string& s) { return encvp::crc32(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }

TEST(Crc32, KnownVectors) {
    // Check values of CRC-32/ISO-HDLC (zlib.crc32).
    EXPECT_EQ(crc_of("123456789"), 0xCBF43926u);
    EXPECT_EQ(crc_of(""), 0x00000000u);
    EXPECT_EQ(crc_of("a"), 0xE8B7BE43u);
    EXPECT_EQ(crc_of("abc"), 0x352441C2u);
    EXPECT_EQ(crc_of("The quick brown fox jumps over the lazy dog"), 0x414FA339u);
    EXPECT_EQ(encvp::crc32(std::vector<uint8_t>(32, 0x00).data(), 32), 0x190A55ADu);
    EXPECT_EQ(encvp::crc32(std::vector<uint8_t>(32, 0xFF).data(), 32), 0xFF6CAB0Bu);
    std::vector<uint8_t> ramp(256);
    for (int i = 0; i < 256; ++i) ramp[std::size_t(i)] = uint8_t(i);
    EXPECT_EQ(encvp::crc32(ramp.data(), ramp.size()), 0x29058C73u);
    // The PNG IEND chunk's CRC (over the type "IEND").
    EXPECT_EQ(crc_of("IEND"), 0xAE426082u);
}

TEST(Crc32, IncrementalEqualsOneShot) {
    const std::string s = "The quick brown fox jumps over the lazy dog";
    const auto* p = reinterpret_cast<const uint8_t*>(s.data());
    for (std::size_t cut = 0; cut <= s.size(); ++cut) {
        const uint32_t a = encvp::crc32(p, cut);
        EXPECT_EQ(encvp::crc32(p + cut, s.size() - cut, a), 0x414FA339u) << cut;
    }
    // Any single-bit change changes the CRC.
    std::vector<uint8_t> v(p, p + s.size());
    for (std::size_t i = 0; i < v.size() * 8; ++i) {
        v[i / 8] ^= uint8_t(1u << (i % 8));
        EXPECT_NE(encvp::crc32(v.data(), v.size()), 0x414FA339u) << i;
        v[i / 8] ^= uint8_t(1u << (i % 8));
    }
}

TEST(Files, WriteThenReadAndLimits) {
    encvp::test::temp_dir dir;
    const std::string path = dir.file("data.bin");
    const std::vector<uint8_t> data = {0, 1, 2, 255, 254, 10, 13, 0};
    encvp::write_file(path, data);
    EXPECT_EQ(encvp::read_file(path, 8), data);
    EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
    // Over the limit: refused, naming file, size and limit.
    try {
        encvp::read_file(path, 7, "thing");
        FAIL();
    } catch (const encvp::input_error& e) {
        const std::string m = e.what();
        EXPECT_EQ(e.source(), path);
        EXPECT_NE(m.find("thing is 8 bytes"), std::string::npos) << m;
        EXPECT_NE(m.find("7-byte limit"), std::string::npos) << m;
    }
    // Overwrite, empty file, text.
    encvp::write_file(path, {});
    EXPECT_TRUE(encvp::read_file(path, 0).empty());
    encvp::write_text_file(path, "hello\n");
    EXPECT_EQ(encvp::read_file(path, 100), (std::vector<uint8_t>{'h', 'e', 'l', 'l', 'o', '\n'}));
}

TEST(Files, ErrorsNameThePath) {
    encvp::test::temp_dir dir;
    try {
        encvp::read_file(dir.file("absent"), 100, "network file");
        FAIL();
    } catch (const encvp::input_error& e) {
        EXPECT_NE(std::string(e.what()).find("absent"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("cannot open network file"), std::string::npos) << e.what();
    }
    try {
        encvp::read_file(dir.path(), 100, "image");
        FAIL();
    } catch (const encvp::input_error& e) {
        EXPECT_NE(std::string(e.what()).find("is a directory"), std::string::npos) << e.what();
    }
    // Writing into a missing directory fails cleanly and leaves nothing behind.
    const std::string bad = dir.file("no/such/dir/out.bin");
    try {
        encvp::write_file(bad, {1, 2, 3});
        FAIL();
    } catch (const encvp::input_error& e) {
        EXPECT_NE(std::string(e.what()).find("out.bin"), std::string::npos);
    }
    EXPECT_FALSE(std::filesystem::exists(bad));
    EXPECT_FALSE(std::filesystem::exists(bad + ".tmp"));
}

TEST(Files, InputErrorFormat) {
    const encvp::input_error a("f.enet", "bad thing");
    EXPECT_STREQ(a.what(), "f.enet: bad thing");
    EXPECT_EQ(a.source(), "f.enet");
    const encvp::input_error b("", "no source");
    EXPECT_STREQ(b.what(), "no source");
}

}  // namespace

// platform/units: every unit of every value syntax, and malformed text (errors name the text).
#include <cstdint>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "units.h"

namespace {

using namespace encvp;

// The message of the invalid_argument f throws, or "" if it does not throw.
template <class F>
std::string error_of(F f) {
    try {
        f();
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "";
}

#define EXPECT_REJECTS(call, text)                                                           \
    do {                                                                                     \
        const std::string m_ = error_of([&] { (void)(call); });                              \
        EXPECT_NE(m_, "") << #call << " accepted";                                           \
        EXPECT_NE(m_.find(text), std::string::npos) << #call << ": '" << text << "' not in: " << m_; \
    } while (0)

TEST(Units, Addresses) {
    EXPECT_EQ(parse_address("0x8000_0000"), 0x80000000u);
    EXPECT_EQ(parse_address("2147483648"), 2147483648u);
    EXPECT_EQ(parse_address("0X1f"), 0x1Fu);
    EXPECT_EQ(parse_address("0xDEADbeef"), 0xDEADBEEFu);
    EXPECT_EQ(parse_address(" 0x10 "), 0x10u);
    EXPECT_EQ(parse_address("0"), 0u);
    EXPECT_EQ(parse_address("0x0"), 0u);
    EXPECT_EQ(parse_address("1_000_000"), 1000000u);
    EXPECT_EQ(parse_address("18446744073709551615"), UINT64_MAX);
    EXPECT_EQ(parse_address("0xFFFFFFFFFFFFFFFF"), UINT64_MAX);
}

TEST(Units, MalformedAddresses) {
    EXPECT_REJECTS(parse_address(""), "empty address");
    EXPECT_REJECTS(parse_address("   "), "empty address");
    EXPECT_REJECTS(parse_address("0x"), "'0x'");
    EXPECT_REJECTS(parse_address("abc"), "'abc' is not an address");
    EXPECT_REJECTS(parse_address("12abc"), "'12abc'");
    EXPECT_REJECTS(parse_address("0x12g"), "'0x12g'");
    EXPECT_REJECTS(parse_address("1.5"), "'1.5'");
    EXPECT_REJECTS(parse_address("-1"), "'-1'");
    EXPECT_REJECTS(parse_address("18446744073709551616"), "'18446744073709551616'");
    EXPECT_REJECTS(parse_address("0x10000000000000000"), "'0x10000000000000000'");
    EXPECT_REJECTS(parse_address("1MiB"), "'1MiB'");
}

TEST(Units, NegativeHexAddressIsRejected) {
    // std::stoull accepts a minus sign and wraps; "0x-1" must not become 0xFFFFFFFFFFFFFFFF.
    EXPECT_REJECTS(parse_address("0x-1"), "'0x-1'");
    EXPECT_REJECTS(parse_address("0x-1000"), "'0x-1000'");
}

TEST(Units, SizesInBytes) {
    EXPECT_EQ(parse_size_bytes("256MiB"), 256u << 20);
    EXPECT_EQ(parse_size_bytes("128KiB"), 128u << 10);
    EXPECT_EQ(parse_size_bytes("64K"), 65536u);
    EXPECT_EQ(parse_size_bytes("64k"), 65536u);
    EXPECT_EQ(parse_size_bytes("64KB"), 65536u);  // K/M/G are binary
    EXPECT_EQ(parse_size_bytes("2M"), 2u << 20);
    EXPECT_EQ(parse_size_bytes("2MB"), 2u << 20);
    EXPECT_EQ(parse_size_bytes("1G"), 1u << 30);
    EXPECT_EQ(parse_size_bytes("2GiB"), uint64_t(2) << 30);
    EXPECT_EQ(parse_size_bytes("1gB"), 1u << 30);  // the unit's letters are case-insensitive, but...
    // ...a lower-case b after K/M/G could mean bits or bytes: refused rather than guessed.
    EXPECT_REJECTS(parse_size_bytes("1gb"), "ambiguous unit 'gb'");
    EXPECT_REJECTS(parse_size_bits("1Mb"), "ambiguous unit 'Mb' (write MiB for bytes or Mbit for bits)");
    EXPECT_EQ(parse_size_bytes("4096"), 4096u);
    EXPECT_EQ(parse_size_bytes("4096B"), 4096u);
    EXPECT_EQ(parse_size_bytes("10 bytes"), 10u);
    EXPECT_EQ(parse_size_bytes("1byte"), 1u);
    EXPECT_EQ(parse_size_bytes("1.5KiB"), 1536u);
    EXPECT_EQ(parse_size_bytes("0.5MiB"), 512u << 10);
    EXPECT_EQ(parse_size_bytes("1_024"), 1024u);
    EXPECT_EQ(parse_size_bytes("0x100"), 256u);
    EXPECT_EQ(parse_size_bytes("0"), 0u);
    EXPECT_EQ(parse_size_bytes("1Mbit"), 131072u);
    EXPECT_EQ(parse_size_bytes("8bit"), 1u);
    EXPECT_EQ(parse_size_bytes("16bits"), 2u);
    EXPECT_EQ(parse_size_bytes("8Kbit"), 1024u);
    EXPECT_EQ(parse_size_bytes("8Kibit"), 1024u);
    EXPECT_EQ(parse_size_bytes("8Gbit"), 1u << 30);
}

TEST(Units, SizesInBits) {
    EXPECT_EQ(parse_size_bits("1Mbit"), 1048576u);
    EXPECT_EQ(parse_size_bits("1Mibit"), 1048576u);
    EXPECT_EQ(parse_size_bits("128KiB"), 1048576u);
    EXPECT_EQ(parse_size_bits("1Kbit"), 1024u);
    EXPECT_EQ(parse_size_bits("3bits"), 3u);
    EXPECT_EQ(parse_size_bits("3bit"), 3u);
    EXPECT_EQ(parse_size_bits("1Gbit"), 1u << 30);
    EXPECT_EQ(parse_size_bits("1Gibit"), 1u << 30);
    EXPECT_EQ(parse_size_bits("12"), 96u);  // bytes by default
    EXPECT_EQ(parse_size_bits("2B"), 16u);
    EXPECT_EQ(parse_size_bits("0x2"), 16u);
    EXPECT_EQ(parse_size_bits("0.5Kbit"), 512u);
    EXPECT_EQ(parse_size_bits("0.125B"), 1u);
}

TEST(Units, MalformedSizes) {
    EXPECT_REJECTS(parse_size_bytes(""), "is not a size");
    EXPECT_REJECTS(parse_size_bytes("MiB"), "'MiB' is not a size");
    EXPECT_REJECTS(parse_size_bytes("-1KiB"), "'-1KiB'");
    EXPECT_REJECTS(parse_size_bytes("5XB"), "unknown size unit 'xb'");
    EXPECT_REJECTS(parse_size_bytes("5XB"), "'5XB'");
    EXPECT_REJECTS(parse_size_bytes("5 TiB"), "unknown size unit");
    EXPECT_REJECTS(parse_size_bytes("1.2.3KiB"), "'1.2.3KiB'");
    EXPECT_REJECTS(parse_size_bytes("."), "'.'");
    EXPECT_REJECTS(parse_size_bytes("1bit"), "not a whole number of bytes");
    EXPECT_REJECTS(parse_size_bytes("0.1B"), "'0.1B'");
    EXPECT_REJECTS(parse_size_bits("1.5bit"), "not a whole number of bits");
    EXPECT_REJECTS(parse_size_bytes("99999999999999999999GiB"), "'99999999999999999999GiB'");
    EXPECT_REJECTS(parse_size_bytes("1e3"), "unknown size unit");
    EXPECT_REJECTS(parse_size_bytes("0xZZ"), "'0xZZ'");
}

TEST(Units, Times) {
    EXPECT_DOUBLE_EQ(parse_time_s("2ns"), 2e-9);
    EXPECT_DOUBLE_EQ(parse_time_s("1.5us"), 1.5e-6);
    EXPECT_DOUBLE_EQ(parse_time_s("10ms"), 10e-3);
    EXPECT_DOUBLE_EQ(parse_time_s("1s"), 1.0);
    EXPECT_DOUBLE_EQ(parse_time_s("500ps"), 500e-12);
    EXPECT_DOUBLE_EQ(parse_time_s("0s"), 0.0);
    EXPECT_DOUBLE_EQ(parse_time_s("5 NS"), 5e-9);
    EXPECT_DOUBLE_EQ(parse_time_s("1_000us"), 1e-3);
    EXPECT_DOUBLE_EQ(parse_time_s(".5s"), 0.5);
}

TEST(Units, MalformedTimes) {
    EXPECT_REJECTS(parse_time_s("5"), "'5' needs a time unit");
    EXPECT_REJECTS(parse_time_s("5min"), "unknown time unit 'min'");
    EXPECT_REJECTS(parse_time_s("5h"), "unknown time unit 'h'");
    EXPECT_REJECTS(parse_time_s("ns"), "'ns' is not a time");
    EXPECT_REJECTS(parse_time_s("-5ns"), "'-5ns'");
    EXPECT_REJECTS(parse_time_s(""), "is not a time");
    EXPECT_REJECTS(parse_time_s("1..5ns"), "'1..5ns'");
}

TEST(Units, Frequencies) {
    EXPECT_DOUBLE_EQ(parse_frequency_hz("500MHz"), 500e6);
    EXPECT_DOUBLE_EQ(parse_frequency_hz("1.2GHz"), 1.2e9);
    EXPECT_DOUBLE_EQ(parse_frequency_hz("32kHz"), 32e3);
    EXPECT_DOUBLE_EQ(parse_frequency_hz("50Hz"), 50.0);
    EXPECT_DOUBLE_EQ(parse_frequency_hz("200mhz"), 200e6);
    EXPECT_DOUBLE_EQ(parse_frequency_hz("1 GHZ"), 1e9);
}

TEST(Units, MalformedFrequencies) {
    EXPECT_REJECTS(parse_frequency_hz("500"), "'500' needs a frequency unit");
    EXPECT_REJECTS(parse_frequency_hz("5THz"), "unknown frequency unit 'thz'");
    EXPECT_REJECTS(parse_frequency_hz("0Hz"), "frequency must be > 0");
    EXPECT_REJECTS(parse_frequency_hz("0.0MHz"), "frequency must be > 0");
    EXPECT_REJECTS(parse_frequency_hz("MHz"), "'MHz' is not a frequency");
    EXPECT_REJECTS(parse_frequency_hz("-1MHz"), "'-1MHz'");
    EXPECT_REJECTS(parse_frequency_hz("5ns"), "unknown frequency unit");
}

TEST(Units, Bandwidths) {
    EXPECT_DOUBLE_EQ(parse_bandwidth("8GB/s"), 8e9);
    EXPECT_DOUBLE_EQ(parse_bandwidth("12.8GiB/s"), 12.8 * 1073741824.0);
    EXPECT_DOUBLE_EQ(parse_bandwidth("800MB/s"), 800e6);
    EXPECT_DOUBLE_EQ(parse_bandwidth("1KB/s"), 1e3);
    EXPECT_DOUBLE_EQ(parse_bandwidth("1KiB/s"), 1024.0);
    EXPECT_DOUBLE_EQ(parse_bandwidth("3MiB/s"), 3.0 * 1048576.0);
    EXPECT_DOUBLE_EQ(parse_bandwidth("100B/s"), 100.0);
    EXPECT_DOUBLE_EQ(parse_bandwidth("6.4 gB/s"), 6.4e9);
    EXPECT_REJECTS(parse_bandwidth("6.4 Gb/s"), "bits per second are ambiguous");
}

TEST(Units, MalformedBandwidths) {
    EXPECT_REJECTS(parse_bandwidth("8GB"), "'8GB' needs a bandwidth unit");
    EXPECT_REJECTS(parse_bandwidth("8Gbps"), "needs a bandwidth unit");
    EXPECT_REJECTS(parse_bandwidth("8"), "needs a bandwidth unit");
    EXPECT_REJECTS(parse_bandwidth("0GB/s"), "bandwidth must be > 0");
    EXPECT_REJECTS(parse_bandwidth("GB/s"), "'GB/s' is not a bandwidth");
    EXPECT_REJECTS(parse_bandwidth(""), "is not a bandwidth");
}

TEST(Units, Booleans) {
    for (const char* t : {"1", "true", "yes", "on", "TRUE", "Yes", " on ", "On"}) EXPECT_TRUE(parse_bool(t)) << t;
    for (const char* f : {"0", "false", "no", "off", "FALSE", "No", "OFF"}) EXPECT_FALSE(parse_bool(f)) << f;
    EXPECT_REJECTS(parse_bool("2"), "'2' is not a boolean");
    EXPECT_REJECTS(parse_bool("maybe"), "'maybe' is not a boolean");
    EXPECT_REJECTS(parse_bool(""), "is not a boolean");
    EXPECT_REJECTS(parse_bool("ture"), "'ture'");
}

TEST(Units, FormatSize) {
    EXPECT_EQ(format_size(0), "0B");
    EXPECT_EQ(format_size(1023), "1023B");
    EXPECT_EQ(format_size(1024), "1KiB");
    EXPECT_EQ(format_size(1536), "1536B");
    EXPECT_EQ(format_size(32768), "32KiB");
    EXPECT_EQ(format_size(1u << 20), "1MiB");
    EXPECT_EQ(format_size((1u << 20) + 1024), "1025KiB");
    EXPECT_EQ(format_size(256u << 20), "256MiB");
    EXPECT_EQ(format_size(1u << 30), "1GiB");
    EXPECT_EQ(format_size(uint64_t(3) << 30), "3GiB");
    // Formatting then parsing gives the number back.
    for (uint64_t v : {uint64_t(0), uint64_t(7), uint64_t(4096), uint64_t(5) << 20, uint64_t(3) << 30, uint64_t(123456789)})
        EXPECT_EQ(parse_size_bytes(format_size(v)), v) << v;
}

TEST(Units, FormatTime) {
    EXPECT_EQ(format_time(1.5), "1.5s");
    EXPECT_EQ(format_time(2.0), "2s");
    EXPECT_EQ(format_time(0.002), "2ms");
    EXPECT_EQ(format_time(1e-6), "1us");
    EXPECT_EQ(format_time(2.5e-5), "25us");
    EXPECT_EQ(format_time(5e-9), "5ns");
    EXPECT_EQ(format_time(0.0), "0ns");
    for (double t : {1.0, 0.25, 3e-3, 7e-6, 12e-9}) EXPECT_NEAR(parse_time_s(format_time(t)), t, t * 1e-9) << t;
}

}  // namespace

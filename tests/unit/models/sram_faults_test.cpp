// Weight-SRAM reliability (docs/fault-injection.md): reproducible fault maps from a seed, nested
// across rates, stuck-at cells, and the SECDED ECC that corrects one bit per word and flags two.
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>
#include <systemc>

#include "common/sim_kernel.h"
#include "memory/weight_sram.h"

namespace encvp {
namespace {

const sc_core::sc_time PERIOD(5, sc_core::SC_NS);

std::vector<uint8_t> stored_after_writing(uint8_t value, const weight_sram::reliability& rel, nlohmann::json* stats = nullptr) {
    fresh_simulation_kernel();
    weight_sram::geometry g;
    g.size_bits = 64 * 1024;
    weight_sram m("sram", g, PERIOD, rel);
    std::vector<uint8_t> v(m.size_bytes(), value), out(m.size_bytes());
    m.load(0, v.data(), v.size());
    m.dump(0, out.data(), out.size());
    if (stats) m.stats(*stats);
    return out;
}

uint64_t ones(const std::vector<uint8_t>& v) {
    uint64_t n = 0;
    for (uint8_t b : v) n += unsigned(__builtin_popcount(b));
    return n;
}

TEST(sram_faults, without_faults_the_memory_returns_what_was_written_with_or_without_ecc) {
    weight_sram::reliability rel;
    EXPECT_EQ(ones(stored_after_writing(0, rel)), 0u);
    rel.ecc = true;
    nlohmann::json j;
    const std::vector<uint8_t> v = stored_after_writing(0xA5, rel, &j);
    for (uint8_t b : v) ASSERT_EQ(b, 0xA5);
    EXPECT_EQ(j["ecc_corrected_words"].get<uint64_t>(), 0u);
    EXPECT_EQ(j["corrupted_words"].get<uint64_t>(), 0u);
}

TEST(sram_faults, bit_errors_follow_the_rate_are_reproducible_and_nested) {
    weight_sram::reliability rel;
    rel.bit_error_rate = 1e-3;
    rel.seed = 42;
    const std::vector<uint8_t> a = stored_after_writing(0, rel), b = stored_after_writing(0, rel);
    EXPECT_EQ(a, b);
    const uint64_t n = ones(a);  // 65536 cells at 1e-3: about 65
    EXPECT_GT(n, 30u);
    EXPECT_LT(n, 110u);
    rel.bit_error_rate = 1e-2;
    const std::vector<uint8_t> c = stored_after_writing(0, rel);
    EXPECT_GT(ones(c), 5 * n);
    for (std::size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i] & ~c[i], 0) << "a fault at 1e-3 is missing at 1e-2, byte " << i;
    rel.seed = 43;
    EXPECT_NE(stored_after_writing(0, rel), c);
    // A faulty cell stores the inverse of what is written, whatever that is.
    rel.seed = 42;
    rel.bit_error_rate = 1e-3;
    const std::vector<uint8_t> d = stored_after_writing(0xFF, rel);
    for (std::size_t i = 0; i < a.size(); ++i) ASSERT_EQ(uint8_t(~d[i]), a[i]);
}

TEST(sram_faults, stuck_cells_ignore_writes) {
    weight_sram::reliability rel;
    rel.stuck_rate = 1.0;
    nlohmann::json j;
    const std::vector<uint8_t> z = stored_after_writing(0x00, rel, &j), f = stored_after_writing(0xFF, rel);
    EXPECT_EQ(z, f);
    EXPECT_GT(ones(z), z.size() * 8 / 3);  // about half stuck at 1
    EXPECT_LT(ones(z), z.size() * 8 * 2 / 3);
    EXPECT_EQ(j["stuck_cells"].get<uint64_t>(), 65536u);
}

TEST(sram_faults, ecc_corrects_single_errors_and_flags_double_errors) {
    weight_sram::reliability rel;
    rel.bit_error_rate = 2e-3;  // 72-bit words: about 13% with one error, 1% with two
    rel.seed = 7;
    nlohmann::json plain, ecc;
    const std::vector<uint8_t> raw = stored_after_writing(0x3C, rel, &plain);
    EXPECT_GT(plain["corrupted_words"].get<uint64_t>(), 50u);
    rel.ecc = true;
    const std::vector<uint8_t> fixed = stored_after_writing(0x3C, rel, &ecc);
    const uint64_t corrected = ecc["ecc_corrected_words"].get<uint64_t>();
    const uint64_t flagged = ecc["ecc_uncorrectable_words"].get<uint64_t>();
    EXPECT_GT(corrected, 50u);
    EXPECT_GT(flagged, 0u);
    // Only flagged words (and, rarely, three-error words the code mistakes for one) read back wrong.
    const uint64_t wrong = ecc["corrupted_words"].get<uint64_t>();
    EXPECT_GE(wrong, flagged);
    EXPECT_LE(wrong, flagged + 2);
    EXPECT_LT(wrong, plain["corrupted_words"].get<uint64_t>() / 5);
    std::size_t bad_bytes = 0;
    for (uint8_t b : fixed) bad_bytes += b != 0x3C;
    EXPECT_LE(bad_bytes, wrong * 8);
    (void)raw;
}

TEST(sram_faults, ecc_works_for_every_word_width) {
    for (unsigned bits : {8u, 16u, 32u, 128u, 1024u}) {
        fresh_simulation_kernel();
        weight_sram::geometry g;
        g.size_bits = 64 * 1024;
        g.word_bits = bits;
        g.banks = 1;
        weight_sram::reliability rel;
        rel.ecc = true;
        rel.bit_error_rate = 1e-4;
        rel.seed = 3;
        weight_sram m("sram", g, PERIOD, rel);
        std::vector<uint8_t> v(m.size_bytes()), out(v.size());
        for (std::size_t i = 0; i < v.size(); ++i) v[i] = uint8_t(i * 31 + 7);
        m.load(0, v.data(), v.size());
        m.dump(0, out.data(), out.size());
        nlohmann::json j;
        m.stats(j);
        std::size_t bad = 0;
        for (std::size_t i = 0; i < v.size(); ++i) bad += v[i] != out[i];
        EXPECT_LE(bad, j["ecc_uncorrectable_words"].get<uint64_t>() * (bits / 8) + (bits / 8)) << bits << "-bit words";
        EXPECT_GT(j["ecc_corrected_words"].get<uint64_t>(), 0u) << bits << "-bit words";
    }
}

}  // namespace
}  // namespace encvp

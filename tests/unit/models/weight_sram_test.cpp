// Weight SRAM (models/memory/weight_sram.*): geometry checks, bus access time from word width and
// banks, bit counters for the estimates, the generation number the encoder's weight cache relies
// on, range errors, debug transport and the backdoor.
#include <numeric>
#include <stdexcept>

#include "harness.h"
#include "memory/weight_sram.h"

namespace encvp::test {
namespace {

weight_sram::geometry geom(uint64_t size_bits, unsigned word_bits, unsigned banks) {
    weight_sram::geometry g;
    g.size_bits = size_bits;
    g.word_bits = word_bits;
    g.banks = banks;
    return g;
}

class weight_sram_geometry_test : public sc_test {};

TEST_F(weight_sram_geometry_test, RejectsBadGeometries) {
    const sc_core::sc_time clk = ns(5);
    int n = 0;
    auto build = [&](const weight_sram::geometry& g) { weight_sram s(("s" + std::to_string(n++)).c_str(), g, clk); };
    EXPECT_THROW(build(geom(1 << 20, 0, 2)), std::invalid_argument);
    EXPECT_THROW(build(geom(1 << 20, 4, 2)), std::invalid_argument);     // below 8
    EXPECT_THROW(build(geom(1 << 20, 12, 2)), std::invalid_argument);    // not a power of two
    EXPECT_THROW(build(geom(1 << 20, 2048, 2)), std::invalid_argument);  // above 1024
    EXPECT_THROW(build(geom(1 << 20, 64, 0)), std::invalid_argument);
    EXPECT_THROW(build(geom(1 << 20, 64, 65)), std::invalid_argument);
    EXPECT_THROW(build(geom(0, 64, 2)), std::invalid_argument);
    EXPECT_THROW(build(geom(64 * 3, 64, 2)), std::invalid_argument);     // not a multiple of word x banks
    EXPECT_THROW(build(geom(8 * 5, 8, 1)), std::invalid_argument);       // not a multiple of 32
    EXPECT_THROW(build(geom((uint64_t(1) << 32) + 1024, 64, 2)), std::invalid_argument);
    try {
        build(geom(1 << 20, 12, 2));
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("word_bits"), std::string::npos) << e.what();
    }
    // Valid edge cases.
    EXPECT_NO_THROW(build(geom(32, 8, 4)));
    EXPECT_NO_THROW(build(geom(1024 * 64, 1024, 64)));
    weight_sram def("default", weight_sram::geometry(), clk);
    EXPECT_EQ(def.size_bytes(), 128u * 1024u) << "1 Mbit by default";
    EXPECT_EQ(def.geom().word_bits, 64u);
    EXPECT_EQ(def.geom().banks, 2u);
}

TEST_F(weight_sram_geometry_test, AccessCyclesFollowWordWidthAndBanks) {
    weight_sram a("a", geom(1 << 20, 64, 2), ns(5));  // 128 bits per cycle
    EXPECT_EQ(a.access_cycles(0), 0u);
    EXPECT_EQ(a.access_cycles(1), 1u);    // 1 word
    EXPECT_EQ(a.access_cycles(16), 1u);   // 2 words, 2 banks
    EXPECT_EQ(a.access_cycles(17), 2u);   // 3 words
    EXPECT_EQ(a.access_cycles(64), 4u);   // 8 words
    weight_sram b("b", geom(1 << 20, 32, 1), ns(5));  // 32 bits per cycle
    EXPECT_EQ(b.access_cycles(8), 2u);
    EXPECT_EQ(b.access_cycles(9), 3u);
    weight_sram c("c", geom(1 << 20, 256, 4), ns(5));  // 1024 bits per cycle
    EXPECT_EQ(c.access_cycles(128), 1u);
    EXPECT_EQ(c.access_cycles(129), 2u);   // 5 words, 4 banks
    EXPECT_EQ(c.access_cycles(4096), 32u);
}

// Initiator bound straight to a 64 Kbit SRAM (8 KiB), 64-bit words, 2 banks, 5 ns clock.
class weight_sram_test : public sc_test {
protected:
    fresh_kernel kernel;
    test_initiator init{"init"};
    weight_sram sram{"sram", geom(64 * 1024, 64, 2), ns(5)};
    report_capture log;

    void SetUp() override {
        sc_test::SetUp();
        init.socket.bind(sram.in);
        sc_core::sc_start(sc_core::SC_ZERO_TIME);
    }
    nlohmann::json stats() const {
        nlohmann::json j;
        sram.stats(j);
        return j;
    }
};

TEST_F(weight_sram_test, BusAccessTakesClockTimesAccessCycles) {
    std::vector<uint8_t> b(64);
    EXPECT_EQ(init.transport(tlm::TLM_WRITE_COMMAND, 0, b.data(), 32).delay, ns(2 * 5));
    EXPECT_EQ(init.transport(tlm::TLM_READ_COMMAND, 0, b.data(), 4).delay, ns(1 * 5));
    EXPECT_EQ(init.transport(tlm::TLM_READ_COMMAND, 0, b.data(), 17, ns(3)).delay, ns(3 + 2 * 5));
    EXPECT_EQ(init.transport(tlm::TLM_READ_COMMAND, 0, b.data(), 64).delay, ns(4 * 5));
}

TEST_F(weight_sram_test, DataRoundTripAndContents) {
    std::vector<uint8_t> w(40);
    std::iota(w.begin(), w.end(), uint8_t(1));
    EXPECT_TRUE(init.write(0x100, w.data(), 40).ok());
    EXPECT_EQ(0, std::memcmp(sram.contents() + 0x100, w.data(), 40));
    std::vector<uint8_t> r(40);
    EXPECT_TRUE(init.read(0x100, r.data(), 40).ok());
    EXPECT_EQ(r, w);
    std::vector<uint8_t> d(40);
    sram.dump(0x100, d.data(), 40);
    EXPECT_EQ(d, w);
}

TEST_F(weight_sram_test, CountsBitsWrittenAndReadSeparatelyForBusAndEncoder) {
    std::vector<uint8_t> b(16);
    EXPECT_TRUE(init.write(0, b.data(), 16).ok());
    EXPECT_TRUE(init.write(16, b.data(), 3).ok());
    EXPECT_EQ(sram.bits_written(), (16u + 3u) * 8u);
    EXPECT_TRUE(init.read(0, b.data(), 8).ok());
    EXPECT_EQ(sram.bits_read(), 0u) << "bits_read() counts the encoder's reads only";
    EXPECT_EQ(stats()["bits_read_by_bus"], 64);
    sram.account_read_bits(1000);
    sram.account_read_bits(24);
    EXPECT_EQ(sram.bits_read(), 1024u);
    const nlohmann::json j = stats();
    EXPECT_EQ(j["bits_read_by_encoder"], 1024);
    EXPECT_EQ(j["bits_written"], 152);
    EXPECT_EQ(j["size_bits"], 64 * 1024);
    // The backdoor is not traffic.
    const uint8_t x[4] = {1, 2, 3, 4};
    sram.load(0, x, 4);
    EXPECT_EQ(sram.bits_written(), 152u);
}

TEST_F(weight_sram_test, EveryWriteBumpsTheGenerationAndNothingElseDoes) {
    uint64_t g = sram.generation();
    uint8_t b[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    EXPECT_TRUE(init.write(0, b, 8).ok());
    EXPECT_GT(sram.generation(), g);
    g = sram.generation();
    EXPECT_TRUE(init.read(0, b, 8).ok());
    EXPECT_EQ(sram.generation(), g) << "reads do not bump";
    sram.load(8, b, 8);
    EXPECT_GT(sram.generation(), g) << "backdoor load bumps";
    g = sram.generation();
    EXPECT_EQ(init.debug(tlm::TLM_WRITE_COMMAND, 16, b, 8).bytes, 8u);
    EXPECT_GT(sram.generation(), g) << "debug write bumps";
    g = sram.generation();
    EXPECT_EQ(init.debug(tlm::TLM_READ_COMMAND, 16, b, 8).bytes, 8u);
    uint8_t d[8];
    sram.dump(0, d, 8);
    EXPECT_EQ(sram.generation(), g) << "debug read and dump do not bump";
    EXPECT_EQ(init.write(sram.size_bytes() - 4, b, 8).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(sram.generation(), g) << "a rejected write does not bump";
}

TEST_F(weight_sram_test, OutOfRangeAccessesAreAddressErrorsAndChangeNothing) {
    const uint64_t size = sram.size_bytes();
    ASSERT_EQ(size, 8192u);
    std::vector<uint8_t> before(sram.contents() + size - 8, sram.contents() + size);
    uint8_t b[8] = {9, 9, 9, 9, 9, 9, 9, 9};
    EXPECT_EQ(init.write(size - 4, b, 8).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(init.write(size, b, 1).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(init.read(size + 100, b, 4).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(std::vector<uint8_t>(sram.contents() + size - 8, sram.contents() + size), before);
    EXPECT_EQ(sram.bits_written(), 0u);
    EXPECT_EQ(stats()["errors"], 3);
    EXPECT_EQ(stats()["bits_read_by_bus"], 0);
    EXPECT_TRUE(log.any({"sram", "outside the 65536-bit weight SRAM"})) << log.dump();
    // The last word is reachable.
    EXPECT_TRUE(init.write(size - 8, b, 8).ok());
    // Debug accesses past the end transfer what fits.
    EXPECT_EQ(init.debug(tlm::TLM_READ_COMMAND, size - 2, b, 4).bytes, 2u);
    EXPECT_EQ(init.debug(tlm::TLM_READ_COMMAND, size, b, 4).bytes, 0u);
}

TEST_F(weight_sram_test, BackdoorRangeErrors) {
    uint8_t b[16] = {};
    EXPECT_THROW(sram.load(sram.size_bytes() - 4, b, 8), std::out_of_range);
    EXPECT_THROW(sram.load(~uint64_t(0), b, 2), std::out_of_range);
    EXPECT_THROW(sram.dump(sram.size_bytes() + 1, b, 0), std::out_of_range);
    EXPECT_NO_THROW(sram.dump(sram.size_bytes() - 16, b, 16));
}

TEST_F(weight_sram_test, ByteEnablesAreHonoured) {
    const uint8_t be[2] = {TLM_BYTE_DISABLED, TLM_BYTE_ENABLED};
    uint8_t w[4] = {1, 2, 3, 4};
    EXPECT_TRUE(init.transport(tlm::TLM_WRITE_COMMAND, 0x40, w, 4, sc_core::SC_ZERO_TIME, be, 2).ok());
    EXPECT_EQ(sram.contents()[0x40], 0);
    EXPECT_EQ(sram.contents()[0x41], 2);
    EXPECT_EQ(sram.contents()[0x42], 0);
    EXPECT_EQ(sram.contents()[0x43], 4);
}

}  // namespace
}  // namespace encvp::test

// DRAM (models/memory/dram.*): data, timing (latency + bandwidth), byte enables, streaming width,
// DMI grant and withdrawal, debug transport, the host backdoor and its range checks, bus errors.
#include <numeric>
#include <stdexcept>

#include "harness.h"
#include "memory/dram.h"

namespace encvp::test {
namespace {

constexpr uint64_t SIZE = 64 * 1024;

// Initiator bound straight to the DRAM: 50 ns per access, 4 bytes/ns (0.25 ns per byte).
class dram_test : public sc_test {
protected:
    fresh_kernel kernel;
    test_initiator init{"init"};
    dram mem{"dram", SIZE};
    report_capture log;

    void SetUp() override {
        sc_test::SetUp();
        init.socket.bind(mem.in);
        dram::timing t;
        t.latency = ns(50);
        t.bytes_per_ns = 4.0;
        mem.set_timing(t);
        sc_core::sc_start(sc_core::SC_ZERO_TIME);
    }
    nlohmann::json stats() const {
        nlohmann::json j;
        mem.stats(j);
        return j;
    }
};

TEST_F(dram_test, DataRoundTripsThroughTheBusAndTheBackdoor) {
    std::vector<uint8_t> data(100);
    std::iota(data.begin(), data.end(), uint8_t(7));
    EXPECT_TRUE(init.write(0x100, data.data(), 100).ok());
    std::vector<uint8_t> back(100, 0);
    EXPECT_TRUE(init.read(0x100, back.data(), 100).ok());
    EXPECT_EQ(back, data);
    std::vector<uint8_t> dumped(100, 0);
    mem.dump(0x100, dumped.data(), 100);
    EXPECT_EQ(dumped, data);
    EXPECT_EQ(mem.data()[0xFF], 0) << "neighbours untouched";
    EXPECT_EQ(mem.data()[0x164], 0);

    const uint8_t host[4] = {0xDE, 0xAD, 0xBE, 0xEF};
    mem.load(SIZE - 4, host, 4);
    EXPECT_EQ(init.rd(SIZE - 4), 0xEFBEADDEu);
    mem.fill(0x10, 0x5A, 8);
    EXPECT_EQ(init.rd(0x14), 0x5A5A5A5Au);
    EXPECT_EQ(init.rd(0x18), 0u);

    const nlohmann::json j = stats();
    EXPECT_EQ(j["writes"], 1);
    EXPECT_EQ(j["reads"], 4);
    EXPECT_EQ(j["bytes_written"], 100);
    EXPECT_EQ(j["bytes_read"], 112);
}

TEST_F(dram_test, DelayIsLatencyPlusBytesOverBandwidth) {
    std::vector<uint8_t> b(256);
    EXPECT_EQ(init.transport(tlm::TLM_READ_COMMAND, 0, b.data(), 4).delay, ns(50 + 1));
    EXPECT_EQ(init.transport(tlm::TLM_WRITE_COMMAND, 0, b.data(), 64).delay, ns(50 + 16));
    EXPECT_EQ(init.transport(tlm::TLM_READ_COMMAND, 0, b.data(), 256, ns(10)).delay, ns(10 + 50 + 64));
    EXPECT_EQ(init.transport(tlm::TLM_READ_COMMAND, 0, b.data(), 1).delay, sc_core::sc_time(50250, sc_core::SC_PS));
    EXPECT_EQ(sc_core::sc_time_stamp(), sc_core::SC_ZERO_TIME);
}

TEST_F(dram_test, ByteEnablesSkipDisabledBytesBothWays) {
    mem.fill(0x200, 0x11, 8);
    const uint8_t data[8] = {0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7};
    const uint8_t be[4] = {TLM_BYTE_ENABLED, TLM_BYTE_DISABLED, TLM_BYTE_ENABLED, TLM_BYTE_DISABLED};
    uint8_t w[8];
    std::memcpy(w, data, 8);
    EXPECT_TRUE(init.transport(tlm::TLM_WRITE_COMMAND, 0x200, w, 8, sc_core::SC_ZERO_TIME, be, 4).ok());
    const uint8_t expect[8] = {0xA0, 0x11, 0xA2, 0x11, 0xA4, 0x11, 0xA6, 0x11};
    EXPECT_EQ(0, std::memcmp(mem.data() + 0x200, expect, 8));

    uint8_t r[8];
    std::memset(r, 0xEE, 8);
    const uint8_t be_read[2] = {TLM_BYTE_DISABLED, TLM_BYTE_ENABLED};
    EXPECT_TRUE(init.transport(tlm::TLM_READ_COMMAND, 0x200, r, 8, sc_core::SC_ZERO_TIME, be_read, 2).ok());
    const uint8_t expect_read[8] = {0xEE, 0x11, 0xEE, 0x11, 0xEE, 0x11, 0xEE, 0x11};
    EXPECT_EQ(0, std::memcmp(r, expect_read, 8));
}

TEST_F(dram_test, StreamingWidthWrapsOverTheSameBytes) {
    // A write of 8 bytes through a 4-byte wide port: the second half lands on the same 4 bytes.
    mem.fill(0x300, 0x11, 8);
    uint8_t w[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    EXPECT_TRUE(init.transport(tlm::TLM_WRITE_COMMAND, 0x300, w, 8, sc_core::SC_ZERO_TIME, nullptr, 0, 4).ok());
    const uint8_t expect[8] = {5, 6, 7, 8, 0x11, 0x11, 0x11, 0x11};
    EXPECT_EQ(0, std::memcmp(mem.data() + 0x300, expect, 8));
    // A read of 8 bytes through a 2-byte port repeats the first two.
    uint8_t r[8] = {};
    EXPECT_TRUE(init.transport(tlm::TLM_READ_COMMAND, 0x300, r, 8, sc_core::SC_ZERO_TIME, nullptr, 0, 2).ok());
    const uint8_t expect_read[8] = {5, 6, 5, 6, 5, 6, 5, 6};
    EXPECT_EQ(0, std::memcmp(r, expect_read, 8));
    // Near the end only the width has to fit.
    EXPECT_TRUE(init.transport(tlm::TLM_READ_COMMAND, SIZE - 4, r, 8, sc_core::SC_ZERO_TIME, nullptr, 0, 4).ok());
}

TEST_F(dram_test, AccessesOutsideTheDramAreAddressErrors) {
    std::vector<uint8_t> before(mem.data() + SIZE - 8, mem.data() + SIZE);
    uint8_t w[8] = {9, 9, 9, 9, 9, 9, 9, 9};
    EXPECT_EQ(init.transport(tlm::TLM_WRITE_COMMAND, SIZE - 2, w, 4).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(init.transport(tlm::TLM_WRITE_COMMAND, SIZE, w, 1).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(init.transport(tlm::TLM_READ_COMMAND, ~uint64_t(0) - 1, w, 4).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(std::vector<uint8_t>(mem.data() + SIZE - 8, mem.data() + SIZE), before);
    const nlohmann::json j = stats();
    EXPECT_EQ(j["errors"], 3);
    EXPECT_EQ(j["writes"], 0);
    EXPECT_TRUE(log.any({"dram", "outside the DRAM"})) << log.dump();
}

TEST_F(dram_test, DmiGrantsThePointerTheRangeAndTheLatency) {
    std::vector<uint8_t> b(4);
    EXPECT_TRUE(init.transport(tlm::TLM_READ_COMMAND, 0, b.data(), 4).dmi_allowed) << "DMI hint on transactions";
    tlm::tlm_dmi dmi;
    ASSERT_TRUE(init.get_dmi(0x1234, dmi));
    EXPECT_EQ(dmi.get_dmi_ptr(), mem.data());
    EXPECT_EQ(dmi.get_start_address(), 0u);
    EXPECT_EQ(dmi.get_end_address(), SIZE - 1);
    EXPECT_TRUE(dmi.is_read_write_allowed());
    EXPECT_EQ(dmi.get_read_latency(), ns(50));
    EXPECT_EQ(dmi.get_write_latency(), ns(50));
    // The pointer and the transactions share the storage.
    dmi.get_dmi_ptr()[0x40] = 0x77;
    EXPECT_EQ(init.rd(0x40), 0x77u);
    EXPECT_EQ(stats()["dmi_grants"], 1);
}

TEST_F(dram_test, DmiIsWithdrawnFromInitiators) {
    mem.invalidate_dmi();
    ASSERT_EQ(init.invalidations.size(), 1u);
    EXPECT_EQ(init.invalidations[0].start, 0u);
    EXPECT_EQ(init.invalidations[0].end, SIZE - 1);

    mem.set_dmi_enabled(false);
    ASSERT_EQ(init.invalidations.size(), 2u) << "switching DMI off withdraws the pointers";
    EXPECT_EQ(init.invalidations[1].end, SIZE - 1);
    tlm::tlm_dmi dmi;
    EXPECT_FALSE(init.get_dmi(0, dmi));
    EXPECT_FALSE(dmi.is_read_allowed());
    EXPECT_FALSE(dmi.is_write_allowed());
    std::vector<uint8_t> b(4);
    const test_initiator::result r = init.transport(tlm::TLM_READ_COMMAND, 0, b.data(), 4);
    EXPECT_TRUE(r.ok());
    EXPECT_FALSE(r.dmi_allowed);
    mem.set_dmi_enabled(false);
    EXPECT_EQ(init.invalidations.size(), 2u) << "already off: nothing to withdraw";
    mem.set_dmi_enabled(true);
    EXPECT_TRUE(init.get_dmi(0, dmi));
    EXPECT_EQ(stats()["dmi_grants"], 1);
}

TEST_F(dram_test, DebugTransportNeitherTakesTimeNorCounts) {
    uint8_t w[6] = {1, 2, 3, 4, 5, 6};
    test_initiator::dbg_result r = init.debug(tlm::TLM_WRITE_COMMAND, 0x500, w, 6);
    EXPECT_EQ(r.bytes, 6u);
    EXPECT_EQ(r.status, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(mem.data()[0x505], 6);
    uint8_t b[6] = {};
    r = init.debug(tlm::TLM_READ_COMMAND, 0x500, b, 6);
    EXPECT_EQ(r.bytes, 6u);
    EXPECT_EQ(0, std::memcmp(b, w, 6));
    // Partly outside: what fits is transferred, and the answer says the rest was not.
    r = init.debug(tlm::TLM_READ_COMMAND, SIZE - 2, b, 6);
    EXPECT_EQ(r.bytes, 2u);
    EXPECT_EQ(r.status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    r = init.debug(tlm::TLM_READ_COMMAND, SIZE, b, 1);
    EXPECT_EQ(r.bytes, 0u);
    EXPECT_EQ(r.status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    const nlohmann::json j = stats();
    EXPECT_EQ(j["reads"], 0);
    EXPECT_EQ(j["writes"], 0);
    EXPECT_EQ(j["errors"], 0);
    EXPECT_EQ(sc_core::sc_time_stamp(), sc_core::SC_ZERO_TIME);
}

TEST_F(dram_test, BackdoorRangeErrorsThrowAndNameTheRange) {
    uint8_t b[16] = {};
    EXPECT_THROW(mem.load(SIZE - 1, b, 2), std::out_of_range);
    EXPECT_THROW(mem.load(SIZE + 1, b, 0), std::out_of_range);
    EXPECT_THROW(mem.load(~uint64_t(0), b, 2), std::out_of_range);  // no wrap-around
    EXPECT_THROW(mem.dump(SIZE - 8, b, 16), std::out_of_range);
    EXPECT_THROW(mem.fill(8, 0, SIZE), std::out_of_range);
    EXPECT_NO_THROW(mem.load(SIZE - 16, b, 16));
    EXPECT_NO_THROW(mem.load(SIZE, b, 0));
    try {
        mem.dump(0x10000, b, 4);
        ADD_FAILURE() << "no exception";
    } catch (const std::out_of_range& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("dram"), std::string::npos) << m;
        EXPECT_NE(m.find("0x10000"), std::string::npos) << m;
    }
}

class dram_config_test : public sc_test {};

TEST_F(dram_config_test, RejectsEmptyDramAndZeroBandwidth) {
    EXPECT_THROW(dram("empty", 0), std::invalid_argument);
    dram d("d", 1024);
    dram::timing t;
    t.bytes_per_ns = 0;
    EXPECT_THROW(d.set_timing(t), std::invalid_argument);
    t.bytes_per_ns = -1;
    EXPECT_THROW(d.set_timing(t), std::invalid_argument);
    EXPECT_EQ(d.size(), 1024u);
}

}  // namespace
}  // namespace encvp::test

// System bus (models/bus/system_bus.*): routing of several initiators to several targets by the
// address map, translation to target offsets and back (DMI, invalidation), errors for holes and
// accesses running past a target, the timing it adds, and its counters.
#include <stdexcept>

#include "bus/system_bus.h"
#include "harness.h"

namespace encvp::test {
namespace {

// Map used by the routed tests:
//   t0 [0x1000, 0x1100)   t1 [0x4000, 0x5000)   t2 [0x10000, 0x10100) (t2 holds 0x1000 bytes: its
//   window on the bus is smaller than the target)
// Timing: hop 3 ns, one 2 ns cycle per 4-byte beat. Targets add 10 ns (t0), 20 ns (t1), 0 (t2).
class bus_test : public sc_test {
protected:
    fresh_kernel kernel;
    test_initiator i0{"i0"}, i1{"i1"};
    system_bus bus{"bus"};
    memory_target t0{"t0", 0x100, ns(10)}, t1{"t1", 0x1000, ns(20)}, t2{"t2", 0x1000};
    report_capture log;

    void SetUp() override {
        sc_test::SetUp();
        i0.socket.bind(bus.in);
        i1.socket.bind(bus.in);
        bus.out.bind(t0.socket);
        bus.out.bind(t1.socket);
        bus.out.bind(t2.socket);
        bus.map(1, 0x4000, 0x1000, "t1");  // out of order on purpose: the map sorts itself
        bus.map(0, 0x1000, 0x100, "t0");
        bus.map(2, 0x10000, 0x100, "t2");
        system_bus::timing t;
        t.hop_latency = ns(3);
        t.cycle = ns(2);
        t.width_bytes = 4;
        bus.set_timing(t);
        sc_core::sc_start(sc_core::SC_ZERO_TIME);  // elaborate: sockets bound
    }
    unsigned target_transactions() const { return t0.transactions + t1.transactions + t2.transactions; }
};

TEST_F(bus_test, RoutesEveryInitiatorToTheTargetsByTheMap) {
    const test_initiator::result w = i0.write32(0x1010, 0x11223344);
    EXPECT_TRUE(w.ok());
    EXPECT_EQ(t0.last_address, 0x10u) << "the target sees its own offset";
    EXPECT_EQ(w.address_after, 0x1010u) << "the initiator gets its payload back with the bus address";
    EXPECT_EQ(le32(&t0.mem[0x10]), 0x11223344u);

    EXPECT_TRUE(i1.write32(0x4FFC, 0xA5A5A5A5).ok());
    EXPECT_EQ(t1.last_address, 0xFFCu);
    EXPECT_EQ(le32(&t1.mem[0xFFC]), 0xA5A5A5A5u);

    EXPECT_TRUE(i1.write32(0x10000, 0x77).ok());
    EXPECT_EQ(t2.last_address, 0x0u);

    // Interleaved accesses from both initiators land where the map says.
    EXPECT_EQ(i1.rd(0x1010), 0x11223344u);
    EXPECT_EQ(i0.rd(0x4FFC), 0xA5A5A5A5u);
    EXPECT_EQ(i0.rd(0x10000), 0x77u);
    EXPECT_EQ(i1.rd(0x1010), 0x11223344u);
    EXPECT_EQ(t0.transactions, 3u);
    EXPECT_EQ(t1.transactions, 2u);
    EXPECT_EQ(t2.transactions, 2u);
    // Just past a target that was hit last: a hole, not the cached target.
    uint32_t v;
    EXPECT_EQ(i0.read32(0x1100, v).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(t0.transactions, 3u);
}

TEST_F(bus_test, HolesAreAddressErrorsThatReachNoTarget) {
    for (uint64_t a : {uint64_t(0x0), uint64_t(0xFFC), uint64_t(0x1100), uint64_t(0x3FFC), uint64_t(0x5000),
                       uint64_t(0x10100), uint64_t(0xFFFFFFFFFFFFFFF0ull)}) {
        uint32_t v;
        const test_initiator::result r = i0.read32(a, v);
        EXPECT_EQ(r.status, tlm::TLM_ADDRESS_ERROR_RESPONSE) << hex(a);
        EXPECT_EQ(i1.write32(a, 1).status, tlm::TLM_ADDRESS_ERROR_RESPONSE) << hex(a);
    }
    EXPECT_EQ(target_transactions(), 0u);
    EXPECT_TRUE(log.any({"bus", "0x5000", "no target mapped"})) << log.dump();
}

TEST_F(bus_test, AccessesRunningPastTheEndOfATargetAreAddressErrors) {
    uint8_t b[16] = {};
    EXPECT_EQ(i0.transport(tlm::TLM_WRITE_COMMAND, 0x10FE, b, 4).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(i0.transport(tlm::TLM_READ_COMMAND, 0x4FF8, b, 16).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    // t2's window is smaller than the target: the bus, not the target, ends it.
    EXPECT_EQ(i0.transport(tlm::TLM_READ_COMMAND, 0x100FC, b, 8).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(target_transactions(), 0u);
    EXPECT_TRUE(log.any({"0x10fe", "runs past the end of t0"})) << log.dump();
    // The last bytes of a target are fine; with a streaming width, only the width counts.
    EXPECT_TRUE(i0.transport(tlm::TLM_WRITE_COMMAND, 0x10FC, b, 4).ok());
    EXPECT_TRUE(i0.transport(tlm::TLM_WRITE_COMMAND, 0x10FC, b, 16, sc_core::SC_ZERO_TIME, nullptr, 0, 4).ok());
    EXPECT_EQ(t0.transactions, 2u);
}

TEST_F(bus_test, DelayIsHopLatencyPlusOneCyclePerBeatPlusTheTarget) {
    uint8_t b[16] = {};
    // t0: 3 ns hop + ceil(len / 4) x 2 ns + 10 ns target.
    EXPECT_EQ(i0.transport(tlm::TLM_WRITE_COMMAND, 0x1000, b, 1).delay, ns(3 + 2 + 10));
    EXPECT_EQ(i0.transport(tlm::TLM_WRITE_COMMAND, 0x1000, b, 4).delay, ns(3 + 2 + 10));
    EXPECT_EQ(i0.transport(tlm::TLM_READ_COMMAND, 0x1000, b, 5).delay, ns(3 + 4 + 10));
    EXPECT_EQ(i0.transport(tlm::TLM_READ_COMMAND, 0x1000, b, 8).delay, ns(3 + 4 + 10));
    EXPECT_EQ(i0.transport(tlm::TLM_READ_COMMAND, 0x1000, b, 9).delay, ns(3 + 6 + 10));
    // t1: 16 bytes = 4 beats, 20 ns target; an initial annotated delay is kept.
    EXPECT_EQ(i1.transport(tlm::TLM_READ_COMMAND, 0x4000, b, 16, ns(5)).delay, ns(5 + 3 + 8 + 20));
    // Simulated time itself does not move (loosely timed: the initiator owns the delay).
    EXPECT_EQ(sc_core::sc_time_stamp(), sc_core::SC_ZERO_TIME);
}

TEST_F(bus_test, TargetErrorResponsesPassThroughAndAreCounted) {
    t1.forced_status = tlm::TLM_COMMAND_ERROR_RESPONSE;
    uint32_t v;
    EXPECT_EQ(i0.read32(0x4000, v).status, tlm::TLM_COMMAND_ERROR_RESPONSE);
    EXPECT_TRUE(i0.write32(0x1000, 1).ok());
    EXPECT_TRUE(i0.write32(0x1004, 2).ok());
    EXPECT_EQ(i0.write32(0x9000, 2).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    nlohmann::json j;
    bus.stats(j);
    EXPECT_EQ(j["targets"]["t1"]["transactions"], 1);
    EXPECT_EQ(j["targets"]["t1"]["errors"], 1);
    EXPECT_EQ(j["targets"]["t0"]["transactions"], 2);
    EXPECT_EQ(j["targets"]["t0"]["bytes"], 8);
    EXPECT_EQ(j["targets"]["t0"]["errors"], 0);
    EXPECT_EQ(j["unmapped_accesses"], 1);
}

TEST_F(bus_test, DmiIsForwardedAndTheGrantTranslatedBackToBusAddresses) {
    tlm::tlm_dmi dmi;
    ASSERT_TRUE(i0.get_dmi(0x4010, dmi));
    EXPECT_EQ(t1.last_dmi_address, 0x10u);
    EXPECT_EQ(dmi.get_start_address(), 0x4000u);
    EXPECT_EQ(dmi.get_end_address(), 0x4FFFu);
    EXPECT_EQ(dmi.get_dmi_ptr(), t1.mem.data());
    EXPECT_TRUE(dmi.is_read_write_allowed());
    EXPECT_EQ(dmi.get_read_latency(), ns(1 + 3)) << "the target's latency plus the hop";
    EXPECT_EQ(dmi.get_write_latency(), ns(2 + 3));

    // A partial grant keeps its pointer/start pairing.
    t1.dmi_start = 0x100;
    t1.dmi_end = 0x1FF;
    ASSERT_TRUE(i1.get_dmi(0x4150, dmi));
    EXPECT_EQ(dmi.get_start_address(), 0x4100u);
    EXPECT_EQ(dmi.get_end_address(), 0x41FFu);
    EXPECT_EQ(dmi.get_dmi_ptr(), t1.mem.data() + 0x100);

    // A grant larger than the target's window is clipped to the window.
    ASSERT_TRUE(i0.get_dmi(0x10080, dmi));
    EXPECT_EQ(t2.last_dmi_address, 0x80u);
    EXPECT_EQ(dmi.get_start_address(), 0x10000u);
    EXPECT_EQ(dmi.get_end_address(), 0x100FFu);

    // A refusal is passed on.
    t0.dmi_enabled = false;
    EXPECT_FALSE(i0.get_dmi(0x1000, dmi));
    EXPECT_FALSE(dmi.is_read_allowed());

    // A hole: no target is asked.
    const unsigned asked = t0.dmi_requests + t1.dmi_requests + t2.dmi_requests;
    EXPECT_FALSE(i0.get_dmi(0x2000, dmi));
    EXPECT_FALSE(dmi.is_read_allowed());
    EXPECT_EQ(t0.dmi_requests + t1.dmi_requests + t2.dmi_requests, asked);

    nlohmann::json j;
    bus.stats(j);
    EXPECT_EQ(j["targets"]["t1"]["dmi_grants"], 2);
    EXPECT_EQ(j["targets"]["t2"]["dmi_grants"], 1);
    EXPECT_EQ(j["targets"]["t0"]["dmi_grants"], 0);
}

TEST_F(bus_test, DmiPointerReachesTheSameBytesAsTransactions) {
    tlm::tlm_dmi dmi;
    ASSERT_TRUE(i0.get_dmi(0x4000, dmi));
    EXPECT_TRUE(i0.write32(0x4234, 0xFEEDBEEF).ok());
    EXPECT_EQ(le32(dmi.get_dmi_ptr() + (0x4234 - dmi.get_start_address())), 0xFEEDBEEFu);
}

TEST_F(bus_test, InvalidationReachesEveryInitiatorInBusAddresses) {
    t1.invalidate(0x10, 0x1F);
    ASSERT_EQ(i0.invalidations.size(), 1u);
    ASSERT_EQ(i1.invalidations.size(), 1u);
    EXPECT_EQ(i0.invalidations[0].start, 0x4010u);
    EXPECT_EQ(i0.invalidations[0].end, 0x401Fu);
    EXPECT_EQ(i1.invalidations[0].start, 0x4010u);
    EXPECT_EQ(i1.invalidations[0].end, 0x401Fu);

    // "Everything" from a target is clipped to its window.
    t2.invalidate(0, ~uint64_t(0));
    ASSERT_EQ(i0.invalidations.size(), 2u);
    EXPECT_EQ(i0.invalidations[1].start, 0x10000u);
    EXPECT_EQ(i0.invalidations[1].end, 0x100FFu);
    t2.invalidate(0x80, 0x300);
    ASSERT_EQ(i1.invalidations.size(), 3u);
    EXPECT_EQ(i1.invalidations[2].start, 0x10080u);
    EXPECT_EQ(i1.invalidations[2].end, 0x100FFu);

    // A range outside the window the bus gives the target concerns no initiator.
    t2.invalidate(0x200, 0x300);
    EXPECT_EQ(i0.invalidations.size(), 3u);
    EXPECT_EQ(i1.invalidations.size(), 3u);
}

TEST_F(bus_test, DebugTransportIsTranslatedAndTakesNoTime) {
    uint8_t w[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    test_initiator::dbg_result r = i0.debug(tlm::TLM_WRITE_COMMAND, 0x4020, w, 8);
    EXPECT_EQ(r.bytes, 8u);
    EXPECT_EQ(r.address_after, 0x4020u);
    EXPECT_EQ(t1.last_dbg_address, 0x20u);
    EXPECT_EQ(t1.mem[0x20], 1);
    EXPECT_EQ(t1.mem[0x27], 8);
    uint8_t back[8] = {};
    r = i1.debug(tlm::TLM_READ_COMMAND, 0x4020, back, 8);
    EXPECT_EQ(r.bytes, 8u);
    EXPECT_EQ(0, std::memcmp(back, w, 8));

    const unsigned asked = t0.dbg_requests + t1.dbg_requests + t2.dbg_requests;
    r = i0.debug(tlm::TLM_READ_COMMAND, 0x2000, back, 4);
    EXPECT_EQ(r.bytes, 0u);
    EXPECT_EQ(r.status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    r = i0.debug(tlm::TLM_READ_COMMAND, 0x10FE, back, 4);
    EXPECT_EQ(r.bytes, 0u);
    EXPECT_EQ(r.status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(t0.dbg_requests + t1.dbg_requests + t2.dbg_requests, asked);

    EXPECT_EQ(target_transactions(), 0u) << "debug accesses are not transactions";
    nlohmann::json j;
    bus.stats(j);
    EXPECT_EQ(j["targets"]["t1"]["transactions"], 0);
    EXPECT_EQ(sc_core::sc_time_stamp(), sc_core::SC_ZERO_TIME);
}

// The map itself, on a bus that is never elaborated.
class bus_map_test : public sc_test {};

TEST_F(bus_map_test, OverlappingEmptyOrWrappingMappingsAreRejected) {
    system_bus b("b");
    b.map(0, 0x1000, 0x100, "a");
    EXPECT_THROW(b.map(1, 0x10FF, 0x10, "x"), std::invalid_argument);   // overlaps a's last byte
    EXPECT_THROW(b.map(1, 0x0F00, 0x101, "x"), std::invalid_argument);  // overlaps a's first byte
    EXPECT_THROW(b.map(1, 0x0, 0x10000, "x"), std::invalid_argument);   // covers a
    EXPECT_THROW(b.map(1, 0x1040, 0x10, "x"), std::invalid_argument);   // inside a
    EXPECT_THROW(b.map(1, 0x2000, 0, "x"), std::invalid_argument);
    EXPECT_THROW(b.map(1, 0xFFFFFFFFFFFFFF00ull, 0x200, "x"), std::invalid_argument);
    try {
        b.map(1, 0x10F0, 0x20, "late");
        ADD_FAILURE() << "overlap accepted";
    } catch (const std::invalid_argument& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("late"), std::string::npos) << m;
        EXPECT_NE(m.find("'a'"), std::string::npos) << m;
    }
    // Adjacent mappings are fine.
    b.map(1, 0x1100, 0x100, "b");
    b.map(2, 0x0F00, 0x100, "c");
    ASSERT_EQ(b.memory_map().size(), 3u);
    EXPECT_EQ(b.memory_map()[0].name, "c");
    EXPECT_EQ(b.memory_map()[1].name, "a");
    EXPECT_EQ(b.memory_map()[2].name, "b");
    ASSERT_NE(b.decode(0x10FF), nullptr);
    EXPECT_EQ(b.decode(0x10FF)->name, "a");
    ASSERT_NE(b.decode(0x1100), nullptr);
    EXPECT_EQ(b.decode(0x1100)->name, "b");
    ASSERT_NE(b.decode(0x0F00), nullptr);
    EXPECT_EQ(b.decode(0x0F00)->name, "c");
    EXPECT_EQ(b.decode(0x0EFF), nullptr);
    EXPECT_EQ(b.decode(0x1200), nullptr);
}

}  // namespace
}  // namespace encvp::test

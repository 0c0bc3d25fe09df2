// Interrupt controller (models/irq/intc.*): level-sensitive pending bits that follow their
// sources, the ENABLE mask gating the CPU line, FORCE/ACK for software-set bits, RAW/ACTIVE views,
// access rules and counters.
#include "encvp_regs.h"
#include "harness.h"
#include "irq/intc.h"

namespace encvp::test {
namespace {

class intc_test : public sc_test {
protected:
    fresh_kernel kernel;
    report_capture log;
    test_initiator cpu{"cpu"};
    intc ic{"intc"};
    sc_core::sc_vector<sc_core::sc_signal<bool>> source{"source", intc::NUM_LINES};
    sc_core::sc_signal<bool> cpu_irq{"cpu_irq"};
    irq_probe probe{"probe"};

    void SetUp() override {
        sc_test::SetUp();
        cpu.socket.bind(ic.in);
        for (unsigned i = 0; i < intc::NUM_LINES; ++i) ic.lines[i].bind(source[i]);
        ic.cpu_irq.bind(cpu_irq);
        probe.in.bind(cpu_irq);
        sc_core::sc_start(sc_core::SC_ZERO_TIME);
    }
    void settle() { sc_core::sc_start(ns(10)); }
    void line(unsigned i, bool level) {
        source[i].write(level);
        settle();
    }
    uint32_t rd(uint32_t offset) { return cpu.rd(offset); }
    void wr(uint32_t offset, uint32_t v) {
        cpu.wr(offset, v);
        settle();
    }
    nlohmann::json stats() const {
        nlohmann::json j;
        ic.stats(j);
        return j;
    }
};

TEST_F(intc_test, ResetStateAndAccessRules) {
    for (uint32_t r : {INTC_PENDING, INTC_ENABLE, INTC_RAW, INTC_ACTIVE}) EXPECT_EQ(rd(r), 0u) << hex(r);
    uint32_t v;
    EXPECT_EQ(cpu.write32(INTC_PENDING, 1).status, tlm::TLM_COMMAND_ERROR_RESPONSE);
    EXPECT_EQ(cpu.write32(INTC_RAW, 1).status, tlm::TLM_COMMAND_ERROR_RESPONSE);
    EXPECT_EQ(cpu.write32(INTC_ACTIVE, 1).status, tlm::TLM_COMMAND_ERROR_RESPONSE);
    EXPECT_EQ(cpu.read32(INTC_ACK, v).status, tlm::TLM_COMMAND_ERROR_RESPONSE);
    EXPECT_EQ(cpu.read32(INTC_FORCE, v).status, tlm::TLM_COMMAND_ERROR_RESPONSE);
    EXPECT_EQ(cpu.read32(0x18, v).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(cpu.read32(0x800, v).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    settle();
    EXPECT_EQ(rd(INTC_PENDING), 0u) << "rejected writes changed nothing";
    EXPECT_FALSE(probe.level());
}

TEST_F(intc_test, PendingFollowsTheSourceLevels) {
    line(3, true);
    EXPECT_EQ(rd(INTC_RAW), 1u << 3);
    EXPECT_EQ(rd(INTC_PENDING), 1u << 3);
    EXPECT_EQ(rd(INTC_ACTIVE), 0u);
    EXPECT_FALSE(probe.level()) << "not enabled";
    line(0, true);
    line(31, true);
    EXPECT_EQ(rd(INTC_PENDING), (1u << 31) | (1u << 3) | 1u);
    // The peripheral clearing its cause drops the pending bit: nothing is latched.
    line(3, false);
    EXPECT_EQ(rd(INTC_PENDING), (1u << 31) | 1u);
    EXPECT_EQ(rd(INTC_RAW), (1u << 31) | 1u);
    line(0, false);
    line(31, false);
    EXPECT_EQ(rd(INTC_PENDING), 0u);
}

TEST_F(intc_test, EnableGatesTheCpuLine) {
    line(3, true);
    const sc_core::sc_time t_enable = sc_core::sc_time_stamp();
    wr(INTC_ENABLE, 1u << 5);
    EXPECT_FALSE(probe.level()) << "another line enabled";
    EXPECT_EQ(rd(INTC_ACTIVE), 0u);
    wr(INTC_ENABLE, (1u << 5) | (1u << 3));
    EXPECT_TRUE(probe.level());
    EXPECT_EQ(rd(INTC_ACTIVE), 1u << 3);
    EXPECT_EQ(rd(INTC_ENABLE), (1u << 5) | (1u << 3));
    EXPECT_EQ(probe.first(true), t_enable + ns(10)) << "the line follows in the same time step";
    // Level semantics end to end: the source dropping drops the CPU line; rising again raises it.
    const sc_core::sc_time t_drop = sc_core::sc_time_stamp();
    line(3, false);
    EXPECT_FALSE(probe.level());
    EXPECT_EQ(probe.last(false), t_drop);
    line(3, true);
    EXPECT_TRUE(probe.level());
    line(5, true);
    EXPECT_EQ(rd(INTC_ACTIVE), (1u << 5) | (1u << 3));
    wr(INTC_ENABLE, 0);
    EXPECT_FALSE(probe.level());
    EXPECT_EQ(rd(INTC_ACTIVE), 0u);
    EXPECT_EQ(rd(INTC_PENDING), (1u << 5) | (1u << 3)) << "masking does not clear pending";
    EXPECT_EQ(probe.rises(), 2u);
}

TEST_F(intc_test, ForceSetsPendingAndAckClearsIt) {
    wr(INTC_FORCE, 1u << 5);
    EXPECT_EQ(rd(INTC_PENDING), 1u << 5);
    EXPECT_EQ(rd(INTC_RAW), 0u) << "FORCE is not a source level";
    EXPECT_FALSE(probe.level());
    wr(INTC_ENABLE, 1u << 5);
    EXPECT_TRUE(probe.level());
    wr(INTC_ACK, 1u << 5);
    EXPECT_EQ(rd(INTC_PENDING), 0u);
    EXPECT_FALSE(probe.level());

    // A forced bit outlives its source and is cleared by ACK only.
    wr(INTC_ENABLE, 1u << 3);
    line(3, true);
    wr(INTC_FORCE, 1u << 3);
    line(3, false);
    EXPECT_EQ(rd(INTC_PENDING), 1u << 3);
    EXPECT_TRUE(probe.level());
    wr(INTC_ACK, 1u << 3);
    EXPECT_EQ(rd(INTC_PENDING), 0u);
    EXPECT_FALSE(probe.level());

    // ACK cannot clear a source that is still high, and only touches the bits written with 1.
    line(7, true);
    wr(INTC_FORCE, (1u << 1) | (1u << 2));
    wr(INTC_ACK, (1u << 7) | (1u << 1));
    EXPECT_EQ(rd(INTC_PENDING), (1u << 7) | (1u << 2));
}

TEST_F(intc_test, CountsRisingEdgesPerLineAndAcks) {
    for (int i = 0; i < 3; ++i) {
        line(2, true);
        line(2, false);
    }
    line(9, true);
    line(9, true);  // no edge
    wr(INTC_ACK, 0);
    wr(INTC_ACK, 1);
    const nlohmann::json j = stats();
    EXPECT_EQ(j["interrupts_raised"]["2"], 3);
    EXPECT_EQ(j["interrupts_raised"]["9"], 1);
    EXPECT_FALSE(j["interrupts_raised"].contains("3"));
    EXPECT_EQ(j["acks"], 2);
}

TEST_F(intc_test, ResetClearsEnableAndForcedBitsButPendingStillShowsTheSources) {
    line(4, true);
    wr(INTC_FORCE, 1u);
    wr(INTC_ENABLE, 0xFF);
    ASSERT_TRUE(probe.level());
    ic.reset();
    settle();
    EXPECT_EQ(rd(INTC_ENABLE), 0u);
    EXPECT_FALSE(probe.level());
    EXPECT_EQ(rd(INTC_RAW), 1u << 4);
    // PENDING is "RAW | bits set by FORCE" (docs/regmap.md): the forced bit is gone, the source is not.
    EXPECT_EQ(rd(INTC_PENDING), 1u << 4);
    wr(INTC_ENABLE, 1u << 4);
    EXPECT_TRUE(probe.level()) << "a source that stayed high across the reset still interrupts";
}

}  // namespace
}  // namespace encvp::test

// System controller (models/sysctrl/sysctrl.*): identification, the cycle counter and its CYCLE_HI
// latch, the console, EXIT, the one-shot timer and its interrupt, the watchdog and the host mailbox.
#include "encvp_regs.h"
#include "harness.h"
#include "sysctrl/sysctrl.h"

namespace encvp::test {
namespace {

// 2 ns clock (500 MHz); the test initiator is bound straight to the block.
class sysctrl_test : public sc_test {
protected:
    fresh_kernel kernel;
    report_capture log;
    test_initiator cpu{"cpu"};
    sysctrl sys{"sysctrl", ns(2)};
    sc_core::sc_signal<bool> timer_line{"timer_line"}, host_line{"host_line"};
    irq_probe timer{"timer"}, host{"host"};
    std::vector<int> exits;
    std::vector<sc_core::sc_time> exit_times;
    std::vector<std::string> lines;
    std::vector<uint32_t> host_requests;

    void SetUp() override {
        sc_test::SetUp();
        cpu.socket.bind(sys.in);
        sys.timer_irq.bind(timer_line);
        sys.host_irq.bind(host_line);
        timer.in.bind(timer_line);
        host.in.bind(host_line);
        sys.set_exit_hook([this](int code) {
            exits.push_back(code);
            exit_times.push_back(sc_core::sc_time_stamp());
        });
        sys.set_console_sink([this](const std::string& l) { lines.push_back(l); });
        sys.set_host_hook([this](uint32_t v) { host_requests.push_back(v); });
        sc_core::sc_start(sc_core::SC_ZERO_TIME);
    }
    void run(const sc_core::sc_time& t) { sc_core::sc_start(t); }
    uint32_t rd(uint32_t offset) { return cpu.rd(offset); }
    void wr(uint32_t offset, uint32_t v, const sc_core::sc_time& delay = sc_core::SC_ZERO_TIME) {
        EXPECT_TRUE(cpu.write32(offset, v, delay).ok()) << hex(offset);
    }
    sc_core::sc_time now() const { return sc_core::sc_time_stamp(); }
};

TEST_F(sysctrl_test, IdentificationAndScratch) {
    EXPECT_EQ(rd(SYSCTRL_ID), 0x454E4350u);  // "ENCP"
    EXPECT_EQ(ENCVP_GET(SYSCTRL_VERSION_MAJOR, rd(SYSCTRL_VERSION)), 1u);
    EXPECT_EQ(ENCVP_GET(SYSCTRL_VERSION_MINOR, rd(SYSCTRL_VERSION)), 0u);
    EXPECT_EQ(rd(SYSCTRL_CLOCK_KHZ), 500000u);
    wr(SYSCTRL_SCRATCH, 0xA5A55A5A);
    EXPECT_EQ(rd(SYSCTRL_SCRATCH), 0xA5A55A5Au);
    EXPECT_EQ(cpu.write32(SYSCTRL_ID, 0).status, tlm::TLM_COMMAND_ERROR_RESPONSE);
    EXPECT_EQ(cpu.write32(SYSCTRL_CYCLE_LO, 0).status, tlm::TLM_COMMAND_ERROR_RESPONSE);
    uint32_t v;
    EXPECT_EQ(cpu.read32(SYSCTRL_CONSOLE, v).status, tlm::TLM_COMMAND_ERROR_RESPONSE);
    EXPECT_EQ(cpu.read32(SYSCTRL_EXIT, v).status, tlm::TLM_COMMAND_ERROR_RESPONSE);
    EXPECT_EQ(rd(SYSCTRL_ID), 0x454E4350u);
    EXPECT_TRUE(exits.empty()) << "reading EXIT (refused) ends nothing";
}

class sysctrl_clock_test : public sc_test {};

TEST_F(sysctrl_clock_test, ClockFrequencyComesFromTheClockPeriod) {
    sysctrl s5("s5", ns(5));
    EXPECT_EQ(s5.clock_khz.get(), 200000u);
    sysctrl s3("s3", ns(3));
    EXPECT_EQ(s3.clock_khz.get(), 333333u);
}

TEST_F(sysctrl_test, CycleCounterFollowsSimulatedTimeAndTheInitiatorsLocalTime) {
    EXPECT_EQ(rd(SYSCTRL_CYCLE_LO), 0u);
    run(ns(1000));
    EXPECT_EQ(rd(SYSCTRL_CYCLE_LO), 500u);
    uint32_t v = 0;
    EXPECT_TRUE(cpu.read32(SYSCTRL_CYCLE_LO, v, ns(100)).ok());
    EXPECT_EQ(v, 550u) << "a temporally decoupled initiator sees its own local time";
    EXPECT_EQ(sys.cycles_at(ns(7)), 3u);
    EXPECT_EQ(rd(SYSCTRL_CYCLE_HI), 0u);
}

TEST_F(sysctrl_test, CycleHiIsLatchedByReadingCycleLo) {
    run(sc_core::sc_time(9, sc_core::SC_SEC));  // 4.5e9 cycles = 0x1_0C38_8D00
    EXPECT_EQ(rd(SYSCTRL_CYCLE_HI), 0u) << "not latched yet";
    EXPECT_EQ(rd(SYSCTRL_CYCLE_LO), 0x0C388D00u);
    EXPECT_EQ(rd(SYSCTRL_CYCLE_HI), 1u);
    run(sc_core::sc_time(11, sc_core::SC_SEC));  // 20 s = 1e10 cycles = 0x2_540B_E400
    EXPECT_EQ(rd(SYSCTRL_CYCLE_HI), 1u) << "still the value latched by the last CYCLE_LO read";
    EXPECT_EQ(rd(SYSCTRL_CYCLE_LO), 0x540BE400u);
    EXPECT_EQ(rd(SYSCTRL_CYCLE_HI), 2u);
}

TEST_F(sysctrl_test, ConsoleAssemblesLines) {
    for (char c : std::string("hi\n")) wr(SYSCTRL_CONSOLE, uint8_t(c));
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0], "hi");
    wr(SYSCTRL_CONSOLE, 'a');
    wr(SYSCTRL_CONSOLE, 'b');
    wr(SYSCTRL_CONSOLE, 0x141);  // only the low byte: 'A'
    EXPECT_EQ(lines.size(), 1u) << "no newline yet";
    EXPECT_EQ(sys.console_output(), "hi\nabA");
    wr(SYSCTRL_EXIT, 0);  // ending the run flushes the partial line
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[1], "abA");
    nlohmann::json j;
    sys.stats(j);
    EXPECT_GE(j["console_bytes"].get<int>(), 6);
}

TEST_F(sysctrl_test, ExitCallsTheHookOnceWithTheCode) {
    run(ns(100));
    wr(SYSCTRL_EXIT, 0x12345607, ns(30));
    ASSERT_EQ(exits.size(), 1u);
    EXPECT_EQ(exits[0], 7) << "the CODE field is the low byte";
    EXPECT_TRUE(sys.exited());
    EXPECT_EQ(sys.exit_code(), 7);
    EXPECT_EQ(sys.exit_time(), ns(130)) << "at the initiator's local time";
    wr(SYSCTRL_EXIT, 3);
    EXPECT_EQ(exits.size(), 1u);
    EXPECT_EQ(sys.exit_code(), 7);
}

TEST_F(sysctrl_test, TimerRaisesItsInterruptAfterLoadCycles) {
    run(ns(100));
    wr(SYSCTRL_TIMER_LOAD, 100);
    wr(SYSCTRL_TIMER_CTRL, SYSCTRL_TIMER_CTRL_EN_MASK | SYSCTRL_TIMER_CTRL_IRQ_EN_MASK);
    run(ns(150));
    EXPECT_EQ(rd(SYSCTRL_TIMER_STATUS), 0u);
    EXPECT_FALSE(timer.level());
    run(ns(850));
    EXPECT_EQ(timer.first(true), ns(100 + 200)) << "100 cycles of 2 ns";
    EXPECT_EQ(rd(SYSCTRL_TIMER_STATUS), SYSCTRL_TIMER_STATUS_EXPIRED_MASK);
    EXPECT_EQ(rd(SYSCTRL_TIMER_CTRL), SYSCTRL_TIMER_CTRL_IRQ_EN_MASK) << "one-shot: EN drops";
    EXPECT_TRUE(timer.level());
    wr(SYSCTRL_TIMER_STATUS, SYSCTRL_TIMER_STATUS_EXPIRED_MASK);
    run(ns(10));
    EXPECT_FALSE(timer.level());
    EXPECT_EQ(rd(SYSCTRL_TIMER_STATUS), 0u);
    nlohmann::json j;
    sys.stats(j);
    EXPECT_EQ(j["timer_fires"], 1);
    run(us(5));
    EXPECT_EQ(timer.rises(), 1u) << "one-shot";
}

TEST_F(sysctrl_test, TimerStartsAtTheInitiatorsLocalTime) {
    wr(SYSCTRL_TIMER_LOAD, 10);
    wr(SYSCTRL_TIMER_CTRL, SYSCTRL_TIMER_CTRL_EN_MASK | SYSCTRL_TIMER_CTRL_IRQ_EN_MASK, ns(50));
    run(us(1));
    EXPECT_EQ(timer.first(true), ns(50 + 20));
}

TEST_F(sysctrl_test, TimerWithoutIrqEnOnlySetsExpired) {
    wr(SYSCTRL_TIMER_LOAD, 100);
    wr(SYSCTRL_TIMER_CTRL, SYSCTRL_TIMER_CTRL_EN_MASK);
    run(us(1));
    EXPECT_EQ(rd(SYSCTRL_TIMER_STATUS), SYSCTRL_TIMER_STATUS_EXPIRED_MASK);
    EXPECT_EQ(timer.rises(), 0u);
}

TEST_F(sysctrl_test, StoppingTheTimerCancelsIt) {
    wr(SYSCTRL_TIMER_LOAD, 100);
    wr(SYSCTRL_TIMER_CTRL, SYSCTRL_TIMER_CTRL_EN_MASK | SYSCTRL_TIMER_CTRL_IRQ_EN_MASK);
    run(ns(100));
    wr(SYSCTRL_TIMER_CTRL, SYSCTRL_TIMER_CTRL_IRQ_EN_MASK);
    run(us(2));
    EXPECT_EQ(rd(SYSCTRL_TIMER_STATUS), 0u);
    EXPECT_EQ(timer.rises(), 0u);
    // Started again, it runs a full period from the new start.
    wr(SYSCTRL_TIMER_CTRL, SYSCTRL_TIMER_CTRL_EN_MASK | SYSCTRL_TIMER_CTRL_IRQ_EN_MASK);
    const sc_core::sc_time t = now();
    run(us(1));
    EXPECT_EQ(timer.first(true), t + ns(200));
}

TEST_F(sysctrl_test, SettingIrqEnWhileTheTimerRunsDoesNotStopIt) {
    wr(SYSCTRL_TIMER_LOAD, 100);
    wr(SYSCTRL_TIMER_CTRL, SYSCTRL_TIMER_CTRL_EN_MASK);
    run(ns(50));
    // Firmware enables the interrupt of the running timer (EN written with its current value 1).
    wr(SYSCTRL_TIMER_CTRL, SYSCTRL_TIMER_CTRL_EN_MASK | SYSCTRL_TIMER_CTRL_IRQ_EN_MASK);
    run(us(2));
    EXPECT_EQ(rd(SYSCTRL_TIMER_STATUS), SYSCTRL_TIMER_STATUS_EXPIRED_MASK)
        << "the running timer must still expire (at 200 ns, or 250 ns if EN=1 reloads it)";
    EXPECT_EQ(timer.rises(), 1u);
    if (timer.rises() == 1u) {
        EXPECT_TRUE(timer.first(true) == ns(200) || timer.first(true) == ns(250)) << timer.first(true);
    }
}

TEST_F(sysctrl_test, TimerLineFollowsIrqEnWhileExpired) {
    wr(SYSCTRL_TIMER_LOAD, 10);
    wr(SYSCTRL_TIMER_CTRL, SYSCTRL_TIMER_CTRL_EN_MASK | SYSCTRL_TIMER_CTRL_IRQ_EN_MASK);
    run(us(1));
    ASSERT_TRUE(timer.level());
    // Masking the timer interrupt (IRQ_EN = 0) drops the line: it is EXPIRED && IRQ_EN (docs/regmap.md).
    wr(SYSCTRL_TIMER_CTRL, 0);
    run(ns(10));
    EXPECT_FALSE(timer.level()) << "TIMER_CTRL.IRQ_EN = 0 must drop the timer interrupt";
    // Unmasking it with EXPIRED still set raises it again.
    wr(SYSCTRL_TIMER_CTRL, SYSCTRL_TIMER_CTRL_IRQ_EN_MASK);
    run(ns(10));
    EXPECT_TRUE(timer.level()) << "TIMER_CTRL.IRQ_EN = 1 with EXPIRED set must raise the timer interrupt";
}

TEST_F(sysctrl_test, WatchdogEndsTheRunWhenNotKicked) {
    run(ns(100));
    wr(SYSCTRL_WDT_LOAD, 1000);  // 2 us
    wr(SYSCTRL_WDT_CTRL, SYSCTRL_WDT_CTRL_EN_MASK);
    run(ns(1900));
    EXPECT_TRUE(exits.empty());
    run(us(10));
    ASSERT_EQ(exits.size(), 1u);
    EXPECT_EQ(exits[0], sysctrl::EXIT_WATCHDOG);
    EXPECT_EQ(exit_times[0], ns(100 + 2000));
    EXPECT_EQ(sys.exit_time(), ns(2100));
    EXPECT_TRUE(log.any({"watchdog expired", "1000 cycles"})) << log.dump();
}

TEST_F(sysctrl_test, KickedWatchdogStaysQuiet) {
    wr(SYSCTRL_WDT_LOAD, 1000);
    wr(SYSCTRL_WDT_CTRL, SYSCTRL_WDT_CTRL_EN_MASK);
    for (int i = 0; i < 10; ++i) {
        run(us(1.5));
        wr(SYSCTRL_WDT_KICK, 0);
    }
    EXPECT_TRUE(exits.empty()) << "kicked every 1.5 us with a 2 us period";
    const sc_core::sc_time last_kick = now();
    run(us(5));
    ASSERT_EQ(exits.size(), 1u);
    EXPECT_EQ(exit_times[0], last_kick + us(2));
}

TEST_F(sysctrl_test, DisabledWatchdogNeverFires) {
    wr(SYSCTRL_WDT_LOAD, 1000);
    wr(SYSCTRL_WDT_KICK, 0);  // kicking a disabled watchdog does not arm it
    run(us(5));
    wr(SYSCTRL_WDT_CTRL, SYSCTRL_WDT_CTRL_EN_MASK);
    run(us(1));
    wr(SYSCTRL_WDT_CTRL, 0);
    run(us(20));
    EXPECT_TRUE(exits.empty());
}

TEST_F(sysctrl_test, HostMailbox) {
    wr(SYSCTRL_HOST_REQ, 0x42);
    ASSERT_EQ(host_requests.size(), 1u);
    EXPECT_EQ(host_requests[0], 0x42u);
    EXPECT_TRUE(sys.host_request_pending());
    EXPECT_EQ(sys.host_request(), 0x42u);
    EXPECT_EQ(rd(SYSCTRL_HOST_STATUS), SYSCTRL_HOST_STATUS_PENDING_MASK);
    sys.answer_host(7);
    run(ns(10));
    EXPECT_EQ(rd(SYSCTRL_HOST_ACK), 7u);
    EXPECT_EQ(rd(SYSCTRL_HOST_STATUS), SYSCTRL_HOST_STATUS_ANSWERED_MASK);
    EXPECT_FALSE(sys.host_request_pending());
    EXPECT_TRUE(host.level());
    wr(SYSCTRL_HOST_STATUS, SYSCTRL_HOST_STATUS_ANSWERED_MASK);
    run(ns(10));
    EXPECT_FALSE(host.level());
    EXPECT_EQ(rd(SYSCTRL_HOST_STATUS), 0u);
}

TEST_F(sysctrl_test, ResetCancelsTimerAndWatchdog) {
    wr(SYSCTRL_TIMER_LOAD, 100);
    wr(SYSCTRL_TIMER_CTRL, SYSCTRL_TIMER_CTRL_EN_MASK | SYSCTRL_TIMER_CTRL_IRQ_EN_MASK);
    wr(SYSCTRL_WDT_LOAD, 100);
    wr(SYSCTRL_WDT_CTRL, SYSCTRL_WDT_CTRL_EN_MASK);
    wr(SYSCTRL_SCRATCH, 5);
    sys.reset();
    run(us(5));
    EXPECT_TRUE(exits.empty());
    EXPECT_EQ(timer.rises(), 0u);
    EXPECT_EQ(rd(SYSCTRL_SCRATCH), 0u);
    EXPECT_EQ(rd(SYSCTRL_TIMER_CTRL), 0u);
}

}  // namespace
}  // namespace encvp::test

// Base fixture for tests that elaborate SystemC modules: each test gets a fresh simulation kernel,
// so the tests of one binary may also run in one process (ctest runs them one per process).
#pragma once

#include <gtest/gtest.h>
#include <systemc>

#include "common/protocol_checker.h"
#include "common/sim_kernel.h"

namespace encvp::test {

class sc_test : public ::testing::Test {
protected:
    void SetUp() override {
        if (sc_core::sc_get_curr_simcontext()->elaboration_done()) fresh_simulation_kernel();
        sc_core::sc_report_handler::set_actions(sc_core::SC_WARNING, sc_core::SC_LOG | sc_core::SC_DISPLAY);
        violations_ = protocol_checker::total_violations();
    }
    // A TLM-2.0 protocol violation seen by a checker (ENCVP_PROTOCOL_CHECK=1) fails the test.
    void TearDown() override {
        EXPECT_EQ(protocol_checker::total_violations() - violations_, 0u)
            << "TLM-2.0 base-protocol violations (see the protocol checkers' warnings)";
    }

private:
    uint64_t violations_ = 0;
};

}  // namespace encvp::test

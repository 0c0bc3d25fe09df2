// Base fixture for tests that elaborate SystemC modules: each test gets a fresh simulation kernel,
// so the tests of one binary may also run in one process (ctest runs them one per process).
#pragma once

#include <gtest/gtest.h>
#include <systemc>

#include "common/sim_kernel.h"

namespace encvp::test {

class sc_test : public ::testing::Test {
protected:
    void SetUp() override {
        if (sc_core::sc_get_curr_simcontext()->elaboration_done()) fresh_simulation_kernel();
        sc_core::sc_report_handler::set_actions(sc_core::SC_WARNING, sc_core::SC_LOG | sc_core::SC_DISPLAY);
    }
};

}  // namespace encvp::test

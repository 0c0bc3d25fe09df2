// Console logging for the encvp executable: one line per SystemC report, with simulated time,
// severity and the reporting model; verbosity chosen on the command line.
#pragma once

#include <cstdint>

namespace encvp {

// verbosity: 0 = warnings and errors only, 1 = + progress (SC_LOW), 2 = + details (SC_MEDIUM),
// 3 = + debug (SC_HIGH/SC_DEBUG).
void install_report_handler(int verbosity);
uint64_t warnings_reported();

}  // namespace encvp

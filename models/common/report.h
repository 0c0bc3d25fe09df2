// Logging helpers on top of SystemC's report handler: every model reports through them, so the
// CLI's verbosity option and report formatting apply everywhere.
#pragma once

#include <cstdint>
#include <string>

#include <tlm>

namespace encvp {

std::string hex_string(uint64_t v);
std::string time_string(const sc_core::sc_time& t);

// Warning about something the hardware would reject or flag (firmware mistakes); never aborts.
void report_warning(const std::string& who, const std::string& what);
// Informational message shown at the given SystemC verbosity (SC_LOW, SC_MEDIUM, SC_HIGH, SC_DEBUG).
void report_info(const std::string& who, const std::string& what, int verbosity = sc_core::SC_MEDIUM);
// Unrecoverable configuration problem: throws std::runtime_error with a message naming the source.
[[noreturn]] void report_fatal(const std::string& who, const std::string& what);

const char* response_name(tlm::tlm_response_status st);
const char* command_name(tlm::tlm_command c);

// One line per transaction: time, who, command, address, size, response, annotated delay.
void trace_transaction(const std::string& who, const tlm::tlm_generic_payload& tx,
                       const sc_core::sc_time& delay);

}  // namespace encvp

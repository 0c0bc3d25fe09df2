#include "common/report.h"

#include <cstdio>
#include <sstream>
#include <stdexcept>

namespace encvp {

std::string hex_string(uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
    return buf;
}

std::string time_string(const sc_core::sc_time& t) { return t.to_string(); }

void report_warning(const std::string& who, const std::string& what) {
    SC_REPORT_WARNING(who.c_str(), what.c_str());
}

void report_info(const std::string& who, const std::string& what, int verbosity) {
    SC_REPORT_INFO_VERB(who.c_str(), what.c_str(), verbosity);
}

void report_fatal(const std::string& who, const std::string& what) {
    throw std::runtime_error(who + ": " + what);
}

const char* response_name(tlm::tlm_response_status st) {
    switch (st) {
    case tlm::TLM_OK_RESPONSE: return "OK";
    case tlm::TLM_INCOMPLETE_RESPONSE: return "INCOMPLETE";
    case tlm::TLM_GENERIC_ERROR_RESPONSE: return "GENERIC_ERROR";
    case tlm::TLM_ADDRESS_ERROR_RESPONSE: return "ADDRESS_ERROR";
    case tlm::TLM_COMMAND_ERROR_RESPONSE: return "COMMAND_ERROR";
    case tlm::TLM_BURST_ERROR_RESPONSE: return "BURST_ERROR";
    case tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE: return "BYTE_ENABLE_ERROR";
    }
    return "?";
}

const char* command_name(tlm::tlm_command c) {
    switch (c) {
    case tlm::TLM_READ_COMMAND: return "RD";
    case tlm::TLM_WRITE_COMMAND: return "WR";
    case tlm::TLM_IGNORE_COMMAND: return "IGN";
    }
    return "?";
}

void trace_transaction(const std::string& who, const tlm::tlm_generic_payload& tx,
                       const sc_core::sc_time& delay) {
    std::ostringstream os;
    os << command_name(tx.get_command()) << ' ' << hex_string(tx.get_address()) << " len "
       << tx.get_data_length();
    if (tx.get_data_length() == 4 && tx.get_data_ptr() != nullptr) {
        const unsigned char* p = tx.get_data_ptr();
        const uint32_t v = uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
        os << " data " << hex_string(v);
    }
    os << ' ' << response_name(tx.get_response_status()) << " t+" << delay;
    SC_REPORT_INFO_VERB((who + ".trace").c_str(), os.str().c_str(), sc_core::SC_NONE);
}

}  // namespace encvp

#include "logging.h"

#include <cstdio>
#include <string>

#include <systemc>

namespace encvp {

namespace {
uint64_t g_warnings = 0;

void handler(const sc_core::sc_report& rep, const sc_core::sc_actions& actions) {
    if (actions & sc_core::SC_DISPLAY) {
        const char* sev = "info";
        switch (rep.get_severity()) {
        case sc_core::SC_WARNING: sev = "warning"; ++g_warnings; break;
        case sc_core::SC_ERROR: sev = "error"; break;
        case sc_core::SC_FATAL: sev = "fatal"; break;
        default: break;
        }
        const std::string t = sc_core::sc_time_stamp().to_string();
        std::fprintf(stderr, "[%12s] %-7s %s: %s\n", t.c_str(), sev, rep.get_msg_type(), rep.get_msg());
    }
    if (actions & (sc_core::SC_THROW | sc_core::SC_ABORT)) sc_core::sc_report_handler::default_handler(rep, actions & ~sc_core::SC_DISPLAY);
}
}  // namespace

void install_report_handler(int verbosity) {
    sc_core::sc_report_handler::set_handler(handler);
    int level = sc_core::SC_NONE;
    if (verbosity >= 1) level = sc_core::SC_LOW;
    if (verbosity >= 2) level = sc_core::SC_MEDIUM;
    if (verbosity >= 3) level = sc_core::SC_DEBUG;
    sc_core::sc_report_handler::set_verbosity_level(level);
    // Unbound-port and similar deprecation chatter is not for users.
    sc_core::sc_report_handler::set_actions("/IEEE_Std_1666/deprecated", sc_core::SC_DO_NOTHING);
}

uint64_t warnings_reported() { return g_warnings; }

}  // namespace encvp

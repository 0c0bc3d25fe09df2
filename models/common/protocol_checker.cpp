#include "common/protocol_checker.h"

#include <cstdlib>
#include <cstring>
#include <sstream>

#include "common/report.h"

namespace encvp {

namespace {
uint64_t g_total_violations = 0;

bool byte_enabled(const unsigned char* be, unsigned be_len, unsigned i) {
    return be == nullptr || be_len == 0 || be[i % be_len] != TLM_BYTE_DISABLED;
}
}  // namespace

protocol_checker::protocol_checker(const sc_core::sc_module_name& nm) : sc_module(nm), in("in"), out("out") {
    in.register_b_transport(this, &protocol_checker::b_transport);
    in.register_get_direct_mem_ptr(this, &protocol_checker::get_direct_mem_ptr);
    in.register_transport_dbg(this, &protocol_checker::transport_dbg);
    out.register_invalidate_direct_mem_ptr(this, &protocol_checker::invalidate_direct_mem_ptr);
}

uint64_t protocol_checker::total_violations() { return g_total_violations; }

bool protocol_checker::forced_by_environment() {
    const char* v = std::getenv("ENCVP_PROTOCOL_CHECK");
    if (v == nullptr) return false;
    const std::string s = v;
    return s == "1" || s == "true" || s == "yes" || s == "on";
}

void protocol_checker::violation(const tlm::tlm_generic_payload& tx, const std::string& rule) {
    ++violations_;
    ++g_total_violations;
    std::ostringstream os;
    os << "TLM-2.0 base-protocol violation: " << rule << " (" << command_name(tx.get_command()) << ' '
       << hex_string(tx.get_address()) << " len " << tx.get_data_length() << ", response "
       << response_name(tx.get_response_status()) << ", at " << time_string(sc_core::sc_time_stamp()) << ")";
    report_warning(name(), os.str());
}

const tlm::tlm_dmi* protocol_checker::dmi_region(uint64_t lo, uint64_t hi) const {
    for (const tlm::tlm_dmi& d : dmi_)
        if (lo >= d.get_start_address() && hi <= d.get_end_address()) return &d;
    return nullptr;
}

void protocol_checker::b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
    ++transactions_;
    const tlm::tlm_command cmd = tx.get_command();
    const uint64_t addr = tx.get_address();
    unsigned char* const data = tx.get_data_ptr();
    const unsigned len = tx.get_data_length();
    unsigned char* const be = tx.get_byte_enable_ptr();
    const unsigned be_len = tx.get_byte_enable_length();
    const unsigned sw = tx.get_streaming_width();
    const sc_core::sc_time delay0 = delay;

    if (cmd != tlm::TLM_READ_COMMAND && cmd != tlm::TLM_WRITE_COMMAND && cmd != tlm::TLM_IGNORE_COMMAND)
        violation(tx, "command is not READ, WRITE or IGNORE");
    if (data == nullptr && cmd != tlm::TLM_IGNORE_COMMAND) violation(tx, "data pointer is null");
    if (len == 0) violation(tx, "data length is 0");
    if (sw == 0) violation(tx, "streaming width is 0");
    if (be != nullptr && be_len == 0) violation(tx, "byte-enable pointer set with a byte-enable length of 0");
    if (tx.get_response_status() != tlm::TLM_INCOMPLETE_RESPONSE)
        violation(tx, "the initiator did not set the response to TLM_INCOMPLETE_RESPONSE");
    if (tx.is_dmi_allowed()) violation(tx, "the initiator did not clear the DMI hint");

    // Inside a region granted for DMI, the memory behind the pointer is the reference.
    const unsigned span = (sw == 0 || sw > len) ? len : sw;
    const bool checkable = data != nullptr && len > 0 && sw > 0 && cmd != tlm::TLM_IGNORE_COMMAND;
    const tlm::tlm_dmi* region = checkable ? dmi_region(addr, addr + span - 1) : nullptr;
    if (region != nullptr && cmd == tlm::TLM_WRITE_COMMAND && region->is_read_allowed()) {
        const uint8_t* mem = region->get_dmi_ptr() + (addr - region->get_start_address());
        before_.assign(mem, mem + span);
    }

    out->b_transport(tx, delay);

    if (tx.get_response_status() == tlm::TLM_INCOMPLETE_RESPONSE)
        violation(tx, "b_transport returned with the response still TLM_INCOMPLETE_RESPONSE");
    if (delay < delay0) violation(tx, "the annotated delay went backwards");
    if (tx.get_command() != cmd) violation(tx, "the command was changed");
    if (tx.get_address() != addr)
        violation(tx, "the address was not restored (was " + hex_string(addr) + ")");
    if (tx.get_data_ptr() != data) violation(tx, "the data pointer was changed");
    if (tx.get_data_length() != len) violation(tx, "the data length was changed");
    if (tx.get_byte_enable_ptr() != be || tx.get_byte_enable_length() != be_len)
        violation(tx, "the byte enables were changed");
    if (tx.get_streaming_width() != sw) violation(tx, "the streaming width was changed");

    if (!tx.is_response_ok() || region == nullptr || tx.get_address() != addr) return;
    region = dmi_region(addr, addr + span - 1);  // an invalidation may have come meanwhile
    if (region == nullptr || !region->is_read_allowed()) return;
    ++dmi_checks_;
    const uint8_t* mem = region->get_dmi_ptr() + (addr - region->get_start_address());
    if (cmd == tlm::TLM_READ_COMMAND) {
        for (unsigned i = 0; i < len; ++i)
            if (byte_enabled(be, be_len, i) && data[i] != mem[i % span]) {
                violation(tx, "read data byte " + std::to_string(i) + " differs from the memory behind the DMI pointer" +
                                  (be || span < len ? " (byte enables or streaming width not honoured)" : ""));
                return;
            }
    } else if (cmd == tlm::TLM_WRITE_COMMAND && before_.size() == span) {
        // The last enabled byte written to each location wins; disabled locations keep their value.
        for (unsigned j = 0; j < span; ++j) {
            uint8_t expect = before_[j];
            for (unsigned i = j; i < len; i += span)
                if (byte_enabled(be, be_len, i)) expect = data[i];
            if (mem[j] != expect) {
                violation(tx, "memory byte " + std::to_string(j) + " after the write differs from what the write "
                              "should leave there" + (be || span < len ? " (byte enables or streaming width not honoured)" : ""));
                return;
            }
        }
    }
}

bool protocol_checker::get_direct_mem_ptr(tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi) {
    const uint64_t addr = tx.get_address();
    const bool ok = out->get_direct_mem_ptr(tx, dmi);
    if (tx.get_address() != addr) violation(tx, "get_direct_mem_ptr did not restore the address");
    const uint64_t lo = dmi.get_start_address(), hi = dmi.get_end_address();
    if (lo > hi) violation(tx, "DMI region [" + hex_string(lo) + ", " + hex_string(hi) + "] is empty or wraps");
    if (addr < lo || addr > hi)
        violation(tx, "DMI region [" + hex_string(lo) + ", " + hex_string(hi) + "] does not contain the requested address");
    if (ok) {
        ++dmi_grants_;
        if (dmi.get_dmi_ptr() == nullptr) violation(tx, "DMI granted with a null pointer");
        if (!dmi.is_read_allowed() && !dmi.is_write_allowed()) violation(tx, "DMI granted with neither read nor write access");
        if (dmi.get_dmi_ptr() != nullptr && lo <= hi && addr >= lo && addr <= hi) dmi_.push_back(dmi);
    }
    return ok;
}

unsigned protocol_checker::transport_dbg(tlm::tlm_generic_payload& tx) {
    const unsigned len = tx.get_data_length();
    const uint64_t addr = tx.get_address();
    if (len > 0 && tx.get_data_ptr() == nullptr) violation(tx, "debug transport with a null data pointer");
    const unsigned n = out->transport_dbg(tx);
    if (n > len) violation(tx, "transport_dbg returned " + std::to_string(n) + " bytes for a " + std::to_string(len) + "-byte request");
    if (tx.get_address() != addr) violation(tx, "transport_dbg did not restore the address");
    return n;
}

void protocol_checker::invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end) {
    ++invalidations_;
    if (start > end) {
        ++violations_;
        ++g_total_violations;
        report_warning(name(), "TLM-2.0 base-protocol violation: invalidate_direct_mem_ptr with start " + hex_string(start) +
                                   " above end " + hex_string(end));
    }
    std::vector<tlm::tlm_dmi> keep;
    for (const tlm::tlm_dmi& d : dmi_)
        if (d.get_end_address() < start || d.get_start_address() > end) keep.push_back(d);
    dmi_.swap(keep);
    in->invalidate_direct_mem_ptr(start, end);
}

void protocol_checker::stats(nlohmann::json& j) const {
    j["transactions"] = transactions_;
    j["violations"] = violations_;
    j["dmi_grants"] = dmi_grants_;
    j["dmi_data_checks"] = dmi_checks_;
    j["invalidations"] = invalidations_;
}

}  // namespace encvp

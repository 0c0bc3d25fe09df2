#include "memory/dram.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>

#include "common/memory_access.h"
#include "common/report.h"

namespace encvp {

dram::dram(const sc_core::sc_module_name& nm, uint64_t size_bytes)
    : sc_module(nm), in("in"), size_(size_bytes), mem_(nullptr) {
    if (size_bytes == 0) throw std::invalid_argument(std::string(name()) + ": size must be > 0");
    // calloc: the kernel hands out zero pages lazily, so an untouched DRAM costs no host memory.
    mem_ = static_cast<uint8_t*>(std::calloc(size_bytes, 1));
    if (mem_ == nullptr)
        throw std::runtime_error(std::string(name()) + ": cannot allocate " + std::to_string(size_bytes) +
                                 " bytes of host memory for the DRAM");
    in.register_b_transport(this, &dram::b_transport);
    in.register_get_direct_mem_ptr(this, &dram::get_direct_mem_ptr);
    in.register_transport_dbg(this, &dram::transport_dbg);
    set_timing(timing_);
}

dram::~dram() { std::free(mem_); }

void dram::set_timing(const timing& t) {
    if (!(t.bytes_per_ns > 0)) throw std::invalid_argument(std::string(name()) + ": bandwidth must be > 0");
    timing_ = t;
    ns_per_byte_ = sc_core::sc_time(1.0 / t.bytes_per_ns, sc_core::SC_NS);
}

void dram::set_dmi_enabled(bool on) {
    if (!on && dmi_enabled_) invalidate_dmi();
    dmi_enabled_ = on;
}

void dram::check_range(uint64_t offset, uint64_t len, const char* what) const {
    if (offset > size_ || len > size_ - offset)
        throw std::out_of_range(std::string(name()) + ": " + what + " of " + std::to_string(len) +
                                " bytes at offset " + hex_string(offset) + " does not fit in " +
                                std::to_string(size_) + " bytes of DRAM");
}

void dram::load(uint64_t offset, const void* src, uint64_t len) {
    check_range(offset, len, "load");
    std::memcpy(mem_ + offset, src, len);
}

void dram::dump(uint64_t offset, void* dst, uint64_t len) const {
    check_range(offset, len, "dump");
    std::memcpy(dst, mem_ + offset, len);
}

void dram::fill(uint64_t offset, uint8_t value, uint64_t len) {
    check_range(offset, len, "fill");
    std::memset(mem_ + offset, value, len);
}

void dram::b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
    const uint64_t offset = tx.get_address();
    const unsigned len = tx.get_data_length();
    const uint64_t span = memory_access_span(tx);
    if (offset > size_ || span > size_ - offset) {
        ++errors_;
        tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        report_warning(name(), std::string(tx.is_read() ? "read" : "write") + " at offset " + hex_string(offset) +
                                   " (" + std::to_string(len) + " bytes) outside the DRAM");
    } else {
        memory_access(tx, mem_, offset);
        delay += timing_.latency + ns_per_byte_ * double(len);
        if (tx.is_read()) { ++reads_; bytes_read_ += len; }
        else if (tx.is_write()) { ++writes_; bytes_written_ += len; }
        tx.set_dmi_allowed(dmi_enabled_);
    }
    if (trace_) trace_transaction(name(), tx, delay);
}

bool dram::get_direct_mem_ptr(tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi) {
    (void)tx;
    if (!dmi_enabled_) {
        dmi.allow_none();
        dmi.set_start_address(0);
        dmi.set_end_address(size_ - 1);
        return false;
    }
    ++dmi_grants_;
    dmi.allow_read_write();
    dmi.set_dmi_ptr(mem_);
    dmi.set_start_address(0);
    dmi.set_end_address(size_ - 1);
    dmi.set_read_latency(timing_.latency);
    dmi.set_write_latency(timing_.latency);
    return true;
}

unsigned dram::transport_dbg(tlm::tlm_generic_payload& tx) {
    const uint64_t offset = tx.get_address();
    const uint64_t len = tx.get_data_length();
    if (offset >= size_) {
        tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return 0;
    }
    const unsigned n = unsigned(std::min<uint64_t>(len, size_ - offset));
    if (tx.is_read()) std::memcpy(tx.get_data_ptr(), mem_ + offset, n);
    else if (tx.is_write()) std::memcpy(mem_ + offset, tx.get_data_ptr(), n);
    tx.set_response_status(n == len ? tlm::TLM_OK_RESPONSE : tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return n;
}

void dram::invalidate_dmi() { in->invalidate_direct_mem_ptr(0, size_ - 1); }

void dram::stats(nlohmann::json& out) const {
    out["reads"] = reads_;
    out["writes"] = writes_;
    out["bytes_read"] = bytes_read_;
    out["bytes_written"] = bytes_written_;
    out["errors"] = errors_;
    out["dmi_grants"] = dmi_grants_;
}

}  // namespace encvp

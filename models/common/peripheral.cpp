#include "common/peripheral.h"

#include "common/memory_access.h"
#include "common/report.h"

namespace encvp {

peripheral::peripheral(const sc_core::sc_module_name& nm, uint64_t block_size)
    : sc_module(nm), in("in"), regs_(name()), block_size_(block_size), latency_(sc_core::SC_ZERO_TIME) {
    in.register_b_transport(this, &peripheral::b_transport);
    in.register_transport_dbg(this, &peripheral::transport_dbg);
    SC_METHOD(drive_interrupts);
    sensitive << irq_event_;
    dont_initialize();
}

peripheral::window& peripheral::add_window(const std::string& nm, uint64_t offset, uint64_t size,
                                           uint8_t* storage) {
    windows_.push_back(window{nm, offset, size, storage});
    return windows_.back();
}

peripheral::window* peripheral::find_window(uint64_t offset, uint64_t span) {
    for (window& w : windows_)
        if (offset >= w.offset && offset - w.offset + span <= w.size) return &w;
    return nullptr;
}

void peripheral::b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
    const uint64_t offset = tx.get_address();
    delay += latency_;
    access_time_ = sc_core::sc_time_stamp() + delay;
    if (window* w = find_window(offset, memory_access_span(tx))) {
        memory_access(tx, w->data, offset - w->offset);
        if (tx.is_write()) {
            w->bytes_written += tx.get_data_length();
            window_written(*w, offset - w->offset, tx.get_data_length());
        } else {
            w->bytes_read += tx.get_data_length();
        }
    } else if (regs_.covers(offset)) {
        if (tx.is_read()) ++reg_reads_; else ++reg_writes_;
        regs_.transport(tx, offset);
    } else {
        tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        report_warning(name(), std::string(tx.is_read() ? "read of " : "write to ") + "offset " +
                                   hex_string(offset) + " (" + std::to_string(tx.get_data_length()) +
                                   " bytes): nothing mapped there in this block");
    }
    if (trace_) trace_transaction(name(), tx, delay);
}

unsigned peripheral::transport_dbg(tlm::tlm_generic_payload& tx) {
    const uint64_t offset = tx.get_address();
    if (window* w = find_window(offset, tx.get_data_length())) {
        return memory_access(tx, w->data, offset - w->offset);
    }
    if (regs_.covers(offset)) return regs_.debug(tx, offset);
    tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return 0;
}

void peripheral::stats(nlohmann::json& out) const {
    out["register_reads"] = reg_reads_;
    out["register_writes"] = reg_writes_;
    out["register_errors"] = regs_.errors();
    for (const window& w : windows_) {
        out[w.name + "_bytes_read"] = w.bytes_read;
        out[w.name + "_bytes_written"] = w.bytes_written;
    }
}

void peripheral::reset() { regs_.reset_all(); }

}  // namespace encvp

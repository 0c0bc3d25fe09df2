#include "memory/weight_sram.h"

#include <cstring>
#include <stdexcept>

#include "common/memory_access.h"
#include "common/report.h"

namespace encvp {

weight_sram::weight_sram(const sc_core::sc_module_name& nm, const geometry& g, const sc_core::sc_time& clock_period)
    : sc_module(nm), in("in"), geom_(g), clock_period_(clock_period) {
    const std::string who = name();
    if (g.word_bits < 8 || g.word_bits > 1024 || (g.word_bits & (g.word_bits - 1)) != 0)
        throw std::invalid_argument(who + ": word_bits must be a power of two between 8 and 1024, got " +
                                    std::to_string(g.word_bits));
    if (g.banks == 0 || g.banks > 64)
        throw std::invalid_argument(who + ": banks must be 1..64, got " + std::to_string(g.banks));
    if (g.size_bits == 0 || g.size_bits % (uint64_t(g.word_bits) * g.banks) != 0 || g.size_bits % 32 != 0)
        throw std::invalid_argument(who + ": size_bits (" + std::to_string(g.size_bits) +
                                    ") must be a non-zero multiple of word_bits x banks and of 32");
    if (g.size_bits > (uint64_t(1) << 32))
        throw std::invalid_argument(who + ": size_bits above 4 Gbit is not supported");
    bytes_.assign(g.size_bits / 8, 0);
    in.register_b_transport(this, &weight_sram::b_transport);
    in.register_transport_dbg(this, &weight_sram::transport_dbg);
}

uint64_t weight_sram::access_cycles(uint64_t len) const {
    const uint64_t words = (len * 8 + geom_.word_bits - 1) / geom_.word_bits;
    return (words + geom_.banks - 1) / geom_.banks;
}

void weight_sram::b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
    const uint64_t offset = tx.get_address();
    const unsigned len = tx.get_data_length();
    const uint64_t span = memory_access_span(tx);
    if (offset > bytes_.size() || span > bytes_.size() - offset) {
        ++errors_;
        tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        report_warning(name(), std::string(tx.is_read() ? "read" : "write") + " at offset " + hex_string(offset) +
                                   " (" + std::to_string(len) + " bytes) outside the " +
                                   std::to_string(geom_.size_bits) + "-bit weight SRAM");
    } else {
        memory_access(tx, bytes_.data(), offset);
        delay += clock_period_ * double(access_cycles(len));
        if (tx.is_write()) {
            bits_written_ += uint64_t(len) * 8;
            ++generation_;
        } else if (tx.is_read()) {
            bus_bits_read_ += uint64_t(len) * 8;
        }
    }
    if (trace_) trace_transaction(name(), tx, delay);
}

unsigned weight_sram::transport_dbg(tlm::tlm_generic_payload& tx) {
    const uint64_t offset = tx.get_address();
    const uint64_t len = tx.get_data_length();
    if (offset >= bytes_.size()) {
        tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return 0;
    }
    const unsigned n = unsigned(std::min<uint64_t>(len, bytes_.size() - offset));
    if (tx.is_read()) std::memcpy(tx.get_data_ptr(), bytes_.data() + offset, n);
    else if (tx.is_write()) {
        std::memcpy(bytes_.data() + offset, tx.get_data_ptr(), n);
        ++generation_;
    }
    tx.set_response_status(n == len ? tlm::TLM_OK_RESPONSE : tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return n;
}

void weight_sram::load(uint64_t offset, const void* src, uint64_t len) {
    if (offset > bytes_.size() || len > bytes_.size() - offset)
        throw std::out_of_range(std::string(name()) + ": load of " + std::to_string(len) + " bytes at " +
                                hex_string(offset) + " does not fit");
    std::memcpy(bytes_.data() + offset, src, len);
    ++generation_;
}

void weight_sram::dump(uint64_t offset, void* dst, uint64_t len) const {
    if (offset > bytes_.size() || len > bytes_.size() - offset)
        throw std::out_of_range(std::string(name()) + ": dump of " + std::to_string(len) + " bytes at " +
                                hex_string(offset) + " does not fit");
    std::memcpy(dst, bytes_.data() + offset, len);
}

void weight_sram::stats(nlohmann::json& out) const {
    out["size_bits"] = geom_.size_bits;
    out["word_bits"] = geom_.word_bits;
    out["banks"] = geom_.banks;
    out["bits_written"] = bits_written_;
    out["bits_read_by_encoder"] = bits_read_;
    out["bits_read_by_bus"] = bus_bits_read_;
    out["errors"] = errors_;
}

}  // namespace encvp

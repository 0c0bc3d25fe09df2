#include "common/register.h"

#include <cstring>
#include <sstream>

#include <systemc>

#include "common/report.h"

namespace encvp {

reg32::reg32(const regdefs::reg_def& def, uint32_t offset, std::string name)
    : def_(&def), offset_(offset), name_(std::move(name)), value_(def.reset) {}

uint32_t reg32::field(unsigned lsb, unsigned width) const {
    const uint32_t mask = width >= 32 ? 0xFFFFFFFFu : ((1u << width) - 1u);
    return (value_ >> lsb) & mask;
}

void reg32::set_field(unsigned lsb, unsigned width, uint32_t v) {
    const uint32_t mask = (width >= 32 ? 0xFFFFFFFFu : ((1u << width) - 1u)) << lsb;
    value_ = (value_ & ~mask) | ((v << lsb) & mask);
}

uint32_t reg32::bus_read() { return read_ ? read_(value_) : value_; }

uint32_t reg32::peek() const { return value_; }

void reg32::bus_write(uint32_t data) {
    const uint32_t before = value_;
    uint32_t v = (before & ~def_->rw_mask) | (data & def_->rw_mask);
    v &= ~(data & def_->w1c_mask);
    value_ = v;
    if (write_) write_(value_, before);
}

void register_bank::add(reg32& r) {
    const uint64_t word = r.offset() / 4;
    if (by_word_.size() <= word) by_word_.resize(word + 1, nullptr);
    if (by_word_[word] != nullptr)
        throw std::logic_error(owner_ + ": register " + r.name() + " overlaps " + by_word_[word]->name());
    by_word_[word] = &r;
    regs_.push_back(&r);
    span_ = by_word_.size() * 4;
}

reg32* register_bank::find(uint64_t offset) const {
    if (offset % 4 != 0) return nullptr;
    const uint64_t word = offset / 4;
    return word < by_word_.size() ? by_word_[word] : nullptr;
}

void register_bank::reject(tlm::tlm_generic_payload& tx, tlm::tlm_response_status st, const std::string& why) {
    ++errors_;
    tx.set_response_status(st);
    report_warning(owner_, why);
}

void register_bank::transport(tlm::tlm_generic_payload& tx, uint64_t offset) {
    const bool is_read = tx.is_read();
    reg32* r = find(offset & ~uint64_t(3));
    // Only an error builds a message: the hot path allocates nothing.
    auto what = [&]() {
        return std::string(is_read ? "read of " : "write to ") + (r ? r->name() : hex_string(offset)) + " (offset " +
               hex_string(offset) + ")";
    };
    if (!tx.is_read() && !tx.is_write()) {
        tx.set_response_status(tlm::TLM_OK_RESPONSE);  // TLM_IGNORE_COMMAND: nothing to do
        return;
    }
    if (tx.get_data_length() != 4 || tx.get_streaming_width() < 4) {
        reject(tx, tlm::TLM_BURST_ERROR_RESPONSE,
               what() + ": registers take 32-bit accesses only, got " + std::to_string(tx.get_data_length()) + " bytes");
        return;
    }
    if (offset % 4 != 0) {
        reject(tx, tlm::TLM_ADDRESS_ERROR_RESPONSE, what() + ": misaligned register access");
        return;
    }
    if (tx.get_byte_enable_ptr() != nullptr) {
        reject(tx, tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE, what() + ": byte enables are not supported on registers");
        return;
    }
    if (r == nullptr) {
        reject(tx, tlm::TLM_ADDRESS_ERROR_RESPONSE, what() + ": no register at this offset");
        return;
    }
    uint32_t v = 0;
    if (is_read) {
        if (!r->readable()) {
            reject(tx, tlm::TLM_COMMAND_ERROR_RESPONSE, what() + ": register is write-only");
            return;
        }
        v = r->bus_read();
        std::memcpy(tx.get_data_ptr(), &v, 4);
    } else {
        std::memcpy(&v, tx.get_data_ptr(), 4);
        if (!r->writable()) {
            reject(tx, tlm::TLM_COMMAND_ERROR_RESPONSE, what() + ": register is read-only (value " + hex_string(v) + " ignored)");
            return;
        }
        r->bus_write(v);
    }
    tx.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned register_bank::debug(tlm::tlm_generic_payload& tx, uint64_t offset) {
    // Debug transport reads any register whole-word-wise and never triggers behaviour.
    const unsigned len = tx.get_data_length();
    unsigned done = 0;
    for (; done < len; ++done) {
        const uint64_t a = offset + done;
        reg32* r = find(a & ~uint64_t(3));
        if (r == nullptr) break;
        uint32_t v = r->peek();
        const unsigned byte = unsigned(a & 3);
        if (tx.is_read()) {
            tx.get_data_ptr()[done] = uint8_t(v >> (8 * byte));
        } else if (tx.is_write()) {
            v = (v & ~(0xFFu << (8 * byte))) | (uint32_t(tx.get_data_ptr()[done]) << (8 * byte));
            r->set((r->peek() & ~r->def().rw_mask) | (v & r->def().rw_mask));
        }
    }
    tx.set_response_status(done == len ? tlm::TLM_OK_RESPONSE : tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return done;
}

void register_bank::reset_all() {
    for (reg32* r : regs_) r->reset();
}

}  // namespace encvp

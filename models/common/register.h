// Memory-mapped 32-bit registers and the bank that decodes bus accesses to them.
// A register is built from its generated definition (models/regs/encvp_regdefs.h), so name, offset,
// reset value and access rules come from the one register description; models only add behaviour.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <tlm>

#include "common/regdef.h"

namespace encvp {

class reg32 {
public:
    using read_hook = std::function<uint32_t(uint32_t stored)>;
    using write_hook = std::function<void(uint32_t now, uint32_t before)>;

    explicit reg32(const regdefs::reg_def& def) : reg32(def, def.offset, def.name) {}
    reg32(const regdefs::reg_def& def, uint32_t offset, std::string name);

    const std::string& name() const { return name_; }
    uint32_t offset() const { return offset_; }
    const regdefs::reg_def& def() const { return *def_; }

    // Model-side access: no access checks, no hooks.
    uint32_t get() const { return value_; }
    void set(uint32_t v) { value_ = v; }
    void set_bits(uint32_t mask) { value_ |= mask; }
    void clear_bits(uint32_t mask) { value_ &= ~mask; }
    uint32_t field(unsigned lsb, unsigned width) const;
    void set_field(unsigned lsb, unsigned width, uint32_t v);

    // Behaviour: the read hook computes the value a bus read returns (live counters);
    // the write hook runs after the masked value has been stored.
    void on_read(read_hook h) { read_ = std::move(h); }
    void on_write(write_hook h) { write_ = std::move(h); }

    bool readable() const { return def_->acc != regdefs::access::wo; }
    bool writable() const { return def_->acc != regdefs::access::ro; }

    // Bus-side access (the bank has already checked readable()/writable()).
    uint32_t bus_read();
    uint32_t peek() const;  // debug read: no side effects
    void bus_write(uint32_t data);
    void reset() { value_ = def_->reset; }

private:
    const regdefs::reg_def* def_;
    uint32_t offset_;
    std::string name_;
    uint32_t value_;
    read_hook read_;
    write_hook write_;
};

// Decodes 32-bit register accesses for one block. Anything the hardware would reject (wrong size,
// misaligned, byte enables, read of write-only, write of read-only, no register) gets a TLM error
// response and a warning naming the register; the simulation goes on.
class register_bank {
public:
    explicit register_bank(std::string owner) : owner_(std::move(owner)) {}

    void add(reg32& r);
    reg32* find(uint64_t offset) const;
    bool covers(uint64_t offset) const { return offset < span_; }

    // Handles tx whose address is already relative to the block.
    void transport(tlm::tlm_generic_payload& tx, uint64_t offset);
    // Debug access: reads without side effects, writes store the masked value without hooks.
    unsigned debug(tlm::tlm_generic_payload& tx, uint64_t offset);

    void reset_all();
    uint64_t errors() const { return errors_; }
    const std::vector<reg32*>& registers() const { return regs_; }

private:
    void reject(tlm::tlm_generic_payload& tx, tlm::tlm_response_status st, const std::string& why);

    std::string owner_;
    std::vector<reg32*> regs_;
    std::vector<reg32*> by_word_;
    uint64_t span_ = 0;
    uint64_t errors_ = 0;
};

}  // namespace encvp

// Plain descriptions of registers, as produced by scripts/gen_regs.py from models/regs/*.toml.
// SystemC-free so that tools and tests can walk the register map without a simulation.
#pragma once

#include <cstdint>

namespace encvp::regdefs {

enum class access : uint8_t { ro, rw, wo, w1c };

struct field_def {
    const char* name;
    unsigned lsb;
    unsigned width;
    access acc;
};

struct reg_def {
    const char* name;
    uint32_t offset;
    uint32_t reset;
    access acc;          // whole-register access: ro, rw or wo
    uint32_t rw_mask;    // bits a write stores
    uint32_t w1c_mask;   // bits a write of 1 clears
    const char* desc;
    const field_def* fields;
    unsigned num_fields;
};

struct group_def {
    const char* name;
    uint32_t offset;
    uint32_t count;
    uint32_t stride;
};

struct window_def {
    const char* name;
    uint32_t offset;
    uint32_t size;
};

inline const char* access_name(access a) {
    switch (a) {
    case access::ro: return "ro";
    case access::rw: return "rw";
    case access::wo: return "wo";
    case access::w1c: return "w1c";
    }
    return "?";
}

}  // namespace encvp::regdefs

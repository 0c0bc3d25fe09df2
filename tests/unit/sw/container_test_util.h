// Byte surgery on the shared container of .enet and .edec files (8-byte magic, version, JSON
// length, payload length, CRC-32 of what follows the 24-byte header, JSON, payload): split a
// serialized file into its header and payload, and rebuild one from edited parts with correct
// lengths and CRC. Used by the reader tests of both formats.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/crc32.h"

namespace encvp::test {

inline uint32_t rd32(const std::vector<uint8_t>& b, std::size_t at) {
    return uint32_t(b[at]) | uint32_t(b[at + 1]) << 8 | uint32_t(b[at + 2]) << 16 | uint32_t(b[at + 3]) << 24;
}
inline void wr32(std::vector<uint8_t>& b, std::size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) b[at + std::size_t(i)] = uint8_t(v >> (8 * i));
}

struct container_parts {
    nlohmann::json j;
    std::vector<uint8_t> payload;
};

inline container_parts split_container(const std::vector<uint8_t>& b) {
    const uint32_t jlen = rd32(b, 12);
    container_parts p;
    p.j = nlohmann::json::parse(b.begin() + 24, b.begin() + 24 + jlen);
    p.payload.assign(b.begin() + 24 + jlen, b.end());
    return p;
}

// A file with the given magic (8 characters), JSON text and payload, correct lengths and CRC.
inline std::vector<uint8_t> make_container(const char (&magic)[9], const std::string& text,
                                           const std::vector<uint8_t>& payload, uint32_t version = 1) {
    std::vector<uint8_t> b(magic, magic + 8);
    b.resize(24, 0);
    wr32(b, 8, version);
    wr32(b, 12, uint32_t(text.size()));
    wr32(b, 16, uint32_t(payload.size()));
    b.insert(b.end(), text.begin(), text.end());
    b.insert(b.end(), payload.begin(), payload.end());
    wr32(b, 20, encvp::crc32(b.data() + 24, b.size() - 24));
    return b;
}

}  // namespace encvp::test

// Shared by the harnesses of the .enet and .edec readers (both use the same container: 24-byte
// header, CRC-32 of everything after it stored at byte 20).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/crc32.h"

namespace encvp::fuzz {

// The input with the CRC-32 of its mutated bytes stored in the header. Mutations would almost
// never keep the checksum right and the fuzzer would never get past it; the mismatch path is
// covered by the unit tests.
inline std::vector<uint8_t> with_container_crc(const uint8_t* data, std::size_t size) {
    std::vector<uint8_t> bytes(data, data + size);
    if (bytes.size() >= 24) {
        const uint32_t crc = crc32(bytes.data() + 24, bytes.size() - 24);
        for (int i = 0; i < 4; ++i) bytes[20 + std::size_t(i)] = uint8_t(crc >> (8 * i));
    }
    return bytes;
}

}  // namespace encvp::fuzz

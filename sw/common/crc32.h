// CRC-32 (IEEE 802.3, reflected, as zlib's crc32): checksums of network files and bitstreams.
#pragma once

#include <cstddef>
#include <cstdint>

namespace encvp {

uint32_t crc32(const uint8_t* data, std::size_t len, uint32_t crc = 0);

}  // namespace encvp

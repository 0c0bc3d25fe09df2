#include "common/crc32.h"

#include <array>

namespace encvp {

namespace {
// Slicing-by-8: table k holds the CRC of a byte followed by k zero bytes, so eight input bytes
// fold into the register with eight independent lookups (about 5x faster than byte by byte on
// the 128 KiB network files and the bitstreams).
using tables = std::array<std::array<uint32_t, 256>, 8>;

tables make_tables() {
    tables t{};
    for (uint32_t i = 0; i < 256; ++i) {
        uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i)
        for (std::size_t k = 1; k < 8; ++k) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xFFu];
    return t;
}
}  // namespace

uint32_t crc32(const uint8_t* data, std::size_t len, uint32_t crc) {
    static const tables t = make_tables();
    crc = ~crc;
    std::size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        const uint32_t lo = crc ^ (uint32_t(data[i]) | uint32_t(data[i + 1]) << 8 | uint32_t(data[i + 2]) << 16 |
                                   uint32_t(data[i + 3]) << 24);
        crc = t[7][lo & 0xFFu] ^ t[6][(lo >> 8) & 0xFFu] ^ t[5][(lo >> 16) & 0xFFu] ^ t[4][lo >> 24] ^ t[3][data[i + 4]] ^
              t[2][data[i + 5]] ^ t[1][data[i + 6]] ^ t[0][data[i + 7]];
    }
    for (; i < len; ++i) crc = t[0][(crc ^ data[i]) & 0xFFu] ^ (crc >> 8);
    return ~crc;
}

}  // namespace encvp

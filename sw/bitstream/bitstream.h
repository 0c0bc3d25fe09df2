// The compressed-frame container (.evc, docs/compression.md): frame and patch geometry, the
// identity of the encoder network, the patch codes, a checksum. Reading validates everything
// before allocating anything that depends on the header.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace encvp {

constexpr uint32_t EVC_VERSION = 1;
constexpr uint32_t EVC_MAX_SIDE = 32768;
// Entropy-coded payloads decode to at most this many times their size (the coder's limit is 91).
constexpr uint64_t EVC_MAX_EXPANSION = 96;
constexpr uint32_t EVC_FLAG_ENTROPY_CODED = 1u;
// With EVC_FLAG_ENTROPY_CODED: the payload uses model 2 (context mixing, entropy.cpp); without it,
// model 1 (the first format, still read).
constexpr uint32_t EVC_FLAG_ENTROPY_MIXED = 2u;

struct code_stream {
    uint32_t width = 0, height = 0;  // the original frame (before padding to whole patches)
    uint16_t patch = 16;             // patch side P
    uint16_t code_c = 4, code_h = 4, code_w = 4;  // code tensor of one patch (1 bit per value)
    uint32_t net_crc = 0;            // CRC-32 of the .enet file that produced the codes
    uint32_t flags = 0;
    std::vector<uint8_t> codes;      // patch after patch in raster order, bits_per_patch() bits each, LSB first

    uint32_t cols() const { return (width + patch - 1) / patch; }
    uint32_t rows() const { return (height + patch - 1) / patch; }
    uint32_t bits_per_patch() const { return uint32_t(code_c) * code_h * code_w; }
    uint64_t total_bits() const { return uint64_t(cols()) * rows() * bits_per_patch(); }
    double bpp() const { return double(total_bits()) / (double(width) * height); }
    // Code value c, y, x (within the patch) of patch (row, col).
    int bit(uint32_t row, uint32_t col, unsigned c, unsigned y, unsigned x) const;
};

std::vector<uint8_t> serialize_code_stream(const code_stream& s);
code_stream parse_code_stream(const std::vector<uint8_t>& bytes, const std::string& source);
code_stream read_code_stream(const std::string& path);
void write_code_stream(const std::string& path, const code_stream& s);

}  // namespace encvp

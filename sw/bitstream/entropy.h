// Lossless context-adaptive binary arithmetic coding of patch codes (optional, host side): the
// picture is unchanged, the rate drops by what the codes' local statistics allow. Each code bit is
// coded with an adaptive probability chosen by its channel and its already-coded neighbours in the
// frame's code tensor (left and above in the same channel, and the same position one channel
// below), so context crosses patch boundaries, like the full-frame decoder.
#pragma once

#include <cstdint>
#include <vector>

#include "bitstream/bitstream.h"

namespace encvp {

// Codes the raw codes of s (s.codes, LSB-first bits) into a byte string.
std::vector<uint8_t> entropy_encode(const code_stream& s);
// Decodes `data` into the raw codes of a stream with s's geometry (s.codes is replaced). Never reads
// outside `data`; corrupt input yields wrong bits (the container's CRC catches corruption).
void entropy_decode(const std::vector<uint8_t>& data, code_stream& s);

}  // namespace encvp

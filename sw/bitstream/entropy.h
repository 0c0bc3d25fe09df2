// Lossless context-adaptive binary arithmetic coding of patch codes (optional, host side): the
// picture is unchanged, the rate drops by what the codes' local statistics allow. Bits are coded in
// the frame's code tensor (channel by channel, row by row over the whole frame), so context crosses
// patch boundaries, like the full-frame decoder. Two models (docs/compression.md):
//  * model 1 (flags: EVC_FLAG_ENTROPY_CODED): one adaptive probability per channel and its
//    left, above, above-left neighbours and the bit one channel below;
//  * model 2 (plus EVC_FLAG_ENTROPY_MIXED, what `encvp compress --entropy` writes): three context
//    models (spatial neighbours with the 7 channels below; a wider spatial context; the channel
//    below's neighbourhood), count-based adaptation, mixed in the logistic domain by weights
//    learned on the fly; integer arithmetic only.
#pragma once

#include <cstdint>
#include <vector>

#include "bitstream/bitstream.h"

namespace encvp {

// Codes the raw codes of s (s.codes, LSB-first bits) into a byte string, with the model s.flags names.
std::vector<uint8_t> entropy_encode(const code_stream& s);
// Decodes `data` into the raw codes of a stream with s's geometry (s.codes is replaced). Never reads
// outside `data`; corrupt input yields wrong bits (the container's CRC catches corruption).
void entropy_decode(const std::vector<uint8_t>& data, code_stream& s);

}  // namespace encvp

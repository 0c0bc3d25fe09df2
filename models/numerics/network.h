// A network ready to run: layer descriptors with decoded weights and biases, and the result of
// one inference. Shared by the reference, the fast engine, the golden runner and the encoder.
#pragma once

#include <cstdint>
#include <vector>

#include "numerics/layer.h"
#include "numerics/numerics.h"

namespace encvp::nx {

struct layer_params {
    layer_desc d;
    std::vector<int8_t> weights;  // decoded values, [Co][Ci/g][k][k] (fc: [N][C])
    std::vector<int32_t> bias;    // [Co]
};

struct network {
    network_shape shape;             // input geometry, task, descriptors (copied in params)
    std::vector<layer_params> layers;
};

struct inference_result {
    std::vector<int32_t> logits;  // classify: one per class
    int cls = -1;                 // classify: argmax, ties to the lowest index
    std::vector<uint8_t> output;  // compress: last layer's A-bit values, CHW order
    flags f;
};

// Index of the largest value; ties go to the lowest index (numerics §2.4).
inline int argmax_lowest(const std::vector<int32_t>& v) {
    int best = -1;
    for (std::size_t i = 0; i < v.size(); ++i)
        if (best < 0 || v[i] > v[std::size_t(best)]) best = int(i);
    return best;
}

// Packs A-bit values with the bit order of numerics §4 (the compression code).
std::vector<uint8_t> pack_values(const std::vector<uint8_t>& values, unsigned bits);

// The straightforward implementation of docs/numerics.md, loop by loop. Slow; it is the
// yardstick the fast engine is tested against.
inference_result reference_run(const network& net, const uint8_t* input_chw);

}  // namespace encvp::nx

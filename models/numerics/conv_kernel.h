// The convolution kernels behind nx::engine. A layer is prepared once (weights re-laid for the
// kernel), then each run convolves a zero-bordered HWC input into a contiguous HWC output and
// applies the output stage of docs/numerics.md. Two implementations: AVX2 (u8 x s8 multiplies
// with 16-bit accumulation where the layer's bound allows it) and portable C++. Both are
// bit-exact to reference_run(); the choice is made at run time.
#pragma once

#include <cstdint>
#include <vector>

#include "numerics/layer.h"
#include "numerics/numerics.h"

namespace encvp::nx {

enum class kernel_isa { generic, avx2 };

// The best kernel this CPU runs; ENCVP_KERNEL=generic|avx2 forces one (if the CPU supports it).
kernel_isa select_kernel();
const char* kernel_isa_name(kernel_isa k);
bool kernel_supported(kernel_isa k);

constexpr unsigned LANES = 8;  // output channels per weight block

struct conv_plan {
    layer_desc d;
    unsigned cig = 0, cog = 0;   // channels per group
    unsigned cig_pad = 0;        // cig rounded up to 4
    unsigned cstride = 0;        // input channel stride: groups * cig_pad
    unsigned in_hp = 0, in_wp = 0;  // input with its zero border
    unsigned ho = 0, wo = 0;     // convolution output (before pooling)
    unsigned blocks = 0;         // ceil(cog / LANES) weight blocks per group
    unsigned steps = 0;          // k*k*cig_pad/4 multiply steps per output
    unsigned flush = 0;          // steps a 16-bit accumulator may take before widening
    std::vector<int8_t> w;       // [g][block][ky][kx][c4][LANES][4]
    std::vector<int32_t> bias;   // [g][block*LANES], zero beyond cog
};

// Builds the plan from decoded weights ([Co][Ci/g][k][k]) and biases.
conv_plan make_conv_plan(const layer_desc& d, const std::vector<int8_t>& weights, const std::vector<int32_t>& bias);

// in: (in_h + 2 pad) x (in_w + 2 pad) x cstride bytes, border and channel padding zero.
// out: ho x wo x out_c bytes (A-bit values). Returns accumulated flags through f.
void conv_forward(kernel_isa k, const conv_plan& p, const uint8_t* in, uint8_t* out, flags& f);

}  // namespace encvp::nx

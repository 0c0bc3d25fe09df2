// The fast executor of the numerics contract. Weights are decoded and re-laid once per network
// (im2col order, 16-bit, padded to whole vectors); each inference then runs without allocation.
// Results are identical to reference_run() bit for bit (tests/unit/numerics_engine_test.cpp).
#pragma once

#include <cstdint>
#include <vector>

#include "numerics/network.h"

namespace encvp::nx {

class engine {
public:
    engine() = default;
    explicit engine(const network& net) { load(net); }

    // Prepares the network; throws std::invalid_argument if the network fails check_network().
    void load(const network& net);
    bool loaded() const { return !layers_.empty(); }
    const network_shape& shape() const { return shape_; }

    // One inference on an 8-bit CHW input of the network's input geometry.
    void run(const uint8_t* input_chw, inference_result& r);

    // Name of the arithmetic kernel chosen for this machine (e.g. "avx512", "avx2", "generic").
    static const char* kernel_name();

private:
    struct prepared {
        layer_desc d;
        unsigned k_len = 0;        // kernel*kernel*(in_c/groups)
        unsigned k_pad = 0;        // k_len rounded up to the vector block
        std::vector<int16_t> w;    // [out_c][k_pad], each row in [ky][kx][ci] order
        std::vector<int32_t> bias;
    };

    void conv(const prepared& p, const uint8_t* in_hwc, uint8_t* out_hwc, flags& f);
    void fc(const prepared& p, const uint8_t* in_hwc, inference_result& r);

    network_shape shape_;
    std::vector<prepared> layers_;
    std::vector<uint8_t> act_a_, act_b_, conv_out_;
    std::vector<int16_t> patch_;
    std::vector<int32_t> acc_;
};

}  // namespace encvp::nx

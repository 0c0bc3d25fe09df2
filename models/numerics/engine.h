// The fast executor of the numerics contract. Weights are decoded and re-laid once per network
// (conv_kernel.h); each inference then runs without allocation on zero-bordered HWC buffers.
// Results are identical to reference_run() bit for bit (tests/unit/sw/engine_test.cpp).
#pragma once

#include <cstdint>
#include <vector>

#include "numerics/conv_kernel.h"
#include "numerics/network.h"

namespace encvp::nx {

class engine {
public:
    engine() = default;
    explicit engine(const network& net, kernel_isa isa = select_kernel()) { load(net, isa); }

    // Prepares the network; throws std::invalid_argument if the network fails check_network().
    void load(const network& net, kernel_isa isa = select_kernel());
    bool loaded() const { return !convs_.empty(); }
    const network_shape& shape() const { return shape_; }
    kernel_isa isa() const { return isa_; }

    // One inference on an 8-bit CHW input of the network's input geometry.
    void run(const uint8_t* input_chw, inference_result& r);

    // Name of the arithmetic kernel this machine uses by default ("avx2" or "generic").
    static const char* kernel_name();

private:
    // Writes a conv layer's output (ho x wo x out_c, contiguous) into the next layer's input buffer
    // (zero border, per-group channel padding), max-pooling on the way if the layer pools.
    void emit(const conv_plan& p, const uint8_t* conv_out, std::size_t next);

    network_shape shape_;
    kernel_isa isa_ = kernel_isa::generic;
    std::vector<conv_plan> convs_;
    std::vector<std::vector<uint8_t>> inputs_;  // per conv layer, plus the final output (HWC)
    std::vector<uint8_t> conv_out_;
    bool has_fc_ = false;
    layer_desc fc_;
    std::vector<int8_t> fc_w_;
    std::vector<int32_t> fc_b_;
    std::vector<int64_t> sums_;
};

}  // namespace encvp::nx

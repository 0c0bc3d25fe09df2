// One encoder layer as the hardware sees it (what a layer descriptor holds), its derived
// geometry, and the checks that decide whether the hardware accepts it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace encvp::nx {

enum class layer_type : uint8_t { conv = 0, fc = 1 };

struct layer_desc {
    layer_type type = layer_type::conv;
    unsigned in_c = 0, in_h = 0, in_w = 0;  // input tensor (fc: channels of the pooled input)
    unsigned out_c = 0;                     // output channels (fc: classes)
    unsigned kernel = 1, stride = 1, pad = 0, groups = 1;
    unsigned w_bits = 2;    // weight width 1..3
    unsigned in_bits = 2;   // input activation width: 8 for the first layer, else 1..3
    unsigned a_bits = 2;    // output activation width 1..3 (conv)
    unsigned b_bits = 16;   // bias width 2..24
    unsigned shift = 0;     // 0..24 (conv)
    bool pool = false;      // 2x2 max-pool after quantization (conv)

    unsigned conv_h() const { return (in_h + 2 * pad - kernel) / stride + 1; }
    unsigned conv_w() const { return (in_w + 2 * pad - kernel) / stride + 1; }
    unsigned out_h() const { return type == layer_type::fc ? 1 : (pool ? conv_h() / 2 : conv_h()); }
    unsigned out_w() const { return type == layer_type::fc ? 1 : (pool ? conv_w() / 2 : conv_w()); }
    unsigned fan_in() const {
        return type == layer_type::fc ? in_c : kernel * kernel * (in_c / groups);
    }
    uint64_t n_weights() const { return uint64_t(out_c) * fan_in(); }
    uint64_t weight_bits() const { return n_weights() * w_bits; }
    uint64_t bias_bits() const { return uint64_t(out_c) * b_bits; }
    // Multiply-accumulates per run (fc: the classifier only; the sum pool is additions).
    uint64_t macs() const {
        return type == layer_type::fc ? uint64_t(out_c) * in_c
                                      : uint64_t(conv_h()) * conv_w() * out_c * fan_in();
    }
    uint64_t input_elements() const { return uint64_t(in_c) * in_h * in_w; }
    uint64_t output_elements() const {
        return type == layer_type::fc ? out_c : uint64_t(out_c) * out_h() * out_w();
    }
};

// What the encoder hardware supports; the descriptors' field widths and the buffers set them.
struct hw_limits {
    unsigned max_layers = 32;
    unsigned max_channels = 1024;
    unsigned max_dim = 1024;
    unsigned max_kernel = 7;
};

// Checks one layer on its own. Returns an empty string, or what is wrong (naming the field).
std::string check_layer(const layer_desc& l, bool first, const hw_limits& lim = hw_limits());

// Bound on |acc + bias| for the worst input and weights of the layer, given its largest |bias|
// (numerics §3). A network is accepted only if this is below 2^23.
int64_t worst_case_accumulator(const layer_desc& l, int64_t max_abs_bias);

struct network_shape {
    unsigned in_c = 3, in_h = 32, in_w = 32;
    std::vector<layer_desc> layers;
    bool classify = true;  // last layer is fc
};

// Whole-network checks: chaining, layer count, task consistency. Returns "" or "layer N (...): ...".
std::string check_network(const network_shape& n, const hw_limits& lim = hw_limits());

}  // namespace encvp::nx

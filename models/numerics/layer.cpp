#include "numerics/layer.h"

#include "numerics/numerics.h"

namespace encvp::nx {

namespace {
std::string num(uint64_t v) { return std::to_string(v); }
}  // namespace

std::string check_layer(const layer_desc& l, bool first, const hw_limits& lim) {
    if (l.w_bits < 1 || l.w_bits > 3) return "weight_bits " + num(l.w_bits) + " not in 1..3";
    if (l.b_bits < MIN_BIAS_BITS || l.b_bits > MAX_BIAS_BITS)
        return "bias_bits " + num(l.b_bits) + " not in 2..24";
    if (first) {
        if (l.in_bits != INPUT_BITS) return "the first layer must take 8-bit input pixels, got in_bits " + num(l.in_bits);
    } else if (l.in_bits < 1 || l.in_bits > 3) {
        return "input activation bits " + num(l.in_bits) + " not in 1..3";
    }
    if (l.in_c < 1 || l.in_c > lim.max_channels) return "input channels " + num(l.in_c) + " not in 1.." + num(lim.max_channels);
    if (l.out_c < 1 || l.out_c > lim.max_channels) return "output channels " + num(l.out_c) + " not in 1.." + num(lim.max_channels);
    if (l.in_h < 1 || l.in_w < 1 || l.in_h > lim.max_dim || l.in_w > lim.max_dim)
        return "input size " + num(l.in_h) + "x" + num(l.in_w) + " not in 1.." + num(lim.max_dim);
    if (l.type == layer_type::fc) return "";
    if (l.type != layer_type::conv) return "unknown layer type";
    if (l.kernel < 1 || l.kernel > lim.max_kernel || l.kernel % 2 == 0)
        return "kernel " + num(l.kernel) + " is not odd in 1.." + num(lim.max_kernel);
    if (l.stride < 1 || l.stride > 2) return "stride " + num(l.stride) + " not in 1..2";
    if (l.pad > l.kernel / 2) return "padding " + num(l.pad) + " larger than kernel/2";
    if (l.groups < 1 || l.in_c % l.groups || l.out_c % l.groups)
        return "groups " + num(l.groups) + " does not divide input channels " + num(l.in_c) + " and output channels " + num(l.out_c);
    if (l.a_bits < 1 || l.a_bits > 3) return "activation bits " + num(l.a_bits) + " not in 1..3";
    if (l.shift > MAX_SHIFT) return "shift " + num(l.shift) + " not in 0..24";
    if (l.in_h + 2 * l.pad < l.kernel || l.in_w + 2 * l.pad < l.kernel)
        return "kernel " + num(l.kernel) + " larger than the padded input " + num(l.in_h) + "x" + num(l.in_w);
    if (l.out_h() < 1 || l.out_w() < 1) return "output is empty after pooling";
    return "";
}

int64_t worst_case_accumulator(const layer_desc& l, int64_t max_abs_bias) {
    const int64_t max_in = (int64_t(1) << l.in_bits) - 1;
    int64_t terms = l.fan_in();
    if (l.type == layer_type::fc) terms *= int64_t(l.in_h) * l.in_w;  // sum pool over positions
    return terms * max_abs_weight(l.w_bits) * max_in + max_abs_bias;
}

std::string check_network(const network_shape& n, const hw_limits& lim) {
    if (n.layers.empty()) return "network has no layers";
    if (n.layers.size() > lim.max_layers)
        return "network has " + num(n.layers.size()) + " layers, the encoder holds at most " + num(lim.max_layers);
    unsigned c = n.in_c, h = n.in_h, w = n.in_w, bits = INPUT_BITS;
    for (std::size_t i = 0; i < n.layers.size(); ++i) {
        const layer_desc& l = n.layers[i];
        const std::string where = "layer " + num(i) + (l.type == layer_type::fc ? " (fc)" : " (conv)") + ": ";
        if (l.in_c != c || l.in_h != h || l.in_w != w)
            return where + "input " + num(l.in_c) + "x" + num(l.in_h) + "x" + num(l.in_w) +
                   " does not match the previous output " + num(c) + "x" + num(h) + "x" + num(w);
        if (l.in_bits != bits)
            return where + "input bits " + num(l.in_bits) + " do not match the previous output bits " + num(bits);
        const std::string e = check_layer(l, i == 0, lim);
        if (!e.empty()) return where + e;
        const bool last = i + 1 == n.layers.size();
        if (l.type == layer_type::fc && !last) return where + "an fc head must be the last layer";
        if (l.type == layer_type::fc && i == 0) return where + "an fc head needs a conv layer before it";
        if (last && n.classify && l.type != layer_type::fc) return where + "a classification network must end with an fc head";
        if (last && !n.classify && l.type == layer_type::fc) return where + "a compression network has no fc head";
        c = l.out_c;
        h = l.out_h();
        w = l.out_w();
        bits = l.a_bits;
    }
    return "";
}

}  // namespace encvp::nx

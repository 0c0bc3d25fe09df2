#include "verify/random_network.h"

#include <algorithm>
#include <cmath>

namespace encvp {

namespace {

constexpr unsigned KERNELS[] = {1, 3, 5};

unsigned pick(std::mt19937& rng, unsigned lo, unsigned hi) { return std::uniform_int_distribution<unsigned>(lo, hi)(rng); }

void fill_layer_impl(nx::layer_params& p, std::mt19937& rng) {
    const nx::layer_desc& d = p.d;
    const int maxw = nx::max_abs_weight(d.w_bits);
    p.weights.resize(d.n_weights());
    for (auto& w : p.weights) {
        if (d.w_bits == 1) w = pick(rng, 0, 1) ? 1 : -1;
        else w = int8_t(int(pick(rng, 0, unsigned(2 * maxw))) - maxw);
    }
    // Typical accumulator magnitude: sqrt(fan_in) * mean input * mean |w|.
    const double mean_in = ((1 << d.in_bits) - 1) / 2.0;
    double spread = std::sqrt(double(d.fan_in())) * mean_in * (maxw + 1) / 2.0;
    if (d.type == nx::layer_type::fc) spread *= d.in_h * d.in_w;
    int shift = int(std::lround(std::log2(std::max(1.0, spread)))) - int(d.a_bits) + int(pick(rng, 0, 2)) - 1;
    p.d.shift = d.type == nx::layer_type::fc ? 0 : unsigned(std::clamp(shift, 0, 24));
    const int64_t bias_range = std::max<int64_t>(1, int64_t(1) << std::min(20u, p.d.shift + 1));
    p.bias.resize(d.out_c);
    for (auto& b : p.bias) b = int32_t(std::uniform_int_distribution<int64_t>(-bias_range, bias_range)(rng));
    unsigned need = nx::MIN_BIAS_BITS;
    for (int32_t b : p.bias) need = std::max(need, nx::bits_for_signed(b));
    p.d.b_bits = need;
}

}  // namespace

void fill_random_layer(nx::layer_params& p, std::mt19937& rng) { fill_layer_impl(p, rng); }

unsigned random_network_combinations() { return 3 * 3 * 3 * 2 * 2 * 2 * 2; }

nx::network make_random_network(unsigned index, std::mt19937& rng, std::string& desc) {
    unsigned combo = index % random_network_combinations();
    const unsigned w_bits = 1 + combo % 3; combo /= 3;
    const unsigned a_bits = 1 + combo % 3; combo /= 3;
    const unsigned kernel = KERNELS[combo % 3]; combo /= 3;
    const unsigned stride = 1 + combo % 2; combo /= 2;
    const bool grouped = combo % 2; combo /= 2;
    const bool pool = combo % 2; combo /= 2;
    const bool classify = combo % 2 == 0;

    nx::network net;
    net.shape.classify = classify;
    net.shape.in_c = grouped ? 4 : pick(rng, 1, 3);
    const unsigned min_side = kernel + 2 * stride + (pool ? 2 : 0) + 2;
    net.shape.in_h = pick(rng, min_side, min_side + 10);
    net.shape.in_w = pick(rng, min_side, min_side + 10);

    unsigned c = net.shape.in_c, h = net.shape.in_h, w = net.shape.in_w, bits = 8;
    const unsigned n_conv = pick(rng, 1, 3);
    for (unsigned i = 0; i < n_conv; ++i) {
        nx::layer_params p;
        nx::layer_desc& d = p.d;
        d.type = nx::layer_type::conv;
        d.in_c = c, d.in_h = h, d.in_w = w, d.in_bits = bits;
        if (i == 0) {
            d.kernel = kernel, d.stride = stride, d.w_bits = w_bits, d.a_bits = a_bits, d.pool = pool;
            d.groups = grouped ? 2 : 1;
            d.out_c = grouped ? 2 * pick(rng, 1, 4) : pick(rng, 1, 8);
        } else {
            d.kernel = KERNELS[pick(rng, 0, 1)];
            d.stride = 1;
            d.w_bits = pick(rng, 1, 3);
            d.a_bits = pick(rng, 1, 3);
            d.groups = (c % 2 == 0 && pick(rng, 0, 1)) ? 2 : 1;
            d.out_c = d.groups * pick(rng, 1, 6);
            d.pool = false;
        }
        d.pad = std::min(d.kernel / 2, pick(rng, 0, d.kernel / 2 + 1));
        if (d.in_h + 2 * d.pad < d.kernel || d.in_w + 2 * d.pad < d.kernel) d.pad = d.kernel / 2;
        if (d.pool && (d.conv_h() < 2 || d.conv_w() < 2)) d.pool = false;
        fill_layer_impl(p, rng);
        c = d.out_c, h = d.out_h(), w = d.out_w(), bits = d.a_bits;
        net.shape.layers.push_back(p.d);
        net.layers.push_back(std::move(p));
    }
    if (classify) {
        nx::layer_params p;
        nx::layer_desc& d = p.d;
        d.type = nx::layer_type::fc;
        d.in_c = c, d.in_h = h, d.in_w = w, d.in_bits = bits;
        d.out_c = pick(rng, 2, 10);
        d.w_bits = pick(rng, 1, 3);
        fill_layer_impl(p, rng);
        net.shape.layers.push_back(p.d);
        net.layers.push_back(std::move(p));
    }
    desc = "in " + std::to_string(net.shape.in_c) + "x" + std::to_string(net.shape.in_h) + "x" +
           std::to_string(net.shape.in_w) + ", first conv k" + std::to_string(kernel) + " s" + std::to_string(stride) +
           (grouped ? " g2" : "") + (pool ? " pool" : "") + " w" + std::to_string(w_bits) + "b a" + std::to_string(a_bits) +
           "b, " + std::to_string(net.layers.size()) + " layers, " + (classify ? "classify" : "compress");
    return net;
}

}  // namespace encvp

// Helpers shared by the host-software unit tests: temporary directories, network builders,
// .enet byte surgery.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "numerics/network.h"

namespace encvp::test {

// A fresh directory under the system temp dir, removed with everything in it on destruction.
class temp_dir {
public:
    temp_dir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "encvp_sw_test_XXXXXX").string();
        std::vector<char> buf(tmpl.begin(), tmpl.end());
        buf.push_back('\0');
        if (!::mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed");
        path_ = buf.data();
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

// Builds layer_params with the given geometry; weights and biases filled by the caller.
inline nx::layer_params conv_layer(unsigned in_c, unsigned in_h, unsigned in_w, unsigned in_bits, unsigned out_c, unsigned k,
                                   unsigned stride, unsigned pad, unsigned groups, unsigned w_bits, unsigned a_bits,
                                   unsigned shift, bool pool) {
    nx::layer_params p;
    nx::layer_desc& d = p.d;
    d.type = nx::layer_type::conv;
    d.in_c = in_c, d.in_h = in_h, d.in_w = in_w, d.in_bits = in_bits;
    d.out_c = out_c, d.kernel = k, d.stride = stride, d.pad = pad, d.groups = groups;
    d.w_bits = w_bits, d.a_bits = a_bits, d.shift = shift, d.pool = pool;
    d.b_bits = 16;
    p.weights.assign(d.n_weights(), 0);
    p.bias.assign(out_c, 0);
    return p;
}

inline nx::layer_params fc_layer(unsigned in_c, unsigned in_h, unsigned in_w, unsigned in_bits, unsigned classes,
                                 unsigned w_bits) {
    nx::layer_params p;
    nx::layer_desc& d = p.d;
    d.type = nx::layer_type::fc;
    d.in_c = in_c, d.in_h = in_h, d.in_w = in_w, d.in_bits = in_bits;
    d.out_c = classes, d.w_bits = w_bits;
    d.b_bits = 16;
    p.weights.assign(d.n_weights(), 0);
    p.bias.assign(classes, 0);
    return p;
}

// Network with the given layers; the shape is derived from them.
inline nx::network make_net(unsigned in_c, unsigned in_h, unsigned in_w, std::vector<nx::layer_params> layers) {
    nx::network n;
    n.shape.in_c = in_c, n.shape.in_h = in_h, n.shape.in_w = in_w;
    n.shape.classify = !layers.empty() && layers.back().d.type == nx::layer_type::fc;
    for (auto& l : layers) n.shape.layers.push_back(l.d);
    n.layers = std::move(layers);
    return n;
}

inline int rand_int(std::mt19937& rng, int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }

// Random valid weight of the given width.
inline int8_t rand_weight(std::mt19937& rng, unsigned w_bits) {
    if (w_bits == 1) return rand_int(rng, 0, 1) ? 1 : -1;
    const int m = w_bits == 3 ? 2 : 1;
    return int8_t(rand_int(rng, -m, m));
}

}  // namespace encvp::test

// Helpers shared by the .edec and decoder tests (edec_file_test.cpp, decoder_test.cpp,
// decoder_reference_test.cpp: one test program, sw_decoder_test): codes, hand-made op lists,
// small random decoders and a naive float64 evaluation of a whole frame.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "decoder/decoder.h"
#include "decoder/edec.h"

namespace dectest {

using encvp::code_tensor_view;
using encvp::decode_options;
using encvp::decoder_isa;
using encvp::edec_file;
using encvp::edec_op;
using encvp::edec_op_type;
using encvp::frame_decoder;
using encvp::input_error;

inline std::vector<uint8_t> random_codes(unsigned c, unsigned h, unsigned w, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<uint8_t> v(std::size_t(c) * h * w);
    for (auto& b : v) b = uint8_t(rng() & 1u);
    return v;
}

inline code_tensor_view view(const std::vector<uint8_t>& v, unsigned c, unsigned h, unsigned w) { return {v.data(), c, h, w}; }

inline edec_op simple(edec_op_type t) {
    edec_op op;
    op.type = t;
    return op;
}
inline edec_op conv(unsigned in, unsigned out, unsigned k, bool relu, std::vector<float> w, std::vector<float> b) {
    edec_op op;
    op.type = edec_op_type::conv;
    op.in = in, op.out = out, op.kernel = k, op.relu = relu;
    op.weights = std::move(w);
    op.bias = std::move(b);
    return op;
}
inline edec_op random_conv(std::mt19937& rng, unsigned in, unsigned out, unsigned k, bool relu, float gain = 1.0f) {
    std::uniform_real_distribution<float> d(-gain * std::sqrt(3.0f / float(in * k * k)), gain * std::sqrt(3.0f / float(in * k * k)));
    std::vector<float> w(std::size_t(out) * in * k * k), b(out);
    for (auto& x : w) x = d(rng);
    for (auto& x : b) x = d(rng) * 0.1f + 0.2f;
    return conv(in, out, k, relu, w, b);
}
inline edec_op shuffle(unsigned f) {
    edec_op op;
    op.type = edec_op_type::pixel_shuffle;
    op.factor = f;
    return op;
}

inline edec_file make_file(unsigned code_channels, unsigned upscale, std::vector<edec_op> ops) {
    edec_file f;
    f.name = "test";
    f.code_channels = code_channels;
    f.upscale = upscale;
    f.encoder_name = "test-encoder";
    f.encoder_crc = 0x12345678u;
    f.ops = std::move(ops);
    return f;
}

// A small decoder shaped like docs/compression.md (widths 12/8/8).
inline edec_file small_decoder(uint32_t seed = 3, unsigned kernel = 3) {
    encvp::edec_random_spec s;
    s.code_channels = 4, s.w1 = 12, s.w2 = 8, s.w3 = 8, s.blocks1 = 2, s.blocks2 = 1, s.kernel = kernel;
    return encvp::make_random_edec(s, seed, "small");
}

// Naive float64 evaluation of the whole frame (zero padding, PyTorch semantics).
struct dtensor {
    unsigned c = 0, h = 0, w = 0;
    std::vector<double> v;
    double& at(unsigned ch, unsigned y, unsigned x) { return v[(std::size_t(ch) * h + y) * w + x]; }
};
inline std::vector<double> naive_decode(const edec_file& f, const std::vector<uint8_t>& codes, unsigned h, unsigned w) {
    dtensor x{f.code_channels, h, w, {}};
    x.v.resize(codes.size());
    for (std::size_t i = 0; i < codes.size(); ++i) x.v[i] = codes[i] ? 1.0 : -1.0;
    std::vector<dtensor> stack;
    for (const edec_op& op : f.ops) {
        switch (op.type) {
        case edec_op_type::conv: {
            dtensor o{op.out, x.h, x.w, std::vector<double>(std::size_t(op.out) * x.h * x.w)};
            const int r = int(op.kernel / 2), k = int(op.kernel);
            for (unsigned co = 0; co < op.out; ++co)
                for (unsigned yy = 0; yy < x.h; ++yy)
                    for (unsigned xx = 0; xx < x.w; ++xx) {
                        double s = op.bias[co];
                        for (unsigned ci = 0; ci < op.in; ++ci)
                            for (int ky = 0; ky < k; ++ky)
                                for (int kx = 0; kx < k; ++kx) {
                                    const int iy = int(yy) + ky - r, ix = int(xx) + kx - r;
                                    if (iy < 0 || ix < 0 || iy >= int(x.h) || ix >= int(x.w)) continue;
                                    s += double(op.weights[((std::size_t(co) * op.in + ci) * k + ky) * k + kx]) * x.at(ci, iy, ix);
                                }
                        o.at(co, yy, xx) = op.relu ? std::max(s, 0.0) : s;
                    }
            x = std::move(o);
            break;
        }
        case edec_op_type::relu:
            for (auto& v : x.v) v = std::max(v, 0.0);
            break;
        case edec_op_type::mark:
            stack.push_back(x);
            break;
        case edec_op_type::add:
            for (std::size_t i = 0; i < x.v.size(); ++i) x.v[i] += stack.back().v[i];
            stack.pop_back();
            break;
        case edec_op_type::pixel_shuffle: {
            const unsigned r = op.factor, oc = x.c / (r * r);
            dtensor o{oc, x.h * r, x.w * r, std::vector<double>(x.v.size())};
            for (unsigned c = 0; c < oc; ++c)
                for (unsigned i = 0; i < r; ++i)
                    for (unsigned j = 0; j < r; ++j)
                        for (unsigned yy = 0; yy < x.h; ++yy)
                            for (unsigned xx = 0; xx < x.w; ++xx) o.at(c, yy * r + i, xx * r + j) = x.at(c * r * r + i * r + j, yy, xx);
            x = std::move(o);
            break;
        }
        default:
            break;
        }
    }
    return x.v;
}

inline std::vector<decoder_isa> isas() {
    std::vector<decoder_isa> v{decoder_isa::generic};
    if (encvp::decoder_isa_supported(decoder_isa::avx2)) v.push_back(decoder_isa::avx2);
    return v;
}

inline bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}


}  // namespace dectest

#define EXPECT_HAS(haystack, needle) EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << (haystack)

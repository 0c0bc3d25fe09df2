#include "numerics/engine.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace encvp::nx {

namespace {

constexpr unsigned BLOCK = 32;  // k_pad multiple: whole AVX-512 vectors of int16

unsigned round_up(unsigned v, unsigned m) { return (v + m - 1) / m * m; }

// acc[j*ncols + i] = dot(a + j*n, b + i*n) for a block of patches (rows) x weight rows.
// Plain loops written for the vectorizer; one clone per ISA, picked at load time by the loader.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(ENCVP_NO_CLONES)
#define ENCVP_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define ENCVP_CLONES
#endif

ENCVP_CLONES
void dot_block(const int16_t* patches, unsigned n_patches, const int16_t* w, unsigned n_out, unsigned n,
               int32_t* acc /* [n_patches][n_out] */) {
    unsigned p = 0;
    for (; p + 2 <= n_patches; p += 2) {
        const int16_t* a0 = patches + std::size_t(p) * n;
        const int16_t* a1 = a0 + n;
        unsigned o = 0;
        for (; o + 4 <= n_out; o += 4) {
            const int16_t* b0 = w + std::size_t(o) * n;
            const int16_t* b1 = b0 + n;
            const int16_t* b2 = b1 + n;
            const int16_t* b3 = b2 + n;
            int32_t s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
            for (unsigned i = 0; i < n; ++i) {
                const int32_t x0 = a0[i], x1 = a1[i];
                s00 += x0 * b0[i];
                s01 += x0 * b1[i];
                s02 += x0 * b2[i];
                s03 += x0 * b3[i];
                s10 += x1 * b0[i];
                s11 += x1 * b1[i];
                s12 += x1 * b2[i];
                s13 += x1 * b3[i];
            }
            int32_t* r0 = acc + std::size_t(p) * n_out + o;
            int32_t* r1 = r0 + n_out;
            r0[0] = s00; r0[1] = s01; r0[2] = s02; r0[3] = s03;
            r1[0] = s10; r1[1] = s11; r1[2] = s12; r1[3] = s13;
        }
        for (; o < n_out; ++o) {
            const int16_t* b = w + std::size_t(o) * n;
            int32_t s0 = 0, s1 = 0;
            for (unsigned i = 0; i < n; ++i) {
                s0 += int32_t(a0[i]) * b[i];
                s1 += int32_t(a1[i]) * b[i];
            }
            acc[std::size_t(p) * n_out + o] = s0;
            acc[std::size_t(p + 1) * n_out + o] = s1;
        }
    }
    for (; p < n_patches; ++p) {
        const int16_t* a = patches + std::size_t(p) * n;
        for (unsigned o = 0; o < n_out; ++o) {
            const int16_t* b = w + std::size_t(o) * n;
            int32_t s = 0;
            for (unsigned i = 0; i < n; ++i) s += int32_t(a[i]) * b[i];
            acc[std::size_t(p) * n_out + o] = s;
        }
    }
}

}  // namespace

const char* engine::kernel_name() {
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")) return "avx512";
    if (__builtin_cpu_supports("avx2")) return "avx2";
#endif
    return "generic";
}

void engine::load(const network& net) {
    const std::string err = check_network(net.shape);
    if (!err.empty()) throw std::invalid_argument(err);
    if (net.layers.size() != net.shape.layers.size())
        throw std::invalid_argument("network parameters do not match its shape");
    shape_ = net.shape;
    layers_.clear();
    std::size_t max_act = std::size_t(shape_.in_c) * shape_.in_h * shape_.in_w;
    std::size_t max_conv = 0, max_patch = 0, max_acc = 0;
    for (const layer_params& lp : net.layers) {
        prepared p;
        p.d = lp.d;
        const layer_desc& d = lp.d;
        if (lp.weights.size() != d.n_weights() || lp.bias.size() != d.out_c)
            throw std::invalid_argument("layer parameters have the wrong size");
        p.bias = lp.bias;
        if (d.type == layer_type::fc) {
            p.k_len = d.in_c;
            p.k_pad = d.in_c;
            p.w.assign(lp.weights.begin(), lp.weights.end());
        } else {
            const unsigned cig = d.in_c / d.groups;
            p.k_len = d.kernel * d.kernel * cig;
            p.k_pad = round_up(p.k_len, BLOCK);
            p.w.assign(std::size_t(d.out_c) * p.k_pad, 0);
            // Reference order [co][ci][ky][kx] -> patch order [ky][kx][ci].
            for (unsigned co = 0; co < d.out_c; ++co)
                for (unsigned ci = 0; ci < cig; ++ci)
                    for (unsigned ky = 0; ky < d.kernel; ++ky)
                        for (unsigned kx = 0; kx < d.kernel; ++kx)
                            p.w[std::size_t(co) * p.k_pad + (ky * d.kernel + kx) * cig + ci] =
                                lp.weights[((std::size_t(co) * cig + ci) * d.kernel + ky) * d.kernel + kx];
            max_conv = std::max<std::size_t>(max_conv, std::size_t(d.conv_h()) * d.conv_w() * d.out_c);
            max_patch = std::max<std::size_t>(max_patch, std::size_t(d.conv_w()) * p.k_pad);
            max_acc = std::max<std::size_t>(max_acc, std::size_t(d.conv_w()) * (d.out_c / d.groups));
            max_act = std::max<std::size_t>(max_act, d.output_elements());
        }
        layers_.push_back(std::move(p));
    }
    act_a_.assign(max_act, 0);
    act_b_.assign(max_act, 0);
    conv_out_.assign(max_conv, 0);
    patch_.assign(max_patch, 0);
    acc_.assign(max_acc, 0);
}

void engine::conv(const prepared& p, const uint8_t* in, uint8_t* out, flags& f) {
    const layer_desc& d = p.d;
    const unsigned ho = d.conv_h(), wo = d.conv_w();
    const unsigned cig = d.in_c / d.groups, cog = d.out_c / d.groups;
    const unsigned k = d.kernel;
    uint8_t* y = d.pool ? conv_out_.data() : out;  // HWC, [ho][wo][out_c]
    for (unsigned g = 0; g < d.groups; ++g) {
        for (unsigned oy = 0; oy < ho; ++oy) {
            // im2col of one output row for this group.
            for (unsigned ox = 0; ox < wo; ++ox) {
                int16_t* row = patch_.data() + std::size_t(ox) * p.k_pad;
                std::fill(row + p.k_len, row + p.k_pad, int16_t(0));
                for (unsigned ky = 0; ky < k; ++ky) {
                    const int iy = int(oy * d.stride + ky) - int(d.pad);
                    for (unsigned kx = 0; kx < k; ++kx) {
                        const int ix = int(ox * d.stride + kx) - int(d.pad);
                        int16_t* dst = row + (ky * k + kx) * cig;
                        if (iy < 0 || ix < 0 || iy >= int(d.in_h) || ix >= int(d.in_w)) {
                            std::fill(dst, dst + cig, int16_t(0));
                            continue;
                        }
                        const uint8_t* src = in + (std::size_t(iy) * d.in_w + unsigned(ix)) * d.in_c + g * cig;
                        for (unsigned c = 0; c < cig; ++c) dst[c] = src[c];
                    }
                }
            }
            dot_block(patch_.data(), wo, p.w.data() + std::size_t(g) * cog * p.k_pad, cog, p.k_pad, acc_.data());
            for (unsigned ox = 0; ox < wo; ++ox) {
                uint8_t* o = y + (std::size_t(oy) * wo + ox) * d.out_c + g * cog;
                const int32_t* a = acc_.data() + std::size_t(ox) * cog;
                for (unsigned c = 0; c < cog; ++c)
                    o[c] = requantize(int64_t(a[c]) + p.bias[g * cog + c], d.shift, d.a_bits, f);
            }
        }
    }
    if (!d.pool) return;
    const unsigned ph = ho / 2, pw = wo / 2, C = d.out_c;
    for (unsigned oy = 0; oy < ph; ++oy)
        for (unsigned ox = 0; ox < pw; ++ox) {
            const uint8_t* r0 = y + (std::size_t(2 * oy) * wo + 2 * ox) * C;
            const uint8_t* r1 = r0 + std::size_t(wo) * C;
            uint8_t* o = out + (std::size_t(oy) * pw + ox) * C;
            for (unsigned c = 0; c < C; ++c)
                o[c] = std::max(std::max(r0[c], r0[C + c]), std::max(r1[c], r1[C + c]));
        }
}

void engine::fc(const prepared& p, const uint8_t* in, inference_result& r) {
    const layer_desc& d = p.d;
    std::vector<int32_t>& sum = acc_;
    if (sum.size() < d.in_c) sum.resize(d.in_c);
    std::fill(sum.begin(), sum.begin() + d.in_c, 0);
    const std::size_t positions = std::size_t(d.in_h) * d.in_w;
    for (std::size_t i = 0; i < positions; ++i)
        for (unsigned c = 0; c < d.in_c; ++c) sum[c] += in[i * d.in_c + c];
    r.logits.resize(d.out_c);
    for (unsigned n = 0; n < d.out_c; ++n) {
        int64_t a = 0;
        const int16_t* w = p.w.data() + std::size_t(n) * d.in_c;
        for (unsigned c = 0; c < d.in_c; ++c) a += int64_t(w[c]) * sum[c];
        r.logits[n] = saturate24(a + p.bias[n], r.f);
    }
    r.cls = argmax_lowest(r.logits);
}

void engine::run(const uint8_t* input_chw, inference_result& r) {
    if (layers_.empty()) throw std::logic_error("engine::run before load");
    r.f = flags();
    r.cls = -1;
    r.logits.clear();
    // CHW -> HWC
    const unsigned C = shape_.in_c, H = shape_.in_h, W = shape_.in_w;
    uint8_t* cur = act_a_.data();
    uint8_t* nxt = act_b_.data();
    for (unsigned c = 0; c < C; ++c)
        for (unsigned i = 0; i < H * W; ++i) cur[std::size_t(i) * C + c] = input_chw[std::size_t(c) * H * W + i];
    for (const prepared& p : layers_) {
        if (p.d.type == layer_type::fc) {
            fc(p, cur, r);
            r.output.clear();
            return;
        }
        conv(p, cur, nxt, r.f);
        std::swap(cur, nxt);
    }
    const layer_desc& last = layers_.back().d;
    const unsigned oc = last.out_c, oh = last.out_h(), ow = last.out_w();
    r.output.resize(std::size_t(oc) * oh * ow);
    for (unsigned c = 0; c < oc; ++c)
        for (unsigned i = 0; i < oh * ow; ++i) r.output[std::size_t(c) * oh * ow + i] = cur[std::size_t(i) * oc + c];
}

}  // namespace encvp::nx

#include "numerics/conv_kernel.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define ENCVP_X86 1
#endif

namespace encvp::nx {

// ---------------------------------------------------------------------------------------------
// Selection

bool kernel_supported(kernel_isa k) {
    if (k == kernel_isa::generic) return true;
#if ENCVP_X86 && defined(__GNUC__) && !defined(ENCVP_NO_SIMD)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
#else
    return false;
#endif
}

kernel_isa select_kernel() {
    if (const char* env = std::getenv("ENCVP_KERNEL")) {
        const std::string v = env;
        if (v == "generic") return kernel_isa::generic;
        if (v == "avx2" && kernel_supported(kernel_isa::avx2)) return kernel_isa::avx2;
    }
    return kernel_supported(kernel_isa::avx2) ? kernel_isa::avx2 : kernel_isa::generic;
}

const char* kernel_isa_name(kernel_isa k) { return k == kernel_isa::avx2 ? "avx2" : "generic"; }

// ---------------------------------------------------------------------------------------------
// Plan

conv_plan make_conv_plan(const layer_desc& d, const std::vector<int8_t>& weights, const std::vector<int32_t>& bias) {
    conv_plan p;
    p.d = d;
    p.cig = d.in_c / d.groups;
    p.cog = d.out_c / d.groups;
    p.cig_pad = (p.cig + 3) / 4 * 4;
    p.cstride = d.groups * p.cig_pad;
    p.in_hp = d.in_h + 2 * d.pad;
    p.in_wp = d.in_w + 2 * d.pad;
    p.ho = d.conv_h();
    p.wo = d.conv_w();
    p.blocks = (p.cog + LANES - 1) / LANES;
    p.steps = d.kernel * d.kernel * p.cig_pad / 4;
    // A 16-bit lane gathers one pair of products per step: |pair| <= 2 * max_in * max_w.
    const unsigned max_in = (1u << d.in_bits) - 1u;
    const unsigned pair = 2u * max_in * unsigned(max_abs_weight(d.w_bits));
    p.flush = std::max(1u, 32767u / std::max(1u, pair));
    const unsigned k = d.kernel, kk = k * k;
    p.w.assign(std::size_t(d.groups) * p.blocks * kk * p.cig_pad * LANES, 0);
    p.bias.assign(std::size_t(d.groups) * p.blocks * LANES, 0);
    for (unsigned g = 0; g < d.groups; ++g) {
        for (unsigned o = 0; o < p.cog; ++o) {
            const unsigned co = g * p.cog + o, blk = o / LANES, lane = o % LANES;
            p.bias[(std::size_t(g) * p.blocks + blk) * LANES + lane] = bias[co];
            for (unsigned ci = 0; ci < p.cig; ++ci)
                for (unsigned ky = 0; ky < k; ++ky)
                    for (unsigned kx = 0; kx < k; ++kx) {
                        const int8_t v = weights[((std::size_t(co) * p.cig + ci) * k + ky) * k + kx];
                        const std::size_t step = (ky * k + kx) * (p.cig_pad / 4) + ci / 4;
                        const std::size_t at = (((std::size_t(g) * p.blocks + blk) * kk * (p.cig_pad / 4) + step) * LANES + lane) * 4 + ci % 4;
                        p.w[at] = v;
                    }
        }
    }
    return p;
}

// ---------------------------------------------------------------------------------------------
// Portable kernel (same layout)

namespace {

void conv_generic(const conv_plan& p, const uint8_t* in, uint8_t* out, flags& f) {
    const layer_desc& d = p.d;
    const unsigned k = d.kernel, c4n = p.cig_pad / 4;
    int32_t acc[LANES];
    for (unsigned g = 0; g < d.groups; ++g)
        for (unsigned oy = 0; oy < p.ho; ++oy)
            for (unsigned ox = 0; ox < p.wo; ++ox)
                for (unsigned b = 0; b < p.blocks; ++b) {
                    std::fill(acc, acc + LANES, 0);
                    const int8_t* w = p.w.data() + (std::size_t(g) * p.blocks + b) * p.steps * LANES * 4;
                    for (unsigned ky = 0; ky < k; ++ky)
                        for (unsigned kx = 0; kx < k; ++kx) {
                            const uint8_t* a = in + ((std::size_t(oy) * d.stride + ky) * p.in_wp + ox * d.stride + kx) * p.cstride +
                                               g * p.cig_pad;
                            for (unsigned c4 = 0; c4 < c4n; ++c4, w += LANES * 4)
                                for (unsigned l = 0; l < LANES; ++l)
                                    acc[l] += a[4 * c4] * w[4 * l] + a[4 * c4 + 1] * w[4 * l + 1] +
                                              a[4 * c4 + 2] * w[4 * l + 2] + a[4 * c4 + 3] * w[4 * l + 3];
                        }
                    const int32_t* bias = p.bias.data() + (std::size_t(g) * p.blocks + b) * LANES;
                    uint8_t* o = out + (std::size_t(oy) * p.wo + ox) * d.out_c + g * p.cog + b * LANES;
                    const unsigned n = std::min(LANES, p.cog - b * LANES);
                    for (unsigned l = 0; l < n; ++l) o[l] = requantize(int64_t(acc[l]) + bias[l], d.shift, d.a_bits, f);
                }
}

// ---------------------------------------------------------------------------------------------
// AVX2 kernel

#if ENCVP_X86 && defined(__GNUC__) && !defined(ENCVP_NO_SIMD)
#define ENCVP_AVX2 __attribute__((target("avx2")))

// Output stage for 8 channels: bias, 24-bit saturation (flagged), rounding shift, clamp, store n bytes.
ENCVP_AVX2 inline void store_outputs(__m256i acc, const int32_t* bias, unsigned shift, unsigned a_bits, uint8_t* dst,
                                     unsigned n, bool& saturated) {
    const __m256i lo = _mm256_set1_epi32(ACC_MIN), hi = _mm256_set1_epi32(ACC_MAX);
    // acc + bias stays within int32: |acc| < 2^31 - 2^24 for every layer the hardware accepts.
    __m256i v = _mm256_add_epi32(acc, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias)));
    const __m256i sat = _mm256_or_si256(_mm256_cmpgt_epi32(v, hi), _mm256_cmpgt_epi32(lo, v));
    v = _mm256_min_epi32(_mm256_max_epi32(v, lo), hi);
    if (shift) v = _mm256_add_epi32(v, _mm256_set1_epi32(int32_t(1) << (shift - 1)));
    v = _mm256_sra_epi32(v, _mm_cvtsi32_si128(int(shift)));
    v = _mm256_min_epi32(_mm256_max_epi32(v, _mm256_setzero_si256()), _mm256_set1_epi32((1 << a_bits) - 1));
    // Low byte of each 32-bit lane -> 8 bytes.
    const __m256i pick = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                          0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m256i bytes = _mm256_shuffle_epi8(v, pick);
    const uint32_t b0 = uint32_t(_mm256_extract_epi32(bytes, 0)), b1 = uint32_t(_mm256_extract_epi32(bytes, 4));
    const uint64_t packed = uint64_t(b0) | (uint64_t(b1) << 32);
    bool any_sat = false;
    if (n >= LANES) {
        std::memcpy(dst, &packed, 8);
        any_sat = _mm256_movemask_ps(_mm256_castsi256_ps(sat)) != 0;
    } else {
        std::memcpy(dst, &packed, n);
        any_sat = (_mm256_movemask_ps(_mm256_castsi256_ps(sat)) & ((1 << n) - 1)) != 0;
    }
    saturated |= any_sat;
}

// PX output pixels x NB blocks of 8 channels. 16-bit accumulators gather vpmaddubsw results and
// are widened into 32-bit every p.flush steps (never overflowing, by the layer's bound).
template <int PX, int NB>
ENCVP_AVX2 void tile_avx2(const conv_plan& p, const uint8_t* in, uint8_t* out, unsigned g, unsigned oy, unsigned ox0,
                          unsigned b0, bool& saturated) {
    const layer_desc& d = p.d;
    const unsigned k = d.kernel, c4n = p.cig_pad / 4;
    const std::size_t pix_step = std::size_t(d.stride) * p.cstride;
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i acc16[PX][NB], acc32[PX][NB];
    for (int i = 0; i < PX; ++i)
        for (int j = 0; j < NB; ++j) acc16[i][j] = acc32[i][j] = _mm256_setzero_si256();
    const int8_t* wb[NB];
    for (int j = 0; j < NB; ++j) wb[j] = p.w.data() + (std::size_t(g) * p.blocks + b0 + unsigned(j)) * p.steps * LANES * 4;
    unsigned since_flush = 0;
    for (unsigned ky = 0; ky < k; ++ky) {
        for (unsigned kx = 0; kx < k; ++kx) {
            const uint8_t* a = in + ((std::size_t(oy) * d.stride + ky) * p.in_wp + std::size_t(ox0) * d.stride + kx) * p.cstride +
                               g * p.cig_pad;
            for (unsigned c4 = 0; c4 < c4n; ++c4) {
                __m256i w[NB];
                for (int j = 0; j < NB; ++j) {
                    w[j] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wb[j]));
                    wb[j] += LANES * 4;
                }
                for (int i = 0; i < PX; ++i) {
                    int32_t quad;
                    std::memcpy(&quad, a + i * pix_step + 4 * c4, 4);
                    const __m256i x = _mm256_set1_epi32(quad);
                    for (int j = 0; j < NB; ++j) acc16[i][j] = _mm256_add_epi16(acc16[i][j], _mm256_maddubs_epi16(x, w[j]));
                }
                if (++since_flush == p.flush) {
                    for (int i = 0; i < PX; ++i)
                        for (int j = 0; j < NB; ++j) {
                            acc32[i][j] = _mm256_add_epi32(acc32[i][j], _mm256_madd_epi16(acc16[i][j], ones));
                            acc16[i][j] = _mm256_setzero_si256();
                        }
                    since_flush = 0;
                }
            }
        }
    }
    for (int i = 0; i < PX; ++i)
        for (int j = 0; j < NB; ++j) {
            const __m256i total = _mm256_add_epi32(acc32[i][j], _mm256_madd_epi16(acc16[i][j], ones));
            const unsigned b = b0 + unsigned(j);
            const unsigned n = std::min(LANES, p.cog - b * LANES);
            uint8_t* dst = out + (std::size_t(oy) * p.wo + ox0 + unsigned(i)) * d.out_c + g * p.cog + b * LANES;
            store_outputs(total, p.bias.data() + (std::size_t(g) * p.blocks + b) * LANES, d.shift, d.a_bits, dst, n, saturated);
        }
}

template <int PX>
ENCVP_AVX2 void row_avx2(const conv_plan& p, const uint8_t* in, uint8_t* out, unsigned g, unsigned oy, unsigned ox0,
                         bool& sat) {
    unsigned b = 0;
    for (; b + 2 <= p.blocks; b += 2) tile_avx2<PX, 2>(p, in, out, g, oy, ox0, b, sat);
    if (b < p.blocks) tile_avx2<PX, 1>(p, in, out, g, oy, ox0, b, sat);
}

ENCVP_AVX2 void conv_avx2(const conv_plan& p, const uint8_t* in, uint8_t* out, flags& f) {
    bool sat = false;
    // Widths are usually multiples of 4 (32, 16, 8, 4): 4-pixel tiles leave no tail there.
    const unsigned PX = (p.wo % 4 == 0 || p.wo % 6 != 0) ? 4 : 6;
    for (unsigned g = 0; g < p.d.groups; ++g)
        for (unsigned oy = 0; oy < p.ho; ++oy) {
            unsigned ox = 0;
            if (PX == 6)
                for (; ox + 6 <= p.wo; ox += 6) row_avx2<6>(p, in, out, g, oy, ox, sat);
            else
                for (; ox + 4 <= p.wo; ox += 4) row_avx2<4>(p, in, out, g, oy, ox, sat);
            switch (p.wo - ox) {
            case 5: row_avx2<5>(p, in, out, g, oy, ox, sat); break;
            case 4: row_avx2<4>(p, in, out, g, oy, ox, sat); break;
            case 3: row_avx2<3>(p, in, out, g, oy, ox, sat); break;
            case 2: row_avx2<2>(p, in, out, g, oy, ox, sat); break;
            case 1: row_avx2<1>(p, in, out, g, oy, ox, sat); break;
            default: break;
            }
        }
    if (sat) f.acc_saturated = true;
}
#endif

}  // namespace

void conv_forward(kernel_isa k, const conv_plan& p, const uint8_t* in, uint8_t* out, flags& f) {
#if ENCVP_X86 && defined(__GNUC__) && !defined(ENCVP_NO_SIMD)
    if (k == kernel_isa::avx2) {
        conv_avx2(p, in, out, f);
        return;
    }
#endif
    (void)k;
    conv_generic(p, in, out, f);
}

}  // namespace encvp::nx

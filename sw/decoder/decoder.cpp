#include "decoder/decoder.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "common/error.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define ENCVP_DEC_X86 1
#endif

namespace encvp {

namespace {

constexpr unsigned CO_BLOCK = 6;   // output channels per register block
constexpr unsigned X_BLOCK = 16;   // pixels per register block (two 8-float vectors)
constexpr unsigned MAX_OUT_SIDE = 32768;

// ---------------------------------------------------------------------------------------------
// Rectangles of tensor pixels (half-open), in frame coordinates at one tensor's resolution.

struct rect {
    long y0 = 0, y1 = 0, x0 = 0, x1 = 0;
    long h() const { return y1 - y0; }
    long w() const { return x1 - x0; }
    bool empty() const { return y1 <= y0 || x1 <= x0; }
};

rect intersect(const rect& a, const rect& b) {
    return {std::max(a.y0, b.y0), std::min(a.y1, b.y1), std::max(a.x0, b.x0), std::min(a.x1, b.x1)};
}
rect expand(const rect& a, long e) { return {a.y0 - e, a.y1 + e, a.x0 - e, a.x1 + e}; }
rect unite(const rect& a, const rect& b) {
    if (a.empty()) return b;
    if (b.empty()) return a;
    return {std::min(a.y0, b.y0), std::max(a.y1, b.y1), std::min(a.x0, b.x0), std::max(a.x1, b.x1)};
}
long floor_div(long a, long f) { return a >= 0 ? a / f : -((-a + f - 1) / f); }
long ceil_div(long a, long f) { return a >= 0 ? (a + f - 1) / f : -((-a) / f); }
rect scale_down(const rect& a, long f) { return {floor_div(a.y0, f), ceil_div(a.y1, f), floor_div(a.x0, f), ceil_div(a.x1, f)}; }
rect scale_up(const rect& a, long f) { return {a.y0 * f, a.y1 * f, a.x0 * f, a.x1 * f}; }

// ---------------------------------------------------------------------------------------------
// Convolution kernels. Weights are repacked per block of CO_BLOCK output channels as
// [block][in][ky][kx][CO_BLOCK] (zeros for channels past `out`). Every output element is
// bias + sum over (ci, ky, kx) in that order, through the same instruction sequence wherever it
// lies in a tile (partial pixel blocks compute all lanes and store the valid ones).

struct conv_plan {
    unsigned in = 0, out = 0, k = 0, r = 0, blocks = 0;
    bool relu = false;
    std::vector<float> w;  // blocks * in * k * k * CO_BLOCK
    std::vector<float> b;  // blocks * CO_BLOCK
};

conv_plan make_plan(const edec_op& op) {
    conv_plan p;
    p.in = op.in, p.out = op.out, p.k = op.kernel, p.r = op.kernel / 2, p.relu = op.relu;
    p.blocks = (op.out + CO_BLOCK - 1) / CO_BLOCK;
    const unsigned kk = p.k * p.k;
    p.w.assign(std::size_t(p.blocks) * p.in * kk * CO_BLOCK, 0.0f);
    p.b.assign(std::size_t(p.blocks) * CO_BLOCK, 0.0f);
    for (unsigned co = 0; co < p.out; ++co) {
        const unsigned blk = co / CO_BLOCK, lane = co % CO_BLOCK;
        p.b[co] = op.bias[co];
        for (unsigned ci = 0; ci < p.in; ++ci)
            for (unsigned t = 0; t < kk; ++t)
                p.w[((std::size_t(blk) * p.in + ci) * kk + t) * CO_BLOCK + lane] = op.weights[(std::size_t(co) * p.in + ci) * kk + t];
    }
    return p;
}

struct conv_call {
    const float* in = nullptr;  // input at (-r, -r) relative to output pixel (0, 0)
    std::size_t in_cs = 0, in_rs = 0;
    float* out = nullptr;  // output pixel (0, 0), channel 0
    std::size_t out_cs = 0, out_rs = 0;
    unsigned h = 0, w = 0;
    const conv_plan* p = nullptr;
};

using conv_fn = void (*)(const conv_call&);

void store_block(const conv_call& c, unsigned blk, unsigned y, unsigned x0, const float (&acc)[CO_BLOCK][X_BLOCK]) {
    const conv_plan& p = *c.p;
    const unsigned nco = std::min(CO_BLOCK, p.out - blk * CO_BLOCK), n = std::min(X_BLOCK, c.w - x0);
    for (unsigned i = 0; i < nco; ++i) {
        float* o = c.out + std::size_t(blk * CO_BLOCK + i) * c.out_cs + std::size_t(y) * c.out_rs + x0;
        for (unsigned j = 0; j < n; ++j) {
            const float v = acc[i][j];
            o[j] = p.relu ? (v > 0.0f ? v : 0.0f) : v;
        }
    }
}

// Portable kernel: two output channels x 16 pixels at a time, in 4-float vectors (GCC/Clang
// vector extensions: SSE2 on any x86-64, NEON on ARM), which fits 16 vector registers. Multiply,
// then add; per element the same sequence of operations whatever the blocking.
#if defined(__GNUC__)
typedef float v4f __attribute__((vector_size(16)));
inline v4f load4(const float* p) {
    v4f v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
inline void store4(float* p, v4f v) { std::memcpy(p, &v, sizeof v); }
#endif

template <unsigned KS>
void conv_generic_k(const conv_call& c) {
    const conv_plan& p = *c.p;
    const unsigned K = KS ? KS : p.k;
    const std::size_t wblock = std::size_t(p.in) * K * K * CO_BLOCK;
    for (unsigned y = 0; y < c.h; ++y)
        for (unsigned blk = 0; blk < p.blocks; ++blk) {
            const float* wb = p.w.data() + blk * wblock;
            const unsigned nco = std::min(CO_BLOCK, p.out - blk * CO_BLOCK);
            for (unsigned x0 = 0; x0 < c.w; x0 += X_BLOCK) {
                float acc[CO_BLOCK][X_BLOCK];
                for (unsigned i0 = 0; i0 < nco; i0 += 2) {
                    const float* wp = wb + i0;
#if defined(__GNUC__)
                    v4f a0[4], a1[4];
                    for (unsigned q = 0; q < 4; ++q) a0[q] = v4f{} + p.b[blk * CO_BLOCK + i0], a1[q] = v4f{} + p.b[blk * CO_BLOCK + i0 + 1];
                    for (unsigned ci = 0; ci < p.in; ++ci) {
                        const float* ip = c.in + ci * c.in_cs + y * c.in_rs + x0;
                        for (unsigned ky = 0; ky < K; ++ky)
                            for (unsigned kx = 0; kx < K; ++kx, wp += CO_BLOCK) {
                                const float* v = ip + ky * c.in_rs + kx;
                                const v4f w0 = v4f{} + wp[0], w1 = v4f{} + wp[1];
                                for (unsigned q = 0; q < 4; ++q) {
                                    const v4f x = load4(v + 4 * q);
                                    a0[q] = a0[q] + w0 * x;
                                    a1[q] = a1[q] + w1 * x;
                                }
                            }
                    }
                    for (unsigned q = 0; q < 4; ++q) store4(&acc[i0][4 * q], a0[q]), store4(&acc[i0 + 1][4 * q], a1[q]);
#else
                    float a0[X_BLOCK], a1[X_BLOCK];
                    for (unsigned j = 0; j < X_BLOCK; ++j) a0[j] = p.b[blk * CO_BLOCK + i0], a1[j] = p.b[blk * CO_BLOCK + i0 + 1];
                    for (unsigned ci = 0; ci < p.in; ++ci) {
                        const float* ip = c.in + ci * c.in_cs + y * c.in_rs + x0;
                        for (unsigned ky = 0; ky < K; ++ky)
                            for (unsigned kx = 0; kx < K; ++kx, wp += CO_BLOCK) {
                                const float* v = ip + ky * c.in_rs + kx;
                                for (unsigned j = 0; j < X_BLOCK; ++j) {
                                    a0[j] += wp[0] * v[j];
                                    a1[j] += wp[1] * v[j];
                                }
                            }
                    }
                    for (unsigned j = 0; j < X_BLOCK; ++j) acc[i0][j] = a0[j], acc[i0 + 1][j] = a1[j];
#endif
                }
                store_block(c, blk, y, x0, acc);
            }
        }
}

void conv_generic(const conv_call& c) {
    if (c.p->k == 3) return conv_generic_k<3>(c);
    if (c.p->k == 1) return conv_generic_k<1>(c);
    conv_generic_k<0>(c);
}

#if ENCVP_DEC_X86 && defined(__GNUC__)
#define ENCVP_DEC_AVX2 1

template <unsigned KS>
__attribute__((target("avx2,fma"))) void conv_avx2_k(const conv_call& c) {
    const conv_plan& p = *c.p;
    const unsigned K = KS ? KS : p.k;
    const std::size_t wblock = std::size_t(p.in) * K * K * CO_BLOCK;
    const __m256 zero = _mm256_setzero_ps();
    for (unsigned y = 0; y < c.h; ++y)
        for (unsigned blk = 0; blk < p.blocks; ++blk) {
            const float* wb = p.w.data() + blk * wblock;
            const float* bias = p.b.data() + blk * CO_BLOCK;
            for (unsigned x0 = 0; x0 < c.w; x0 += X_BLOCK) {
                __m256 a00 = _mm256_broadcast_ss(bias + 0), a01 = a00;
                __m256 a10 = _mm256_broadcast_ss(bias + 1), a11 = a10;
                __m256 a20 = _mm256_broadcast_ss(bias + 2), a21 = a20;
                __m256 a30 = _mm256_broadcast_ss(bias + 3), a31 = a30;
                __m256 a40 = _mm256_broadcast_ss(bias + 4), a41 = a40;
                __m256 a50 = _mm256_broadcast_ss(bias + 5), a51 = a50;
                const float* wp = wb;
                for (unsigned ci = 0; ci < p.in; ++ci) {
                    const float* ip = c.in + ci * c.in_cs + y * c.in_rs + x0;
                    for (unsigned ky = 0; ky < K; ++ky) {
                        const float* row = ip + ky * c.in_rs;
                        for (unsigned kx = 0; kx < K; ++kx, wp += CO_BLOCK) {
                            const __m256 v0 = _mm256_loadu_ps(row + kx), v1 = _mm256_loadu_ps(row + kx + 8);
                            __m256 w = _mm256_broadcast_ss(wp + 0);
                            a00 = _mm256_fmadd_ps(w, v0, a00), a01 = _mm256_fmadd_ps(w, v1, a01);
                            w = _mm256_broadcast_ss(wp + 1);
                            a10 = _mm256_fmadd_ps(w, v0, a10), a11 = _mm256_fmadd_ps(w, v1, a11);
                            w = _mm256_broadcast_ss(wp + 2);
                            a20 = _mm256_fmadd_ps(w, v0, a20), a21 = _mm256_fmadd_ps(w, v1, a21);
                            w = _mm256_broadcast_ss(wp + 3);
                            a30 = _mm256_fmadd_ps(w, v0, a30), a31 = _mm256_fmadd_ps(w, v1, a31);
                            w = _mm256_broadcast_ss(wp + 4);
                            a40 = _mm256_fmadd_ps(w, v0, a40), a41 = _mm256_fmadd_ps(w, v1, a41);
                            w = _mm256_broadcast_ss(wp + 5);
                            a50 = _mm256_fmadd_ps(w, v0, a50), a51 = _mm256_fmadd_ps(w, v1, a51);
                        }
                    }
                }
                const __m256 acc[CO_BLOCK][2] = {{a00, a01}, {a10, a11}, {a20, a21}, {a30, a31}, {a40, a41}, {a50, a51}};
                const unsigned nco = std::min(CO_BLOCK, p.out - blk * CO_BLOCK);
                if (x0 + X_BLOCK <= c.w) {
                    for (unsigned i = 0; i < nco; ++i) {
                        float* o = c.out + std::size_t(blk * CO_BLOCK + i) * c.out_cs + std::size_t(y) * c.out_rs + x0;
                        // max(v, 0) gives 0 for NaN and -0, as the generic kernel's (v > 0 ? v : 0)
                        const __m256 r0 = p.relu ? _mm256_max_ps(acc[i][0], zero) : acc[i][0];
                        const __m256 r1 = p.relu ? _mm256_max_ps(acc[i][1], zero) : acc[i][1];
                        _mm256_storeu_ps(o, r0);
                        _mm256_storeu_ps(o + 8, r1);
                    }
                } else {
                    float tmp[CO_BLOCK][X_BLOCK];
                    for (unsigned i = 0; i < CO_BLOCK; ++i) {
                        _mm256_storeu_ps(tmp[i], acc[i][0]);
                        _mm256_storeu_ps(tmp[i] + 8, acc[i][1]);
                    }
                    store_block(c, blk, y, x0, tmp);
                }
            }
        }
}

void conv_avx2(const conv_call& c) {
    if (c.p->k == 3) return conv_avx2_k<3>(c);
    if (c.p->k == 1) return conv_avx2_k<1>(c);
    conv_avx2_k<0>(c);
}
#endif

// ---------------------------------------------------------------------------------------------
// Tensors of one tile. Each buffer has a zero border of `border` pixels (the largest conv radius)
// around its region, and slack after the end for the reads of the last partial pixel block.

struct workspace {
    std::vector<std::vector<float>> free;
    uint64_t macs = 0;
    std::size_t pool_floats = 0, pool_limit = std::size_t(-1);  // floats kept for reuse between tensors and tiles

    std::vector<float> take(std::size_t n) {
        std::size_t best = free.size();
        for (std::size_t i = 0; i < free.size(); ++i)
            if (free[i].size() >= n && (best == free.size() || free[i].size() < free[best].size())) best = i;
        if (best == free.size()) return std::vector<float>(n);
        std::vector<float> v = std::move(free[best]);
        free.erase(free.begin() + long(best));
        pool_floats -= v.size();
        return v;
    }
    void give(std::vector<float>&& v) {
        if (v.empty()) return;
        pool_floats += v.size();
        free.push_back(std::move(v));
        // Within the limits, keep the largest (any smaller tensor fits in them).
        std::sort(free.begin(), free.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
        while (!free.empty() && (free.size() > 12 || pool_floats > pool_limit)) {
            pool_floats -= free.back().size();
            free.pop_back();
        }
    }
};

struct tensor {
    unsigned c = 0;
    rect r;
    std::size_t rs = 0, cs = 0;
    float* base = nullptr;
    std::vector<float> buf;
    workspace* ws = nullptr;

    ~tensor() {
        if (ws) ws->give(std::move(buf));
    }
    // Signed offsets: border rows and columns lie before the region's origin (an unsigned wrap
    // would be pointer overflow, undefined behaviour).
    float* at(unsigned ch, long y, long x) {
        return base + std::ptrdiff_t(ch * cs) + (y - r.y0) * std::ptrdiff_t(rs) + (x - r.x0);
    }
    float* row(unsigned ch, long y) { return at(ch, y, r.x0); }
};

using tensor_ptr = std::shared_ptr<tensor>;

tensor_ptr make_tensor(workspace& ws, unsigned c, const rect& r, unsigned border) {
    auto t = std::make_shared<tensor>();
    t->c = c;
    t->r = r;
    const std::size_t hp = std::size_t(r.h()) + 2 * border, wp = std::size_t(r.w()) + 2 * border;
    t->rs = wp;
    t->cs = hp * wp;
    const std::size_t total = c * t->cs + X_BLOCK + 2 * border + 16;
    t->buf = ws.take(total);
    t->ws = &ws;
    float* b = t->buf.data();
    t->base = b + border * wp + border;
    // Zero the border ring and the slack; the region itself is written by the producer.
    for (unsigned ch = 0; ch < c; ++ch) {
        float* p = b + ch * t->cs;
        std::fill(p, p + border * wp, 0.0f);
        std::fill(p + (hp - border) * wp, p + hp * wp, 0.0f);
        for (std::size_t y = border; y < hp - border; ++y) {
            std::fill(p + y * wp, p + y * wp + border, 0.0f);
            std::fill(p + y * wp + wp - border, p + y * wp + wp, 0.0f);
        }
    }
    std::fill(b + c * t->cs, b + t->buf.size(), 0.0f);
    return t;
}

tensor_ptr copy_tensor(workspace& ws, tensor& src, unsigned border) {
    tensor_ptr t = make_tensor(ws, src.c, src.r, border);
    for (unsigned ch = 0; ch < src.c; ++ch)
        for (long y = src.r.y0; y < src.r.y1; ++y) std::memcpy(t->row(ch, y), src.row(ch, y), std::size_t(src.r.w()) * sizeof(float));
    return t;
}

// Maps layout code coordinates to frame code coordinates along one axis: identity for full-frame
// tiles, patches with gaps for the patch-wise mode (-1 in a gap).
struct axis_map {
    long patch = 0, period = 0;  // 0: identity
    long operator()(long l) const {
        if (!period) return l;
        const long m = l % period;
        return m < patch ? (l / period) * patch + m : -1;
    }
};

struct tile_job {
    rect frame;  // layout code pixels: the tile sees zeros outside
    rect core;   // layout code pixels it outputs
    unsigned band = 0;
};

// ---------------------------------------------------------------------------------------------

decoder_isa resolve_isa(decoder_isa isa) {
    if (isa != decoder_isa::automatic) {
        if (!decoder_isa_supported(isa))
            throw std::invalid_argument(std::string("decoder kernel '") + decoder_isa_name(isa) + "' is not supported on this CPU");
        return isa;
    }
    if (const char* env = std::getenv("ENCVP_KERNEL"))
        if (std::string(env) == "generic") return decoder_isa::generic;
    return decoder_isa_supported(decoder_isa::avx2) ? decoder_isa::avx2 : decoder_isa::generic;
}

// Picks a tile core (rows x cols of code pixels) that keeps the threads busy and the halo cheap:
// the least estimated makespan (rounds of `threads` tiles, each costing its area with halos on its
// inner edges), with the area including halos within `max_area` and at most `max_rows` rows.
std::pair<unsigned, unsigned> choose_tile(unsigned H, unsigned W, unsigned threads, unsigned halo, uint64_t max_area,
                                          uint64_t max_rows) {
    double best = -1;
    std::pair<unsigned, unsigned> pick{1, 1};
    unsigned last_th = 0;
    for (unsigned nty = 1; nty <= H; ++nty) {
        const unsigned th = (H + nty - 1) / nty;
        if (th == last_th) continue;
        last_th = th;
        const unsigned ty = (H + th - 1) / th;
        unsigned last_tw = 0;
        for (unsigned ntx = 1; ntx <= W; ++ntx) {
            const unsigned tw = (W + ntx - 1) / ntx;
            if (tw == last_tw) continue;
            last_tw = tw;
            const unsigned tx = (W + tw - 1) / tw;
            const uint64_t area = uint64_t(th + 2 * halo) * (tw + 2 * halo);
            if ((area > max_area || th > max_rows) && !(th == 1 && tw == 1)) continue;
            const uint64_t n = uint64_t(ty) * tx;
            const double cost = double((n + threads - 1) / threads) * double(th + (ty > 1 ? halo : 0)) * double(tw + (tx > 1 ? halo : 0));
            if (best < 0 || cost < best * 0.999) best = cost, pick = {th, tw};
        }
    }
    return pick;
}

}  // namespace

bool decoder_isa_supported(decoder_isa isa) {
    if (isa == decoder_isa::generic || isa == decoder_isa::automatic) return true;
#ifdef ENCVP_DEC_AVX2
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return false;
#endif
}

const char* decoder_isa_name(decoder_isa isa) {
    switch (isa) {
    case decoder_isa::automatic: return "automatic";
    case decoder_isa::generic: return "generic";
    case decoder_isa::avx2: return "avx2";
    }
    return "?";
}

uint8_t decoder_output_byte(float v) {
    if (!(v > 0.0f)) return 0;  // also NaN
    if (v >= 1.0f) return 255;
    return uint8_t(int(v * 255.0f + 0.5f));
}

struct frame_decoder::impl {
    edec_file f;
    edec_graph_info info;
    decoder_isa isa = decoder_isa::generic;
    conv_fn conv = conv_generic;
    std::vector<conv_plan> plans;  // per op (empty for non-conv ops)
    unsigned border = 0;
    uint64_t floats_per_code_px = 0;  // most floats alive at once in a tile, per code pixel of its region

    struct sink_target {
        // uint8 bands, or the float picture
        std::vector<uint8_t>* band = nullptr;
        long band_y0 = 0;
        float* fout = nullptr;
        long out_w = 0, out_h = 0;
    };

    void run_tile(const tile_job& job, const axis_map& my, const axis_map& mx, const code_tensor_view& codes, workspace& ws,
                  const sink_target& dst) const;
    // Exactly one of sink (bands of bytes) and fout (the float picture, allocated here) is set.
    decode_stats run(const code_tensor_view& codes, const decode_options& opt, const rgb_band_sink* sink, std::vector<float>* fout_vec) const;
};

void frame_decoder::impl::run_tile(const tile_job& job, const axis_map& my, const axis_map& mx, const code_tensor_view& codes,
                                   workspace& ws, const sink_target& dst) const {
    const std::size_t n = f.ops.size();
    const long U = long(info.upscale);
    auto frame_at = [&](unsigned s) { return scale_up(job.frame, long(s)); };
    // What each op's output must cover, from the core backwards.
    std::vector<rect> need(n), mark_need(n);
    need[n - 1] = intersect(scale_up(job.core, U), frame_at(info.upscale));
    for (std::size_t i = n - 1; i >= 1; --i) {
        const edec_op& op = f.ops[i];
        const rect R = need[i];
        switch (op.type) {
        case edec_op_type::conv:
            need[i - 1] = intersect(expand(R, long(op.kernel / 2)), frame_at(info.scale[i]));
            break;
        case edec_op_type::pixel_shuffle:
            need[i - 1] = intersect(scale_down(R, long(op.factor)), frame_at(info.scale[i - 1]));
            break;
        case edec_op_type::add:
            need[i - 1] = R;
            mark_need[std::size_t(info.partner[i])] = R;
            break;
        case edec_op_type::mark:
            need[i - 1] = unite(R, mark_need[i]);
            break;
        default:
            need[i - 1] = R;
            break;
        }
    }
    const bool masked = my.period != 0;
    // Zeroes the gap rows and columns of a tensor at scale s (patch-wise mode).
    auto mask = [&](tensor& t, unsigned s) {
        if (!masked) return;
        for (long y = t.r.y0; y < t.r.y1; ++y) {
            const bool gap_row = my(floor_div(y, long(s))) < 0;
            for (unsigned ch = 0; ch < t.c; ++ch) {
                float* row = t.row(ch, y);
                if (gap_row) {
                    std::fill(row, row + t.r.w(), 0.0f);
                    continue;
                }
                for (long x = t.r.x0; x < t.r.x1; ++x)
                    if (mx(floor_div(x, long(s))) < 0) row[x - t.r.x0] = 0.0f;
            }
        }
    };

    // input_pm1: codes 0/1 -> -1/+1, zero outside the frame and in gaps.
    tensor_ptr cur = make_tensor(ws, f.code_channels, need[0], border);
    {
        const rect& r = need[0];
        for (unsigned ch = 0; ch < f.code_channels; ++ch)
            for (long y = r.y0; y < r.y1; ++y) {
                float* row = cur->row(ch, y);
                const long fy = my(y);
                for (long x = r.x0; x < r.x1; ++x) {
                    const long fx = mx(x);
                    float v = 0.0f;
                    if (fy >= 0 && fx >= 0)
                        v = codes.bits[(std::size_t(ch) * codes.height + std::size_t(fy)) * codes.width + std::size_t(fx)] ? 1.0f : -1.0f;
                    row[x - r.x0] = v;
                }
            }
    }
    std::vector<tensor_ptr> stack;
    for (std::size_t i = 1; i < n; ++i) {
        const edec_op& op = f.ops[i];
        const rect& R = need[i];
        switch (op.type) {
        case edec_op_type::input_pm1:
            break;
        case edec_op_type::conv: {
            const conv_plan& p = plans[i];
            tensor_ptr out = make_tensor(ws, p.out, R, border);
            conv_call c;
            c.in = cur->at(0, R.y0 - long(p.r), R.x0 - long(p.r));
            c.in_cs = cur->cs;
            c.in_rs = cur->rs;
            c.out = out->base;
            c.out_cs = out->cs;
            c.out_rs = out->rs;
            c.h = unsigned(R.h());
            c.w = unsigned(R.w());
            c.p = &p;
            conv(c);
            ws.macs += uint64_t(R.h()) * uint64_t(R.w()) * op.macs_per_pixel();
            mask(*out, info.scale[i]);
            cur = std::move(out);
            break;
        }
        case edec_op_type::relu: {
            if (cur.use_count() > 1) cur = copy_tensor(ws, *cur, border);
            for (unsigned ch = 0; ch < cur->c; ++ch)
                for (long y = cur->r.y0; y < cur->r.y1; ++y) {
                    float* row = cur->row(ch, y);
                    for (long x = 0; x < cur->r.w(); ++x) row[x] = row[x] > 0.0f ? row[x] : 0.0f;
                }
            break;
        }
        case edec_op_type::pixel_shuffle: {
            const unsigned fct = op.factor, oc = cur->c / (fct * fct);
            const rect& src = need[i - 1];
            tensor_ptr out = make_tensor(ws, oc, scale_up(src, long(fct)), border);
            for (unsigned c = 0; c < oc; ++c)
                for (unsigned a = 0; a < fct; ++a)
                    for (unsigned b = 0; b < fct; ++b) {
                        const unsigned ic = c * fct * fct + a * fct + b;
                        for (long y = src.y0; y < src.y1; ++y) {
                            const float* in = cur->at(ic, y, src.x0);
                            float* o = out->at(c, y * long(fct) + a, src.x0 * long(fct) + b);
                            for (long x = 0; x < src.w(); ++x) o[x * long(fct)] = in[x];
                        }
                    }
            cur = std::move(out);
            break;
        }
        case edec_op_type::mark:
            stack.push_back(cur);
            break;
        case edec_op_type::add: {
            tensor_ptr skip = std::move(stack.back());
            stack.pop_back();
            if (cur.use_count() > 1) cur = copy_tensor(ws, *cur, border);
            for (unsigned ch = 0; ch < cur->c; ++ch)
                for (long y = R.y0; y < R.y1; ++y) {
                    float* a = cur->at(ch, y, R.x0);
                    const float* b = skip->at(ch, y, R.x0);
                    for (long x = 0; x < R.w(); ++x) a[x] = a[x] + b[x];
                }
            break;
        }
        case edec_op_type::output: {
            // R is the core at full resolution; map layout pixels to picture pixels.
            for (long y = R.y0; y < R.y1; ++y) {
                const long fy = my(y / U);
                if (fy < 0) continue;
                const long py = fy * U + y % U;
                for (long x = R.x0; x < R.x1; ++x) {
                    const long fx = mx(x / U);
                    if (fx < 0) continue;
                    const long px = fx * U + x % U;
                    if (dst.fout) {
                        for (unsigned ch = 0; ch < 3; ++ch)
                            dst.fout[(std::size_t(ch) * std::size_t(dst.out_h) + std::size_t(py)) * std::size_t(dst.out_w) + std::size_t(px)] =
                                *cur->at(ch, y, x);
                    } else {
                        uint8_t* o = dst.band->data() + (std::size_t(py - dst.band_y0) * std::size_t(dst.out_w) + std::size_t(px)) * 3;
                        for (unsigned ch = 0; ch < 3; ++ch) o[ch] = decoder_output_byte(*cur->at(ch, y, x));
                    }
                }
            }
            break;
        }
        }
    }
}

decode_stats frame_decoder::impl::run(const code_tensor_view& codes, const decode_options& opt, const rgb_band_sink* sink,
                                      std::vector<float>* fout_vec) const {
    const auto t0 = std::chrono::steady_clock::now();
    // ---- validate the codes
    if (!codes.bits && codes.channels && codes.height && codes.width) throw input_error("codes", "no code data");
    if (codes.channels != f.code_channels)
        throw input_error("codes", "have " + std::to_string(codes.channels) + " channels but decoder '" + f.name + "' takes " +
                                       std::to_string(f.code_channels));
    if (codes.height == 0 || codes.width == 0) throw input_error("codes", "the code tensor is empty");
    const uint64_t U = info.upscale;
    if (uint64_t(codes.height) * U > MAX_OUT_SIDE || uint64_t(codes.width) * U > MAX_OUT_SIDE)
        throw input_error("codes", "a " + std::to_string(codes.width) + "x" + std::to_string(codes.height) +
                                       " code tensor decodes to more than 32768 pixels per side");
    const std::size_t ncodes = std::size_t(codes.channels) * codes.height * codes.width;
    for (std::size_t i = 0; i < ncodes; ++i)
        if (codes.bits[i] > 1) {
            const std::size_t plane = std::size_t(codes.height) * codes.width;
            throw input_error("codes", "value " + std::to_string(codes.bits[i]) + " at channel " + std::to_string(i / plane) + ", row " +
                                           std::to_string(i % plane / codes.width) + ", column " + std::to_string(i % codes.width) +
                                           " (codes are 0 or 1)");
        }
    const unsigned P = opt.patch_code;
    if (opt.patchwise) {
        if (P == 0) throw std::invalid_argument("decode_options.patch_code must be at least 1");
        if (codes.height % P || codes.width % P)
            throw input_error("codes", "a " + std::to_string(codes.width) + "x" + std::to_string(codes.height) +
                                           " code tensor is not a whole number of " + std::to_string(P) + "x" + std::to_string(P) +
                                           " patches");
    }
    unsigned threads = opt.threads ? opt.threads : std::max(1u, std::thread::hardware_concurrency());
    threads = std::min(threads, 256u);

    // ---- tiles
    decode_stats st;
    st.width = unsigned(codes.width * U);
    st.height = unsigned(codes.height * U);
    st.isa = isa;
    st.macs_nominal = info.macs_per_code_pixel * codes.height * codes.width;
    const uint64_t tile_budget = opt.memory_budget / 4 * 3 / threads, band_budget = opt.memory_budget / 4 / (threads + 1);
    const uint64_t max_area = std::max<uint64_t>(1, tile_budget / (floats_per_code_px * 4));
    const uint64_t max_rows = std::max<uint64_t>(1, band_budget / (U * U * codes.width * 3));  // code rows per band
    axis_map my, mx;
    std::vector<tile_job> jobs;
    std::vector<std::pair<long, long>> band_rows;  // output rows [y0, y1) per band
    if (!opt.patchwise) {
        unsigned th = opt.tile_rows, tw = opt.tile_cols;
        if (!th || !tw) {
            const auto pick = choose_tile(codes.height, codes.width, threads, info.halo, max_area, max_rows);
            if (!th) th = pick.first;
            if (!tw) tw = pick.second;
        }
        th = std::min(th, codes.height), tw = std::min(tw, codes.width);
        st.tile_rows = th, st.tile_cols = tw;
        st.tiles_y = (codes.height + th - 1) / th, st.tiles_x = (codes.width + tw - 1) / tw;
        const rect frame{0, long(codes.height), 0, long(codes.width)};
        for (unsigned ty = 0; ty < st.tiles_y; ++ty) {
            const long y0 = long(ty) * th, y1 = std::min<long>(y0 + th, codes.height);
            band_rows.emplace_back(y0 * long(U), y1 * long(U));
            for (unsigned tx = 0; tx < st.tiles_x; ++tx) {
                const long x0 = long(tx) * tw, x1 = std::min<long>(x0 + tw, codes.width);
                jobs.push_back({frame, {y0, y1, x0, x1}, ty});
            }
        }
    } else {
        const unsigned g = std::max(1u, info.max_gap), period = P + g;
        my.patch = mx.patch = P;
        my.period = mx.period = period;
        const unsigned ph = codes.height / P, pw = codes.width / P;
        unsigned tph = opt.tile_rows ? (opt.tile_rows + P - 1) / P : 0, tpw = opt.tile_cols ? (opt.tile_cols + P - 1) / P : 0;
        if (!tph || !tpw) {
            const auto pick = choose_tile(ph, pw, threads, 0, std::max<uint64_t>(1, max_area / (uint64_t(period) * period)),
                                          std::max<uint64_t>(1, max_rows / P));
            if (!tph) tph = pick.first;
            if (!tpw) tpw = pick.second;
        }
        tph = std::min(tph, ph), tpw = std::min(tpw, pw);
        st.tile_rows = tph * P, st.tile_cols = tpw * P;
        st.tiles_y = (ph + tph - 1) / tph, st.tiles_x = (pw + tpw - 1) / tpw;
        for (unsigned ty = 0; ty < st.tiles_y; ++ty) {
            const long i0 = long(ty) * tph, i1 = std::min<long>(i0 + tph, ph);
            band_rows.emplace_back(i0 * long(P * U), i1 * long(P * U));
            for (unsigned tx = 0; tx < st.tiles_x; ++tx) {
                const long j0 = long(tx) * tpw, j1 = std::min<long>(j0 + tpw, pw);
                const rect box{i0 * long(period), i1 * long(period) - long(g), j0 * long(period), j1 * long(period) - long(g)};
                jobs.push_back({box, box, ty});
            }
        }
    }
    threads = unsigned(std::min<std::size_t>(threads, jobs.size()));
    st.threads = threads;
    float* fout = nullptr;
    if (fout_vec) {
        fout_vec->assign(std::size_t(3) * st.width * st.height, 0.0f);
        fout = fout_vec->data();
    }

    // ---- workers: tiles in raster order; bands delivered in order, at most threads + 1 in flight
    const std::size_t nbands = band_rows.size();
    struct band_state {
        std::vector<uint8_t> rgb;
        std::size_t remaining = 0;
    };
    std::vector<band_state> bands(nbands);
    for (const tile_job& j : jobs) ++bands[j.band].remaining;
    std::mutex m;
    std::condition_variable cv;
    std::size_t next = 0, delivered = 0;
    bool delivering = false, abort = false;
    std::exception_ptr err;
    uint64_t macs = 0;
    const std::size_t inflight = threads + 1;
    const long out_w = long(st.width), out_h = long(st.height);

    auto worker = [&]() {
        workspace ws;
        ws.pool_limit = std::size_t(tile_budget / 4 / 2);
        std::unique_lock<std::mutex> lk(m);
        auto fail = [&](std::exception_ptr e) {
            if (!err) err = e;
            abort = true;
            cv.notify_all();
        };
        for (;;) {
            if (abort || next == jobs.size()) break;
            const unsigned band = jobs[next].band;
            if (!fout && band >= delivered + inflight) {
                cv.wait(lk);
                continue;
            }
            const std::size_t t = next++;
            sink_target dst;
            dst.out_w = out_w, dst.out_h = out_h, dst.fout = fout;
            if (!fout) {
                band_state& b = bands[band];
                if (b.rgb.empty()) b.rgb.assign(std::size_t(band_rows[band].second - band_rows[band].first) * std::size_t(out_w) * 3, 0);
                dst.band = &b.rgb;
                dst.band_y0 = band_rows[band].first;
            }
            lk.unlock();
            try {
                run_tile(jobs[t], my, mx, codes, ws, dst);
            } catch (...) {
                lk.lock();
                fail(std::current_exception());
                break;
            }
            lk.lock();
            --bands[band].remaining;
            if (fout) continue;
            while (!delivering && !abort && delivered < nbands && bands[delivered].remaining == 0) {
                delivering = true;
                const std::size_t b = delivered;
                lk.unlock();
                std::exception_ptr e;
                try {
                    (*sink)(unsigned(band_rows[b].first), unsigned(band_rows[b].second - band_rows[b].first), bands[b].rgb.data());
                } catch (...) {
                    e = std::current_exception();
                }
                lk.lock();
                delivering = false;
                if (e) {
                    fail(e);
                    break;
                }
                std::vector<uint8_t>().swap(bands[b].rgb);
                ++delivered;
                cv.notify_all();
            }
        }
        macs += ws.macs;
        cv.notify_all();
    };
    if (threads <= 1) {
        worker();
    } else {
        std::vector<std::thread> pool;
        for (unsigned i = 0; i < threads; ++i) pool.emplace_back(worker);
        for (auto& t : pool) t.join();
    }
    if (err) std::rethrow_exception(err);
    st.macs_done = macs;
    st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return st;
}

frame_decoder::frame_decoder(edec_file f, decoder_isa isa) : p_(std::make_unique<impl>()) {
    p_->info = analyze_edec(f);
    p_->f = std::move(f);
    p_->isa = resolve_isa(isa);
#ifdef ENCVP_DEC_AVX2
    if (p_->isa == decoder_isa::avx2) p_->conv = conv_avx2;
#endif
    p_->plans.resize(p_->f.ops.size());
    for (std::size_t i = 0; i < p_->f.ops.size(); ++i) {
        const edec_op& op = p_->f.ops[i];
        if (op.type == edec_op_type::conv) p_->plans[i] = make_plan(op);
    }
    p_->border = p_->info.max_conv_radius;
    // Most floats alive at once, per code pixel: the marked tensors, the current one and the op's
    // new output (the automatic tile size divides the budget by it).
    uint64_t peak = 0, cur = p_->f.code_channels, marked = 0;
    std::vector<uint64_t> stack;
    for (std::size_t i = 0; i < p_->f.ops.size(); ++i) {
        const edec_op& op = p_->f.ops[i];
        const uint64_t s2 = uint64_t(p_->info.scale[i]) * p_->info.scale[i];
        uint64_t out = 0;
        if (op.type == edec_op_type::conv) out = uint64_t(op.out) * s2;
        if (op.type == edec_op_type::pixel_shuffle) out = cur;
        if (op.type == edec_op_type::relu || op.type == edec_op_type::add) out = cur;  // a copy when the tensor is marked
        peak = std::max(peak, marked + cur + out);
        if (op.type == edec_op_type::mark) stack.push_back(cur), marked += cur;
        if (op.type == edec_op_type::add) marked -= stack.back(), stack.pop_back();
        if (out && op.type != edec_op_type::relu && op.type != edec_op_type::add) cur = out;
    }
    p_->floats_per_code_px = std::max<uint64_t>(1, peak);
}

frame_decoder::~frame_decoder() = default;

const edec_file& frame_decoder::file() const { return p_->f; }
const edec_graph_info& frame_decoder::info() const { return p_->info; }
decoder_isa frame_decoder::isa() const { return p_->isa; }

decode_stats frame_decoder::decode(const code_tensor_view& codes, const decode_options& opt, const rgb_band_sink& sink) const {
    return p_->run(codes, opt, &sink, nullptr);
}

image frame_decoder::decode_image(const code_tensor_view& codes, const decode_options& opt, decode_stats* stats) const {
    image img;
    const rgb_band_sink collect = [&](unsigned y0, unsigned rows, const uint8_t* rgb) {
        if (img.rgb.empty()) {
            img.width = codes.width * p_->info.upscale;
            img.height = codes.height * p_->info.upscale;
            img.rgb.resize(std::size_t(img.width) * img.height * 3);
        }
        std::memcpy(img.rgb.data() + std::size_t(y0) * img.width * 3, rgb, std::size_t(rows) * img.width * 3);
    };
    const decode_stats st = p_->run(codes, opt, &collect, nullptr);
    if (stats) *stats = st;
    return img;
}

std::vector<float> frame_decoder::decode_float(const code_tensor_view& codes, const decode_options& opt, decode_stats* stats) const {
    std::vector<float> out;
    const decode_stats st = p_->run(codes, opt, nullptr, &out);
    if (stats) *stats = st;
    return out;
}

}  // namespace encvp

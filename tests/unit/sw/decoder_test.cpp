// The full-frame decoder (docs/compression.md): hand-computed graphs, PyTorch's pixel_shuffle
// order, tiled == untiled bit for bit, the patch-wise baseline, a naive float64 reference, bad
// codes, bounded memory on a 4096x4096 frame, the kernels against each other.
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/crc32.h"
#include "common/error.h"
#include "decoder/decoder.h"
#include "decoder/edec.h"
#include "golden/golden.h"
#include "netfile/netfile.h"
#include "decoder_test_util.h"
#include "sw_test_util.h"

using namespace dectest;  // NOLINT(google-build-using-namespace): test helpers
using nlohmann::json;

// ---- decoding ----------------------------------------------------------------------------------

// 1 code channel, upscale 1, 3x3 conv to 3 channels:
//   R = 0.5 + 0.25 * centre,  G = 0.1 * (sum of the 3x3 neighbourhood, zeros outside),
//   B = relu(code above)  (weight [ky=0][kx=1]: PyTorch cross-correlation, row y-1)
TEST(Decoder, HandComputedGraph) {
    std::vector<float> w(3 * 9, 0.0f);
    w[0 * 9 + 4] = 0.25f;
    for (int t = 0; t < 9; ++t) w[1 * 9 + t] = 0.1f;
    w[2 * 9 + 1] = 1.0f;
    const edec_file f = make_file(
        1, 1, {simple(edec_op_type::input_pm1), conv(1, 3, 3, true, w, {0.5f, 0.0f, 0.0f}), simple(edec_op_type::output)});
    // codes (3 x 4):  1 0 1 1 / 0 0 1 0 / 1 1 1 0   ->  +-1
    const std::vector<uint8_t> codes = {1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1, 0};
    for (decoder_isa isa : isas()) {
        frame_decoder d(f, isa);
        const std::vector<float> out = d.decode_float(view(codes, 1, 3, 4));
        ASSERT_EQ(out.size(), 3u * 12);
        auto pm = [&](int y, int x) { return (y < 0 || x < 0 || y >= 3 || x >= 4) ? 0.0 : codes[std::size_t(y) * 4 + x] ? 1.0 : -1.0; };
        for (int y = 0; y < 3; ++y)
            for (int x = 0; x < 4; ++x) {
                double g = 0;
                for (int dy = -1; dy <= 1; ++dy)
                    for (int dx = -1; dx <= 1; ++dx) g += pm(y + dy, x + dx);
                EXPECT_FLOAT_EQ(out[0 * 12 + y * 4 + x], float(0.5 + 0.25 * pm(y, x))) << y << "," << x;
                EXPECT_NEAR(out[1 * 12 + y * 4 + x], std::max(0.1 * g, 0.0), 1e-6) << y << "," << x;
                EXPECT_FLOAT_EQ(out[2 * 12 + y * 4 + x], float(std::max(pm(y - 1, x), 0.0))) << y << "," << x;
            }
        // Spot values by hand: (0,0): R 0.75, G relu(0.1*(1-1-1-1)) = 0, B 0 (above the frame).
        EXPECT_FLOAT_EQ(out[0], 0.75f);
        EXPECT_FLOAT_EQ(out[12], 0.0f);
        // (1,2): neighbourhood 0 1 1 / 0 1 0 / 1 1 0 -> -1+1+1-1+1-1+1+1-1 = 1 -> G 0.1; B = code (0,2) = +1.
        EXPECT_NEAR(out[12 + 1 * 4 + 2], 0.1f, 1e-6);
        EXPECT_FLOAT_EQ(out[24 + 1 * 4 + 2], 1.0f);
        // Bytes: 0.75 -> 191.25 + 0.5 -> 191; 0.25 -> 64.25 -> 64; 0.1 -> 26.
        const encvp::image img = d.decode_image(view(codes, 1, 3, 4));
        ASSERT_EQ(img.width, 4u);
        ASSERT_EQ(img.height, 3u);
        EXPECT_EQ(img.px(0, 0)[0], 191);
        EXPECT_EQ(img.px(1, 0)[0], 64);
        EXPECT_EQ(img.px(2, 1)[1], 26);
        EXPECT_EQ(img.px(2, 1)[2], 255);
    }
}

TEST(Decoder, OutputRounding) {
    EXPECT_EQ(encvp::decoder_output_byte(-0.5f), 0);
    EXPECT_EQ(encvp::decoder_output_byte(NAN), 0);
    EXPECT_EQ(encvp::decoder_output_byte(0.0f), 0);
    EXPECT_EQ(encvp::decoder_output_byte(1.0f), 255);
    EXPECT_EQ(encvp::decoder_output_byte(7.0f), 255);
    EXPECT_EQ(encvp::decoder_output_byte(INFINITY), 255);
    EXPECT_EQ(encvp::decoder_output_byte(0.5f), 128);           // 127.5 rounds half up
    EXPECT_EQ(encvp::decoder_output_byte(1.0f / 255.0f), 1);
    EXPECT_EQ(encvp::decoder_output_byte(0.4f / 255.0f), 0);
    EXPECT_EQ(encvp::decoder_output_byte(0.6f / 255.0f), 1);
}

// 12 code channels -> pixel_shuffle(2) -> 3 channels: output (c, 2y+i, 2x+j) is code channel
// c*4 + i*2 + j at (y, x), as torch.nn.functional.pixel_shuffle.
TEST(Decoder, PixelShuffleOrderIsPyTorchs) {
    const edec_file f = make_file(12, 2, {simple(edec_op_type::input_pm1), shuffle(2), simple(edec_op_type::output)});
    const unsigned h = 5, w = 7;
    const std::vector<uint8_t> codes = random_codes(12, h, w, 9);
    for (decoder_isa isa : isas()) {
        frame_decoder d(f, isa);
        const encvp::image img = d.decode_image(view(codes, 12, h, w));
        ASSERT_EQ(img.width, 2 * w);
        for (unsigned c = 0; c < 3; ++c)
            for (unsigned y = 0; y < h; ++y)
                for (unsigned x = 0; x < w; ++x)
                    for (unsigned i = 0; i < 2; ++i)
                        for (unsigned j = 0; j < 2; ++j) {
                            const uint8_t bit = codes[(std::size_t(c * 4 + i * 2 + j) * h + y) * w + x];
                            ASSERT_EQ(img.px(2 * x + j, 2 * y + i)[c], bit ? 255 : 0) << c << " " << y << " " << x << " " << i << j;
                        }
    }
}

TEST(Decoder, MatchesNaiveFloat64Reference) {
    for (unsigned kernel : {3u, 5u}) {
        const edec_file f = small_decoder(11, kernel);
        const unsigned h = 9, w = 13;
        const std::vector<uint8_t> codes = random_codes(4, h, w, 21);
        const std::vector<double> ref = naive_decode(f, codes, h, w);
        for (decoder_isa isa : isas()) {
            frame_decoder d(f, isa);
            const std::vector<float> out = d.decode_float(view(codes, 4, h, w));
            ASSERT_EQ(out.size(), ref.size());
            double maxdiff = 0, maxabs = 0;
            for (std::size_t i = 0; i < ref.size(); ++i) {
                maxdiff = std::max(maxdiff, std::fabs(double(out[i]) - ref[i]));
                maxabs = std::max(maxabs, std::fabs(ref[i]));
            }
            EXPECT_LT(maxdiff, 1e-4 * std::max(1.0, maxabs)) << "kernel " << kernel << " isa " << encvp::decoder_isa_name(isa);
            EXPECT_GT(maxabs, 0.1);
        }
    }
}

// Every tiling and thread count gives the untiled result, bit for bit (per kernel).
TEST(Decoder, TiledEqualsUntiledBitForBit) {
    const unsigned h = 23, w = 37;
    const std::vector<uint8_t> codes = random_codes(4, h, w, 77);
    for (unsigned kernel : {3u, 5u}) {
        const edec_file f = small_decoder(4, kernel);
        for (decoder_isa isa : isas()) {
            frame_decoder d(f, isa);
            decode_options whole;
            whole.tile_rows = h, whole.tile_cols = w, whole.threads = 1;
            encvp::decode_stats st;
            const std::vector<float> ref = d.decode_float(view(codes, 4, h, w), whole, &st);
            EXPECT_EQ(st.tiles_x * st.tiles_y, 1u);
            EXPECT_EQ(st.macs_done, st.macs_nominal);
            const encvp::image ref_img = d.decode_image(view(codes, 4, h, w), whole);
            // (1 x 1 tiles recompute a whole halo per code pixel: only with the 3x3 kernels.)
            const unsigned sizes[][2] = {{1, 1}, {3, 5}, {7, 16}, {8, 8}, {16, 3}, {23, 2}, {2, 37}, {11, 19}};
            for (const auto& s : sizes)
                for (unsigned threads : {1u, 3u}) {
                    if (s[0] * s[1] < 8 && (kernel == 5 || threads == 3)) continue;
                    decode_options o;
                    o.tile_rows = s[0], o.tile_cols = s[1], o.threads = threads;
                    const std::vector<float> out = d.decode_float(view(codes, 4, h, w), o, &st);
                    EXPECT_TRUE(same_bits(out, ref)) << "tile " << s[0] << "x" << s[1] << " threads " << threads << " kernel " << kernel
                                                     << " isa " << encvp::decoder_isa_name(isa);
                    EXPECT_GE(st.macs_done, st.macs_nominal);
                    if (threads == 1) continue;
                    const encvp::image img = d.decode_image(view(codes, 4, h, w), o);
                    EXPECT_EQ(img.rgb, ref_img.rgb);
                }
            decode_options automatic;
            automatic.threads = 2;
            EXPECT_TRUE(same_bits(d.decode_float(view(codes, 4, h, w), automatic), ref));
        }
    }
}

// In-place ops must not modify a marked tensor: mark; relu; conv; add  (relu copies), and an add
// right after its mark (x + x).
TEST(Decoder, MarkedTensorIsNotModifiedInPlace) {
    std::mt19937 rng(8);
    const edec_file f = make_file(4, 1,
                                  {simple(edec_op_type::input_pm1), random_conv(rng, 4, 6, 3, false), simple(edec_op_type::mark),
                                   simple(edec_op_type::relu), random_conv(rng, 6, 6, 3, false), simple(edec_op_type::add),
                                   simple(edec_op_type::mark), simple(edec_op_type::add), random_conv(rng, 6, 3, 3, false),
                                   simple(edec_op_type::output)});
    const std::vector<uint8_t> codes = random_codes(4, 10, 12, 2);
    const std::vector<double> ref = naive_decode(f, codes, 10, 12);
    for (decoder_isa isa : isas()) {
        frame_decoder d(f, isa);
        decode_options o;
        o.tile_rows = 3, o.tile_cols = 5;
        const std::vector<float> out = d.decode_float(view(codes, 4, 10, 12), o);
        for (std::size_t i = 0; i < ref.size(); ++i) ASSERT_NEAR(out[i], ref[i], 1e-4) << i;
    }
}

TEST(Decoder, BandsArriveInOrderAndCoverTheFrame) {
    const edec_file f = small_decoder();
    const unsigned h = 20, w = 9;
    const std::vector<uint8_t> codes = random_codes(4, h, w, 5);
    frame_decoder d(f);
    const encvp::image ref = d.decode_image(view(codes, 4, h, w));
    decode_options o;
    o.tile_rows = 3, o.tile_cols = 4, o.threads = 4;
    std::vector<uint8_t> got(ref.rgb.size(), 0);
    unsigned next = 0, calls = 0;
    const encvp::decode_stats st = d.decode(view(codes, 4, h, w), o, [&](unsigned y0, unsigned rows, const uint8_t* rgb) {
        EXPECT_EQ(y0, next);
        EXPECT_LE(rows, 3u * 4);
        std::memcpy(got.data() + std::size_t(y0) * w * 4 * 3, rgb, std::size_t(rows) * w * 4 * 3);
        next = y0 + rows;
        ++calls;
    });
    EXPECT_EQ(next, h * 4);
    EXPECT_EQ(calls, 7u);
    EXPECT_EQ(st.tiles_y, 7u);
    EXPECT_EQ(st.tiles_x, 3u);
    EXPECT_EQ(st.width, w * 4);
    EXPECT_EQ(st.height, h * 4);
    EXPECT_EQ(got, ref.rgb);
}

TEST(Decoder, SinkExceptionStopsTheDecode) {
    const edec_file f = small_decoder();
    const std::vector<uint8_t> codes = random_codes(4, 16, 16, 5);
    frame_decoder d(f);
    decode_options o;
    o.tile_rows = 2, o.tile_cols = 16, o.threads = 2;
    unsigned calls = 0;
    EXPECT_THROW(d.decode(view(codes, 4, 16, 16), o,
                          [&](unsigned, unsigned, const uint8_t*) {
                              if (++calls == 2) throw std::runtime_error("disk full");
                          }),
                 std::runtime_error);
    EXPECT_EQ(calls, 2u);
}

TEST(Decoder, BadCodesAreClearErrors) {
    const edec_file f = small_decoder();
    frame_decoder d(f);
    std::vector<uint8_t> codes = random_codes(4, 8, 8, 5);
    auto error = [&](const code_tensor_view& v, const decode_options& o = decode_options()) {
        try {
            d.decode_image(v, o);
        } catch (const input_error& e) {
            EXPECT_EQ(e.source(), "codes");
            return std::string(e.what());
        }
        return std::string("NO ERROR");
    };
    EXPECT_HAS(error(view(codes, 3, 8, 8)), "have 3 channels but decoder 'small' takes 4");
    EXPECT_HAS(error(view(codes, 4, 0, 8)), "empty");
    codes[2 * 64 + 3 * 8 + 5] = 2;
    EXPECT_HAS(error(view(codes, 4, 8, 8)), "value 2 at channel 2, row 3, column 5 (codes are 0 or 1)");
    codes[2 * 64 + 3 * 8 + 5] = 1;
    decode_options pw;
    pw.patchwise = true;
    EXPECT_HAS(error(view(codes, 4, 6, 8), pw), "not a whole number of 4x4 patches");
    std::vector<uint8_t> wide(4 * 8200, 0);
    EXPECT_HAS(error(view(wide, 4, 1, 8200)), "more than 32768 pixels per side");
}

// Patch-wise: each patch alone (bit for bit what a one-patch frame gives), periodic for periodic
// codes, and different from the full-frame decoder, most of all along the patch borders.
TEST(Decoder, PatchwiseDecodesEachPatchAlone) {
    const edec_file f = small_decoder(6);
    const unsigned ph = 3, pw = 5, h = 4 * ph, w = 4 * pw;
    const std::vector<uint8_t> codes = random_codes(4, h, w, 31);
    for (decoder_isa isa : isas()) {
        frame_decoder d(f, isa);
        decode_options pwo;
        pwo.patchwise = true;
        pwo.threads = 2;
        const std::vector<float> out = d.decode_float(view(codes, 4, h, w), pwo);
        const unsigned W = 16 * pw, H = 16 * ph;
        for (unsigned i = 0; i < ph; ++i)
            for (unsigned j = 0; j < pw; ++j) {
                std::vector<uint8_t> one(4 * 16);
                for (unsigned c = 0; c < 4; ++c)
                    for (unsigned y = 0; y < 4; ++y)
                        for (unsigned x = 0; x < 4; ++x) one[(c * 4 + y) * 4 + x] = codes[(std::size_t(c) * h + 4 * i + y) * w + 4 * j + x];
                const std::vector<float> alone = d.decode_float(view(one, 4, 4, 4));
                for (unsigned c = 0; c < 3; ++c)
                    for (unsigned y = 0; y < 16; ++y)
                        for (unsigned x = 0; x < 16; ++x) {
                            const float a = alone[(c * 16 + y) * 16 + x], b = out[(std::size_t(c) * H + 16 * i + y) * W + 16 * j + x];
                            ASSERT_EQ(std::memcmp(&a, &b, 4), 0) << "patch " << i << "," << j << " pixel " << y << "," << x;
                        }
            }
        // Other tile sizes give the same.
        for (unsigned t : {4u, 8u, 12u}) {
            decode_options o = pwo;
            o.tile_rows = t, o.tile_cols = t;
            EXPECT_TRUE(same_bits(d.decode_float(view(codes, 4, h, w), o), out)) << t;
        }
    }
}

TEST(Decoder, PatchwiseDiffersFromFullFrameAtPatchBorders) {
    const edec_file f = small_decoder(6);
    // Every patch has the same code: patch-wise output repeats every 16 pixels exactly.
    const unsigned ph = 6, pw = 6, h = 4 * ph, w = 4 * pw;
    const std::vector<uint8_t> one = random_codes(4, 4, 4, 12);
    std::vector<uint8_t> codes(std::size_t(4) * h * w);
    for (unsigned c = 0; c < 4; ++c)
        for (unsigned y = 0; y < h; ++y)
            for (unsigned x = 0; x < w; ++x) codes[(std::size_t(c) * h + y) * w + x] = one[(c * 4 + y % 4) * 4 + x % 4];
    frame_decoder d(f);
    decode_options pwo;
    pwo.patchwise = true;
    const std::vector<float> pwise = d.decode_float(view(codes, 4, h, w), pwo);
    const std::vector<float> full = d.decode_float(view(codes, 4, h, w));
    const unsigned W = 16 * pw, H = 16 * ph;
    for (unsigned c = 0; c < 3; ++c)
        for (unsigned y = 0; y < H; ++y)
            for (unsigned x = 0; x < W; ++x)
                ASSERT_EQ(pwise[(std::size_t(c) * H + y) * W + x], pwise[(std::size_t(c) * H + y % 16) * W + x % 16]);
    // Inner patches (far from the frame edge): compare the outer ring of each patch with its centre.
    double ring = 0, centre = 0;
    unsigned nring = 0, ncentre = 0;
    for (unsigned c = 0; c < 3; ++c)
        for (unsigned y = 32; y < H - 32; ++y)
            for (unsigned x = 32; x < W - 32; ++x) {
                const double diff = std::fabs(double(pwise[(std::size_t(c) * H + y) * W + x]) - full[(std::size_t(c) * H + y) * W + x]);
                const unsigned py = y % 16, px = x % 16;
                if (py < 2 || py > 13 || px < 2 || px > 13) ring += diff, ++nring;
                else if (py >= 6 && py < 10 && px >= 6 && px < 10) centre += diff, ++ncentre;
            }
    ring /= nring, centre /= ncentre;
    EXPECT_GT(ring, 1e-3);
    EXPECT_GT(ring, centre);
}

// A 4096x4096 frame with a small decoder, streamed with a 64 MiB budget: the process's peak memory
// grows by about the budget, far less than any full-frame tensor (its float RGB output alone would
// be 192 MiB, its 12-channel half-resolution tensor 192 MiB more).
TEST(Decoder, HugeFrameMemoryStaysBounded) {
    std::mt19937 rng(3);
    const edec_file f =
        make_file(4, 4,
                  {simple(edec_op_type::input_pm1), random_conv(rng, 4, 8, 3, true), shuffle(2), random_conv(rng, 2, 12, 3, true),
                   shuffle(2), simple(edec_op_type::output)});
    const unsigned h = 1024, w = 1024;
    const std::vector<uint8_t> codes = random_codes(4, h, w, 1);
    frame_decoder d(f);
    struct rusage ru {};
    getrusage(RUSAGE_SELF, &ru);
    const long before_kb = ru.ru_maxrss;
    uint64_t rows = 0, sum = 0;
    decode_options o;
    o.threads = 2;
    o.memory_budget = 64 << 20;
    const encvp::decode_stats st = d.decode(view(codes, 4, h, w), o, [&](unsigned y0, unsigned n, const uint8_t* rgb) {
        EXPECT_EQ(y0, rows);
        rows += n;
        for (std::size_t i = 0; i < std::size_t(n) * 4096 * 3; i += 997) sum += rgb[i];
    });
    getrusage(RUSAGE_SELF, &ru);
    EXPECT_EQ(rows, 4096u);
    EXPECT_GT(sum, 0u);
    const long grown_mb = (ru.ru_maxrss - before_kb) / 1024;
#if defined(__SANITIZE_ADDRESS__)
    const long limit_mb = 160;  // ASan: its 32 MB quarantine (scripts/test-sanitize.sh), redzones and shadow
#else
    const long limit_mb = 80;
#endif
    EXPECT_LT(grown_mb, limit_mb) << "peak memory grew by " << grown_mb << " MiB; tiles " << st.tile_rows << "x" << st.tile_cols;
    std::printf("4096x4096: %.2f s, tiles %ux%u (%ux%u), peak memory +%ld MiB\n", st.seconds, st.tile_rows, st.tile_cols, st.tiles_y,
                st.tiles_x, grown_mb);
}

TEST(Decoder, KernelsAgreeWithinRounding) {
    if (!encvp::decoder_isa_supported(decoder_isa::avx2)) GTEST_SKIP() << "no AVX2/FMA on this CPU";
    const edec_file f = small_decoder(2);
    const std::vector<uint8_t> codes = random_codes(4, 12, 12, 3);
    const std::vector<float> a = frame_decoder(f, decoder_isa::generic).decode_float(view(codes, 4, 12, 12));
    const std::vector<float> b = frame_decoder(f, decoder_isa::avx2).decode_float(view(codes, 4, 12, 12));
    for (std::size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 1e-4) << i;
}

// The C++ decoder against the training flow's NumPy reference decoder (sw/train/encvp_train/edec.py,
// when Debian's Python with NumPy is there): a random file both ways, and every shipped codec.
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

// ---- against the training flow's NumPy reference decoder (sw/train/encvp_train/edec.py) ---------

namespace {

#ifdef ENCVP_PYTHON
// Runs edec.decode_reference (float64) on `codes` with the decoder file `edec`; "" and the output
// in `out`, or why it could not run (the test then skips). With `rewrite`, also writes the decoder
// back with the Python writer.
std::string python_reference(const std::string& edec, const std::vector<uint8_t>& codes, unsigned c, unsigned h, unsigned w,
                             unsigned upscale, std::vector<float>& out, const std::string& rewrite = "") {
    const std::string src = ENCVP_SOURCE_DIR, py = ENCVP_PYTHON;
    if (py.empty() || std::system((py + " -c 'import numpy' >/dev/null 2>&1").c_str()) != 0)
        return "Debian's python3 with NumPy is not available";
    if (!std::ifstream(src + "/sw/train/encvp_train/edec.py")) return "sw/train/encvp_train/edec.py is absent";
    encvp::test::temp_dir dir;
    const std::string codes_path = dir.file("codes.u8"), out_path = dir.file("out.f32"), script = dir.file("ref.py");
    {
        std::ofstream o(codes_path, std::ios::binary);
        o.write(reinterpret_cast<const char*>(codes.data()), std::streamsize(codes.size()));
        std::ofstream sc(script);
        sc << "import sys, numpy as np\n"
              "sys.path.insert(0, '" << src << "/sw/train')\n"
              "from encvp_train import edec\n"
              "d = edec.read_edec('" << edec << "')\n"
              "codes = np.fromfile('" << codes_path << "', dtype=np.uint8).reshape(" << c << ", " << h << ", " << w << ")\n"
              "edec.decode_reference(d, codes, dtype=np.float64).astype('<f4').tofile('" << out_path << "')\n";
        if (!rewrite.empty())
            sc << "h = d['header']\n"
                  "edec.write_edec('" << rewrite << "', name=h['name'], code_channels=h['code_channels'], upscale=h['upscale'],\n"
                  "                encoder_name=h['encoder']['name'], encoder_crc32=h['encoder']['crc32'],\n"
                  "                ops=[dict(op) for op in d['ops']], provenance=h['provenance'])\n";
    }
    if (std::system((py + " " + script).c_str()) != 0) {
        ADD_FAILURE() << "the Python reference decoder failed";
        return "failed";
    }
    out.assign(std::size_t(3) * h * upscale * w * upscale, 0.0f);
    std::ifstream in(out_path, std::ios::binary);
    in.read(reinterpret_cast<char*>(out.data()), std::streamsize(out.size() * 4));
    if (!in) {
        ADD_FAILURE() << "short output from the Python reference decoder";
        return "failed";
    }
    return "";
}
#endif

// PSNR between the 8-bit pictures of two float outputs.
double byte_psnr(const std::vector<float>& a, const std::vector<float>& b) {
    double se = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double d = double(encvp::decoder_output_byte(a[i])) - double(encvp::decoder_output_byte(b[i]));
        se += d * d;
    }
    return se == 0 ? 999.0 : 10 * std::log10(255.0 * 255.0 * double(a.size()) / se);
}

}  // namespace

// Our file, read and decoded by the NumPy reference; its writer's copy reads back here unchanged.
TEST(Decoder, MatchesTrainingFlowReference) {
#ifndef ENCVP_PYTHON
    GTEST_SKIP() << "ENCVP_PYTHON not configured";
#else
    encvp::test::temp_dir dir;
    encvp::edec_random_spec spec;
    spec.code_channels = 4, spec.w1 = 16, spec.w2 = 12, spec.w3 = 8;
    const edec_file f = encvp::make_random_edec(spec, 17, "xcheck");
    encvp::write_edec_file(dir.file("ours.edec"), f);
    const unsigned h = 12, w = 16;
    const std::vector<uint8_t> codes = random_codes(4, h, w, 4);
    std::vector<float> ref;
    const std::string why = python_reference(dir.file("ours.edec"), codes, 4, h, w, 4, ref, dir.file("theirs.edec"));
    if (!why.empty()) GTEST_SKIP() << why;
    decode_options o;
    o.tile_rows = 5, o.tile_cols = 7;
    const std::vector<float> out = frame_decoder(f).decode_float(view(codes, 4, h, w), o);
    EXPECT_GT(byte_psnr(out, ref), 60.0);
    double maxdiff = 0;
    for (std::size_t i = 0; i < ref.size(); ++i) maxdiff = std::max(maxdiff, std::fabs(double(out[i]) - double(ref[i])));
    EXPECT_LT(maxdiff, 1e-4);
    const edec_file g = encvp::read_edec_file(dir.file("theirs.edec"));
    ASSERT_EQ(g.ops.size(), f.ops.size());
    for (std::size_t i = 0; i < f.ops.size(); ++i) {
        EXPECT_EQ(g.ops[i].weights, f.ops[i].weights);
        EXPECT_EQ(g.ops[i].bias, f.ops[i].bias);
    }
#endif
}

// The shipped, trained codecs (configs/networks/kodak-*.{enet,edec}, one per rate): codes of a
// synthetic picture from the golden encoder, decoded here and by the NumPy reference: PSNR between
// the two > 60 dB.
class ShippedCodec : public ::testing::TestWithParam<const char*> {};

TEST_P(ShippedCodec, DecoderMatchesTrainingFlowReference) {
#ifndef ENCVP_PYTHON
    GTEST_SKIP() << "ENCVP_PYTHON not configured";
#else
    const std::string base = std::string(ENCVP_SOURCE_DIR) + "/configs/networks/" + GetParam();
    if (!std::ifstream(base + ".edec") || !std::ifstream(base + ".enet")) GTEST_SKIP() << "no shipped " << GetParam() << " codec";
    const edec_file f = encvp::read_edec_file(base + ".edec");
    const encvp::network_file enet = encvp::read_network_file(base + ".enet");
    EXPECT_EQ(f.encoder_crc, enet.crc) << "the decoder does not name the shipped encoder";
    ASSERT_FALSE(enet.classify());
    const unsigned P = enet.in_h, C = f.code_channels, cp = P / f.upscale;  // patch, code channels, code pixels per patch side
    ASSERT_EQ(enet.in_w, P);
    ASSERT_EQ(cp * f.upscale, P);
    // A 96x64 picture: smooth gradients and a few edges.
    const unsigned pw = 6, ph = 4, W = pw * P, H = ph * P;
    std::vector<uint8_t> rgb(std::size_t(W) * H * 3);
    for (unsigned y = 0; y < H; ++y)
        for (unsigned x = 0; x < W; ++x) {
            uint8_t* p = &rgb[(std::size_t(y) * W + x) * 3];
            p[0] = uint8_t(40 + 2 * x);
            p[1] = uint8_t((x / 24 + y / 20) % 2 ? 200 : 60);
            p[2] = uint8_t(128 + 90 * std::sin(double(x + 2 * y) / 11.0));
        }
    encvp::golden_model enc(enet);
    std::vector<uint8_t> codes(std::size_t(C) * ph * cp * pw * cp);
    std::vector<uint8_t> patch(3 * P * P);
    encvp::nx::inference_result r;
    for (unsigned i = 0; i < ph; ++i)
        for (unsigned j = 0; j < pw; ++j) {
            for (unsigned c = 0; c < 3; ++c)
                for (unsigned y = 0; y < P; ++y)
                    for (unsigned x = 0; x < P; ++x) patch[(c * P + y) * P + x] = rgb[((std::size_t(i) * P + y) * W + j * P + x) * 3 + c];
            enc.run(patch.data(), r);
            ASSERT_EQ(r.output.size(), std::size_t(C) * cp * cp);
            for (unsigned c = 0; c < C; ++c)
                for (unsigned y = 0; y < cp; ++y)
                    for (unsigned x = 0; x < cp; ++x)
                        codes[(std::size_t(c) * ph * cp + i * cp + y) * pw * cp + j * cp + x] = r.output[(c * cp + y) * cp + x];
        }
    std::vector<float> ref;
    const std::string why = python_reference(base + ".edec", codes, C, ph * cp, pw * cp, f.upscale, ref);
    if (!why.empty()) GTEST_SKIP() << why;
    const std::vector<float> out = frame_decoder(f).decode_float(view(codes, C, ph * cp, pw * cp));
    const double agree = byte_psnr(out, ref);
    EXPECT_GT(agree, 60.0);
    // And the picture comes back recognisably (a loose floor: the shipped network may be an interim one).
    std::vector<float> orig(out.size());
    for (unsigned c = 0; c < 3; ++c)
        for (std::size_t k = 0; k < std::size_t(W) * H; ++k) orig[c * W * H + k] = float(rgb[k * 3 + c]) / 255.0f;
    const double q = byte_psnr(out, orig);
    std::printf("shipped %s, synthetic 96x64 picture: C++ vs NumPy %.1f dB (999: identical bytes), vs the original %.2f dB\n",
                GetParam(), agree, q);
    EXPECT_GT(q, 12.0);
#endif
}

INSTANTIATE_TEST_SUITE_P(Rates, ShippedCodec, ::testing::Values("kodak-0125", "kodak-025", "kodak-050"),
                         [](const ::testing::TestParamInfo<const char*>& i) {
                             std::string n = i.param;
                             for (char& c : n)
                                 if (c == '-') c = '_';
                             return n;
                         });

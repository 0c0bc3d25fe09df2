// The .edec reader/writer and the full-frame decoder (docs/compression.md): one test per kind of
// malformed file (each asserting the error names the problem), hand-computed graphs, PyTorch's
// pixel_shuffle order, tiled == untiled bit for bit, the patch-wise baseline, a naive float64
// reference, bounded memory on a 4096x4096 frame, and (when Debian's Python with NumPy is there)
// the training flow's NumPy reference decoder on the same file.
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
#include "sw_test_util.h"

using encvp::code_tensor_view;
using encvp::decode_options;
using encvp::decoder_isa;
using encvp::edec_file;
using encvp::edec_op;
using encvp::edec_op_type;
using encvp::frame_decoder;
using encvp::input_error;
using nlohmann::json;

namespace {

// ---- helpers -----------------------------------------------------------------------------------

std::vector<uint8_t> random_codes(unsigned c, unsigned h, unsigned w, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<uint8_t> v(std::size_t(c) * h * w);
    for (auto& b : v) b = uint8_t(rng() & 1u);
    return v;
}

code_tensor_view view(const std::vector<uint8_t>& v, unsigned c, unsigned h, unsigned w) { return {v.data(), c, h, w}; }

edec_op simple(edec_op_type t) {
    edec_op op;
    op.type = t;
    return op;
}
edec_op conv(unsigned in, unsigned out, unsigned k, bool relu, std::vector<float> w, std::vector<float> b) {
    edec_op op;
    op.type = edec_op_type::conv;
    op.in = in, op.out = out, op.kernel = k, op.relu = relu;
    op.weights = std::move(w);
    op.bias = std::move(b);
    return op;
}
edec_op random_conv(std::mt19937& rng, unsigned in, unsigned out, unsigned k, bool relu, float gain = 1.0f) {
    std::uniform_real_distribution<float> d(-gain * std::sqrt(3.0f / float(in * k * k)), gain * std::sqrt(3.0f / float(in * k * k)));
    std::vector<float> w(std::size_t(out) * in * k * k), b(out);
    for (auto& x : w) x = d(rng);
    for (auto& x : b) x = d(rng) * 0.1f + 0.2f;
    return conv(in, out, k, relu, w, b);
}
edec_op shuffle(unsigned f) {
    edec_op op;
    op.type = edec_op_type::pixel_shuffle;
    op.factor = f;
    return op;
}

edec_file make_file(unsigned code_channels, unsigned upscale, std::vector<edec_op> ops) {
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
edec_file small_decoder(uint32_t seed = 3, unsigned kernel = 3) {
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
std::vector<double> naive_decode(const edec_file& f, const std::vector<uint8_t>& codes, unsigned h, unsigned w) {
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

std::vector<decoder_isa> isas() {
    std::vector<decoder_isa> v{decoder_isa::generic};
    if (encvp::decoder_isa_supported(decoder_isa::avx2)) v.push_back(decoder_isa::avx2);
    return v;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Splits a serialized file into its JSON header and payload, and rebuilds a container (valid
// CRC unless told otherwise) from edited parts.
struct parts {
    json j;
    std::vector<uint8_t> payload;
};
parts split(const std::vector<uint8_t>& bytes) {
    uint32_t jlen;
    std::memcpy(&jlen, &bytes[12], 4);
    parts p;
    p.j = json::parse(bytes.begin() + 24, bytes.begin() + 24 + jlen);
    p.payload.assign(bytes.begin() + 24 + jlen, bytes.end());
    return p;
}
std::vector<uint8_t> container(const std::string& text, const std::vector<uint8_t>& payload, uint32_t version = 1) {
    std::vector<uint8_t> out = {'E', 'N', 'C', 'V', 'P', 'D', 'E', 'C'};
    auto put = [&](uint32_t x) {
        for (int i = 0; i < 4; ++i) out.push_back(uint8_t(x >> (8 * i)));
    };
    put(version);
    put(uint32_t(text.size()));
    put(uint32_t(payload.size()));
    put(0);
    out.insert(out.end(), text.begin(), text.end());
    out.insert(out.end(), payload.begin(), payload.end());
    const uint32_t crc = encvp::crc32(out.data() + 24, out.size() - 24);
    for (int i = 0; i < 4; ++i) out[20 + i] = uint8_t(crc >> (8 * i));
    return out;
}
std::vector<uint8_t> container(const parts& p) { return container(p.j.dump(), p.payload); }

std::string parse_error(const std::vector<uint8_t>& bytes) {
    try {
        encvp::parse_edec_file(bytes, "dec.edec");
    } catch (const input_error& e) {
        EXPECT_EQ(e.source(), "dec.edec");
        return e.what();
    } catch (const std::exception& e) {
        return std::string("WRONG EXCEPTION TYPE: ") + e.what();
    }
    return "NO ERROR";
}

// A small valid file to corrupt: input_pm1, conv 2->3 (k3), mark, conv 3->3 (k1), add, output.
edec_file tiny_valid() {
    std::mt19937 rng(5);
    return make_file(2, 1,
                     {simple(edec_op_type::input_pm1), random_conv(rng, 2, 3, 3, true), simple(edec_op_type::mark),
                      random_conv(rng, 3, 3, 1, false), simple(edec_op_type::add), simple(edec_op_type::output)});
}

std::string edited_error(const std::function<void(parts&)>& edit) {
    parts p = split(encvp::serialize_edec_file(tiny_valid()));
    edit(p);
    return parse_error(container(p));
}

#define EXPECT_HAS(haystack, needle) EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << (haystack)

}  // namespace

// ---- file format -------------------------------------------------------------------------------

TEST(Edec, RoundTripKeepsEveryField) {
    edec_file f = small_decoder();
    f.encoder_name = "kodak-025";
    f.encoder_crc = 0xDEADBEEFu;
    f.provenance = {{"tool", "unit test"}, {"epochs", 3}};
    const std::vector<uint8_t> bytes = encvp::serialize_edec_file(f);
    const edec_file g = encvp::parse_edec_file(bytes, "mem");
    EXPECT_EQ(g.name, "small");
    EXPECT_EQ(g.code_channels, 4u);
    EXPECT_EQ(g.upscale, 4u);
    EXPECT_EQ(g.encoder_name, "kodak-025");
    EXPECT_EQ(g.encoder_crc, 0xDEADBEEFu);
    EXPECT_EQ(g.provenance, f.provenance);
    ASSERT_EQ(g.ops.size(), f.ops.size());
    for (std::size_t i = 0; i < f.ops.size(); ++i) {
        EXPECT_EQ(g.ops[i].type, f.ops[i].type) << i;
        EXPECT_EQ(g.ops[i].in, f.ops[i].in);
        EXPECT_EQ(g.ops[i].out, f.ops[i].out);
        EXPECT_EQ(g.ops[i].kernel, f.ops[i].kernel);
        EXPECT_EQ(g.ops[i].relu, f.ops[i].relu);
        EXPECT_EQ(g.ops[i].factor, f.ops[i].factor);
        EXPECT_EQ(g.ops[i].weights, f.ops[i].weights);
        EXPECT_EQ(g.ops[i].bias, f.ops[i].bias);
    }
    uint32_t stored;
    std::memcpy(&stored, &bytes[20], 4);
    EXPECT_EQ(g.crc, stored);
    EXPECT_EQ(encvp::serialize_edec_file(g), bytes);  // deterministic layout
}

TEST(Edec, FileOnDiskRoundTrip) {
    const std::string path = ::testing::TempDir() + "/decoder_test_roundtrip.edec";
    encvp::write_edec_file(path, tiny_valid());
    const edec_file g = encvp::read_edec_file(path);
    EXPECT_EQ(g.ops.size(), 6u);
    std::remove(path.c_str());
    EXPECT_THROW(encvp::read_edec_file(path), input_error);
}

TEST(Edec, GraphInfoOfTheDocsDecoder) {
    const edec_file f = encvp::make_random_edec({}, 1);
    const encvp::edec_graph_info info = encvp::analyze_edec(f);
    EXPECT_EQ(info.upscale, 4u);
    // 8 convs at code resolution, 3 at 1/2, 1 at full: ceil(8 + 3/2 + 1/4) = 10 code pixels, and
    // 8*4 + 3*2 + 1 = 39 output pixels.
    EXPECT_EQ(info.halo, 10u);
    EXPECT_EQ(info.receptive_radius_px, 39u);
    const uint64_t per_code_px = 4 * 96 * 9 + 6 * 96 * 96 * 9 + 96 * 192 * 9 + 4 * (2 * 48 * 48 * 9 + 48 * 96 * 9) + 16 * 24 * 3 * 9;
    EXPECT_EQ(info.macs_per_code_pixel, uint64_t(per_code_px));
    EXPECT_NEAR(double(per_code_px) / 16, 62700, 500);  // ~60k MAC per output pixel
    EXPECT_EQ(info.max_gap, 1u);
    EXPECT_EQ(info.partner[2], 5);
    EXPECT_EQ(info.partner[5], 2);
}

TEST(EdecErrors, Container) {
    const std::vector<uint8_t> good = encvp::serialize_edec_file(tiny_valid());
    EXPECT_HAS(parse_error({}), "truncated");
    EXPECT_HAS(parse_error(std::vector<uint8_t>(good.begin(), good.begin() + 10)), "truncated");
    std::vector<uint8_t> b = good;
    b[0] = 'X';
    EXPECT_HAS(parse_error(b), "bad magic");
    const parts p = split(good);
    EXPECT_HAS(parse_error(container(p.j.dump(), p.payload, 2)), "unsupported decoder file version 2");
    EXPECT_HAS(parse_error(std::vector<uint8_t>(good.begin(), good.end() - 1)), "truncated");
    b = good;
    b.push_back(0);
    EXPECT_HAS(parse_error(b), "trailing data");
    b = good;
    b[good.size() - 3] ^= 0x40;
    EXPECT_HAS(parse_error(b), "checksum mismatch");
    EXPECT_HAS(parse_error(container("", {})), "header length 0");
    EXPECT_HAS(parse_error(container("{\"name\": ", {})), "not valid JSON");
    EXPECT_HAS(parse_error(container("[1, 2]", {})), "header: must be a JSON object");
}

TEST(EdecErrors, HeaderFields) {
    EXPECT_HAS(edited_error([](parts& p) { p.j.erase("name"); }), "missing field 'name'");
    EXPECT_HAS(edited_error([](parts& p) { p.j["extra"] = 1; }), "unknown field 'extra'");
    EXPECT_HAS(edited_error([](parts& p) { p.j["code_channels"] = 0; }), "'code_channels' = 0 is outside");
    EXPECT_HAS(edited_error([](parts& p) { p.j["code_channels"] = 2.5; }), "'code_channels' must be a non-negative integer");
    EXPECT_HAS(edited_error([](parts& p) { p.j["upscale"] = 2; }), "upscale = 2 but the pixel_shuffle factors multiply to 1");
    EXPECT_HAS(edited_error([](parts& p) { p.j["encoder"].erase("crc32"); }), "header.encoder: missing field 'crc32'");
    EXPECT_HAS(edited_error([](parts& p) { p.j.erase("encoder"); }), "missing field 'encoder'");
    EXPECT_HAS(edited_error([](parts& p) { p.j["provenance"] = "x"; }), "'provenance' must be an object");
    EXPECT_HAS(edited_error([](parts& p) { p.j["ops"] = json::array(); }), "'ops' must be a non-empty array");
    EXPECT_HAS(edited_error([](parts& p) {
                   json ops = json::array();
                   ops.push_back({{"op", "relu"}});
                   ops.push_back({{"op", "output"}});
                   p.j["ops"] = ops;
               }),
               "op 0 (relu): the graph must start with input_pm1");
    EXPECT_HAS(edited_error([](parts& p) {
                   json ops = json::array();
                   for (int i = 0; i < 5000; ++i) ops.push_back({{"op", "relu"}});
                   p.j["ops"] = ops;
               }),
               "at most 4096");
}

TEST(EdecErrors, Ops) {
    EXPECT_HAS(edited_error([](parts& p) { p.j["ops"][2]["op"] = "maxpool"; }), "op 2: unknown op 'maxpool'");
    EXPECT_HAS(edited_error([](parts& p) { p.j["ops"][2]["factor"] = 2; }), "op 2 (mark): unknown field 'factor'");
    EXPECT_HAS(edited_error([](parts& p) { p.j["ops"][1]["stride"] = 2; }), "op 1 (conv): unknown field 'stride'");
    EXPECT_HAS(edited_error([](parts& p) { p.j["ops"][1].erase("relu"); }), "op 1 (conv): missing field 'relu'");
    EXPECT_HAS(edited_error([](parts& p) { p.j["ops"][1]["relu"] = 1; }), "op 1 (conv): field 'relu' must be true or false");
    EXPECT_HAS(edited_error([](parts& p) { p.j["ops"][1]["kernel"] = 2; }), "op 1 (conv): field 'kernel' = 2 must be odd");
    EXPECT_HAS(edited_error([](parts& p) { p.j["ops"][1]["kernel"] = 9; }), "op 1 (conv): field 'kernel' = 9 is outside 1..7");
    EXPECT_HAS(edited_error([](parts& p) { p.j["ops"][1]["out"] = 2000; }), "op 1 (conv): field 'out' = 2000 is outside");
    EXPECT_HAS(edited_error([](parts& p) { p.j["ops"][1].erase("weights"); }), "op 1 (conv): missing field 'weights'");
    EXPECT_HAS(edited_error([](parts& p) { p.j["ops"][1]["weights"]["align"] = 4; }), "op 1 (conv).weights: unknown field 'align'");
    // The first conv takes 2 channels; say 3 (and resize its weights so only the chain is wrong).
    EXPECT_HAS(edited_error([](parts& p) {
                   p.j["ops"][1]["in"] = 3;
                   p.j["ops"][1]["weights"]["bytes"] = 3 * 3 * 9 * 4;
                   p.j["ops"][1]["weights"]["offset"] = p.payload.size();
                   p.payload.insert(p.payload.end(), 3 * 3 * 9 * 4, 0);
               }),
               "op 1 (conv): field 'in' = 3 but the tensor it receives has 2 channels");
    EXPECT_HAS(edited_error([](parts& p) { p.j["ops"][3]["weights"]["bytes"] = 8; }),
               "op 3 (conv): weights.bytes is 8, 3x3x1x1 float32 weights need 36");
    EXPECT_HAS(edited_error([](parts& p) { p.j["ops"][3]["bias"]["bytes"] = 8; }), "op 3 (conv): bias.bytes is 8");
    EXPECT_HAS(edited_error([](parts& p) { p.j["ops"][3]["bias"]["offset"] = p.payload.size() - 4; }),
               "op 3 (conv): bias segment");
    EXPECT_HAS(edited_error([](parts& p) { p.j["ops"][3]["bias"]["offset"] = p.payload.size() - 4; }), "lies outside the");
    EXPECT_HAS(edited_error([](parts& p) { p.j["ops"][3]["bias"]["offset"] = 0; }), "payload segments overlap");
    EXPECT_HAS(edited_error([](parts& p) {
                   const float nan = std::nanf("");
                   std::memcpy(&p.payload[4 * 7], &nan, 4);
               }),
               "op 1 (conv): weight 7 is not a finite number");
    EXPECT_HAS(edited_error([](parts& p) {
                   const float inf = INFINITY;
                   const uint64_t off = p.j["ops"][3]["bias"]["offset"].get<uint64_t>();
                   std::memcpy(&p.payload[off + 4], &inf, 4);
               }),
               "op 3 (conv): bias 1 is not a finite number");
}

TEST(EdecErrors, GraphStructure) {
    auto ops_error = [](std::vector<json> ops) {
        return edited_error([&](parts& p) {
            json o = json::array();
            for (json& op : ops) o.push_back(op == "conv1" ? p.j["ops"][1] : op == "conv3" ? p.j["ops"][3] : op);
            p.j["ops"] = o;
        });
    };
    const json in = {{"op", "input_pm1"}}, mark = {{"op", "mark"}}, add = {{"op", "add"}}, out = {{"op", "output"}},
               relu = {{"op", "relu"}};
    EXPECT_HAS(ops_error({in, "conv1", add, out}), "op 2 (add): add without a matching mark");
    EXPECT_HAS(ops_error({in, "conv1", mark, "conv3", out}), "op 4 (output): the mark at op 2 has no matching add");
    EXPECT_HAS(ops_error({in, "conv1", mark, "conv3", add}), "the graph does not end with an output op");
    EXPECT_HAS(ops_error({in, "conv1", out, relu}), "op 3 (relu): ops follow the output op");
    EXPECT_HAS(ops_error({in, in, "conv1", out}), "op 1 (input_pm1): input_pm1 may only be the first op");
    EXPECT_HAS(ops_error({in, mark, "conv1", add, out}), "op 3 (add): the tensor has 3 channels but the one marked at op 1 has 2");
    EXPECT_HAS(ops_error({in, out}), "op 1 (output): the output has 2 channels, RGB needs 3");
    EXPECT_HAS(ops_error({in, {{"op", "pixel_shuffle"}, {"factor", 2}}, "conv1", out}),
               "op 1 (pixel_shuffle): 2 channels are not divisible by factor^2 = 4");
    EXPECT_HAS(ops_error({in, {{"op", "pixel_shuffle"}, {"factor", 1}}, "conv1", out}), "field 'factor' = 1 is outside 2..8");
}

TEST(EdecErrors, ResolutionMismatchAtAdd) {
    std::mt19937 rng(1);
    edec_file f = make_file(4, 2,
                            {simple(edec_op_type::input_pm1), simple(edec_op_type::mark), shuffle(2), random_conv(rng, 1, 4, 1, false),
                             simple(edec_op_type::add), random_conv(rng, 4, 3, 1, false), simple(edec_op_type::output)});
    EXPECT_HAS(encvp::check_edec(f), "op 4 (add): the tensor is at 2x the code resolution but the one marked at op 1 is at 1x");
    EXPECT_THROW(encvp::serialize_edec_file(f), std::invalid_argument);
    EXPECT_THROW(frame_decoder d(f), std::invalid_argument);
}

TEST(EdecErrors, WriterRejectsInconsistentArrays) {
    edec_file f = tiny_valid();
    f.ops[1].weights.pop_back();
    EXPECT_HAS(encvp::check_edec(f), "op 1 (conv): has 53 weights, [out][in][k][k] needs 54");
    EXPECT_THROW(encvp::serialize_edec_file(f), std::invalid_argument);
    f = tiny_valid();
    f.ops[3].bias[0] = NAN;
    EXPECT_HAS(encvp::check_edec(f), "op 3 (conv): bias 0 is not a finite number");
}

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

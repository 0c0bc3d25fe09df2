// The .edec file format (docs/compression.md): round trips, and one test per kind of malformed
// file, each asserting that the error names the problem.
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
#include "container_test_util.h"
#include "decoder_test_util.h"
#include "sw_test_util.h"

using namespace dectest;  // NOLINT(google-build-using-namespace): test helpers
using nlohmann::json;

namespace {

// Splits a serialized file into its JSON header and payload, and rebuilds a container (valid
// CRC unless told otherwise) from edited parts.
using parts = encvp::test::container_parts;
parts split(const std::vector<uint8_t>& bytes) { return encvp::test::split_container(bytes); }
std::vector<uint8_t> container(const std::string& text, const std::vector<uint8_t>& payload, uint32_t version = 1) {
    return encvp::test::make_container("ENCVPDEC", text, payload, version);
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

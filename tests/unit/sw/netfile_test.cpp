// The .enet reader and writer (docs/network-format.md): round trips, and one test per kind of
// malformed input, each asserting that the error names the problem (file, layer, field).
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/crc32.h"
#include "common/error.h"
#include "common/file.h"
#include "netfile/netfile.h"
#include "numerics/network.h"
#include "container_test_util.h"
#include "sw_test_util.h"

namespace nx = encvp::nx;
using encvp::input_error;
using encvp::network_file;
using encvp::test::conv_layer;
using encvp::test::fc_layer;
using encvp::test::make_net;
using nlohmann::json;

namespace {

// 3x8x8 -> conv0 (4 out, k3 s1 p1, 3-bit w, 2-bit a, pool) 4x4x4 -> conv1 (4 out, k3 s2 p1, g2,
// 2-bit w) 4x2x2 -> fc (3 classes, 1-bit w).
// Segments as make_network_file lays them out (no alignment in the file):
//   conv0 weights 108 x 3 bits = 324 bits -> 41 bytes [0, 41)  (4 padding bits)
//   conv0 bias      4 x 12 bits = 48 bits ->  6 bytes [41, 47)
//   conv1 weights  72 x 2 bits = 144 bits -> 18 bytes [47, 65)
//   conv1 bias      4 x 12 bits           ->  6 bytes [65, 71)
//   fc weights     12 x 1 bit             ->  2 bytes [71, 73)  (4 padding bits)
//   fc bias         3 x 10 bits = 30 bits ->  4 bytes [73, 77)  (2 padding bits)
nx::network base_network(bool classify = true) {
    std::mt19937 rng(42);
    nx::layer_params c0 = conv_layer(3, 8, 8, 8, 4, 3, 1, 1, 1, 3, 2, 3, true);
    nx::layer_params c1 = conv_layer(4, 4, 4, 2, 4, 3, 2, 1, 2, 2, 2, 2, false);
    for (auto* p : {&c0, &c1}) {
        for (auto& w : p->weights) w = encvp::test::rand_weight(rng, p->d.w_bits);
        for (auto& b : p->bias) b = encvp::test::rand_int(rng, -2000, 2000);
        p->d.b_bits = 12;
    }
    c0.bias[0] = -2048;  // the extremes of 12 bits
    c0.bias[1] = 2047;
    if (!classify) return make_net(3, 8, 8, {c0, c1});
    nx::layer_params f = fc_layer(4, 2, 2, 2, 3, 1);
    for (auto& w : f.weights) w = encvp::test::rand_weight(rng, 1);
    f.bias = {-512, 511, 7};
    f.d.b_bits = 10;
    return make_net(3, 8, 8, {c0, c1, f});
}

const std::vector<std::string> CLASSES = {"cat", "dog", "bird"};

network_file base_file() {
    return encvp::make_network_file(base_network(), "tiny", CLASSES, json{{"tool", "unit test"}, {"seed", 42}});
}

using encvp::test::rd32;
using encvp::test::wr32;
using parts = encvp::test::container_parts;

parts split(const std::vector<uint8_t>& b) { return encvp::test::split_container(b); }

// A file with the given JSON text and payload, correct lengths and CRC.
std::vector<uint8_t> assemble(const std::string& text, const std::vector<uint8_t>& payload, uint32_t version = 1) {
    return encvp::test::make_container("ENCVPNET", text, payload, version);
}
std::vector<uint8_t> assemble(const parts& p) { return assemble(p.j.dump(1), p.payload); }

const std::string SRC = "net.enet";

// The reader's message for these bytes, or "" if it accepted them. Any other exception fails.
std::string error_of(const std::vector<uint8_t>& bytes) {
    try {
        encvp::parse_network_file(bytes, SRC);
    } catch (const input_error& e) {
        EXPECT_EQ(e.source(), SRC);
        EXPECT_EQ(std::string(e.what()).rfind(SRC + ": ", 0), 0u) << e.what();
        return e.what();
    }
    return "";
}

// Applies a change to the valid file's JSON/payload and returns the reader's message.
std::string error_after(const std::function<void(parts&)>& change) {
    parts p = split(encvp::serialize_network_file(base_file()));
    change(p);
    return error_of(assemble(p));
}

#define EXPECT_ERROR_HAS(msg, ...)                                                                   \
    do {                                                                                             \
        const std::string m_ = (msg);                                                                \
        EXPECT_FALSE(m_.empty()) << "the reader accepted the file";                                  \
        for (const std::string& s_ : std::vector<std::string>{__VA_ARGS__})                     \
            EXPECT_NE(m_.find(s_), std::string::npos) << "'" << s_ << "' not in: " << m_;        \
    } while (0)

// ---------------------------------------------------------------------------------------------
// Round trips
// ---------------------------------------------------------------------------------------------

void expect_same(const network_file& a, const network_file& b) {
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.task, b.task);
    EXPECT_EQ(a.in_c, b.in_c);
    EXPECT_EQ(a.in_h, b.in_h);
    EXPECT_EQ(a.in_w, b.in_w);
    EXPECT_EQ(a.classes, b.classes);
    EXPECT_EQ(a.provenance, b.provenance);
    EXPECT_EQ(a.payload, b.payload);
    ASSERT_EQ(a.layers.size(), b.layers.size());
    for (std::size_t i = 0; i < a.layers.size(); ++i) {
        const auto &x = a.layers[i], &y = b.layers[i];
        EXPECT_EQ(x.name, y.name);
        EXPECT_EQ(x.d.type, y.d.type);
        EXPECT_EQ(x.d.in_c, y.d.in_c);
        EXPECT_EQ(x.d.in_h, y.d.in_h);
        EXPECT_EQ(x.d.in_w, y.d.in_w);
        EXPECT_EQ(x.d.in_bits, y.d.in_bits);
        EXPECT_EQ(x.d.out_c, y.d.out_c);
        EXPECT_EQ(x.d.w_bits, y.d.w_bits);
        EXPECT_EQ(x.d.b_bits, y.d.b_bits);
        EXPECT_EQ(x.weights.offset, y.weights.offset);
        EXPECT_EQ(x.weights.bytes, y.weights.bytes);
        EXPECT_EQ(x.bias.offset, y.bias.offset);
        EXPECT_EQ(x.bias.bytes, y.bias.bytes);
        if (x.d.type == nx::layer_type::conv) {
            EXPECT_EQ(x.d.kernel, y.d.kernel);
            EXPECT_EQ(x.d.stride, y.d.stride);
            EXPECT_EQ(x.d.pad, y.d.pad);
            EXPECT_EQ(x.d.groups, y.d.groups);
            EXPECT_EQ(x.d.a_bits, y.d.a_bits);
            EXPECT_EQ(x.d.shift, y.d.shift);
            EXPECT_EQ(x.d.pool, y.d.pool);
        }
    }
}

void expect_same_network(const nx::network& a, const nx::network& b) {
    EXPECT_EQ(a.shape.in_c, b.shape.in_c);
    EXPECT_EQ(a.shape.in_h, b.shape.in_h);
    EXPECT_EQ(a.shape.in_w, b.shape.in_w);
    EXPECT_EQ(a.shape.classify, b.shape.classify);
    ASSERT_EQ(a.layers.size(), b.layers.size());
    for (std::size_t i = 0; i < a.layers.size(); ++i) {
        EXPECT_EQ(a.layers[i].weights, b.layers[i].weights) << "layer " << i;
        EXPECT_EQ(a.layers[i].bias, b.layers[i].bias) << "layer " << i;
        EXPECT_EQ(a.layers[i].d.shift, b.layers[i].d.shift);
        EXPECT_EQ(a.layers[i].d.out_h(), b.layers[i].d.out_h());
    }
}

TEST(NetfileRoundTrip, SerializeParseGivesTheSameFile) {
    const network_file f = base_file();
    // The layout the header comment computes.
    ASSERT_EQ(f.layers.size(), 3u);
    EXPECT_EQ(f.payload.size(), 77u);
    const uint64_t want[3][4] = {{0, 41, 41, 6}, {47, 18, 65, 6}, {71, 2, 73, 4}};
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(f.layers[i].weights.offset, want[i][0]);
        EXPECT_EQ(f.layers[i].weights.bytes, want[i][1]);
        EXPECT_EQ(f.layers[i].bias.offset, want[i][2]);
        EXPECT_EQ(f.layers[i].bias.bytes, want[i][3]);
    }
    // Budget (numerics §5): 108*3 + 48 + 5 = 377; 72*2 + 48 + 5 = 197; 12 + 30 + 5 = 47.
    EXPECT_EQ(f.weight_bits(), 377u + 197u + 47u);

    const std::vector<uint8_t> bytes = encvp::serialize_network_file(f);
    // Header fields.
    EXPECT_EQ(std::string(bytes.begin(), bytes.begin() + 8), "ENCVPNET");
    EXPECT_EQ(rd32(bytes, 8), 1u);
    const uint32_t jlen = rd32(bytes, 12);
    EXPECT_EQ(rd32(bytes, 16), 77u);
    EXPECT_EQ(bytes.size(), 24u + jlen + 77u);
    EXPECT_EQ(rd32(bytes, 20), encvp::crc32(bytes.data() + 24, bytes.size() - 24));

    const network_file g = encvp::parse_network_file(bytes, SRC);
    expect_same(f, g);
    EXPECT_EQ(g.crc, rd32(bytes, 20));
    EXPECT_EQ(g.weight_bits(), f.weight_bits());
    // Serializing the parsed file reproduces the bytes.
    EXPECT_EQ(encvp::serialize_network_file(g), bytes);
    // Decoding gives back the network we packed.
    expect_same_network(g.to_network(), base_network());
}

TEST(NetfileRoundTrip, CompressNetworkHasNoClasses) {
    const network_file f = encvp::make_network_file(base_network(false), "codec", {}, json::object());
    EXPECT_EQ(f.task, "compress");
    const std::vector<uint8_t> bytes = encvp::serialize_network_file(f);
    EXPECT_FALSE(split(bytes).j.contains("classes"));
    const network_file g = encvp::parse_network_file(bytes, SRC);
    expect_same(f, g);
    EXPECT_FALSE(g.classify());
    expect_same_network(g.to_network(), base_network(false));
}

TEST(NetfileRoundTrip, WriteAndReadAFile) {
    encvp::test::temp_dir dir;
    const std::string path = dir.file("tiny.enet");
    const network_file f = base_file();
    encvp::write_network_file(path, f);
    const network_file g = encvp::read_network_file(path);
    expect_same(f, g);
    EXPECT_EQ(encvp::read_file(path, 1 << 20), encvp::serialize_network_file(f));
    // A missing file names the path.
    try {
        encvp::read_network_file(dir.file("missing.enet"));
        FAIL();
    } catch (const input_error& e) {
        EXPECT_NE(std::string(e.what()).find("missing.enet"), std::string::npos) << e.what();
    }
    // A directory is not a network file.
    EXPECT_THROW(encvp::read_network_file(dir.path()), input_error);
}

TEST(NetfileRoundTrip, BiasWidthIsTheSmallestThatHoldsTheBiases) {
    nx::network n = base_network(false);
    n.layers[0].d.b_bits = 2;
    n.layers[0].bias = {-3, 2, 0, 1};  // needs 3 bits
    n.layers[1].d.b_bits = 2;
    n.layers[1].bias = {0, 1, -2, -1};  // fits 2 bits
    n.shape.layers[0] = n.layers[0].d;
    n.shape.layers[1] = n.layers[1].d;
    network_file f = encvp::make_network_file(n, "w", {}, json::object());
    EXPECT_EQ(f.layers[0].d.b_bits, 3u);
    EXPECT_EQ(f.layers[1].d.b_bits, 2u);
    EXPECT_EQ(f.layers[0].bias.bytes, 2u);  // 4 x 3 bits = 12 bits
    EXPECT_EQ(f.layers[1].bias.bytes, 1u);  // 4 x 2 bits
    // -3, 2, 0, 1 at 3 bits, LSB first: 101 | 010 | 000 | 100 -> bits 0..11 = 1,0,1, 0,1,0, 0,0,0, 1,0,0
    // byte 0 = 0b00010101 = 0x15, byte 1 = 0b0010 = 0x02.
    EXPECT_EQ(f.payload[f.layers[0].bias.offset], 0x15);
    EXPECT_EQ(f.payload[f.layers[0].bias.offset + 1], 0x02);
    const network_file g = encvp::parse_network_file(encvp::serialize_network_file(f), SRC);
    EXPECT_EQ(g.to_network().layers[0].bias, (std::vector<int32_t>{-3, 2, 0, 1}));
    EXPECT_EQ(g.to_network().layers[1].bias, (std::vector<int32_t>{0, 1, -2, -1}));
    // 24-bit extremes.
    n.layers[1].bias = {nx::ACC_MIN, nx::ACC_MAX, 0, -1};
    f = encvp::make_network_file(n, "w", {}, json::object());
    EXPECT_EQ(f.layers[1].d.b_bits, 24u);
    EXPECT_EQ(encvp::parse_network_file(encvp::serialize_network_file(f), SRC).to_network().layers[1].bias,
              (std::vector<int32_t>{nx::ACC_MIN, nx::ACC_MAX, 0, -1}));
}

TEST(NetfileRoundTrip, WeightCodesInThePayloadAreTheDocumentedCodes) {
    // conv0 uses 3-bit codes: weight k is get_bits(payload, 3k, 3) and decodes to the value.
    const nx::network n = base_network();
    const network_file f = base_file();
    for (std::size_t k = 0; k < n.layers[0].weights.size(); ++k)
        ASSERT_EQ(nx::get_bits(f.payload.data() + f.layers[0].weights.offset, k * 3, 3),
                  nx::encode_weight(n.layers[0].weights[k], 3));
    // fc uses 1-bit codes: +1 -> 1, -1 -> 0.
    for (std::size_t k = 0; k < n.layers[2].weights.size(); ++k)
        ASSERT_EQ(nx::get_bits(f.payload.data() + f.layers[2].weights.offset, k, 1), n.layers[2].weights[k] > 0 ? 1u : 0u);
}

TEST(NetfileRoundTrip, ProvenanceIsFreeFormAndOptional) {
    std::string m = error_after([](parts& p) { p.j["provenance"] = {{"anything", {1, 2, 3}}, {"nested", {{"x", nullptr}}}}; });
    EXPECT_EQ(m, "");
    m = error_after([](parts& p) { p.j.erase("provenance"); });
    EXPECT_EQ(m, "");
}

// ---------------------------------------------------------------------------------------------
// Malformed containers
// ---------------------------------------------------------------------------------------------

TEST(NetfileErrors, BadMagic) {
    std::vector<uint8_t> b = encvp::serialize_network_file(base_file());
    b[0] = 'X';
    EXPECT_ERROR_HAS(error_of(b), "bad magic", "ENCVPNET");
    const std::string png = "\x89PNG\r\n\x1a\n0123456789012345678901234";
    EXPECT_ERROR_HAS(error_of(std::vector<uint8_t>(png.begin(), png.end())), "not an encvp network file");
}

TEST(NetfileErrors, UnsupportedVersion) {
    parts p = split(encvp::serialize_network_file(base_file()));
    EXPECT_ERROR_HAS(error_of(assemble(p.j.dump(), p.payload, 2)), "unsupported network file version 2");
    EXPECT_ERROR_HAS(error_of(assemble(p.j.dump(), p.payload, 0)), "unsupported network file version 0");
}

TEST(NetfileErrors, TruncatedHeader) {
    const std::vector<uint8_t> b = encvp::serialize_network_file(base_file());
    for (std::size_t n : {0u, 1u, 8u, 12u, 23u})
        EXPECT_ERROR_HAS(error_of(std::vector<uint8_t>(b.begin(), b.begin() + long(n))), "truncated", "24");
}

TEST(NetfileErrors, TruncatedPayloadAndJson) {
    const std::vector<uint8_t> b = encvp::serialize_network_file(base_file());
    std::vector<uint8_t> t(b.begin(), b.end() - 1);
    EXPECT_ERROR_HAS(error_of(t), "truncated", "file is " + std::to_string(b.size() - 1) + " bytes",
                     "header says " + std::to_string(b.size()));
    // Cut inside the JSON header.
    EXPECT_ERROR_HAS(error_of(std::vector<uint8_t>(b.begin(), b.begin() + 40)), "truncated");
    // Every shorter length is refused without crashing.
    for (std::size_t n = 0; n < b.size(); ++n) EXPECT_NE(error_of(std::vector<uint8_t>(b.begin(), b.begin() + long(n))), "") << n;
}

TEST(NetfileErrors, TrailingBytes) {
    std::vector<uint8_t> b = encvp::serialize_network_file(base_file());
    b.push_back(0);
    EXPECT_ERROR_HAS(error_of(b), "trailing data");
}

TEST(NetfileErrors, CrcMismatch) {
    const std::vector<uint8_t> good = encvp::serialize_network_file(base_file());
    for (std::size_t at : {good.size() - 1, std::size_t(30), std::size_t(20)}) {
        std::vector<uint8_t> b = good;
        b[at] ^= 0x01;
        EXPECT_ERROR_HAS(error_of(b), "checksum mismatch", "corrupted");
    }
}

TEST(NetfileErrors, HeaderAndPayloadLengthLimits) {
    std::vector<uint8_t> b = encvp::serialize_network_file(base_file());
    wr32(b, 12, 0);
    EXPECT_ERROR_HAS(error_of(b), "header length 0");
    b = encvp::serialize_network_file(base_file());
    wr32(b, 12, (1u << 20) + 1);
    EXPECT_ERROR_HAS(error_of(b), "header length 1048577");
    b = encvp::serialize_network_file(base_file());
    wr32(b, 16, (64u << 20) + 1);
    EXPECT_ERROR_HAS(error_of(b), "payload length", "64 MiB");
}

TEST(NetfileErrors, InvalidJson) {
    const std::vector<uint8_t> payload = base_file().payload;
    EXPECT_ERROR_HAS(error_of(assemble("{\"name\": ", payload)), "not valid JSON");
    EXPECT_ERROR_HAS(error_of(assemble("{\"name\": \"x\"} trailing", payload)), "not valid JSON");
    EXPECT_ERROR_HAS(error_of(assemble("[1, 2, 3]", payload)), "header", "must be a JSON object");
    EXPECT_ERROR_HAS(error_of(assemble("\xff\xfe", payload)), "not valid JSON");
}

// ---------------------------------------------------------------------------------------------
// Malformed headers: missing, unknown and mistyped fields
// ---------------------------------------------------------------------------------------------

TEST(NetfileErrors, MissingFields) {
    for (const char* key : {"name", "task", "input", "layers", "classes"})
        EXPECT_ERROR_HAS(error_after([key](parts& p) { p.j.erase(key); }), "header", std::string("missing field '") + key + "'");
    for (const char* key : {"channels", "height", "width", "bits"})
        EXPECT_ERROR_HAS(error_after([key](parts& p) { p.j["input"].erase(key); }), "header.input",
                         std::string("missing field '") + key + "'");
    for (const char* key : {"type", "name", "out_channels", "kernel", "stride", "padding", "groups", "weight_bits", "act_bits",
                            "bias_bits", "shift", "pool", "weights", "bias"})
        EXPECT_ERROR_HAS(error_after([key](parts& p) { p.j["layers"][1].erase(key); }), "layer 1",
                         std::string("missing field '") + key + "'");
    for (const char* key : {"out_features", "weight_bits", "bias_bits", "weights", "bias"})
        EXPECT_ERROR_HAS(error_after([key](parts& p) { p.j["layers"][2].erase(key); }), "layer 2",
                         std::string("missing field '") + key + "'");
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["layers"][0]["weights"].erase("offset"); }), "layer 0 ('conv0').weights",
                     "missing field 'offset'");
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["layers"][0]["bias"].erase("bytes"); }), "layer 0 ('conv0').bias",
                     "missing field 'bytes'");
}

TEST(NetfileErrors, UnknownFields) {
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["extra"] = 1; }), "header", "unknown field 'extra'");
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["input"]["depth"] = 8; }), "header.input", "unknown field 'depth'");
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["layers"][1]["kernal"] = 3; }), "layer 1", "unknown field 'kernal'");
    // An fc layer has no conv fields.
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["layers"][2]["kernel"] = 1; }), "layer 2", "unknown field 'kernel'");
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["layers"][2]["shift"] = 0; }), "layer 2", "unknown field 'shift'");
    // A conv layer has no fc fields.
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["layers"][0]["out_features"] = 4; }), "layer 0", "unknown field 'out_features'");
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["layers"][0]["weights"]["align"] = 4; }), "layer 0 ('conv0').weights",
                     "unknown field 'align'");
}

TEST(NetfileErrors, WrongJsonTypes) {
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["layers"][0]["kernel"] = "3"; }), "layer 0",
                     "field 'kernel' must be a non-negative integer");
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["layers"][0]["kernel"] = 3.0; }), "field 'kernel' must be a non-negative integer");
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["layers"][0]["kernel"] = 3.5; }), "field 'kernel' must be a non-negative integer");
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["layers"][0]["stride"] = -1; }), "field 'stride' must be a non-negative integer");
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["layers"][0]["shift"] = true; }), "field 'shift' must be a non-negative integer");
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["layers"][0]["groups"] = nullptr; }), "field 'groups' must be a non-negative integer");
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["layers"][0]["pool"] = 1; }), "layer 0", "field 'pool' must be true or false");
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["layers"][0]["pool"] = "yes"; }), "field 'pool' must be true or false");
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["name"] = 7; }), "header", "field 'name' must be a string");
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["layers"][1]["name"] = json::array(); }), "layer 1", "field 'name' must be a string");
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["layers"][1]["type"] = 0; }), "layer 1", "field 'type' must be a string");
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["classes"] = "cat,dog,bird"; }), "field 'classes' must be an array of strings");
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["classes"] = {1, 2, 3}; }), "field 'classes' must be an array of strings");
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["layers"] = json::object(); }), "field 'layers' must be a non-empty array");
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["layers"] = json::array(); }), "field 'layers' must be a non-empty array");
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["input"] = {3, 8, 8}; }), "header.input", "must be a JSON object");
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["provenance"] = "me"; }), "field 'provenance' must be an object");
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["layers"][1] = 5; }), "layer 1", "must be a JSON object");
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["layers"][1]["weights"] = {47, 18}; }), "layer 1 ('conv1').weights",
                     "must be a JSON object");
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["input"]["height"] = "8"; }), "header.input",
                     "field 'height' must be a non-negative integer");
}

TEST(NetfileErrors, UnknownTaskAndLayerType) {
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["task"] = "detect"; }), "field 'task' must be \"classify\" or \"compress\"",
                     "detect");
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["layers"][1]["type"] = "pool"; }), "layer 1",
                     "field 'type' must be \"conv\" or \"fc\"", "pool");
}

// ---------------------------------------------------------------------------------------------
// Out-of-range values
// ---------------------------------------------------------------------------------------------

TEST(NetfileErrors, OutOfRangeValues) {
    struct c {
        const char* what;
        std::function<void(parts&)> change;
        std::vector<std::string> expect;
    };
    const c cases[] = {
        {"kernel 4", [](parts& p) { p.j["layers"][0]["kernel"] = 4; }, {"layer 0 ('conv0')", "kernel 4 is not odd"}},
        {"kernel 9", [](parts& p) { p.j["layers"][0]["kernel"] = 9; }, {"layer 0", "'kernel' = 9 is outside 1..7"}},
        {"kernel 0", [](parts& p) { p.j["layers"][0]["kernel"] = 0; }, {"layer 0", "'kernel' = 0 is outside 1..7"}},
        {"stride 3", [](parts& p) { p.j["layers"][1]["stride"] = 3; }, {"layer 1", "'stride' = 3 is outside 1..2"}},
        {"stride 0", [](parts& p) { p.j["layers"][1]["stride"] = 0; }, {"layer 1", "'stride' = 0 is outside 1..2"}},
        {"padding 2 on k3", [](parts& p) { p.j["layers"][0]["padding"] = 2; }, {"layer 0 ('conv0')", "padding 2 larger than kernel/2"}},
        {"padding 4", [](parts& p) { p.j["layers"][0]["padding"] = 4; }, {"layer 0", "'padding' = 4 is outside 0..3"}},
        {"groups 3", [](parts& p) { p.j["layers"][0]["groups"] = 3; },
         {"layer 0 ('conv0')", "groups 3 does not divide input channels 3 and output channels 4"}},
        {"groups 3 on conv1", [](parts& p) { p.j["layers"][1]["groups"] = 3; }, {"layer 1 ('conv1')", "groups 3 does not divide"}},
        {"groups 0", [](parts& p) { p.j["layers"][0]["groups"] = 0; }, {"layer 0", "'groups' = 0 is outside 1..1024"}},
        {"weight_bits 4", [](parts& p) { p.j["layers"][0]["weight_bits"] = 4; }, {"layer 0", "'weight_bits' = 4 is outside 1..3"}},
        {"weight_bits 0 (fc)", [](parts& p) { p.j["layers"][2]["weight_bits"] = 0; }, {"layer 2", "'weight_bits' = 0 is outside 1..3"}},
        {"bias_bits 30", [](parts& p) { p.j["layers"][1]["bias_bits"] = 30; }, {"layer 1", "'bias_bits' = 30 is outside 2..24"}},
        {"bias_bits 1", [](parts& p) { p.j["layers"][1]["bias_bits"] = 1; }, {"layer 1", "'bias_bits' = 1 is outside 2..24"}},
        {"shift 25", [](parts& p) { p.j["layers"][0]["shift"] = 25; }, {"layer 0", "'shift' = 25 is outside 0..24"}},
        {"act_bits 0", [](parts& p) { p.j["layers"][0]["act_bits"] = 0; }, {"layer 0", "'act_bits' = 0 is outside 1..3"}},
        {"act_bits 4", [](parts& p) { p.j["layers"][0]["act_bits"] = 4; }, {"layer 0", "'act_bits' = 4 is outside 1..3"}},
        {"out_channels 0", [](parts& p) { p.j["layers"][0]["out_channels"] = 0; }, {"layer 0", "'out_channels' = 0 is outside 1..1024"}},
        {"out_channels 1025", [](parts& p) { p.j["layers"][0]["out_channels"] = 1025; }, {"'out_channels' = 1025 is outside 1..1024"}},
        {"out_features 0", [](parts& p) { p.j["layers"][2]["out_features"] = 0; }, {"layer 2", "'out_features' = 0 is outside 1..1024"}},
        {"input bits 16", [](parts& p) { p.j["input"]["bits"] = 16; }, {"header.input", "field 'bits' must be 8"}},
        {"input channels 0", [](parts& p) { p.j["input"]["channels"] = 0; }, {"header.input", "'channels' = 0 is outside 1..1024"}},
        {"input height 2000", [](parts& p) { p.j["input"]["height"] = 2000; }, {"header.input", "'height' = 2000 is outside 1..1024"}},
        {"input width 0", [](parts& p) { p.j["input"]["width"] = 0; }, {"header.input", "'width' = 0 is outside 1..1024"}},
        {"output empty after pool", [](parts& p) { p.j["input"]["height"] = 1; }, {"layer 0 ('conv0')", "output is empty after pooling"}},
        {"kernel larger than input", [](parts& p) { p.j["input"]["height"] = 1; p.j["layers"][0]["padding"] = 0; },
         {"layer 0 ('conv0')", "kernel 3 larger than the padded input 1x8"}},
        {"offset beyond the limit", [](parts& p) { p.j["layers"][0]["weights"]["offset"] = (64u << 20) + 1; },
         {"layer 0 ('conv0').weights", "'offset' = 67108865 is outside 0..67108864"}},
    };
    for (const c& x : cases) {
        const std::string m = error_after(x.change);
        EXPECT_FALSE(m.empty()) << x.what << ": accepted";
        for (const std::string& s : x.expect) EXPECT_NE(m.find(s), std::string::npos) << x.what << ": '" << s << "' not in: " << m;
    }
}

TEST(NetfileErrors, ThirtyThreeLayers) {
    // 32 layers of 1x1 convs on a 1x1x1 compress network are fine; 33 are not.
    auto make = [](int n) {
        json j = {{"name", "deep"}, {"task", "compress"}, {"input", {{"channels", 1}, {"height", 1}, {"width", 1}, {"bits", 8}}}};
        json layers = json::array();
        std::vector<uint8_t> payload;
        for (int i = 0; i < n; ++i) {
            // weight 1-bit code 1 (+1), bias 2 bits = 0.
            layers.push_back({{"type", "conv"}, {"name", "c" + std::to_string(i)}, {"out_channels", 1}, {"kernel", 1}, {"stride", 1},
                              {"padding", 0}, {"groups", 1}, {"weight_bits", 1}, {"act_bits", 1}, {"bias_bits", 2}, {"shift", 0},
                              {"pool", false}, {"weights", {{"offset", payload.size()}, {"bytes", 1}}},
                              {"bias", {{"offset", payload.size() + 1}, {"bytes", 1}}}});
            payload.push_back(0x01);
            payload.push_back(0x00);
        }
        j["layers"] = layers;
        return assemble(j.dump(), payload);
    };
    EXPECT_EQ(error_of(make(32)), "");
    EXPECT_ERROR_HAS(error_of(make(33)), "33 layers", "at most 32");
}

// ---------------------------------------------------------------------------------------------
// Segments
// ---------------------------------------------------------------------------------------------

TEST(NetfileErrors, WrongSegmentSize) {
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["layers"][0]["weights"]["bytes"] = 42; }), "layer 0 ('conv0')",
                     "weights.bytes is 42", "108 weights at 3 bits need 41");
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["layers"][0]["weights"]["bytes"] = 40; }), "weights.bytes is 40");
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["layers"][1]["bias"]["bytes"] = 5; }), "layer 1 ('conv1')", "bias.bytes is 5",
                     "4 biases at 12 bits need 6");
    // Changing the bias width changes the needed size (4 x 13 bits -> 7 bytes).
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["layers"][1]["bias_bits"] = 13; }), "bias.bytes is 6", "need 7");
}

TEST(NetfileErrors, SegmentOutsidePayload) {
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["layers"][1]["weights"]["offset"] = 70; }), "layer 1 ('conv1')",
                     "segment [70, 88) lies outside the 77-byte payload");
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["layers"][2]["bias"]["offset"] = 1000; }), "layer 2 ('fc2')",
                     "segment [1000, 1004) lies outside the 77-byte payload");
    // Payload cut short: the fc bias no longer fits.
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.payload.resize(76); }), "layer 2", "lies outside the 76-byte payload");
}

TEST(NetfileErrors, OverlappingSegments) {
    // conv1's bias on top of conv0's (same size, no padding bits).
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["layers"][1]["bias"]["offset"] = 41; }), "segments overlap", "41");
    // Partial overlap by one byte... five bytes: [42, 48) against [41, 47).
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["layers"][1]["bias"]["offset"] = 42; }), "segments overlap at byte 42");
    // Unused gaps between segments are fine.
    EXPECT_EQ(error_after([](parts& p) {
                  p.payload.insert(p.payload.begin() + 41, {0, 0, 0});
                  p.j["layers"][0]["bias"]["offset"] = 44;
                  for (int i = 1; i < 3; ++i)
                      for (const char* s : {"weights", "bias"})
                          p.j["layers"][i][s]["offset"] = p.j["layers"][i][s]["offset"].get<int>() + 3;
              }),
              "");
}

TEST(NetfileErrors, UnusedWeightCode) {
    // conv1 has 2-bit weights: code 10b is unused.
    EXPECT_ERROR_HAS(error_after([](parts& p) { nx::put_bits(p.payload.data() + 47, 5 * 2, 2, 0b10); }), "layer 1 ('conv1')",
                     "weight 5 has the unused 2-bit code 2");
    // conv0 has 3-bit weights: 011, 100, 101 are unused.
    for (unsigned code : {3u, 4u, 5u})
        EXPECT_ERROR_HAS(error_after([code](parts& p) { nx::put_bits(p.payload.data(), 107 * 3, 3, code); }), "layer 0 ('conv0')",
                         "weight 107 has the unused 3-bit code " + std::to_string(code));
}

TEST(NetfileErrors, NonZeroPaddingBits) {
    // conv0 weights: 324 bits in 41 bytes, bits 324..327 are padding.
    for (unsigned bit = 324; bit < 328; ++bit)
        EXPECT_ERROR_HAS(error_after([bit](parts& p) { nx::put_bits(p.payload.data(), bit, 1, 1); }), "layer 0 ('conv0')",
                         "padding bits after the last weight are not zero");
    // fc weights: 12 bits in 2 bytes.
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.payload[72] |= 0x80; }), "layer 2 ('fc2')", "padding bits after the last weight");
    // fc bias: 30 bits in 4 bytes, bits 30 and 31 are padding.
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.payload[76] |= 0x40; }), "layer 2 ('fc2')",
                     "padding bits after the last bias are not zero");
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.payload[76] |= 0x80; }), "padding bits after the last bias are not zero");
}

// ---------------------------------------------------------------------------------------------
// Task consistency
// ---------------------------------------------------------------------------------------------

TEST(NetfileErrors, ClassCountMismatch) {
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["classes"] = {"cat", "dog"}; }), "header.classes has 2 names",
                     "fc layer has 3 outputs");
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["classes"] = {"a", "b", "c", "d"}; }), "has 4 names");
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["classes"] = json::array(); }), "has 0 names");
}

TEST(NetfileErrors, FcNotLast) {
    // [conv0, fc, conv1]: the fc (sized for conv0's 4 channels) sits in the middle.
    EXPECT_ERROR_HAS(error_after([](parts& p) {
                         json l = p.j["layers"];
                         p.j["layers"] = json::array({l[0], l[2], l[1]});
                     }),
                     "layer 1 ('fc2')", "an fc layer must be the last layer");
    // Two fc heads.
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["layers"].push_back(p.j["layers"][2]); }), "layer 2",
                     "an fc layer must be the last layer");
}

TEST(NetfileErrors, TaskAndHeadDisagree) {
    // A compression network must not carry class names.
    EXPECT_ERROR_HAS(error_after([](parts& p) {
                         p.j["task"] = "compress";
                         p.j["layers"].erase(2);
                     }),
                     "field 'classes' is only allowed when task is classify");
    // A compression network has no fc head.
    EXPECT_ERROR_HAS(error_after([](parts& p) {
                         p.j["task"] = "compress";
                         p.j.erase("classes");
                     }),
                     "a compression network has no fc head");
    // A classification network ends with one.
    EXPECT_ERROR_HAS(error_after([](parts& p) { p.j["layers"].erase(2); }), "a classification network must end with an fc head");
    // An fc head alone (nothing to pool).
    EXPECT_ERROR_HAS(error_after([](parts& p) {
                         p.j["input"]["channels"] = 4;
                         p.j["input"]["height"] = 2;
                         p.j["input"]["width"] = 2;
                         json fc = p.j["layers"][2];
                         p.j["layers"] = json::array({fc});
                     }),
                     "fc");
}

}  // namespace

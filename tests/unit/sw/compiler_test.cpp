// The network compiler: the weight-SRAM image (segments at 32-bit-aligned addresses), the
// layer descriptors (decoded back with the encvp_regs.h field macros), the network image the
// firmware loads, the budget refusal and the accumulator-bound refusal.
#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "compiler/compiler.h"
#include "encvp_netimg.h"
#include "encvp_regs.h"
#include "netfile/netfile.h"
#include "sw_test_util.h"

namespace nx = encvp::nx;
using encvp::budget_error;
using encvp::compile_network;
using encvp::compiled_network;
using encvp::input_error;
using encvp::network_file;
using encvp::test::conv_layer;
using encvp::test::fc_layer;
using encvp::test::make_net;

namespace {

// 3x8x8 -> conv0 (4, k3 s1 p1, w3 a2 b12 S3, pool) -> conv1 (4, k3 s2 p1 g2, w2 a2 b12 S2) -> fc (3, w1 b10).
// SRAM layout (bits -> 32-bit words):
//   conv0 weights 108 x 3 = 324 -> 11 words at word 0;   bias 4 x 12 = 48 -> 2 words at word 11
//   conv1 weights  72 x 2 = 144 ->  5 words at word 13;  bias 48           -> 2 words at word 18
//   fc    weights  12 x 1 =  12 ->  1 word  at word 20;  bias 3 x 10 = 30  -> 1 word  at word 21
//   total 22 words = 704 bits = 88 bytes; numerics §5 budget = 377 + 197 + 47 = 621 bits.
nx::network tiny(bool classify) {
    std::mt19937 rng(17);
    nx::layer_params c0 = conv_layer(3, 8, 8, 8, 4, 3, 1, 1, 1, 3, 2, 3, true);
    nx::layer_params c1 = conv_layer(4, 4, 4, 2, 4, 3, 2, 1, 2, 2, 2, 2, false);
    for (auto* p : {&c0, &c1}) {
        for (auto& w : p->weights) w = encvp::test::rand_weight(rng, p->d.w_bits);
        for (auto& b : p->bias) b = encvp::test::rand_int(rng, -2048, 2047);
        p->d.b_bits = 12;
    }
    if (!classify) return make_net(3, 8, 8, {c0, c1});
    nx::layer_params f = fc_layer(4, 2, 2, 2, 3, 1);
    for (auto& w : f.weights) w = encvp::test::rand_weight(rng, 1);
    f.bias = {-512, 511, -1};
    f.d.b_bits = 10;
    return make_net(3, 8, 8, {c0, c1, f});
}

network_file tiny_file(bool classify) {
    return encvp::make_network_file(tiny(classify), "tiny", classify ? std::vector<std::string>{"a", "b", "c"} : std::vector<std::string>{},
                                    nlohmann::json::object());
}

uint32_t rd32(const std::vector<uint8_t>& b, std::size_t at) {
    return uint32_t(b[at]) | uint32_t(b[at + 1]) << 8 | uint32_t(b[at + 2]) << 16 | uint32_t(b[at + 3]) << 24;
}

TEST(Compiler, BudgetAndAddresses) {
    const compiled_network c = compile_network(tiny_file(true), 1u << 20);
    ASSERT_EQ(c.budget.size(), 3u);
    const uint32_t w_addr[3] = {0, 13, 20}, b_addr[3] = {11, 18, 21};
    const uint64_t wbits[3] = {324, 144, 12}, bbits[3] = {48, 48, 30}, sram[3] = {13 * 32, 7 * 32, 2 * 32};
    const char* names[3] = {"conv0", "conv1", "fc2"};
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(c.budget[i].name, names[i]);
        EXPECT_EQ(c.budget[i].w_addr, w_addr[i]) << i;
        EXPECT_EQ(c.budget[i].b_addr, b_addr[i]) << i;
        EXPECT_EQ(c.budget[i].weight_bits, wbits[i]) << i;
        EXPECT_EQ(c.budget[i].bias_bits, bbits[i]) << i;
        EXPECT_EQ(c.budget[i].shift_bits, 5u);
        EXPECT_EQ(c.budget[i].sram_bits, sram[i]) << i;
        EXPECT_EQ(c.budget[i].total(), wbits[i] + bbits[i] + 5);
    }
    EXPECT_EQ(c.weight_bits, 621u);
    EXPECT_EQ(c.weight_bits, tiny_file(true).weight_bits());
    EXPECT_EQ(c.sram_bits, 704u);
    EXPECT_EQ(c.sram_image.size(), 88u);
    EXPECT_EQ(c.sram_capacity_bits, 1u << 20);
    EXPECT_EQ(c.task, ENCODER_TASK_CLASSIFY);
    EXPECT_EQ(c.in_bytes, 3u * 8 * 8);
    EXPECT_EQ(c.num_classes, 3u);
    EXPECT_EQ(c.out_bytes, 4u * (3 + 1));  // int32 logits then the class
    EXPECT_EQ(c.code_bits, 0u);
}

TEST(Compiler, SramImageHoldsThePackedSegmentsAtTheirAddresses) {
    const network_file f = tiny_file(true);
    const compiled_network c = compile_network(f, 1u << 20);
    std::vector<bool> covered(c.sram_image.size() * 8, false);
    for (std::size_t i = 0; i < f.layers.size(); ++i) {
        const auto& l = f.layers[i];
        const uint64_t wb = l.d.weight_bits(), bb = l.d.bias_bits();
        for (uint64_t k = 0; k < wb; ++k) {
            ASSERT_EQ(nx::get_bits(c.sram_image.data(), uint64_t(c.budget[i].w_addr) * 32 + k, 1),
                      nx::get_bits(f.payload.data() + l.weights.offset, k, 1))
                << "layer " << i << " weight bit " << k;
            covered[c.budget[i].w_addr * 32 + k] = true;
        }
        for (uint64_t k = 0; k < bb; ++k) {
            ASSERT_EQ(nx::get_bits(c.sram_image.data(), uint64_t(c.budget[i].b_addr) * 32 + k, 1),
                      nx::get_bits(f.payload.data() + l.bias.offset, k, 1))
                << "layer " << i << " bias bit " << k;
            covered[c.budget[i].b_addr * 32 + k] = true;
        }
    }
    // Every other bit (segment padding up to the next 32-bit word) is zero.
    for (std::size_t b = 0; b < covered.size(); ++b)
        if (!covered[b]) {
            ASSERT_EQ(nx::get_bits(c.sram_image.data(), b, 1), 0u) << "padding bit " << b;
        }
    // The decoded weights read from the SRAM image are the network's weights.
    const nx::network n = tiny(true);
    for (std::size_t i = 0; i < n.layers.size(); ++i) {
        const auto& d = f.layers[i].d;
        for (std::size_t k = 0; k < n.layers[i].weights.size(); ++k)
            ASSERT_EQ(nx::decode_weight(nx::get_bits(c.sram_image.data(), uint64_t(c.budget[i].w_addr) * 32 + k * d.w_bits, d.w_bits), d.w_bits),
                      n.layers[i].weights[k]);
        for (std::size_t k = 0; k < n.layers[i].bias.size(); ++k)
            ASSERT_EQ(nx::sign_extend(nx::get_bits(c.sram_image.data(), uint64_t(c.budget[i].b_addr) * 32 + k * d.b_bits, d.b_bits), d.b_bits),
                      n.layers[i].bias[k]);
    }
}

TEST(Compiler, SramImageHandComputed) {
    // One 1x1 conv, 1 -> 3 channels, 2-bit weights [1, -1, 0] -> codes 01, 11, 00:
    //   word 0 = 0b00_11_01 = 0x0000000D
    // 4-bit biases [1, -2, 7] -> 0001, 1110, 0111 -> 0x7E1: word 1 = 0x000007E1
    nx::layer_params c = conv_layer(1, 2, 2, 8, 3, 1, 1, 0, 1, 2, 2, 0, false);
    c.weights = {1, -1, 0};
    c.bias = {1, -2, 7};
    c.d.b_bits = 4;
    const network_file f = encvp::make_network_file(make_net(1, 2, 2, {c}), "hand", {}, nlohmann::json::object());
    ASSERT_EQ(f.layers[0].d.b_bits, 4u);
    const compiled_network out = compile_network(f, 1u << 20);
    EXPECT_EQ(out.sram_image, (std::vector<uint8_t>{0x0D, 0, 0, 0, 0xE1, 0x07, 0, 0}));
    EXPECT_EQ(out.task, ENCODER_TASK_COMPRESS);
    // Compression output: 3 channels x 2 x 2 x 2 bits = 24 bits = 3 bytes.
    EXPECT_EQ(out.code_bits, 24u);
    EXPECT_EQ(out.out_bytes, 3u);
    EXPECT_EQ(out.num_classes, 0u);
}

struct desc_fields {
    unsigned h, w, cin, cout, kernel, stride, pad, groups, pool, type, wbits, inbits, abits, bbits, shift, waddr, baddr;
};

desc_fields decode(const std::vector<uint32_t>& d, std::size_t layer) {
    const uint32_t* w = d.data() + layer * NETIMG_DESC_WORDS;
    desc_fields f{};
    f.h = ENCVP_GET(ENCODER_LAYER_IN_DIM_H, w[NETIMG_DESC_IN_DIM]);
    f.w = ENCVP_GET(ENCODER_LAYER_IN_DIM_W, w[NETIMG_DESC_IN_DIM]);
    f.cin = ENCVP_GET(ENCODER_LAYER_CHANNELS_IN, w[NETIMG_DESC_CHANNELS]);
    f.cout = ENCVP_GET(ENCODER_LAYER_CHANNELS_OUT, w[NETIMG_DESC_CHANNELS]);
    f.kernel = ENCVP_GET(ENCODER_LAYER_CONV_KERNEL, w[NETIMG_DESC_CONV]);
    f.stride = ENCVP_GET(ENCODER_LAYER_CONV_STRIDE, w[NETIMG_DESC_CONV]);
    f.pad = ENCVP_GET(ENCODER_LAYER_CONV_PAD, w[NETIMG_DESC_CONV]);
    f.groups = ENCVP_GET(ENCODER_LAYER_CONV_GROUPS, w[NETIMG_DESC_CONV]);
    f.pool = ENCVP_GET(ENCODER_LAYER_CONV_POOL, w[NETIMG_DESC_CONV]);
    f.type = ENCVP_GET(ENCODER_LAYER_PREC_TYPE, w[NETIMG_DESC_PREC]);
    f.wbits = ENCVP_GET(ENCODER_LAYER_PREC_WBITS, w[NETIMG_DESC_PREC]);
    f.inbits = ENCVP_GET(ENCODER_LAYER_PREC_INBITS, w[NETIMG_DESC_PREC]);
    f.abits = ENCVP_GET(ENCODER_LAYER_PREC_ABITS, w[NETIMG_DESC_PREC]);
    f.bbits = ENCVP_GET(ENCODER_LAYER_PREC_BBITS, w[NETIMG_DESC_PREC]);
    f.shift = ENCVP_GET(ENCODER_LAYER_PREC_SHIFT, w[NETIMG_DESC_PREC]);
    f.waddr = w[NETIMG_DESC_W_ADDR];
    f.baddr = w[NETIMG_DESC_B_ADDR];
    return f;
}

void expect_desc(const compiled_network& c, const network_file& f) {
    ASSERT_EQ(c.descriptors.size(), f.layers.size() * NETIMG_DESC_WORDS);
    for (std::size_t i = 0; i < f.layers.size(); ++i) {
        const nx::layer_desc& d = f.layers[i].d;
        const desc_fields x = decode(c.descriptors, i);
        const bool fc = d.type == nx::layer_type::fc;
        EXPECT_EQ(x.h, d.in_h) << i;
        EXPECT_EQ(x.w, d.in_w) << i;
        EXPECT_EQ(x.cin, d.in_c) << i;
        EXPECT_EQ(x.cout, d.out_c) << i;
        EXPECT_EQ(x.type, fc ? ENCODER_LTYPE_FC : ENCODER_LTYPE_CONV) << i;
        EXPECT_EQ(x.wbits, d.w_bits) << i;
        EXPECT_EQ(x.inbits, d.in_bits) << i;
        EXPECT_EQ(x.bbits, d.b_bits) << i;
        EXPECT_EQ(x.waddr, c.budget[i].w_addr) << i;
        EXPECT_EQ(x.baddr, c.budget[i].b_addr) << i;
        if (fc) {
            EXPECT_EQ(c.descriptors[i * NETIMG_DESC_WORDS + NETIMG_DESC_CONV], 0u) << i;
            EXPECT_EQ(x.abits, 0u);
            EXPECT_EQ(x.shift, 0u);
        } else {
            EXPECT_EQ(x.kernel, d.kernel) << i;
            EXPECT_EQ(x.stride, d.stride) << i;
            EXPECT_EQ(x.pad, d.pad) << i;
            EXPECT_EQ(x.groups, d.groups) << i;
            EXPECT_EQ(x.pool, d.pool ? 1u : 0u) << i;
            EXPECT_EQ(x.abits, d.a_bits) << i;
            EXPECT_EQ(x.shift, d.shift) << i;
        }
    }
}

TEST(Compiler, DescriptorsDecodeBackToTheLayers) {
    const network_file f = tiny_file(true);
    const compiled_network c = compile_network(f, 1u << 20);
    expect_desc(c, f);
    // The hand-known values of conv0 and the fc head.
    const desc_fields a = decode(c.descriptors, 0);
    EXPECT_EQ(a.h, 8u);
    EXPECT_EQ(a.w, 8u);
    EXPECT_EQ(a.cin, 3u);
    EXPECT_EQ(a.cout, 4u);
    EXPECT_EQ(a.kernel, 3u);
    EXPECT_EQ(a.stride, 1u);
    EXPECT_EQ(a.pad, 1u);
    EXPECT_EQ(a.groups, 1u);
    EXPECT_EQ(a.pool, 1u);
    EXPECT_EQ(a.wbits, 3u);
    EXPECT_EQ(a.inbits, 8u);
    EXPECT_EQ(a.abits, 2u);
    EXPECT_EQ(a.bbits, 12u);
    EXPECT_EQ(a.shift, 3u);
    EXPECT_EQ(a.waddr, 0u);
    EXPECT_EQ(a.baddr, 11u);
    const desc_fields b = decode(c.descriptors, 1);
    EXPECT_EQ(b.h, 4u);
    EXPECT_EQ(b.stride, 2u);
    EXPECT_EQ(b.groups, 2u);
    EXPECT_EQ(b.pool, 0u);
    EXPECT_EQ(b.inbits, 2u);
    EXPECT_EQ(b.waddr, 13u);
    EXPECT_EQ(b.baddr, 18u);
    const desc_fields z = decode(c.descriptors, 2);
    EXPECT_EQ(z.type, ENCODER_LTYPE_FC);
    EXPECT_EQ(z.h, 2u);
    EXPECT_EQ(z.w, 2u);
    EXPECT_EQ(z.cin, 4u);
    EXPECT_EQ(z.cout, 3u);
    EXPECT_EQ(z.wbits, 1u);
    EXPECT_EQ(z.inbits, 2u);
    EXPECT_EQ(z.bbits, 10u);
    EXPECT_EQ(z.waddr, 20u);
    EXPECT_EQ(z.baddr, 21u);
}

TEST(Compiler, DescriptorFieldsHoldTheLargestValues) {
    // 1024 channels, a 1024-high input, k7 pad 3 stride 2, 1024 groups, shift 24, 24-bit biases.
    nx::layer_params a = conv_layer(1024, 1024, 1, 8, 1024, 1, 1, 0, 1, 1, 3, 24, false);
    for (auto& w : a.weights) w = 1;
    a.d.b_bits = 24;
    nx::layer_params b = conv_layer(1024, 1024, 1, 3, 1024, 7, 2, 3, 1024, 3, 1, 0, false);
    for (auto& w : b.weights) w = -2;
    b.d.b_bits = 2;
    const network_file f = encvp::make_network_file(make_net(1024, 1024, 1, {a, b}), "big", {}, nlohmann::json::object());
    const compiled_network c = compile_network(f, uint64_t(1) << 22);
    expect_desc(c, f);
    const desc_fields x = decode(c.descriptors, 0), y = decode(c.descriptors, 1);
    EXPECT_EQ(x.cin, 1024u);
    EXPECT_EQ(x.cout, 1024u);
    EXPECT_EQ(x.h, 1024u);
    EXPECT_EQ(x.shift, 24u);
    EXPECT_EQ(x.bbits, 24u);
    EXPECT_EQ(y.kernel, 7u);
    EXPECT_EQ(y.pad, 3u);
    EXPECT_EQ(y.stride, 2u);
    EXPECT_EQ(y.groups, 1024u);
    EXPECT_EQ(y.inbits, 3u);
    EXPECT_EQ(y.abits, 1u);
    // 1024 x 1024 1-bit weights = 32768 words; 1024 x 24-bit biases = 768 words.
    EXPECT_EQ(c.budget[0].b_addr, 32768u);
    EXPECT_EQ(c.budget[1].w_addr, 32768u + 768u);
    // Output: 1024 channels x 512 x 1 at 1 bit.
    EXPECT_EQ(c.code_bits, 1024u * 512u);
}

TEST(Compiler, NetworkImageHeader) {
    for (bool classify : {true, false}) {
        const network_file f = tiny_file(classify);
        const compiled_network c = compile_network(f, 1u << 20);
        const std::vector<uint8_t>& img = c.netimg;
        const uint32_t layers = uint32_t(f.layers.size());
        // Descriptors end at 0x40 + 4*6*layers; the SRAM image follows on a 64-byte boundary:
        // 3 layers -> 0x40 + 72 = 136 -> 192; 2 layers -> 0x40 + 48 = 112 -> 128.
        const uint32_t sram_off = classify ? 192 : 128;
        ASSERT_EQ(img.size(), sram_off + c.sram_image.size());
        EXPECT_EQ(rd32(img, NETIMG_MAGIC), NETIMG_MAGIC_VALUE);
        EXPECT_EQ(std::string(img.begin(), img.begin() + 4), "ENIM");
        EXPECT_EQ(rd32(img, NETIMG_VERSION), NETIMG_VERSION_VALUE);
        EXPECT_EQ(rd32(img, NETIMG_TASK), classify ? ENCODER_TASK_CLASSIFY : ENCODER_TASK_COMPRESS);
        EXPECT_EQ(rd32(img, NETIMG_NUM_LAYERS), layers);
        EXPECT_EQ(rd32(img, NETIMG_IN_C), 3u);
        EXPECT_EQ(rd32(img, NETIMG_IN_H), 8u);
        EXPECT_EQ(rd32(img, NETIMG_IN_W), 8u);
        // Classify: 3 logits + class = 16 bytes. Compress: conv1 out 4x2x2 at 2 bits = 32 bits = 4 bytes.
        EXPECT_EQ(rd32(img, NETIMG_OUT_BYTES), classify ? 16u : 4u);
        EXPECT_EQ(rd32(img, NETIMG_NUM_CLASSES), classify ? 3u : 0u);
        EXPECT_EQ(rd32(img, NETIMG_SRAM_BYTES), classify ? 88u : 80u);
        EXPECT_EQ(rd32(img, NETIMG_SRAM_OFFSET), sram_off);
        EXPECT_EQ(rd32(img, NETIMG_CODE_BITS), classify ? 0u : 32u);
        EXPECT_EQ(c.code_bits, classify ? 0u : 32u);
        // Reserved header words are zero.
        for (uint32_t at = NETIMG_CODE_BITS + 4; at < NETIMG_DESC; at += 4) EXPECT_EQ(rd32(img, at), 0u) << at;
        for (std::size_t i = 0; i < c.descriptors.size(); ++i) EXPECT_EQ(rd32(img, NETIMG_DESC + 4 * i), c.descriptors[i]) << i;
        // Zero fill between the descriptors and the SRAM image.
        for (std::size_t at = NETIMG_DESC + 4 * c.descriptors.size(); at < sram_off; ++at) EXPECT_EQ(img[at], 0) << at;
        EXPECT_TRUE(std::equal(c.sram_image.begin(), c.sram_image.end(), img.begin() + sram_off));
    }
}

TEST(Compiler, BudgetRefusalNamesNeededAndAvailableBitsWithTheTable) {
    const network_file f = tiny_file(true);
    // The padded image (704 bits) is the larger number here: 704 fits, 703 does not.
    EXPECT_NO_THROW(compile_network(f, 704));
    try {
        compile_network(f, 703, "tiny.enet");
        FAIL() << "accepted a network larger than the SRAM";
    } catch (const budget_error& e) {
        const std::string m = e.what();
        for (const char* s : {"tiny.enet: ", "network 'tiny' does not fit the weight SRAM", "needs 621 bits", "704 bits with 32-bit",
                              "holds 703 bits", "layer", "weight_bits", "bias_bits", "sram_bits", "conv0", "conv1", "fc2", "total",
                              "capacity"})
            EXPECT_NE(m.find(s), std::string::npos) << "'" << s << "' not in:\n" << m;
        // The per-layer rows: conv0 324 weight bits, 48 bias bits, 5, total 377, 416 SRAM bits.
        EXPECT_NE(m.find("324"), std::string::npos);
        EXPECT_NE(m.find("377"), std::string::npos);
        EXPECT_NE(m.find("416"), std::string::npos);
        EXPECT_NE(m.find(encvp::budget_table(compile_network(f, 704).budget, 703)), std::string::npos);
    }
}

TEST(Compiler, BudgetCountsShiftBitsEvenWhenTheImageFits) {
    // 1x1 conv, 32 -> 4 channels, 1-bit weights: 128 weight bits, 4 x 8-bit biases = 32 bits.
    // SRAM image 160 bits exactly (no padding), numerics §5 budget 128 + 32 + 5 = 165 bits.
    nx::layer_params c = conv_layer(32, 1, 1, 8, 4, 1, 1, 0, 1, 1, 1, 0, false);
    for (auto& w : c.weights) w = -1;
    c.bias = {-128, 127, 0, 0};
    c.d.b_bits = 8;
    const network_file f = encvp::make_network_file(make_net(32, 1, 1, {c}), "exact", {}, nlohmann::json::object());
    EXPECT_NO_THROW(compile_network(f, 165));
    EXPECT_THROW(compile_network(f, 164), budget_error);
    try {
        compile_network(f, 160);
        FAIL();
    } catch (const budget_error& e) {
        EXPECT_NE(std::string(e.what()).find("needs 165 bits (160 bits"), std::string::npos) << e.what();
    }
}

TEST(Compiler, BudgetTableFormat) {
    std::vector<encvp::layer_budget> b(2);
    b[0].name = "first";
    b[0].weight_bits = 100, b[0].bias_bits = 20, b[0].sram_bits = 160;
    b[1].name = "second";
    b[1].weight_bits = 7, b[1].bias_bits = 3, b[1].sram_bits = 64;
    const std::string t = encvp::budget_table(b, 1000);
    // Header, one row per layer, total, capacity.
    EXPECT_EQ(std::count(t.begin(), t.end(), '\n'), 5);
    EXPECT_NE(t.find("first"), std::string::npos);
    EXPECT_NE(t.find("second"), std::string::npos);
    EXPECT_NE(t.find("125"), std::string::npos);  // 100 + 20 + 5
    EXPECT_NE(t.find("15"), std::string::npos);   // 7 + 3 + 5
    const std::size_t total = t.find("\ntotal ") + 1;
    ASSERT_NE(total, 0u);
    const std::string total_line = t.substr(total, t.find('\n', total) - total);
    for (const char* s : {"107", "23", "10", "140", "224"}) EXPECT_NE(total_line.find(s), std::string::npos) << s << " in " << total_line;
    EXPECT_NE(t.find("capacity"), std::string::npos);
    EXPECT_NE(t.find("1000"), std::string::npos);
}

network_file bias_net(int32_t bias) {
    // First layer: 1x1 kernel on 1 channel of 8-bit pixels, 1-bit weight: worst = 1*1*255 + |bias|.
    nx::layer_params c = conv_layer(1, 2, 2, 8, 1, 1, 1, 0, 1, 1, 1, 0, false);
    c.weights = {1};
    c.bias = {bias};
    c.d.b_bits = 24;
    return encvp::make_network_file(make_net(1, 2, 2, {c}), "acc", {}, nlohmann::json::object());
}

TEST(Compiler, AccumulatorBoundRefusalNamesTheLayer) {
    // worst = 255 + 8388352 = 8388607 = 2^23 - 1: accepted.
    EXPECT_NO_THROW(compile_network(bias_net(nx::ACC_MAX - 255), 1u << 20));
    EXPECT_NO_THROW(compile_network(bias_net(-(nx::ACC_MAX - 255)), 1u << 20));
    // One more: 8388608 > 2^23 - 1, refused, naming the layer and the numbers.
    for (int32_t bias : {nx::ACC_MAX - 254, -(nx::ACC_MAX - 254), nx::ACC_MIN}) {
        try {
            compile_network(bias_net(bias), 1u << 20, "acc.enet");
            FAIL() << "accepted bias " << bias;
        } catch (const input_error& e) {
            const std::string m = e.what();
            EXPECT_EQ(e.source(), "acc.enet");
            EXPECT_NE(m.find("layer 0 ('conv0')"), std::string::npos) << m;
            EXPECT_NE(m.find("worst-case accumulator"), std::string::npos) << m;
            EXPECT_NE(m.find("8388607"), std::string::npos) << m;
        }
    }
    try {
        compile_network(bias_net(nx::ACC_MAX - 254), 1u << 20);
        FAIL();
    } catch (const input_error& e) {
        EXPECT_NE(std::string(e.what()).find("worst-case accumulator 8388608 exceeds"), std::string::npos) << e.what();
    }
}

TEST(Compiler, AccumulatorBoundOfTheFcHeadCountsTheSumPool) {
    // conv0: 1 -> 1 channel on a 64x64 image, 3-bit output (max 7); fc: 1 channel summed over
    // 4096 positions, 3-bit weights (max 2): worst = 4096 * 2 * 7 + |bias| = 57344 + |bias|.
    auto make = [](int32_t fc_bias) {
        nx::layer_params c = conv_layer(1, 64, 64, 8, 1, 1, 1, 0, 1, 1, 3, 0, false);
        c.weights = {1};
        nx::layer_params f = fc_layer(1, 64, 64, 3, 2, 3);
        f.weights = {2, -2};
        f.bias = {fc_bias, 0};
        f.d.b_bits = 24;
        return encvp::make_network_file(make_net(1, 64, 64, {c, f}), "fc", {"x", "y"}, nlohmann::json::object());
    };
    EXPECT_NO_THROW(compile_network(make(nx::ACC_MAX - 57344), 1u << 20));
    try {
        compile_network(make(nx::ACC_MAX - 57343), 1u << 20);
        FAIL();
    } catch (const input_error& e) {
        EXPECT_NE(std::string(e.what()).find("layer 1 ('fc1')"), std::string::npos) << e.what();
    }
}

TEST(Compiler, NetworksTheReaderAcceptsCompileAndRoundTrip) {
    // Through the file format: what the compiler sees after parsing is what it compiles.
    const network_file f = encvp::parse_network_file(encvp::serialize_network_file(tiny_file(true)), "t");
    const compiled_network a = compile_network(f, 1u << 20), b = compile_network(tiny_file(true), 1u << 20);
    EXPECT_EQ(a.netimg, b.netimg);
    EXPECT_EQ(a.sram_image, b.sram_image);
    EXPECT_EQ(a.descriptors, b.descriptors);
}

}  // namespace

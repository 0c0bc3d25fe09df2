// Small networks computed by hand (the arithmetic is in the comments), run through the reference
// (reference_run) and the fast engine: convolution with padding and stride, groups, max-pool on
// odd sizes, the fc head with its sum pool and tie rule, and the compression code packing.
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "numerics/engine.h"
#include "numerics/network.h"
#include "sw_test_util.h"

namespace nx = encvp::nx;
using encvp::test::conv_layer;
using encvp::test::fc_layer;
using encvp::test::make_net;

namespace {

// Runs the reference and the engine with every kernel this CPU has; they must agree, and the
// reference's result is returned.
nx::inference_result run_both(const nx::network& net, const std::vector<uint8_t>& in) {
    const nx::inference_result ref = nx::reference_run(net, in.data());
    for (nx::kernel_isa k : {nx::kernel_isa::generic, nx::kernel_isa::avx2}) {
        if (!nx::kernel_supported(k)) continue;
        nx::engine e(net, k);
        nx::inference_result fast;
        e.run(in.data(), fast);
        EXPECT_EQ(fast.output, ref.output) << nx::kernel_isa_name(k);
        EXPECT_EQ(fast.logits, ref.logits) << nx::kernel_isa_name(k);
        EXPECT_EQ(fast.cls, ref.cls) << nx::kernel_isa_name(k);
        EXPECT_EQ(fast.f.acc_saturated, ref.f.acc_saturated) << nx::kernel_isa_name(k);
        EXPECT_EQ(fast.f.weight_code_error, ref.f.weight_code_error) << nx::kernel_isa_name(k);
    }
    return ref;
}

// 1 channel, 3x3 input, 3x3 Sobel-x kernel (3-bit weights), bias 20, shift 2, 3-bit output.
//   input     kernel w[ky][kx]
//   1 2 3      1 0 -1
//   4 5 6      2 0 -2
//   7 8 9      1 0 -1
// acc(y,x) = Σ_ky c[ky] * (in[y-1+ky][x-1] - in[y-1+ky][x+1]), c = (1,2,1), zero outside.
//   acc (padding 1, stride 1):   -9  -6   9
//                               -20  -8  20
//                               -21  -6  21
//   e.g. (0,0): row -1 is padding; row 0: 2*(0-2) = -4; row 1: 1*(0-5) = -5 -> -9
//        (1,1): 1*(1-3) + 2*(4-6) + 1*(7-9) = -8
//        (2,2): row 1: 1*(5-0) = 5; row 2: 2*(8-0) = 16 -> 21
//   t = acc + 20:                11  14  29 /  0  12  40 /  -1  14  41
//   y = clamp((t + 2) >> 2, 0, 7): 3   4   7 /  0   3   7 /   0   4   7
//   (14+2)>>2 = 4 is the tie 3.5 rounded up; (40+2)>>2 = 10 clamps to 7; (-1+2)>>2 = 0.
nx::network sobel_net(unsigned stride) {
    nx::layer_params c = conv_layer(1, 3, 3, 8, 1, 3, stride, 1, 1, 3, 3, 2, false);
    c.weights = {1, 0, -1, 2, 0, -2, 1, 0, -1};
    c.bias = {20};
    return make_net(1, 3, 3, {c});
}
const std::vector<uint8_t> SOBEL_IN = {1, 2, 3, 4, 5, 6, 7, 8, 9};

TEST(HandNetwork, Conv3x3Padding1Stride1) {
    const nx::inference_result r = run_both(sobel_net(1), SOBEL_IN);
    EXPECT_EQ(r.output, (std::vector<uint8_t>{3, 4, 7, 0, 3, 7, 0, 4, 7}));
    EXPECT_TRUE(r.logits.empty());
    EXPECT_EQ(r.cls, -1);
    EXPECT_FALSE(r.f.acc_saturated);
}

TEST(HandNetwork, Conv3x3Padding1Stride2) {
    // Ho = floor((3 + 2 - 3)/2) + 1 = 2: the stride-1 map at rows/cols 0 and 2 -> 3 7 / 0 7.
    const nx::inference_result r = run_both(sobel_net(2), SOBEL_IN);
    EXPECT_EQ(r.output, (std::vector<uint8_t>{3, 7, 0, 7}));
}

TEST(HandNetwork, Conv3x3NoPaddingIsTheCentreOnly) {
    // Padding 0: one output, acc = -8 (centre, see above); (-8 + 20 + 2) >> 2 = 3.
    nx::network n = sobel_net(1);
    n.layers[0].d.pad = 0;
    n.shape.layers[0].pad = 0;
    const nx::inference_result r = run_both(n, SOBEL_IN);
    EXPECT_EQ(r.output, (std::vector<uint8_t>{3}));
}

TEST(HandNetwork, Conv3x3AsymmetricInputAndKernelOrientation) {
    // Kernel with a single +1 at (ky,kx) = (0,2): out(y,x) = in(y-1, x+1); pad 1; shift 0, 3-bit out.
    //   input 3x4:  1 2 3 4          output 3x4: 0 0 0 0   (row -1 is padding)
    //               5 6 7 0                      2 3 4 0   (in row 0 shifted left, col 4 is padding)
    //               1 1 2 2                      6 7 0 0
    nx::layer_params c = conv_layer(1, 3, 4, 8, 1, 3, 1, 1, 1, 2, 3, 0, false);
    c.weights = {0, 0, 1, 0, 0, 0, 0, 0, 0};
    const nx::inference_result r = run_both(make_net(1, 3, 4, {c}), {1, 2, 3, 4, 5, 6, 7, 0, 1, 1, 2, 2});
    EXPECT_EQ(r.output, (std::vector<uint8_t>{0, 0, 0, 0, 2, 3, 4, 0, 6, 7, 0, 0}));
}

TEST(HandNetwork, GroupedConvTwoOutputsPerGroup) {
    // 2 input channels, 2 groups, 4 outputs, 1x1 kernel, 3-bit weights, shift 1, 3-bit output.
    // Group 0 = input channel 0 -> outputs 0,1; group 1 = input channel 1 -> outputs 2,3.
    //   ch0 = 1 2 3 4, ch1 = 5 6 7 0 ; w = [1, -1, 2, -2] ; bias = [0, 10, 0, 20]
    //   out0: t = ch0        = 1 2 3 4  -> (t+1)>>1 = 1 1 2 2
    //   out1: t = 10 - ch0   = 9 8 7 6  -> 5 4 4 3
    //   out2: t = 2*ch1      = 10 12 14 0 -> 5 6 7 0
    //   out3: t = 20 - 2*ch1 = 10 8 6 20  -> 5 4 3 10->7
    nx::layer_params c = conv_layer(2, 2, 2, 8, 4, 1, 1, 0, 2, 3, 3, 1, false);
    c.weights = {1, -1, 2, -2};
    c.bias = {0, 10, 0, 20};
    const nx::inference_result r = run_both(make_net(2, 2, 2, {c}), {1, 2, 3, 4, 5, 6, 7, 0});
    EXPECT_EQ(r.output, (std::vector<uint8_t>{1, 1, 2, 2, 5, 4, 4, 3, 5, 6, 7, 0, 5, 4, 3, 7}));
}

TEST(HandNetwork, GroupedConvTwoInputsPerGroup) {
    // 4 input channels of 1x2, 2 groups, 2 outputs: out0 sees ch0,ch1; out1 sees ch2,ch3.
    //   ch0 = 1 2, ch1 = 3 4, ch2 = 5 6, ch3 = 7 8 ; w[co][j]: co0 = [-1, 2], co1 = [2, -1]; shift 0.
    //   out0 = -ch0 + 2*ch1 = 5 6 ; out1 = 2*ch2 - ch3 = 3 4.
    //   (Wrong group mapping would give out0 = -ch2 + 2*ch3 = 9 10 -> 7 7, out1 = 2*ch0 - ch1 = -1 0 -> 0 0.)
    nx::layer_params c = conv_layer(4, 1, 2, 8, 2, 1, 1, 0, 2, 3, 3, 0, false);
    c.weights = {-1, 2, 2, -1};
    const nx::inference_result r = run_both(make_net(4, 1, 2, {c}), {1, 2, 3, 4, 5, 6, 7, 8});
    EXPECT_EQ(r.output, (std::vector<uint8_t>{5, 6, 3, 4}));
}

TEST(HandNetwork, DepthwiseConv3x3) {
    // 2 channels, groups 2, k3 pad 1; each output = centre tap + right tap of its own channel:
    //   out(y,x) = in(y,x) + in(y,x+1), zero outside.
    //   ch0 = 1 2 / 3 0 -> out0 = 3 2 / 3 0 ; ch1 = 0 1 / 2 3 -> out1 = 1 1 / 5 3
    nx::layer_params c = conv_layer(2, 2, 2, 8, 2, 3, 1, 1, 2, 2, 3, 0, false);
    c.weights.assign(18, 0);
    c.weights[4] = 1, c.weights[5] = 1;          // channel 0: (1,1) and (1,2)
    c.weights[9 + 4] = 1, c.weights[9 + 5] = 1;  // channel 1
    const nx::inference_result r = run_both(make_net(2, 2, 2, {c}), {1, 2, 3, 0, 0, 1, 2, 3});
    EXPECT_EQ(r.output, (std::vector<uint8_t>{3, 2, 3, 0, 1, 1, 5, 3}));
}

TEST(HandNetwork, MaxPoolOddSizesDropsTheLastRowAndColumn) {
    // Identity 1x1 conv (1-bit weight +1), shift 0, 3-bit output, then 2x2 max-pool.
    //   5x5 input                pooled 2x2 (row 4 and column 4 dropped although they hold 7s)
    //   0 1 2 3 7                max(0,1,4,0) = 4   max(2,3,1,6) = 6
    //   4 0 1 6 7                max(2,2,1,3) = 3   max(5,0,0,2) = 5
    //   2 2 5 0 7
    //   1 3 0 2 7
    //   7 7 7 7 7
    nx::layer_params c = conv_layer(1, 5, 5, 8, 1, 1, 1, 0, 1, 1, 3, 0, true);
    c.weights = {1};
    const std::vector<uint8_t> in = {0, 1, 2, 3, 7, 4, 0, 1, 6, 7, 2, 2, 5, 0, 7, 1, 3, 0, 2, 7, 7, 7, 7, 7, 7};
    const nx::inference_result r = run_both(make_net(1, 5, 5, {c}), in);
    EXPECT_EQ(r.output, (std::vector<uint8_t>{4, 6, 3, 5}));
}

TEST(HandNetwork, MaxPoolNonSquareAndAfterQuantization) {
    // 3x4 input, identity conv with 2-bit outputs (clip at 3), pool -> 1x2.
    //   1 0 0 9    quantized: 1 0 0 3     pool: max(1,0,0,2) = 2, max(0,3,1,0) = 3
    //   0 2 1 0               0 2 1 0     (9 clips to 3 before pooling; the last row,
    //   7 7 7 7               3 3 3 3      all 3s, is dropped)
    nx::layer_params c = conv_layer(1, 3, 4, 8, 1, 1, 1, 0, 1, 1, 2, 0, true);
    c.weights = {1};
    const nx::inference_result r = run_both(make_net(1, 3, 4, {c}), {1, 0, 0, 9, 0, 2, 1, 0, 7, 7, 7, 7});
    EXPECT_EQ(r.output, (std::vector<uint8_t>{2, 3}));
}

TEST(HandNetwork, PoolAfterStride2ConvOnTwoChannels) {
    // 1x4x4 input, 1x1 conv stride 2 (samples rows/cols 0 and 2) to 2 channels w = [1, -1],
    // bias = [0, 6]; 3-bit out; then pool the 2x2 map to 1x1.
    //   input  1 . 2 .    sampled: 1 2     ch0 = 1 2 / 3 4 -> pool 4
    //          . . . .             3 4     ch1 = 6-x = 5 4 / 3 2 -> pool 5
    //          3 . 4 .
    nx::layer_params c = conv_layer(1, 4, 4, 8, 2, 1, 2, 0, 1, 2, 3, 0, true);
    c.weights = {1, -1};
    c.bias = {0, 6};
    std::vector<uint8_t> in(16, 200);  // odd rows/cols are never sampled
    in[0] = 1, in[2] = 2, in[8] = 3, in[10] = 4;
    const nx::inference_result r = run_both(make_net(1, 4, 4, {c}), in);
    EXPECT_EQ(r.output, (std::vector<uint8_t>{4, 5}));
}

// conv (1 -> 2 channels, 1x1, w = [1, 1], bias = [0, 1], 3-bit out) then fc on the 2x2 map.
//   input 1 2 / 3 4 -> ch0 = 1 2 3 4 (sum 10), ch1 = 2 3 4 5 (sum 14)
//   fc weights wfc[n][c]: n0 = [1, 0], n1 = [0, 1], n2 = [1, -1]
//   logits = [10 + b0, 14 + b1, -4 + b2]
nx::network fc_net(std::vector<int32_t> fc_bias) {
    nx::layer_params c = conv_layer(1, 2, 2, 8, 2, 1, 1, 0, 1, 2, 3, 0, false);
    c.weights = {1, 1};
    c.bias = {0, 1};
    nx::layer_params f = fc_layer(2, 2, 2, 3, 3, 2);
    f.weights = {1, 0, 0, 1, 1, -1};
    f.bias = std::move(fc_bias);
    return make_net(1, 2, 2, {c, f});
}
const std::vector<uint8_t> FC_IN = {1, 2, 3, 4};

TEST(HandNetwork, FcHeadSumPoolsAndAddsBias) {
    // b = [0, 0, 0] -> logits 10, 14, -4 -> class 1.
    nx::inference_result r = run_both(fc_net({0, 0, 0}), FC_IN);
    EXPECT_EQ(r.logits, (std::vector<int32_t>{10, 14, -4}));
    EXPECT_EQ(r.cls, 1);
    EXPECT_TRUE(r.output.empty());
    // b = [5, -3, 100] -> 15, 11, 96 -> class 2.
    r = run_both(fc_net({5, -3, 100}), FC_IN);
    EXPECT_EQ(r.logits, (std::vector<int32_t>{15, 11, 96}));
    EXPECT_EQ(r.cls, 2);
    // All negative: b = [-20, -30, -10] -> -10, -16, -14 -> class 0.
    r = run_both(fc_net({-20, -30, -10}), FC_IN);
    EXPECT_EQ(r.logits, (std::vector<int32_t>{-10, -16, -14}));
    EXPECT_EQ(r.cls, 0);
}

TEST(HandNetwork, FcArgmaxTieGoesToTheLowestIndex) {
    // b = [4, 0, 18] -> 14, 14, 14: three-way tie -> class 0.
    nx::inference_result r = run_both(fc_net({4, 0, 18}), FC_IN);
    EXPECT_EQ(r.logits, (std::vector<int32_t>{14, 14, 14}));
    EXPECT_EQ(r.cls, 0);
    // b = [3, 0, 18] -> 13, 14, 14: tie between 1 and 2 -> class 1.
    r = run_both(fc_net({3, 0, 18}), FC_IN);
    EXPECT_EQ(r.logits, (std::vector<int32_t>{13, 14, 14}));
    EXPECT_EQ(r.cls, 1);
    // b = [4, -1, 18] -> 14, 13, 14: tie between 0 and 2 -> class 0.
    r = run_both(fc_net({4, -1, 18}), FC_IN);
    EXPECT_EQ(r.cls, 0);
}

TEST(HandNetwork, FcLogitsSaturateAt24Bits) {
    // b = [ACC_MAX, 0, ACC_MIN]: 10 + 8388607 saturates to 8388607; -4 - 8388608 to -8388608.
    const nx::inference_result r = run_both(fc_net({nx::ACC_MAX, 0, nx::ACC_MIN}), FC_IN);
    EXPECT_EQ(r.logits, (std::vector<int32_t>{nx::ACC_MAX, 14, nx::ACC_MIN}));
    EXPECT_EQ(r.cls, 0);
    EXPECT_TRUE(r.f.acc_saturated);
    // At the bound exactly: no flag.
    const nx::inference_result ok = run_both(fc_net({nx::ACC_MAX - 10, 0, nx::ACC_MIN + 4}), FC_IN);
    EXPECT_EQ(ok.logits, (std::vector<int32_t>{nx::ACC_MAX, 14, nx::ACC_MIN}));
    EXPECT_FALSE(ok.f.acc_saturated);
}

TEST(HandNetwork, ConvSaturationSetsTheFlag) {
    // Identity conv with bias 2^23 - 1: t = x + 8388607 saturates for x >= 1 only.
    nx::layer_params c = conv_layer(1, 1, 2, 8, 1, 1, 1, 0, 1, 1, 3, 21, false);
    c.weights = {1};
    c.bias = {nx::ACC_MAX};
    // x = 0: t = 8388607 -> (8388607 + 2^20) >> 21 = 4, no flag.
    nx::inference_result r = run_both(make_net(1, 1, 2, {c}), {0, 0});
    EXPECT_EQ(r.output, (std::vector<uint8_t>{4, 4}));
    EXPECT_FALSE(r.f.acc_saturated);
    r = run_both(make_net(1, 1, 2, {c}), {0, 255});
    EXPECT_EQ(r.output, (std::vector<uint8_t>{4, 4}));
    EXPECT_TRUE(r.f.acc_saturated);
}

TEST(HandNetwork, CompressionCodePacking3Bit) {
    // Identity conv, 3-bit outputs: the code is the input clipped to 0..7, packed 3 bits each.
    // 1..7,0 -> 0x1F58D1 = D1 58 1F.
    nx::layer_params c = conv_layer(1, 1, 8, 8, 1, 1, 1, 0, 1, 1, 3, 0, false);
    c.weights = {1};
    const nx::network n = make_net(1, 1, 8, {c});
    EXPECT_FALSE(n.shape.classify);
    const nx::inference_result r = run_both(n, {1, 2, 3, 4, 5, 6, 7, 0});
    EXPECT_EQ(r.output, (std::vector<uint8_t>{1, 2, 3, 4, 5, 6, 7, 0}));
    EXPECT_EQ(nx::pack_values(r.output, 3), (std::vector<uint8_t>{0xD1, 0x58, 0x1F}));
}

TEST(HandNetwork, CompressionCodePackingBinary) {
    // A = 1: 5 -> 1 (clip), 0 -> 0: codes 1 0 1 1 0 0 0 1 | 1 0 -> 0x8D 0x01.
    nx::layer_params c = conv_layer(1, 1, 10, 8, 1, 1, 1, 0, 1, 1, 1, 0, false);
    c.weights = {1};
    const nx::inference_result r = run_both(make_net(1, 1, 10, {c}), {5, 0, 1, 200, 0, 0, 0, 1, 9, 0});
    EXPECT_EQ(r.output, (std::vector<uint8_t>{1, 0, 1, 1, 0, 0, 0, 1, 1, 0}));
    EXPECT_EQ(nx::pack_values(r.output, 1), (std::vector<uint8_t>{0x8D, 0x01}));
}

TEST(HandNetwork, CompressionCodeIsChannelMajor) {
    // 1x1x2 input [1, 0] -> 2 channels, w = [1, 2], A = 2: ch0 = 1 0, ch1 = 2 0.
    // CHW code = 1, 0, 2, 0 -> 1 | 2<<4 = 0x21.
    nx::layer_params c = conv_layer(1, 1, 2, 8, 2, 1, 1, 0, 1, 3, 2, 0, false);
    c.weights = {1, 2};
    const nx::inference_result r = run_both(make_net(1, 1, 2, {c}), {1, 0});
    EXPECT_EQ(r.output, (std::vector<uint8_t>{1, 0, 2, 0}));
    EXPECT_EQ(nx::pack_values(r.output, 2), (std::vector<uint8_t>{0x21}));
}

TEST(HandNetwork, TwoLayerChain) {
    // Layer 0: 1x2x2 -> 1 channel, 1x1, w = +1, shift 6, 2-bit:   y = clamp((x + 32) >> 6, 0, 3)
    //   x = 0, 40, 100, 255 -> (32, 72, 132, 287) >> 6 = 0, 1, 2, 4->3
    // Layer 1: 2-bit input, 1x1, w = -1, bias 3, shift 0, 2-bit out: y = clamp(3 - x) = 3, 2, 1, 0
    nx::layer_params a = conv_layer(1, 2, 2, 8, 1, 1, 1, 0, 1, 1, 2, 6, false);
    a.weights = {1};
    nx::layer_params b = conv_layer(1, 2, 2, 2, 1, 1, 1, 0, 1, 2, 2, 0, false);
    b.weights = {-1};
    b.bias = {3};
    const nx::inference_result r = run_both(make_net(1, 2, 2, {a, b}), {0, 40, 100, 255});
    EXPECT_EQ(r.output, (std::vector<uint8_t>{3, 2, 1, 0}));
}

}  // namespace

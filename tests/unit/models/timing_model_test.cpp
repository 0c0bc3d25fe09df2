// The encoder's timing/traffic/energy model (models/encoder/timing_model.*), against numbers
// worked out by hand from its definition:
//   passes   = ceil(in_bits / act_bits_per_pass)
//   compute  = ceil(macs * passes / (mac_lanes * macs_per_lane[W]))   (+ ceil(C*H*W / lanes) for fc)
//   weights  = ceil((weight_bits + bias_bits) / (word_bits * banks))
//   act      = ceil((in_elems * in_bits + out_elems * A) / (act_ports * act_port_bits))  (fc writes 32-bit logits)
//   cycles   = layer_setup + max(compute, weights, act); run = start + sum of layers
// Defaults: 64 lanes, {4, 2, 1} MACs per lane for W = {1, 2, 3}, 3-bit passes, 2 x 64-bit activation
// ports (128 bits/cycle), 64 setup cycles per layer, 32 start cycles; SRAM 64-bit words x 2 banks.
#include <gtest/gtest.h>

#include "encoder/timing_model.h"

namespace encvp {
namespace {

nx::layer_desc conv(unsigned in_c, unsigned hw, unsigned in_bits, unsigned out_c, unsigned k, unsigned s, unsigned p,
                    unsigned g, unsigned w_bits, unsigned a_bits, unsigned b_bits, bool pool) {
    nx::layer_desc d;
    d.type = nx::layer_type::conv;
    d.in_c = in_c, d.in_h = hw, d.in_w = hw, d.in_bits = in_bits, d.out_c = out_c;
    d.kernel = k, d.stride = s, d.pad = p, d.groups = g;
    d.w_bits = w_bits, d.a_bits = a_bits, d.b_bits = b_bits, d.pool = pool;
    return d;
}

nx::layer_desc fc(unsigned in_c, unsigned hw, unsigned in_bits, unsigned classes, unsigned w_bits, unsigned b_bits) {
    nx::layer_desc d;
    d.type = nx::layer_type::fc;
    d.in_c = in_c, d.in_h = hw, d.in_w = hw, d.in_bits = in_bits, d.out_c = classes;
    d.w_bits = w_bits, d.b_bits = b_bits;
    return d;
}

// A: first layer, 3x32x32 8-bit pixels -> 16 channels, 3x3/s1/p1, ternary weights, 2-bit activations.
const nx::layer_desc A = conv(3, 32, 8, 16, 3, 1, 1, 1, 2, 2, 16, false);
// B: 16x32x32 2-bit -> 32 channels, 3x3/s2/p1, 4 groups, binary weights, 3-bit activations, 2x2 pool.
const nx::layer_desc B = conv(16, 32, 2, 32, 3, 2, 1, 4, 1, 3, 12, true);
// C: fc head on 32x8x8 3-bit activations, 10 classes, quinary weights, 10-bit biases.
const nx::layer_desc C = fc(32, 8, 3, 10, 3, 10);
// D: 1x1 conv on 64x1x1 3-bit, 64 outputs, quinary weights, 24-bit biases: many weights, little work.
const nx::layer_desc D = conv(64, 1, 3, 64, 1, 1, 0, 1, 3, 2, 24, false);

TEST(timing_model, FirstConvLayerIsComputeBoundWithBitSerialPixels) {
    const layer_estimate e = estimate_layer(A, true, false, encoder_config(), sram_port());
    EXPECT_EQ(e.kind, "conv3x3/s1");
    EXPECT_EQ(e.macs, 442368u);                // 32*32 positions x 16 outputs x 27 (3x3x3)
    EXPECT_EQ(e.passes, 3u);                   // 8-bit pixels in 3-bit passes
    EXPECT_EQ(e.compute_cycles, 10368u);       // 442368*3 / (64 lanes x 2 MACs)
    EXPECT_EQ(e.weight_bits, 1120u);           // 16*27*2 weight bits + 16*16 bias bits
    EXPECT_EQ(e.weight_read_cycles, 9u);       // ceil(1120 / 128)
    EXPECT_EQ(e.act_read_bits, 24576u);        // 3*32*32*8
    EXPECT_EQ(e.act_write_bits, 32768u);       // 16*32*32*2
    EXPECT_EQ(e.act_cycles, 448u);             // 57344 / 128
    EXPECT_EQ(e.act_peak_bits, 32768u);        // first layer: input lives in the input buffer
    EXPECT_EQ(e.setup_cycles, 64u);
    EXPECT_EQ(e.cycles, 10432u);               // 64 + 10368
    EXPECT_EQ(e.stall_cycles, 0u);
    EXPECT_NEAR(e.utilization, 1327104.0 / (128.0 * 10432.0), 1e-12);
    EXPECT_NEAR(e.energy_mac_pj, 442368 * 0.30, 1e-6);  // wide (8-bit) inputs
    EXPECT_NEAR(e.energy_sram_pj, 1120 * 0.08, 1e-9);
    EXPECT_NEAR(e.energy_act_pj, 24576 * 0.03 + 32768 * 0.03, 1e-9);
    EXPECT_NEAR(e.energy_pj(), 132710.4 + 89.6 + 1720.32, 1e-6);
}

TEST(timing_model, GroupedStridedPooledConv) {
    const layer_estimate e = estimate_layer(B, false, false, encoder_config(), sram_port());
    EXPECT_EQ(e.kind, "conv3x3/s2/g4+pool");
    EXPECT_EQ(e.macs, 294912u);             // 16*16 positions (stride 2) x 32 outputs x 36 (3x3x16/4)
    EXPECT_EQ(e.passes, 1u);
    EXPECT_EQ(e.compute_cycles, 1152u);     // / (64 lanes x 4 binary MACs)
    EXPECT_EQ(e.weight_bits, 1536u);        // 32*36*1 + 32*12
    EXPECT_EQ(e.weight_read_cycles, 12u);
    EXPECT_EQ(e.act_read_bits, 32768u);     // 16*32*32*2
    EXPECT_EQ(e.act_write_bits, 6144u);     // 32*8*8*3 after the pool
    EXPECT_EQ(e.act_cycles, 304u);          // 38912 / 128
    EXPECT_EQ(e.act_peak_bits, 38912u);     // input and output both in the activation buffer
    EXPECT_EQ(e.cycles, 1216u);
    EXPECT_EQ(e.stall_cycles, 0u);
    EXPECT_NEAR(e.energy_mac_pj, 294912 * 0.05, 1e-6);
    EXPECT_NEAR(e.energy_act_pj, 38912 * 0.03, 1e-9);
}

TEST(timing_model, FcHeadIsBoundByActivationTraffic) {
    const layer_estimate e = estimate_layer(C, false, true, encoder_config(), sram_port());
    EXPECT_EQ(e.kind, "fc");
    EXPECT_EQ(e.macs, 320u);                // 10 x 32
    EXPECT_EQ(e.compute_cycles, 37u);       // ceil(320/64) + ceil(2048 sum-pool additions / 64)
    EXPECT_EQ(e.weight_bits, 1060u);        // 320*3 + 10*10
    EXPECT_EQ(e.weight_read_cycles, 9u);    // ceil(1060/128)
    EXPECT_EQ(e.act_read_bits, 6144u);      // 32*8*8*3
    EXPECT_EQ(e.act_write_bits, 320u);      // 10 logits x 32 bits
    EXPECT_EQ(e.act_cycles, 51u);           // ceil(6464/128)
    EXPECT_EQ(e.act_peak_bits, 6144u);      // last layer: output goes to the output buffer
    EXPECT_EQ(e.cycles, 115u);              // 64 + 51
    EXPECT_EQ(e.stall_cycles, 14u);         // 51 - 37
    EXPECT_NEAR(e.utilization, 320.0 / (64.0 * 115.0), 1e-12);
    EXPECT_NEAR(e.energy_mac_pj, 320 * 0.12, 1e-9);
    EXPECT_NEAR(e.energy_act_pj, 6144 * 0.03 + 320 * 0.03, 1e-9);
}

TEST(timing_model, PointwiseLayerIsBoundByWeightReads) {
    layer_estimate e = estimate_layer(D, false, false, encoder_config(), sram_port());
    EXPECT_EQ(e.kind, "conv1x1/s1");
    EXPECT_EQ(e.macs, 4096u);
    EXPECT_EQ(e.compute_cycles, 64u);          // 4096 / (64 lanes x 1 quinary MAC)
    EXPECT_EQ(e.weight_bits, 13824u);          // 64*64*3 + 64*24
    EXPECT_EQ(e.weight_read_cycles, 108u);     // 13824 / 128
    EXPECT_EQ(e.act_cycles, 3u);               // ceil((192 + 128) / 128)
    EXPECT_EQ(e.cycles, 172u);
    EXPECT_EQ(e.stall_cycles, 44u);
    // A narrower SRAM port (one 32-bit bank) makes it four times slower.
    sram_port narrow;
    narrow.word_bits = 32;
    narrow.banks = 1;
    e = estimate_layer(D, false, false, encoder_config(), narrow);
    EXPECT_EQ(e.weight_read_cycles, 432u);
    EXPECT_EQ(e.cycles, 496u);
    EXPECT_EQ(e.stall_cycles, 368u);
}

TEST(timing_model, ParametersChangeTheEstimateAsDefined) {
    encoder_config half;
    half.mac_lanes = 32;
    EXPECT_EQ(estimate_layer(A, true, false, half, sram_port()).compute_cycles, 20736u);
    encoder_config wide;
    wide.act_bits_per_pass = 8;  // 8-bit pixels in one pass, at the ordinary ternary MAC energy
    const layer_estimate e = estimate_layer(A, true, false, wide, sram_port());
    EXPECT_EQ(e.passes, 1u);
    EXPECT_EQ(e.compute_cycles, 3456u);
    EXPECT_NEAR(e.energy_mac_pj, 442368 * 0.08, 1e-6);
    encoder_config setup;
    setup.layer_setup_cycles = 10;
    EXPECT_EQ(estimate_layer(C, false, true, setup, sram_port()).cycles, 61u);
    // Where the layer sits changes what its feature maps occupy.
    EXPECT_EQ(estimate_layer(B, true, true, encoder_config(), sram_port()).act_peak_bits, 0u);
    EXPECT_EQ(estimate_layer(B, true, false, encoder_config(), sram_port()).act_peak_bits, 6144u);
    EXPECT_EQ(estimate_layer(B, false, true, encoder_config(), sram_port()).act_peak_bits, 32768u);
}

TEST(timing_model, RunIsStartCyclesPlusItsLayers) {
    const run_estimate r = estimate_run({A, B, C}, encoder_config(), sram_port());
    ASSERT_EQ(r.layers.size(), 3u);
    EXPECT_EQ(r.start_cycles, 32u);
    EXPECT_EQ(r.cycles, 32u + 10432u + 1216u + 115u);  // 11795
    EXPECT_EQ(r.macs, 442368u + 294912u + 320u);
    EXPECT_EQ(r.act_peak_bits, 38912u);
    // first/last are derived from the position in the run.
    EXPECT_EQ(r.layers[0].act_peak_bits, 32768u);
    EXPECT_EQ(r.layers[2].act_peak_bits, 6144u);
    const double energy = (132710.4 + 89.6 + 1720.32) + (294912 * 0.05 + 1536 * 0.08 + 38912 * 0.03) +
                          (320 * 0.12 + 1060 * 0.08 + 6464 * 0.03);
    EXPECT_NEAR(r.dynamic_energy_pj, energy, 1e-6);

    const run_estimate empty = estimate_run({}, encoder_config(), sram_port());
    EXPECT_EQ(empty.cycles, 32u);
    EXPECT_EQ(empty.macs, 0u);
}

}  // namespace
}  // namespace encvp

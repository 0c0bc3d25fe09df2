// The estimates (platform/estimate.*) against numbers worked out by hand from
// docs/estimation-model.md, and measured on the platform: the timing-only mode reports the same
// times as the full simulation, and the timeline is well-formed JSON with the expected tracks.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include <gtest/gtest.h>

#include "common/timeline.h"
#include "compiler/compiler.h"
#include "estimate.h"
#include "explore.h"
#include "netfile/netfile.h"
#include "sc_test.h"
#include "session.h"

namespace encvp {
namespace {

// Hand-made network (all weights zero; geometry is what matters):
//   L0 conv 3x8x8 8-bit -> 4 channels, 3x3/s1/p1, ternary weights (W=2), 2-bit activations, 16-bit biases
//   L1 fc on 4x8x8 2-bit -> 3 classes, binary weights (W=1), 16-bit biases
network_file small_network() {
    nx::network n;
    n.shape.in_c = 3, n.shape.in_h = 8, n.shape.in_w = 8;
    n.shape.classify = true;
    nx::layer_params c;
    c.d.type = nx::layer_type::conv;
    c.d.in_c = 3, c.d.in_h = 8, c.d.in_w = 8, c.d.in_bits = 8, c.d.out_c = 4;
    c.d.kernel = 3, c.d.stride = 1, c.d.pad = 1, c.d.groups = 1, c.d.pool = false;
    c.d.w_bits = 2, c.d.a_bits = 2, c.d.b_bits = 16, c.d.shift = 4;
    c.weights.assign(c.d.n_weights(), 0);
    c.bias.assign(4, 0);
    nx::layer_params f;
    f.d.type = nx::layer_type::fc;
    f.d.in_c = 4, f.d.in_h = 8, f.d.in_w = 8, f.d.in_bits = 2, f.d.out_c = 3;
    f.d.w_bits = 1, f.d.b_bits = 16;
    f.weights.assign(f.d.n_weights(), 1);
    f.bias = {5, -3, 7};  // the conv layer's outputs are all 0: the logits are the biases
    n.shape.layers = {c.d, f.d};
    n.layers = {c, f};
    network_file file = make_network_file(n, "small", {"a", "b", "c"}, nlohmann::json::object());
    return parse_network_file(serialize_network_file(file), "small network");
}

platform_config small_config() {
    platform_config cfg;  // defaults: 200 MHz, SRAM 64-bit x 2 banks, act ports 2 x 64 bits, 64 setup, 32 start
    cfg.encoder.mac_lanes = 8;
    return cfg;
}

TEST(estimate, layers_memory_and_energy_match_the_hand_calculation) {
    const network_file net = small_network();
    const platform_config cfg = small_config();
    const compiled_network comp = compile_network(net, cfg.sram_size_bits);
    const estimate_report r = make_estimate(cfg, net, comp, {});
    ASSERT_EQ(r.layers.size(), 2u);

    // L0: MACs 8*8 positions x 4 outputs x 27 = 6912; 8-bit pixels in 3-bit passes: 3;
    // compute ceil(6912*3 / (8 lanes x 2 ternary MACs)) = 1296; weights 4*27*2 + 4*16 = 280 bits
    // -> ceil(280/128) = 3 cycles; activations 3*64*8 + 4*64*2 = 2048 bits -> 16 cycles.
    const layer_report& a = r.layers[0];
    EXPECT_EQ(a.e.macs, 6912u);
    EXPECT_EQ(a.e.compute_cycles, 1296u);
    EXPECT_EQ(a.e.weight_read_cycles, 3u);
    EXPECT_EQ(a.e.act_cycles, 16u);
    EXPECT_EQ(a.e.cycles, 1360u);
    EXPECT_EQ(a.bound, "compute");
    EXPECT_NEAR(a.latency_s, 1360 / 200e6, 1e-15);
    EXPECT_NEAR(a.setup_s + a.compute_s + a.weight_stall_s + a.act_stall_s, a.latency_s, 1e-15);
    // Energy: wide-input MACs 6912 x 0.30; SRAM 280 x 0.08; input buffer 1536 x 0.03 + activations 512 x 0.03.
    EXPECT_NEAR(a.e.energy_mac_pj, 2073.6, 1e-9);
    EXPECT_NEAR(a.e.energy_sram_pj, 22.4, 1e-9);
    EXPECT_NEAR(a.e.energy_act_pj, 61.44, 1e-9);
    EXPECT_EQ(a.budget.weight_bits, 216u);
    EXPECT_EQ(a.budget.bias_bits, 64u);

    // L1 (fc after the global sum pool): MACs 4 channels x 3 classes = 12; compute
    // ceil(12 / (8 x 4 binary MACs)) + ceil(256 / 8) pool additions = 1 + 32; weights 12 + 48 = 60
    // bits -> 1 cycle; activations 512 + 3 x 32 = 608 bits -> 5 cycles.
    const layer_report& b = r.layers[1];
    EXPECT_EQ(b.e.macs, 12u);
    EXPECT_EQ(b.e.compute_cycles, 33u);
    EXPECT_EQ(b.e.weight_read_cycles, 1u);
    EXPECT_EQ(b.e.act_cycles, 5u);
    EXPECT_EQ(b.e.cycles, 97u);
    EXPECT_NEAR(b.e.energy_mac_pj, 0.6, 1e-9);
    EXPECT_NEAR(b.e.energy_sram_pj, 4.8, 1e-9);
    EXPECT_NEAR(b.e.energy_act_pj, 18.24, 1e-9);  // 512 x 0.03 + 96 x 0.03 (logits to the output buffer)

    // Run: 32 + 1360 + 97 = 1489 cycles = 7.445 us at 200 MHz.
    EXPECT_EQ(r.encoder_cycles, 1489u);
    EXPECT_NEAR(r.encoder_s, 7.445e-6, 1e-15);
    EXPECT_FALSE(r.platform.measured);
    EXPECT_NEAR(r.latency_s, 7.445e-6, 1e-15);  // nothing measured: the encoder alone

    // Memory: weights + biases + 5-bit shifts = 285 + 65 = 350 bits; aligned image 224+64+32+64 = 384;
    // peak activations max(512 written by L0, 512 read by L1) = 512 bits.
    EXPECT_EQ(r.memory.weight_bits, 350u);
    EXPECT_EQ(r.memory.sram_image_bits, 384u);
    EXPECT_TRUE(r.memory.weights_fit);
    EXPECT_EQ(r.memory.act_peak_bits, 512u);
    EXPECT_EQ(r.memory.act_buffer_bits, 262144u);
    // On chip: 1 Mbit SRAM + 32 KiB activations + 64 KiB input + 16 KiB output buffers.
    EXPECT_EQ(r.memory.on_chip_bits, 1048576u + 262144u + 524288u + 131072u);
    // Used: image + peak activations + two input slots (192 bytes) + two output slots (16 bytes).
    EXPECT_EQ(r.memory.on_chip_used_bits, 384u + 512u + 2 * 192 * 8 + 2 * 16 * 8);

    // Energy per image: encoder 2157.44 + 23.64 pJ; static (1.2 mW + 8 lanes x 10 uW +
    // 1966080 bits x 100 pW = 1.476608 mW) x 7.445 us = 10993.34656 pJ.
    EXPECT_NEAR(r.energy.encoder_pj, 2181.08, 1e-9);
    EXPECT_NEAR(r.energy.static_w, 1.476608e-3, 1e-15);
    EXPECT_NEAR(r.energy.static_pj, 10993.34656, 1e-6);
    EXPECT_NEAR(r.energy.transfer_pj, 0, 1e-12);
    EXPECT_NEAR(r.energy.total_pj, 2181.08 + 10993.34656, 1e-6);
    EXPECT_EQ(r.mac_units, 8u);
    // Utilization, cycle-weighted: (6912*3/(16*1360) * 1360 + 12/(32*97) * 97) / 1457.
    EXPECT_NEAR(r.mac_utilization, (6912.0 * 3 / 16 + 12.0 / 32) / 1457.0, 1e-12);
}

TEST(estimate, csv_has_units_in_the_header_and_a_total_row_that_sums_the_rows) {
    const network_file net = small_network();
    const platform_config cfg = small_config();
    const compiled_network comp = compile_network(net, cfg.sram_size_bits);
    std::ostringstream os;
    write_estimate_csv(os, make_estimate(cfg, net, comp, {}));
    const table t = parse_csv(os.str(), "estimate csv");
    ASSERT_EQ(t.rows.size(), 5u);  // 2 layers, encoder start, static, total (no platform row: nothing measured)
    EXPECT_EQ(t.rows[2][0], "start");
    EXPECT_EQ(t.rows[3][0], "static");
    EXPECT_EQ(t.rows[4][0], "total");
    for (const char* c : {"latency_us", "energy_pj", "cycles", "sram_read_bits", "energy_mac_pj"})
        EXPECT_GE(t.column(c), 0) << c;
    auto val = [&](std::size_t row, const char* col) {
        const std::string& s = t.rows[row][std::size_t(t.column(col))];
        return s.empty() ? 0.0 : std::stod(s);
    };
    EXPECT_DOUBLE_EQ(val(4, "cycles"), 1489);  // 1360 + 97 + 32 start cycles
    EXPECT_NEAR(val(4, "latency_us"), 7.445, 1e-9);
    EXPECT_NEAR(val(4, "energy_pj"), 2181.08 + 10993.34656, 1e-3);  // the CSV keeps 4 decimals
    for (const char* col : {"cycles", "latency_us", "energy_pj", "energy_mac_pj", "sram_read_bits", "macs"}) {
        double sum = 0;
        for (std::size_t r = 0; r + 1 < t.rows.size(); ++r) sum += val(r, col);
        EXPECT_NEAR(val(4, col), sum, 1e-6 * std::max(1.0, sum)) << col;
    }
    EXPECT_DOUBLE_EQ(val(4, "act_peak_bits"), 512);  // the peak is a maximum, not a sum
}

// Counters as soc::stats() writes them.
nlohmann::json counters(double enc_cycles, double dma0_s, double dma0_b, double dma1_s, double dma1_b, double wfi_s,
                        double dram_b, double bus_b, double in_buf_w, double sram_w) {
    nlohmann::json j;
    j["encoder"] = {{"cycles", enc_cycles}, {"in_buf_bytes_written", in_buf_w}, {"out_buf_bytes_read", 0}};
    j["dma"]["channels"] = nlohmann::json::array({{{"busy_seconds", dma0_s}, {"bytes", dma0_b}},
                                                  {{"busy_seconds", dma1_s}, {"bytes", dma1_b}}});
    j["cpu"] = {{"wfi_seconds", wfi_s}, {"dmi_accesses", 0}};
    j["dram"] = {{"bytes_read", dram_b}, {"bytes_written", 0}};
    j["bus"]["targets"] = {{"dram", {{"bytes", bus_b}}}};
    j["sram"] = {{"bits_written", sram_w}};
    return j;
}

TEST(estimate, platform_split_and_energy_from_counters_by_hand) {
    const network_file net = small_network();
    platform_config cfg = small_config();
    const compiled_network comp = compile_network(net, cfg.sram_size_bits);
    // 5 images: first START at 20 us, last at 60 us (4 whole periods of 10 us), end at 70 us.
    nlohmann::json m;
    m["items"] = 5;
    m["first_start_s"] = 20e-6;
    m["last_start_s"] = 60e-6;
    m["end_s"] = 70e-6;
    m["at_first_start"] = counters(1512, 2e-6, 1000, 0, 0, 1e-6, 1000, 2000, 200, 1120);
    // In the window: 4 runs (4 x 1512 cycles), 4 input DMAs of 192 B taking 3 us each, 4 result DMAs
    // of 16 B taking 0.5 us, the CPU waited 30 us, DRAM moved 4 x 208 B, the bus 4 x 416 B, the
    // input buffer took 4 x 192 B.
    m["at_last_start"] = counters(5 * 1512, 14e-6, 1768, 2e-6, 64, 31e-6, 1832, 3664, 968, 1120);
    m["at_end"] = counters(5 * 1512, 17e-6, 1960, 2.5e-6, 80, 38e-6, 2040, 4080, 1160, 1120);
    const estimate_report r = make_estimate(cfg, net, comp, {m});
    const platform_report& p = r.platform;
    ASSERT_TRUE(p.measured);
    EXPECT_NEAR(p.item_s, 10e-6, 1e-15);           // (60 - 20) / 4
    EXPECT_NEAR(p.encoder_s, 7.56e-6, 1e-15);      // the counters say 4 x 1512 cycles over 4 periods
    EXPECT_NEAR(p.dma_in_s, 3e-6, 1e-15);
    EXPECT_NEAR(p.dma_out_s, 0.5e-6, 1e-15);
    EXPECT_NEAR(p.dma_in_bytes, 192, 1e-9);
    EXPECT_NEAR(p.cpu_wfi_s, 7.5e-6, 1e-15);       // 30 us / 4
    EXPECT_NEAR(p.cpu_busy_s, 2.5e-6, 1e-15);      // (40 - 30) / 4
    EXPECT_NEAR(p.overhead_s, 10e-6 - 7.56e-6, 1e-15);
    EXPECT_EQ(p.critical, "encoder");
    EXPECT_NEAR(p.overlap_s, 7.56e-6, 1e-15);
    EXPECT_NEAR(p.serial_s, 2.44e-6, 1e-15);
    EXPECT_NEAR(p.load_s, 20e-6, 1e-15);
    EXPECT_NEAR(r.latency_s, 10e-6, 1e-15);
    EXPECT_NEAR(r.throughput_per_s, 1e5, 1e-6);
    // Transfers per image: DRAM 208 B x 20 pJ + bus 416 B x 0.5 pJ + input buffer 192 B x 8 x 0.03 pJ.
    EXPECT_NEAR(r.energy.dram_pj, 4160, 1e-9);
    EXPECT_NEAR(r.energy.bus_pj, 208, 1e-9);
    EXPECT_NEAR(r.energy.io_transfer_pj, 46.08, 1e-9);
    EXPECT_NEAR(r.energy.static_pj, 1.476608e-3 * 10e-6 * 1e12, 1e-6);
    EXPECT_NEAR(r.energy.total_pj, 2181.08 + 4160 + 208 + 46.08 + 14766.08, 1e-6);
    // Task: 5 images of encoder energy, all traffic, the weight writes and static power over 70 us.
    EXPECT_NEAR(r.energy.task_encoder_pj, 5 * 2181.08, 1e-6);
    EXPECT_NEAR(r.energy.task_transfer_pj, 2040 * 20.0 + 4080 * 0.5 + 1160 * 8 * 0.03, 1e-6);
    EXPECT_NEAR(r.energy.task_sram_write_pj, 1120 * 0.10, 1e-9);
    EXPECT_NEAR(r.energy.task_static_pj, 1.476608e-3 * 70e-6 * 1e12, 1e-6);

    // The input DMA becomes the critical path when it is longer than the encoder.
    m["at_last_start"]["dma"]["channels"][0]["busy_seconds"] = 2e-6 + 4 * 9e-6;
    EXPECT_EQ(make_estimate(cfg, net, comp, {m}).platform.critical, "dma_in");
}

// ---- on the platform -------------------------------------------------------------------------

class estimate_platform_test : public test::sc_test {};

struct run_result {
    estimate_report est;
    double sim_seconds = 0;
    std::vector<std::vector<uint8_t>> outputs;
};

run_result classify_on_platform(const network_file& net, const platform_config& cfg, std::size_t n) {
    const compiled_network comp = compile_network(net, cfg.sram_size_bits);
    run_result rr;
    session s(cfg);
    stream_probe probe("probe", s.chip(), n);
    std::mt19937 rng(5);
    const inference_stats st = run_inference(
        s, comp, n, 256,
        [&](std::size_t, std::vector<uint8_t>& in) {
            in.resize(comp.in_bytes);
            for (auto& v : in) v = uint8_t(rng());
        },
        [&](const inference_record& r) { rr.outputs.push_back(r.output); });
    EXPECT_EQ(st.run.exit_code, 0) << st.run.fault;
    EXPECT_EQ(st.done, n);
    rr.sim_seconds = st.run.sim_seconds;
    rr.est = make_estimate(cfg, net, comp, {probe.measurement(n, st.run.sim_seconds)});
    return rr;
}

TEST_F(estimate_platform_test, timing_only_reports_the_same_times_as_the_full_simulation) {
    const network_file net = small_network();
    platform_config cfg = small_config();
    const run_result full = classify_on_platform(net, cfg, 6);
    cfg.encoder.timing_only = true;
    const run_result fast = classify_on_platform(net, cfg, 6);
    EXPECT_EQ(full.sim_seconds, fast.sim_seconds);
    const platform_report &a = full.est.platform, &b = fast.est.platform;
    ASSERT_TRUE(a.measured);
    EXPECT_EQ(a.item_s, b.item_s);
    EXPECT_EQ(a.encoder_s, b.encoder_s);
    EXPECT_EQ(a.dma_in_s, b.dma_in_s);
    EXPECT_EQ(a.dma_out_s, b.dma_out_s);
    EXPECT_EQ(a.cpu_busy_s, b.cpu_busy_s);
    EXPECT_EQ(a.load_s, b.load_s);
    EXPECT_EQ(full.est.energy.total_pj, fast.est.energy.total_pj);
    EXPECT_EQ(full.est.energy.task_total_pj, fast.est.energy.task_total_pj);
    // The measured encoder time is the model's, and the period holds it plus the serial work.
    EXPECT_NEAR(a.encoder_s, full.est.encoder_s, 1e-15);
    EXPECT_GT(a.item_s, a.encoder_s);
    EXPECT_GT(a.dma_in_s, 0);
    EXPECT_GT(a.dma_out_s, 0);
    // ... and the arithmetic really was skipped: the logits (the fc biases) are not zero in the
    // full run; in timing-only mode the encoder writes zeros.
    bool full_nonzero = false, fast_nonzero = false;
    for (const auto& o : full.outputs)
        for (uint8_t v : o) full_nonzero |= v != 0;
    for (const auto& o : fast.outputs)
        for (uint8_t v : o) fast_nonzero |= v != 0;
    EXPECT_TRUE(full_nonzero);
    EXPECT_FALSE(fast_nonzero);
}

TEST_F(estimate_platform_test, timeline_is_well_formed_json_with_the_expected_tracks) {
    const network_file net = small_network();
    const std::string path =
        (std::filesystem::temp_directory_path() / ("encvp_timeline_" + std::to_string(::getpid()) + ".json")).string();
    const std::size_t n = 3;
    {
        timeline tl(path);
        EXPECT_EQ(timeline::active(), &tl);
        classify_on_platform(net, small_config(), n);
        EXPECT_TRUE(tl.close());
        EXPECT_EQ(timeline::active(), nullptr);
    }
    std::ifstream in(path);
    ASSERT_TRUE(in.good());
    nlohmann::json j;
    ASSERT_NO_THROW(j = nlohmann::json::parse(in));
    std::filesystem::remove(path);
    ASSERT_TRUE(j.contains("traceEvents"));
    std::map<int, std::string> tracks;
    std::map<std::string, int> slices;
    std::map<std::string, double> busy;
    for (const auto& e : j["traceEvents"])
        if (e["ph"] == "M" && e["name"] == "thread_name") tracks[e["tid"].get<int>()] = e["args"]["name"];
    for (const auto& e : j["traceEvents"]) {
        if (e["ph"] != "X") continue;
        const std::string t = tracks.at(e["tid"].get<int>());
        EXPECT_GE(e["ts"].get<double>(), 0.0);
        EXPECT_GE(e["dur"].get<double>(), 0.0);
        ++slices[t];
        busy[t] += e["dur"].get<double>();
    }
    for (const char* t : {"cpu firmware", "encoder runs", "encoder layers", "dma ch0", "dma ch1", "irq encoder", "irq dma ch0",
                          "irq dma ch1"})
        EXPECT_GT(slices[t], 0) << t;
    EXPECT_EQ(slices["encoder runs"], int(n));
    EXPECT_EQ(slices["encoder layers"], int(2 * n));
    EXPECT_EQ(slices["dma ch0"], int(1 + n));  // the weight image, then one input per image
    EXPECT_EQ(slices["dma ch1"], int(n));      // one result per image
    // Each run is its start cycles plus its layers: 1489 = 32 + 1457 cycles at 200 MHz (5 ns).
    EXPECT_NEAR(busy["encoder runs"], n * 1489 * 0.005, 1e-6);
    EXPECT_NEAR(busy["encoder layers"], n * 1457 * 0.005, 1e-6);
}

TEST(timeline, refuses_a_second_recorder_and_an_unwritable_file) {
    EXPECT_THROW(timeline("/nonexistent-dir/x.json"), std::runtime_error);
    const std::string path = (std::filesystem::temp_directory_path() / "encvp_timeline_twice.json").string();
    {
        timeline a(path);
        try {
            timeline b(path + "2");
            FAIL() << "a second active timeline was accepted";
        } catch (const std::runtime_error& e) {
            EXPECT_NE(std::string(e.what()).find("another timeline"), std::string::npos) << e.what();
        }
        const unsigned t = a.track("x \"quoted\"", 1);
        a.slice(t, "s\\1", 1e-6, 2e-6, {{"n", 3.0}, {"text", std::string("a\"b")}});
        a.instant(t, "i", 1.5e-6);
    }
    std::ifstream in(path);
    const nlohmann::json j = nlohmann::json::parse(in);
    std::filesystem::remove(path);
    bool found = false;
    for (const auto& e : j["traceEvents"])
        if (e["ph"] == "X") {
            found = true;
            EXPECT_EQ(e["name"], "s\\1");
            EXPECT_DOUBLE_EQ(e["ts"].get<double>(), 1.0);
            EXPECT_DOUBLE_EQ(e["dur"].get<double>(), 1.0);
            EXPECT_EQ(e["args"]["text"], "a\"b");
        }
    EXPECT_TRUE(found);
}

}  // namespace
}  // namespace encvp

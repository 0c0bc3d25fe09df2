// Integration tests: the real firmware on the assembled platform.
#include <cstdio>
#include <fstream>
#include <cstring>
#include <map>
#include <random>

#include <gtest/gtest.h>

#include "compiler/compiler.h"
#include "encvp_boot.h"
#include "encvp_regs.h"
#include "golden/golden.h"
#include "netfile/netfile.h"
#include "sc_test.h"
#include "session.h"
#include "verify/random_network.h"

namespace encvp {
namespace {

class platform_test : public test::sc_test {};

network_file file_for(const nx::network& net) {
    network_file f = make_network_file(net, "test", {}, nlohmann::json::object());
    if (net.shape.classify)
        for (unsigned c = 0; c < net.layers.back().d.out_c; ++c) f.classes.push_back("c" + std::to_string(c));
    return parse_network_file(serialize_network_file(f), "test network");
}

TEST_F(platform_test, demo_moves_a_2d_region_takes_the_interrupt_and_passes) {
    session s{platform_config()};
    demo_job job;
    job.frame_width = 300, job.frame_height = 77, job.x = 13, job.y = 5, job.width = 129, job.height = 31;
    const demo_result r = run_demo(s, job);
    EXPECT_TRUE(r.run.exited);
    EXPECT_EQ(r.run.exit_code, 0) << r.run.fault;
    EXPECT_EQ(r.job_status, JOB_OK);
    EXPECT_TRUE(r.region_matches);
    EXPECT_EQ(r.checksum, r.expected_checksum);
    EXPECT_GT(r.transfer_cycles, 0u);
    const nlohmann::json rep = s.report(r.run);
    EXPECT_GE(rep["models"]["dma"]["channels"][0]["bytes"].get<uint64_t>(), uint64_t(129) * 31);
    EXPECT_GE(rep["models"]["intc"]["interrupts_raised"]["0"].get<uint64_t>(), 1u);
    EXPECT_GE(rep["models"]["cpu"]["interrupts_taken"].get<uint64_t>(), 1u);
}

TEST_F(platform_test, firmware_reports_a_dma_bus_error_and_exits_with_its_code) {
    session s{platform_config()};
    soc& chip = s.chip();
    const uint64_t jb = s.dram_base() + dram_layout::JOB;
    chip.dram_write32(jb + JOB_COMMAND, JOB_CMD_DEMO);
    chip.dram_write32(jb + DEMO_FRAME, uint32_t(s.dram_base() + 0x10000));
    chip.dram_write32(jb + DEMO_PITCH, 64);
    chip.dram_write32(jb + DEMO_X, 0);
    chip.dram_write32(jb + DEMO_Y, 0);
    chip.dram_write32(jb + DEMO_WIDTH, 16);
    chip.dram_write32(jb + DEMO_HEIGHT, 4);
    chip.dram_write32(jb + DEMO_DST, 0x00001000);  // nothing is mapped there
    const run_outcome r = s.run(nullptr);
    EXPECT_TRUE(r.exited);
    EXPECT_EQ(r.exit_code, int(JOB_ERR_DMA));
    EXPECT_EQ(chip.dram_read32(jb + JOB_STATUS), JOB_ERR_DMA);
    EXPECT_EQ(chip.dram_read32(jb + JOB_DETAIL), DMA_ERR_WRITE);
    EXPECT_EQ(chip.dma0.chan(0).err_addr.get(), 0x1000u);
}

TEST_F(platform_test, unknown_job_command_ends_with_bad_command) {
    session s{platform_config()};
    s.chip().dram_write32(s.dram_base() + dram_layout::JOB + JOB_COMMAND, 77);
    const run_outcome r = s.run(nullptr);
    EXPECT_EQ(r.exit_code, int(JOB_ERR_BAD_COMMAND));
    EXPECT_NE(s.chip().sys.console_output().find("unknown job command 77"), std::string::npos);
}

TEST_F(platform_test, firmware_bus_error_halts_the_core_with_the_address) {
    platform_config cfg;
    session s{cfg};
    // Corrupt the boot block: the DMA base points into a hole of the address map.
    s.chip().dram_write32(s.dram_base() + BOOT_DMA_BASE, 0x30000000);
    s.chip().dram_write32(s.dram_base() + dram_layout::JOB + JOB_COMMAND, JOB_CMD_DEMO);
    const run_outcome r = s.run(nullptr);
    EXPECT_EQ(r.exit_code, cpu_stub::EXIT_BUS_FAULT);
    EXPECT_NE(r.fault.find("0x30000000"), std::string::npos) << r.fault;
}

// Streams inputs of random networks through the firmware in several batches; results must equal
// the golden model, in order, for both tasks.
void check_inference(unsigned index, std::size_t count, std::size_t batch) {
    std::mt19937 rng(1234 + index);
    std::string desc;
    const nx::network net = make_random_network(index, rng, desc);
    const network_file f = file_for(net);
    const compiled_network comp = compile_network(f, 1u << 20);
    golden_model gold(f);
    std::vector<std::vector<uint8_t>> in(count);
    for (auto& v : in) {
        v.resize(std::size_t(net.shape.in_c) * net.shape.in_h * net.shape.in_w);
        for (auto& p : v) p = uint8_t(rng());
    }
    session s{platform_config()};
    std::size_t seen = 0;
    const inference_stats st = run_inference(
        s, comp, count, batch, [&](std::size_t i, std::vector<uint8_t>& out) { out = in[i]; },
        [&](const inference_record& r) {
            ASSERT_EQ(r.index, seen) << desc;
            ++seen;
            EXPECT_EQ(r.status, 0u);
            nx::inference_result g;
            gold.run(in[r.index].data(), g);
            if (net.shape.classify) {
                std::vector<int32_t> logits;
                int cls = -1;
                decode_logits(r.output, unsigned(g.logits.size()), logits, cls);
                EXPECT_EQ(logits, g.logits) << desc << " input " << r.index;
                EXPECT_EQ(cls, g.cls);
            } else {
                EXPECT_EQ(r.output, nx::pack_values(g.output, net.shape.layers.back().a_bits)) << desc;
            }
            EXPECT_GT(r.cycles, 0u);
        });
    EXPECT_EQ(st.run.exit_code, 0) << st.run.fault;
    EXPECT_EQ(st.job_status, JOB_OK);
    EXPECT_EQ(st.done, count);
    EXPECT_EQ(seen, count);
}

TEST_F(platform_test, classification_streamed_in_batches_matches_golden) { check_inference(0, 10, 3); }
TEST_F(platform_test, compression_network_matches_golden) { check_inference(216, 5, 5); }
TEST_F(platform_test, single_input_single_batch) { check_inference(77, 1, 256); }

TEST_F(platform_test, simulated_time_grows_with_the_number_of_inputs) {
    std::mt19937 rng(5);
    std::string desc;
    const nx::network net = make_random_network(13, rng, desc);
    const compiled_network comp = compile_network(file_for(net), 1u << 20);
    double t[2];
    const std::size_t counts[2] = {4, 16};
    for (int k = 0; k < 2; ++k) {
        if (k) fresh_simulation_kernel();
        session s{platform_config()};
        std::vector<uint8_t> in(std::size_t(net.shape.in_c) * net.shape.in_h * net.shape.in_w, 7);
        const inference_stats st = run_inference(
            s, comp, counts[k], 4, [&](std::size_t, std::vector<uint8_t>& out) { out = in; },
            [](const inference_record&) {});
        ASSERT_EQ(st.run.exit_code, 0);
        t[k] = st.run.sim_seconds;
    }
    // Per-input cost is constant: 4x the inputs takes 3x..5x the time (fixed setup included).
    EXPECT_GT(t[1], 3.0 * t[0] * 0.8);
    EXPECT_LT(t[1], 4.0 * t[0] * 1.25);
}

TEST_F(platform_test, vcd_waveform_is_written) {
    const std::string path = ::testing::TempDir() + "encvp_demo_test.vcd";
    {
        session s{platform_config(), path};
        const demo_result r = run_demo(s, demo_job());
        EXPECT_EQ(r.run.exit_code, 0);
    }
    std::ifstream in(path);
    ASSERT_TRUE(in.good()) << path;
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find("irq_dma_ch0"), std::string::npos);
    EXPECT_NE(text.find("dma_ch0_busy"), std::string::npos);
    std::remove(path.c_str());
}

}  // namespace
}  // namespace encvp

namespace encvp {
namespace {

// One platform run, three jobs: a classifier, a compression network, the classifier again. The
// firmware reloads weights and descriptors for each job; every result must equal the golden model.
TEST_F(platform_test, tasks_switch_at_run_time_without_restarting_the_platform) {
    std::mt19937 rng(99);
    std::string d1, d2;
    const nx::network cls_net = make_random_network(3, rng, d1);     // classify
    const nx::network cmp_net = make_random_network(219, rng, d2);   // compress
    ASSERT_TRUE(cls_net.shape.classify);
    ASSERT_FALSE(cmp_net.shape.classify);
    const compiled_network c1 = compile_network(file_for(cls_net), 1u << 20);
    const compiled_network c2 = compile_network(file_for(cmp_net), 1u << 20);
    golden_model g1(cls_net), g2(cmp_net);
    auto inputs = [&](const nx::network& n, std::size_t count) {
        std::vector<std::vector<uint8_t>> v(count);
        for (auto& x : v) {
            x.resize(std::size_t(n.shape.in_c) * n.shape.in_h * n.shape.in_w);
            for (auto& p : x) p = uint8_t(rng());
        }
        return v;
    };
    const auto in1 = inputs(cls_net, 4), in2 = inputs(cmp_net, 3);
    int mismatches = 0, results = 0;
    auto check = [&](golden_model& g, const nx::network& n, const std::vector<std::vector<uint8_t>>& in) {
        return [&, &in = in](const inference_record& r) {
            ++results;
            nx::inference_result e;
            g.run(in[r.index].data(), e);
            std::vector<uint8_t> expect;
            if (n.shape.classify) {
                for (int32_t l : e.logits)
                    for (int b = 0; b < 4; ++b) expect.push_back(uint8_t(uint32_t(l) >> (8 * b)));
                for (int b = 0; b < 4; ++b) expect.push_back(uint8_t(uint32_t(e.cls) >> (8 * b)));
            } else {
                expect = nx::pack_values(e.output, n.shape.layers.back().a_bits);
            }
            if (r.output != expect) ++mismatches;
        };
    };
    auto fetch = [](const std::vector<std::vector<uint8_t>>& in) {
        return [&in](std::size_t i, std::vector<uint8_t>& out) { out = in[i]; };
    };
    inference_job j1(c1, in1.size(), 2, fetch(in1), check(g1, cls_net, in1));
    inference_job j2(c2, in2.size(), 8, fetch(in2), check(g2, cmp_net, in2));
    inference_job j3(c1, in1.size(), 3, fetch(in1), check(g1, cls_net, in1));
    session s{platform_config()};
    const run_outcome r = s.run_jobs({&j1, &j2, &j3});
    EXPECT_EQ(r.exit_code, 0) << r.fault;
    EXPECT_EQ(j1.job_status, JOB_OK);
    EXPECT_EQ(j2.job_status, JOB_OK);
    EXPECT_EQ(j3.job_status, JOB_OK);
    EXPECT_EQ(results, 4 + 3 + 4);
    EXPECT_EQ(mismatches, 0);
    EXPECT_EQ(s.chip().enc.runs(), 11u);
}

}  // namespace
}  // namespace encvp

namespace encvp {
namespace {

// A 16x16-patch compression network: 3x16x16 -> conv k3 s1 (16x16x32) -> conv k3 s2 (8x8x16)
// -> conv k3 s2 (4x4x4, 1-bit code). The encoder's time (~55 us) dwarfs a patch's DMA.
nx::network patch_encoder(std::mt19937& rng) {
    nx::network net;
    net.shape.in_c = 3, net.shape.in_h = 16, net.shape.in_w = 16, net.shape.classify = false;
    unsigned c = 3, h = 16, w = 16, bits = 8;
    const unsigned outs[3] = {32, 16, 4}, abits[3] = {3, 3, 1}, strides[3] = {1, 2, 2};
    for (int i = 0; i < 3; ++i) {
        nx::layer_params p;
        p.d.in_c = c, p.d.in_h = h, p.d.in_w = w, p.d.in_bits = bits;
        p.d.out_c = outs[i], p.d.kernel = 3, p.d.stride = strides[i], p.d.pad = 1, p.d.w_bits = 2, p.d.a_bits = abits[i];
        fill_random_layer(p, rng);
        c = p.d.out_c, h = p.d.out_h(), w = p.d.out_w(), bits = p.d.a_bits;
        net.shape.layers.push_back(p.d);
        net.layers.push_back(p);
    }
    return net;
}

TEST_F(platform_test, compression_walks_the_frame_band_by_band_and_codes_match_golden) {
    std::mt19937 rng(2024);
    const nx::network net = patch_encoder(rng);
    const compiled_network comp = compile_network(file_for(net), 1u << 20);
    ASSERT_EQ(comp.out_bytes, 8u);  // 4x4x4 bits
    const unsigned P = 16, W = 80, H = 48, cols = W / P, bands = H / P;
    std::vector<uint8_t> frame(3 * W * H);  // planar
    for (auto& v : frame) v = uint8_t(rng());
    std::map<std::pair<unsigned, unsigned>, std::vector<uint8_t>> got;
    compress_job job(
        comp, W, bands, P,
        [&](unsigned k, std::vector<uint8_t>& band) {
            band.resize(3 * P * W);
            for (unsigned ch = 0; ch < 3; ++ch)
                std::memcpy(&band[ch * P * W], &frame[(ch * H + k * P) * W], P * W);
        },
        [&](unsigned k, unsigned col, const uint8_t* code, std::size_t n) { got[{k, col}].assign(code, code + n); });
    session s{platform_config()};
    const run_outcome r = s.run_jobs({&job});
    ASSERT_EQ(r.exit_code, 0) << r.fault;
    EXPECT_EQ(job.job_status, JOB_OK);
    EXPECT_EQ(job.patches, cols * bands);
    EXPECT_EQ(job.band_end_times.size(), bands);
    EXPECT_GT(job.encoder_cycles, 0u);
    golden_model g(net);
    for (unsigned k = 0; k < bands; ++k)
        for (unsigned col = 0; col < cols; ++col) {
            std::vector<uint8_t> patch(3 * P * P);
            for (unsigned ch = 0; ch < 3; ++ch)
                for (unsigned y = 0; y < P; ++y)
                    std::memcpy(&patch[(ch * P + y) * P], &frame[(ch * H + k * P + y) * W + col * P], P);
            nx::inference_result e;
            g.run(patch.data(), e);
            EXPECT_EQ((got[{k, col}]), nx::pack_values(e.output, 1)) << "band " << k << " patch " << col;
        }
    // Double buffering: the next patch's DMA overlaps the encoder, so a band takes about
    // cols x the encoder time (plus one patch's fetch and the code transfers), not cols x (both).
    const double enc = double(job.encoder_cycles) / 200e6;
    const double band_time = job.band_end_times[2] - job.band_end_times[1];
    EXPECT_GT(band_time, cols * enc);
    EXPECT_LT(band_time, cols * enc * 1.15);
}

}  // namespace
}  // namespace encvp

// The fast engine against the straightforward reference, bit for bit: random layers and
// networks over every combination of weight bits, activation bits, kernel, stride, padding,
// groups, pooling and task, many inputs each; plus engine life-cycle checks.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "numerics/engine.h"
#include "numerics/network.h"
#include "sw_test_util.h"
#include "verify/random_network.h"

namespace nx = encvp::nx;
using encvp::test::make_net;
using encvp::test::rand_int;
using encvp::test::rand_weight;

namespace {

std::string describe(const nx::network& n) {
    std::ostringstream os;
    os << "input " << n.shape.in_c << "x" << n.shape.in_h << "x" << n.shape.in_w << (n.shape.classify ? " classify" : " compress");
    for (const auto& p : n.layers) {
        const nx::layer_desc& d = p.d;
        if (d.type == nx::layer_type::fc) {
            os << " | fc " << d.in_c << "->" << d.out_c << " w" << d.w_bits;
        } else {
            os << " | conv " << d.in_c << "x" << d.in_h << "x" << d.in_w << "->" << d.out_c << " k" << d.kernel << " s" << d.stride
               << " p" << d.pad << " g" << d.groups << " w" << d.w_bits << " a" << d.a_bits << " in" << d.in_bits << " S"
               << d.shift << (d.pool ? " pool" : "");
        }
    }
    return os.str();
}

// Weights, biases and a shift that spreads the outputs over their range (an all-zero network
// verifies nothing). `saturating` pushes some biases to the 24-bit bounds.
void fill(nx::layer_params& p, std::mt19937& rng, bool saturating) {
    nx::layer_desc& d = p.d;
    p.weights.resize(d.n_weights());
    // Sometimes a sparse layer (many zeros) for ternary/quinary weights.
    const bool sparse = d.w_bits > 1 && rand_int(rng, 0, 3) == 0;
    for (auto& w : p.weights) w = (sparse && rand_int(rng, 0, 2)) ? 0 : rand_weight(rng, d.w_bits);
    const double mean_in = ((1 << d.in_bits) - 1) / 2.0;
    const int maxw = nx::max_abs_weight(d.w_bits);
    double spread = std::sqrt(double(d.fan_in())) * mean_in * (maxw + 1) / 2.0;
    if (d.type == nx::layer_type::fc) spread *= d.in_h * d.in_w;
    const int s = int(std::lround(std::log2(std::max(1.0, spread)))) - int(d.a_bits) + rand_int(rng, -1, 1);
    d.shift = d.type == nx::layer_type::fc ? 0 : unsigned(std::clamp(s, 0, 24));
    const int32_t range = int32_t(1) << std::min(20u, d.shift + 1);
    p.bias.resize(d.out_c);
    for (auto& b : p.bias) b = rand_int(rng, -range, range);
    if (saturating)
        for (auto& b : p.bias)
            if (rand_int(rng, 0, 1)) b = rand_int(rng, 0, 1) ? nx::ACC_MAX - rand_int(rng, 0, 50) : nx::ACC_MIN + rand_int(rng, 0, 50);
    unsigned need = 2;
    for (int32_t b : p.bias) need = std::max(need, nx::bits_for_signed(b));
    d.b_bits = need;
}

// A random conv layer on the given input with the given main parameters; padding, groups and
// channel counts are drawn.
nx::layer_params random_conv(std::mt19937& rng, unsigned in_c, unsigned in_h, unsigned in_w, unsigned in_bits, unsigned k,
                             unsigned stride, unsigned w_bits, unsigned a_bits, bool pool, bool saturating) {
    nx::layer_params p;
    nx::layer_desc& d = p.d;
    d.type = nx::layer_type::conv;
    d.in_c = in_c, d.in_h = in_h, d.in_w = in_w, d.in_bits = in_bits;
    d.kernel = k, d.stride = stride, d.w_bits = w_bits, d.a_bits = a_bits;
    d.pad = unsigned(rand_int(rng, 0, int(k / 2)));
    if (in_h + 2 * d.pad < k || in_w + 2 * d.pad < k) d.pad = k / 2;
    std::vector<unsigned> divisors;
    for (unsigned g = 1; g <= in_c; ++g)
        if (in_c % g == 0) divisors.push_back(g);
    d.groups = divisors[std::size_t(rand_int(rng, 0, int(divisors.size()) - 1))];
    if (d.groups == in_c && rand_int(rng, 0, 1)) d.out_c = in_c;  // depthwise
    else d.out_c = d.groups * unsigned(rand_int(rng, 1, std::max(1, 9 / int(d.groups))));
    d.pool = pool && d.conv_h() >= 2 && d.conv_w() >= 2;
    fill(p, rng, saturating);
    return p;
}

nx::layer_params random_fc(std::mt19937& rng, unsigned in_c, unsigned in_h, unsigned in_w, unsigned in_bits, bool saturating) {
    nx::layer_params p;
    nx::layer_desc& d = p.d;
    d.type = nx::layer_type::fc;
    d.in_c = in_c, d.in_h = in_h, d.in_w = in_w, d.in_bits = in_bits;
    d.out_c = unsigned(rand_int(rng, 1, 12));
    d.w_bits = unsigned(rand_int(rng, 1, 3));
    fill(p, rng, saturating);
    return p;
}

// A network whose first layer has the given parameters, followed by 0..2 random conv layers
// (any kernel, stride, pool) and, for classification, an fc head.
nx::network random_network(std::mt19937& rng, unsigned k, unsigned stride, unsigned w_bits, unsigned a_bits, bool pool,
                           bool classify, bool saturating = false) {
    const unsigned in_c = unsigned(rand_int(rng, 1, 6));
    const unsigned in_h = unsigned(rand_int(rng, 1, 13)), in_w = unsigned(rand_int(rng, 1, 13));
    std::vector<nx::layer_params> layers;
    layers.push_back(random_conv(rng, in_c, in_h, in_w, 8, k, stride, w_bits, a_bits, pool, saturating));
    const int extra = rand_int(rng, 0, 2);
    for (int i = 0; i < extra; ++i) {
        const nx::layer_desc& prev = layers.back().d;
        const unsigned kk = 1 + 2 * unsigned(rand_int(rng, 0, 3));
        layers.push_back(random_conv(rng, prev.out_c, prev.out_h(), prev.out_w(), prev.a_bits, kk, unsigned(rand_int(rng, 1, 2)),
                                     unsigned(rand_int(rng, 1, 3)), unsigned(rand_int(rng, 1, 3)), rand_int(rng, 0, 1) == 1,
                                     saturating));
    }
    if (classify) {
        const nx::layer_desc& prev = layers.back().d;
        layers.push_back(random_fc(rng, prev.out_c, prev.out_h(), prev.out_w(), prev.a_bits, saturating));
    }
    nx::network n = make_net(in_c, in_h, in_w, std::move(layers));
    n.shape.classify = classify;
    return n;
}

std::vector<uint8_t> random_input(std::mt19937& rng, const nx::network& n, int kind) {
    std::vector<uint8_t> in(std::size_t(n.shape.in_c) * n.shape.in_h * n.shape.in_w);
    for (auto& v : in) {
        switch (kind) {
        case 0: v = 0; break;
        case 1: v = 255; break;
        case 2: v = uint8_t(rand_int(rng, 0, 1) ? 255 : 0); break;
        default: v = uint8_t(rand_int(rng, 0, 255)); break;
        }
    }
    return in;
}

struct stats {
    int runs = 0, saturated = 0, nonzero_outputs = 0, classified = 0;
};

// The kernels this machine can run: the portable one always, AVX2 where the CPU has it.
std::vector<nx::kernel_isa> kernels() {
    std::vector<nx::kernel_isa> k = {nx::kernel_isa::generic};
    if (nx::kernel_supported(nx::kernel_isa::avx2)) k.push_back(nx::kernel_isa::avx2);
    return k;
}

// Compares the engine (every available kernel) with the reference on `inputs` inputs of net.
::testing::AssertionResult agree(const nx::network& net, std::mt19937& rng, int inputs, stats& st) {
    const std::string err = nx::check_network(net.shape);
    if (!err.empty()) return ::testing::AssertionFailure() << "generator produced an invalid network: " << err << "\n" << describe(net);
    std::vector<nx::engine> engines;
    for (nx::kernel_isa k : kernels()) engines.emplace_back(net, k);
    nx::inference_result fast;
    for (int i = 0; i < inputs; ++i) {
        const std::vector<uint8_t> in = random_input(rng, net, i);
        const nx::inference_result ref = nx::reference_run(net, in.data());
        ++st.runs;
        st.saturated += ref.f.acc_saturated;
        st.classified += ref.cls >= 0;
        st.nonzero_outputs += std::any_of(ref.output.begin(), ref.output.end(), [](uint8_t v) { return v != 0; });
        for (nx::engine& e : engines) {
            e.run(in.data(), fast);
            if (fast.output != ref.output || fast.logits != ref.logits || fast.cls != ref.cls ||
                fast.f.acc_saturated != ref.f.acc_saturated || fast.f.weight_code_error != ref.f.weight_code_error) {
                auto r = ::testing::AssertionFailure() << "engine (" << nx::kernel_isa_name(e.isa()) << " kernel) != reference on input "
                                                       << i << "\n" << describe(net) << "\n";
                r << "ref cls " << ref.cls << " sat " << ref.f.acc_saturated << " / engine cls " << fast.cls << " sat "
                  << fast.f.acc_saturated << "\n";
                if (fast.output.size() != ref.output.size()) r << "output sizes " << ref.output.size() << " vs " << fast.output.size();
                for (std::size_t j = 0; j < std::min(fast.output.size(), ref.output.size()); ++j)
                    if (fast.output[j] != ref.output[j]) {
                        r << "first output difference at " << j << ": " << int(ref.output[j]) << " vs " << int(fast.output[j]);
                        break;
                    }
                for (std::size_t j = 0; j < std::min(fast.logits.size(), ref.logits.size()); ++j)
                    if (fast.logits[j] != ref.logits[j]) {
                        r << "logit " << j << ": " << ref.logits[j] << " vs " << fast.logits[j];
                        break;
                    }
                return r;
            }
        }
        // Shape of the result.
        if (net.shape.classify) {
            if (ref.logits.size() != net.layers.back().d.out_c || !ref.output.empty())
                return ::testing::AssertionFailure() << "classification result has the wrong shape";
        } else if (ref.output.size() != net.layers.back().d.output_elements() || !ref.logits.empty() || ref.cls != -1) {
            return ::testing::AssertionFailure() << "compression result has the wrong shape";
        }
    }
    return ::testing::AssertionSuccess();
}

// One test per kernel size: all (weight bits, activation bits, stride, pool, task) combinations of the
// first layer, several random networks each (random padding, groups, sizes, extra layers).
class EngineVsReference : public ::testing::TestWithParam<unsigned> {};

TEST_P(EngineVsReference, AllCombinationsBitExact) {
    const unsigned k = GetParam();
    std::mt19937 rng(1000 + k);
    stats st;
    int nets = 0;
    for (unsigned w = 1; w <= 3; ++w)
        for (unsigned a = 1; a <= 3; ++a)
            for (unsigned s = 1; s <= 2; ++s)
                for (int pool = 0; pool <= 1; ++pool)
                    for (int cls = 0; cls <= 1; ++cls)
                        for (int rep = 0; rep < 8; ++rep) {
                            const nx::network net = random_network(rng, k, s, w, a, pool == 1, cls == 1);
                            ASSERT_TRUE(agree(net, rng, 8, st)) << "k" << k << " s" << s << " w" << w << " a" << a << " pool "
                                                                << pool << " classify " << cls;
                            ++nets;
                        }
    EXPECT_EQ(nets, 3 * 3 * 2 * 2 * 2 * 8);
    // The generator must exercise something: non-trivial outputs in most compression runs.
    EXPECT_GT(st.nonzero_outputs, st.runs / 4) << "random networks produce mostly zero outputs";
    EXPECT_GT(st.classified, 0);
}

INSTANTIATE_TEST_SUITE_P(Kernels, EngineVsReference, ::testing::Values(1u, 3u, 5u, 7u),
                         [](const ::testing::TestParamInfo<unsigned>& i) { return "k" + std::to_string(i.param); });

TEST(EngineVsReferenceExtra, SaturatingNetworksGiveTheSameValuesAndFlags) {
    std::mt19937 rng(99);
    stats st;
    for (int i = 0; i < 120; ++i) {
        const unsigned k = 1 + 2 * unsigned(rand_int(rng, 0, 3));
        const nx::network net = random_network(rng, k, unsigned(rand_int(rng, 1, 2)), unsigned(rand_int(rng, 1, 3)),
                                               unsigned(rand_int(rng, 1, 3)), rand_int(rng, 0, 1) == 1, rand_int(rng, 0, 1) == 1,
                                               true);
        ASSERT_TRUE(agree(net, rng, 4, st));
    }
    EXPECT_GT(st.saturated, 10) << "the saturating generator did not saturate";
}

TEST(EngineVsReferenceExtra, WideLayersAcrossVectorBlocks) {
    // Patch lengths around the engine's 32-element blocks, odd output widths and channel counts
    // that are not multiples of the 4-wide inner loop.
    std::mt19937 rng(5);
    stats st;
    for (unsigned in_c : {3u, 4u, 31u, 32u, 33u, 40u})
        for (unsigned k : {1u, 3u})
            for (unsigned out_c : {1u, 5u, 7u, 13u}) {
                nx::layer_params a;
                a.d.type = nx::layer_type::conv;
                a.d.in_c = in_c, a.d.in_h = 5, a.d.in_w = 7, a.d.in_bits = 8;
                a.d.out_c = out_c, a.d.kernel = k, a.d.stride = 1, a.d.pad = k / 2, a.d.groups = 1;
                a.d.w_bits = 3, a.d.a_bits = 3;
                fill(a, rng, false);
                nx::layer_params b;
                b.d.type = nx::layer_type::conv;
                b.d.in_c = out_c, b.d.in_h = 5, b.d.in_w = 7, b.d.in_bits = 3;
                b.d.out_c = 3, b.d.kernel = 3, b.d.stride = 2, b.d.pad = 1, b.d.groups = 1, b.d.w_bits = 2, b.d.a_bits = 2;
                fill(b, rng, false);
                nx::network net = make_net(in_c, 5, 7, {a, b});
                ASSERT_TRUE(agree(net, rng, 3, st));
            }
}

TEST(EngineVsReferenceExtra, VerifyRandomNetworksAllCombinations) {
    // sw/verify's generator (used by `encvp verify`): every combination index.
    std::mt19937 rng(2024);
    stats st;
    const unsigned n = encvp::random_network_combinations();
    EXPECT_EQ(n, 3u * 3 * 3 * 2 * 2 * 2 * 2);  // w, a, kernel 1/3/5, stride, groups, pool, task
    for (unsigned i = 0; i < n; ++i) {
        std::string desc;
        const nx::network net = encvp::make_random_network(i, rng, desc);
        ASSERT_EQ(net.shape.layers.size(), net.layers.size());
        ASSERT_TRUE(agree(net, rng, 4, st)) << "combination " << i << ": " << desc;
    }
}

TEST(EngineVsReferenceExtra, MaximumInputDepthAndKernel) {
    // k7 on many 8-bit channels with 3-bit weights: the largest products the engine accumulates in 32 bits.
    std::mt19937 rng(11);
    nx::layer_params a;
    a.d.type = nx::layer_type::conv;
    a.d.in_c = 64, a.d.in_h = 9, a.d.in_w = 8, a.d.in_bits = 8;
    a.d.out_c = 6, a.d.kernel = 7, a.d.stride = 1, a.d.pad = 3, a.d.groups = 1, a.d.w_bits = 3, a.d.a_bits = 3, a.d.pool = true;
    fill(a, rng, false);
    for (auto& w : a.weights) w = 2;  // worst case: every product 2*255
    nx::network net = make_net(64, 9, 8, {a});
    std::vector<uint8_t> in(64 * 9 * 8, 255);
    const nx::inference_result ref = nx::reference_run(net, in.data());
    nx::engine e(net);
    nx::inference_result fast;
    e.run(in.data(), fast);
    EXPECT_EQ(fast.output, ref.output);
    EXPECT_EQ(fast.f.acc_saturated, ref.f.acc_saturated);
    stats st;
    EXPECT_TRUE(agree(net, rng, 4, st));
}

TEST(EngineVsReferenceExtra, ExtremeWeightsAndInputsAtEveryDepth) {
    // All weights at +max, -max or alternating, inputs at their maximum: the largest partial sums
    // the kernels accumulate (the AVX2 kernel gathers them in 16 bits and widens periodically).
    std::mt19937 rng(77);
    stats st;
    for (unsigned w_bits = 1; w_bits <= 3; ++w_bits)
        for (unsigned in_c : {1u, 3u, 4u, 5u, 8u, 17u, 33u, 64u})
            for (unsigned k : {1u, 3u, 7u})
                for (int pattern = 0; pattern < 3; ++pattern) {
                    nx::layer_params a;
                    a.d.type = nx::layer_type::conv;
                    a.d.in_c = in_c, a.d.in_h = 9, a.d.in_w = 10, a.d.in_bits = 8;
                    a.d.out_c = 9, a.d.kernel = k, a.d.stride = 1, a.d.pad = k / 2, a.d.groups = 1;
                    a.d.w_bits = w_bits, a.d.a_bits = 3;
                    fill(a, rng, false);
                    const int8_t m = int8_t(nx::max_abs_weight(w_bits));
                    for (std::size_t i = 0; i < a.weights.size(); ++i)
                        a.weights[i] = pattern == 0 ? m : (pattern == 1 ? int8_t(-m) : ((i / 3) % 2 ? m : int8_t(-m)));
                    // Shift so that the full-window sum lands at the top of the 3-bit range: interior and
                    // border pixels then differ.
                    const double full = double(k * k * in_c) * 255.0 * m;
                    a.d.shift = unsigned(std::clamp(int(std::ceil(std::log2(full))) - 3, 0, 24));
                    for (auto& b : a.bias) b = pattern == 1 ? int32_t(full) : 0;
                    a.d.b_bits = 24;
                    nx::network net = make_net(in_c, 9, 10, {a});
                    std::vector<uint8_t> in(std::size_t(in_c) * 90, 255);
                    const nx::inference_result ref = nx::reference_run(net, in.data());
                    for (nx::kernel_isa isa : kernels()) {
                        nx::engine e(net, isa);
                        nx::inference_result r;
                        e.run(in.data(), r);
                        ASSERT_EQ(r.output, ref.output) << nx::kernel_isa_name(isa) << " " << describe(net) << " pattern " << pattern;
                        ASSERT_EQ(r.f.acc_saturated, ref.f.acc_saturated);
                    }
                    ASSERT_TRUE(agree(net, rng, 3, st));
                }
}

TEST(Engine, KernelSelection) {
    EXPECT_TRUE(nx::kernel_supported(nx::kernel_isa::generic));
    EXPECT_STREQ(nx::kernel_isa_name(nx::kernel_isa::generic), "generic");
    EXPECT_STREQ(nx::kernel_isa_name(nx::kernel_isa::avx2), "avx2");
    EXPECT_STREQ(nx::engine::kernel_name(), nx::kernel_isa_name(nx::select_kernel()));
    EXPECT_TRUE(nx::kernel_supported(nx::select_kernel()));
    std::mt19937 rng(8);
    const nx::network n = random_network(rng, 3, 1, 2, 2, false, false);
    nx::engine g(n, nx::kernel_isa::generic);
    EXPECT_EQ(g.isa(), nx::kernel_isa::generic);
    // Asking for AVX2 gives AVX2 where the CPU has it, else the portable kernel.
    nx::engine a(n, nx::kernel_isa::avx2);
    EXPECT_EQ(a.isa(), nx::kernel_supported(nx::kernel_isa::avx2) ? nx::kernel_isa::avx2 : nx::kernel_isa::generic);
}

// ---------------------------------------------------------------------------------------------
// Engine life cycle
// ---------------------------------------------------------------------------------------------

TEST(Engine, RunsAreIndependentAndReloadWorks) {
    std::mt19937 rng(3);
    const nx::network big = random_network(rng, 5, 1, 3, 3, true, true);
    nx::network small = random_network(rng, 1, 2, 1, 1, false, false);
    nx::engine e;
    EXPECT_FALSE(e.loaded());
    e.load(big);
    EXPECT_TRUE(e.loaded());
    const auto in_a = random_input(rng, big, 3), in_b = random_input(rng, big, 3);
    nx::inference_result r1, r2, r3;
    e.run(in_a.data(), r1);
    e.run(in_b.data(), r2);
    e.run(in_a.data(), r3);
    EXPECT_EQ(r1.logits, r3.logits);
    EXPECT_EQ(r1.cls, r3.cls);
    EXPECT_EQ(r1.logits, nx::reference_run(big, in_a.data()).logits);
    EXPECT_EQ(r2.logits, nx::reference_run(big, in_b.data()).logits);
    // Reload a different (compression) network into the same engine and reuse the result object:
    // the classification fields must be cleared.
    e.load(small);
    EXPECT_FALSE(e.shape().classify);
    const auto in_s = random_input(rng, small, 3);
    e.run(in_s.data(), r1);
    EXPECT_TRUE(r1.logits.empty());
    EXPECT_EQ(r1.cls, -1);
    EXPECT_EQ(r1.output, nx::reference_run(small, in_s.data()).output);
    // And back to the big one: the output of the compression run must not survive.
    e.load(big);
    e.run(in_a.data(), r1);
    EXPECT_TRUE(r1.output.empty());
    EXPECT_EQ(r1.logits, r3.logits);
    // Flags are reset per run.
    nx::inference_result flagged;
    flagged.f.acc_saturated = true;
    flagged.f.weight_code_error = true;
    e.run(in_a.data(), flagged);
    EXPECT_EQ(flagged.f.acc_saturated, nx::reference_run(big, in_a.data()).f.acc_saturated);
    EXPECT_FALSE(flagged.f.weight_code_error);
}

TEST(Engine, LoadRejectsInvalidNetworks) {
    std::mt19937 rng(4);
    nx::network n = random_network(rng, 3, 1, 2, 2, false, true);
    nx::engine e;
    {
        nx::network bad = n;
        bad.shape.layers[0].kernel = 4;
        try {
            e.load(bad);
            FAIL() << "accepted kernel 4";
        } catch (const std::invalid_argument& ex) {
            EXPECT_NE(std::string(ex.what()).find("kernel 4"), std::string::npos) << ex.what();
        }
    }
    {
        nx::network bad = n;
        bad.layers.pop_back();
        EXPECT_THROW(e.load(bad), std::invalid_argument);
    }
    {
        nx::network bad = n;
        bad.layers[0].weights.pop_back();
        EXPECT_THROW(e.load(bad), std::invalid_argument);
    }
    {
        nx::network bad = n;
        bad.layers[0].bias.push_back(0);
        EXPECT_THROW(e.load(bad), std::invalid_argument);
    }
    EXPECT_FALSE(e.loaded());
    nx::inference_result r;
    uint8_t px[1] = {0};
    EXPECT_THROW(e.run(px, r), std::logic_error);
}

}  // namespace

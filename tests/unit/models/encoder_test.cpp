// Encoder (models/encoder/encoder.*) on a system bus with its weight SRAM, programmed like firmware
// does it: layer descriptors with the generated register macros, weights packed into the SRAM by
// this test itself (docs/numerics.md §1 and §4), input through the input buffer window. Results
// are compared with nx::reference_run, run time with encvp::estimate_run; every programming error
// is checked for its ERR_CODE/ERR_LAYER, its interrupt and the encoder's recovery.
#include <cmath>
#include <map>
#include <memory>
#include <random>
#include <set>

#include "bus/system_bus.h"
#include "compiler/compiler.h"
#include "encoder/encoder.h"
#include "encoder/timing_model.h"
#include "encvp_netimg.h"
#include "encvp_regs.h"
#include "harness.h"
#include "memory/weight_sram.h"
#include "netfile/netfile.h"
#include "numerics/network.h"

namespace encvp::test {
namespace {

constexpr uint64_t ENC = 0x20000000;
constexpr uint64_t SRAM = 0x30000000;
constexpr double CLOCK_NS = 5.0;  // encoder_config default: 200 MHz

// ---- networks ----

nx::layer_desc conv_desc(unsigned in_c, unsigned hw, unsigned in_bits, unsigned out_c, unsigned k, unsigned s, unsigned p,
                         unsigned g, unsigned w_bits, unsigned a_bits, unsigned b_bits, bool pool) {
    nx::layer_desc d;
    d.type = nx::layer_type::conv;
    d.in_c = in_c, d.in_h = hw, d.in_w = hw, d.in_bits = in_bits, d.out_c = out_c;
    d.kernel = k, d.stride = s, d.pad = p, d.groups = g;
    d.w_bits = w_bits, d.a_bits = a_bits, d.b_bits = b_bits, d.pool = pool;
    return d;
}

nx::layer_desc fc_desc(unsigned in_c, unsigned hw, unsigned in_bits, unsigned classes, unsigned w_bits, unsigned b_bits) {
    nx::layer_desc d;
    d.type = nx::layer_type::fc;
    d.in_c = in_c, d.in_h = hw, d.in_w = hw, d.in_bits = in_bits, d.out_c = classes;
    d.w_bits = w_bits, d.b_bits = b_bits, d.a_bits = 1, d.shift = 0;
    return d;
}

int random_weight(unsigned w_bits, std::mt19937& rng) {
    if (w_bits == 1) return std::uniform_int_distribution<int>(0, 1)(rng) ? 1 : -1;
    const int m = w_bits == 3 ? 2 : 1;
    return std::uniform_int_distribution<int>(-m, m)(rng);
}

double entropy(const std::vector<uint8_t>& v) {
    std::map<uint8_t, double> h;
    for (uint8_t x : v) h[x] += 1;
    double e = 0;
    for (const auto& kv : h) {
        const double p = kv.second / double(v.size());
        e -= p * std::log2(p);
    }
    return e;
}

// Random weights; each conv layer's shift is the one that spreads its outputs most (checked on the
// given input with the reference), its biases are up to half a step; fc biases are small.
nx::network make_network(const std::vector<nx::layer_desc>& descs, unsigned in_c, unsigned hw, bool classify,
                         const std::vector<uint8_t>& input, unsigned seed) {
    std::mt19937 rng(seed);
    nx::network net;
    net.shape.in_c = in_c, net.shape.in_h = hw, net.shape.in_w = hw, net.shape.classify = classify;
    for (std::size_t i = 0; i < descs.size(); ++i) {
        nx::layer_params p;
        p.d = descs[i];
        p.weights.resize(p.d.n_weights());
        for (auto& w : p.weights) w = int8_t(random_weight(p.d.w_bits, rng));
        p.bias.assign(p.d.out_c, 0);
        net.layers.push_back(p);
        net.shape.layers.push_back(p.d);
        nx::layer_params& l = net.layers.back();
        const int64_t bmax = nx::bias_max(l.d.b_bits);
        if (l.d.type == nx::layer_type::fc) {
            for (auto& b : l.bias) b = int32_t(std::uniform_int_distribution<int64_t>(-std::min<int64_t>(bmax, 50), std::min<int64_t>(bmax, 50))(rng));
            continue;
        }
        nx::network prefix = net;
        prefix.shape.classify = false;
        unsigned best = 0;
        double best_e = -1;
        for (unsigned s = 0; s <= 16; ++s) {
            prefix.layers.back().d.shift = s;
            prefix.shape.layers.back().shift = s;
            const double e = entropy(nx::reference_run(prefix, input.data()).output);
            if (e > best_e + 1e-9) best_e = e, best = s;
        }
        l.d.shift = best;
        net.shape.layers.back().shift = best;
        const int64_t half = std::min<int64_t>(bmax, best ? (int64_t(1) << (best - 1)) : 1);
        for (auto& b : l.bias) b = int32_t(std::uniform_int_distribution<int64_t>(-half, half)(rng));
    }
    return net;
}

std::vector<uint8_t> random_bytes(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::vector<uint8_t> v(n);
    for (auto& x : v) x = uint8_t(std::uniform_int_distribution<int>(0, 255)(rng));
    return v;
}

// Classification: 3x8x8 -> conv3x3 (8 ch, ternary, 2-bit, pool) -> conv3x3/s2/g2 (8 ch, quinary,
// 3-bit) -> fc (10 classes, binary). Compression: 3x8x8 -> conv3x3 (4 ch, quinary, 2-bit) ->
// conv5x5/s2 (6 ch, binary, 1-bit code: 6x4x4 = 96 bits).
constexpr unsigned IN_C = 3, IN_HW = 8, IN_BYTES = IN_C * IN_HW * IN_HW;

std::vector<nx::layer_desc> classify_layers() {
    return {conv_desc(3, 8, 8, 8, 3, 1, 1, 1, 2, 2, 13, true), conv_desc(8, 4, 2, 8, 3, 2, 1, 2, 3, 3, 7, false),
            fc_desc(8, 2, 3, 10, 1, 10)};
}
std::vector<nx::layer_desc> compress_layers() {
    return {conv_desc(3, 8, 8, 4, 3, 1, 1, 1, 3, 2, 12, false), conv_desc(4, 8, 2, 6, 5, 2, 2, 1, 1, 1, 6, false)};
}

// ---- the SRAM image and descriptors, written independently of sw/compiler ----

void put_field(std::vector<uint8_t>& img, uint64_t bit, unsigned width, uint32_t value) {
    for (unsigned i = 0; i < width; ++i, ++bit) {
        if (img.size() <= bit / 8) img.resize(bit / 8 + 1, 0);
        if ((value >> i) & 1u) img[bit / 8] |= uint8_t(1u << (bit % 8));
        else img[bit / 8] &= uint8_t(~(1u << (bit % 8)));
    }
}

uint32_t weight_code(int value, unsigned w_bits) {
    if (w_bits == 1) return value > 0 ? 1u : 0u;      // 0 -> -1, 1 -> +1
    return uint32_t(value) & ((1u << w_bits) - 1u);  // two's complement
}

struct packed {
    std::vector<uint8_t> image;
    std::vector<uint32_t> w_addr, b_addr;  // 32-bit words
};

packed pack(const nx::network& net) {
    packed p;
    uint64_t bit = 0;
    for (const nx::layer_params& l : net.layers) {
        p.w_addr.push_back(uint32_t(bit / 32));
        for (int8_t w : l.weights) put_field(p.image, bit, l.d.w_bits, weight_code(w, l.d.w_bits)), bit += l.d.w_bits;
        bit = (bit + 31) / 32 * 32;
        p.b_addr.push_back(uint32_t(bit / 32));
        for (int32_t b : l.bias) put_field(p.image, bit, l.d.b_bits, uint32_t(b)), bit += l.d.b_bits;
        bit = (bit + 31) / 32 * 32;
    }
    p.image.resize(bit / 8, 0);
    return p;
}

struct descriptor {
    uint32_t in_dim, channels, conv, prec;
};

descriptor describe(const nx::layer_desc& d) {
    const bool fc = d.type == nx::layer_type::fc;
    descriptor r;
    r.in_dim = ENCVP_FIELD(ENCODER_LAYER_IN_DIM_H, d.in_h) | ENCVP_FIELD(ENCODER_LAYER_IN_DIM_W, d.in_w);
    r.channels = ENCVP_FIELD(ENCODER_LAYER_CHANNELS_IN, d.in_c) | ENCVP_FIELD(ENCODER_LAYER_CHANNELS_OUT, d.out_c);
    r.conv = fc ? 0u
                : ENCVP_FIELD(ENCODER_LAYER_CONV_KERNEL, d.kernel) | ENCVP_FIELD(ENCODER_LAYER_CONV_STRIDE, d.stride) |
                      ENCVP_FIELD(ENCODER_LAYER_CONV_PAD, d.pad) | ENCVP_FIELD(ENCODER_LAYER_CONV_GROUPS, d.groups) |
                      ENCVP_FIELD(ENCODER_LAYER_CONV_POOL, d.pool ? 1 : 0);
    r.prec = ENCVP_FIELD(ENCODER_LAYER_PREC_TYPE, fc ? ENCODER_LTYPE_FC : ENCODER_LTYPE_CONV) |
             ENCVP_FIELD(ENCODER_LAYER_PREC_WBITS, d.w_bits) | ENCVP_FIELD(ENCODER_LAYER_PREC_INBITS, d.in_bits) |
             ENCVP_FIELD(ENCODER_LAYER_PREC_ABITS, fc ? 0 : d.a_bits) | ENCVP_FIELD(ENCODER_LAYER_PREC_BBITS, d.b_bits) |
             ENCVP_FIELD(ENCODER_LAYER_PREC_SHIFT, fc ? 0 : d.shift);
    return r;
}

std::vector<uint8_t> pack_code(const std::vector<uint8_t>& values, unsigned bits) {
    std::vector<uint8_t> out;
    for (std::size_t i = 0; i < values.size(); ++i) put_field(out, i * bits, bits, values[i]);
    out.resize((values.size() * bits + 7) / 8, 0);
    return out;
}

// ---- the platform ----

struct enc_soc {
    test_initiator cpu{"cpu"};
    system_bus bus{"bus"};
    weight_sram sram;
    encoder enc;
    sc_core::sc_signal<bool> irq_line{"irq_line"};
    irq_probe irq{"irq"}, busy{"busy"};

    enc_soc(const encoder_config& cfg, const weight_sram::geometry& g)
        : sram("sram", g, ns(CLOCK_NS)), enc("encoder", cfg, sram) {
        cpu.socket.bind(bus.in);
        bus.out.bind(enc.in);
        bus.out.bind(sram.in);
        bus.map(0, ENC, enc.block_size(), "encoder");
        bus.map(1, SRAM, sram.size_bytes(), "sram");
        system_bus::timing bt;
        bt.hop_latency = ns(2);
        bt.cycle = ns(2);
        bt.width_bytes = 8;
        bus.set_timing(bt);
        enc.irq.bind(irq_line);
        irq.in.bind(irq_line);
        busy.in.bind(enc.busy);
    }
};

class encoder_test : public sc_test {
public:
    fresh_kernel kernel;
    report_capture log;
    std::unique_ptr<enc_soc> soc;
    encoder_config cfg;
    nx::network net;
    packed img;
    std::vector<uint8_t> input;

    void build(const encoder_config& c = encoder_config(), const weight_sram::geometry& g = weight_sram::geometry()) {
        cfg = c;
        soc = std::make_unique<enc_soc>(c, g);
        sc_core::sc_start(sc_core::SC_ZERO_TIME);
    }
    uint32_t reg(uint32_t offset) { return soc->cpu.rd(ENC + offset); }
    void set(uint32_t offset, uint32_t v) { soc->cpu.wr(ENC + offset, v); }
    void set_field(uint32_t offset, uint32_t mask, unsigned shift, uint32_t v) {
        set(offset, (reg(offset) & ~mask) | ((v << shift) & mask));
    }
    uint32_t status() { return reg(ENCODER_STATUS); }
    void run(const sc_core::sc_time& t = us(200)) { sc_core::sc_start(t); }

    // A network with its SRAM image loaded (backdoor) and its descriptors programmed.
    void setup(bool classify, unsigned seed = 1) {
        input = random_bytes(IN_BYTES, seed + 100);
        net = make_network(classify ? classify_layers() : compress_layers(), IN_C, IN_HW, classify, input, seed);
        img = pack(net);
        soc->sram.load(0, img.image.data(), img.image.size());
        program();
        load_input(input, 0);
    }
    void program() {
        for (std::size_t i = 0; i < net.layers.size(); ++i) {
            const descriptor d = describe(net.layers[i].d);
            set(ENCODER_LAYER_IN_DIM(i), d.in_dim);
            set(ENCODER_LAYER_CHANNELS(i), d.channels);
            set(ENCODER_LAYER_CONV(i), d.conv);
            set(ENCODER_LAYER_PREC(i), d.prec);
            set(ENCODER_LAYER_W_ADDR(i), img.w_addr[i]);
            set(ENCODER_LAYER_B_ADDR(i), img.b_addr[i]);
        }
        set(ENCODER_NUM_LAYERS, uint32_t(net.layers.size()));
        set(ENCODER_TASK, net.shape.classify ? ENCODER_TASK_CLASSIFY : ENCODER_TASK_COMPRESS);
        set(ENCODER_OUT_OFFSET, 0);
    }
    void load_input(const std::vector<uint8_t>& in, uint32_t offset) {
        EXPECT_TRUE(soc->cpu.write(ENC + ENCODER_IN_BUF + offset, in.data(), unsigned(in.size())).ok());
        set(ENCODER_IN_OFFSET, offset);
    }
    void start(bool irq_en = true) {
        set(ENCODER_CTRL, ENCODER_CTRL_START_MASK | (irq_en ? ENCODER_CTRL_IRQ_EN_MASK : 0u));
    }
    std::vector<uint8_t> out_buf(uint32_t offset, std::size_t n) {
        std::vector<uint8_t> v(n);
        EXPECT_TRUE(soc->cpu.read(ENC + ENCODER_OUT_BUF + offset, v.data(), unsigned(n)).ok());
        return v;
    }
    void fill_out_buf(uint8_t value) {
        const std::vector<uint8_t> v(ENCODER_OUT_BUF_SIZE, value);
        EXPECT_TRUE(soc->cpu.write(ENC + ENCODER_OUT_BUF, v.data(), unsigned(v.size())).ok());
    }
    uint64_t expected_cycles() const {
        std::vector<nx::layer_desc> layers;
        for (const auto& l : net.layers) layers.push_back(l.d);
        const weight_sram::geometry& g = soc->sram.geom();
        return estimate_run(layers, cfg, sram_port{g.word_bits, g.banks}).cycles;
    }
    // The result of the last run against the reference for `in`.
    void expect_result(const std::vector<uint8_t>& in, uint32_t out_offset) {
        const nx::inference_result ref = nx::reference_run(net, in.data());
        if (net.shape.classify) {
            const std::size_t n = ref.logits.size();
            const std::vector<uint8_t> out = out_buf(out_offset, 4 * (n + 1));
            for (std::size_t i = 0; i < n; ++i)
                EXPECT_EQ(int32_t(le32(&out[4 * i])), ref.logits[i]) << "logit " << i;
            EXPECT_EQ(le32(&out[4 * n]), uint32_t(ref.cls)) << "class word after the logits";
            EXPECT_EQ(reg(ENCODER_RESULT), uint32_t(ref.cls));
            EXPECT_EQ(reg(ENCODER_OUT_BYTES), 4 * (n + 1));
        } else {
            const std::vector<uint8_t> code = pack_code(ref.output, net.layers.back().d.a_bits);
            EXPECT_EQ(out_buf(out_offset, code.size()), code);
            EXPECT_EQ(reg(ENCODER_OUT_BYTES), code.size());
        }
    }
};

TEST_F(encoder_test, IdentificationCapabilitiesAndRegisterAccess) {
    build();
    EXPECT_EQ(reg(ENCODER_ID), 0x454E4331u);  // "ENC1"
    EXPECT_EQ(reg(ENCODER_CAPS), ENCODER_CAPS_RESET);
    EXPECT_EQ(ENCVP_GET(ENCODER_CAPS_MAX_LAYERS, reg(ENCODER_CAPS)), ENCODER_MAX_LAYERS);
    EXPECT_EQ(reg(ENCODER_IN_BUF_BYTES), ENCODER_IN_BUF_SIZE);
    EXPECT_EQ(reg(ENCODER_OUT_BUF_BYTES), ENCODER_OUT_BUF_SIZE);
    EXPECT_EQ(status(), 0u);
    // Descriptor registers keep their field bits only; the last descriptor exists, the next does not.
    set(ENCODER_LAYER_PREC(31), 0xFFFFFFFF);
    EXPECT_EQ(reg(ENCODER_LAYER_PREC(31)), 0x000FFFFFu);
    set(ENCODER_NUM_LAYERS, 0xFFFFFFFF);
    EXPECT_EQ(reg(ENCODER_NUM_LAYERS), 0x3Fu);
    uint32_t v;
    EXPECT_EQ(soc->cpu.read32(ENC + ENCODER_LAYER_IN_DIM(32), v).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(soc->cpu.write32(ENC + ENCODER_RESULT, 1).status, tlm::TLM_COMMAND_ERROR_RESPONSE);
    EXPECT_EQ(soc->cpu.read32(ENC + 0x8000, v).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    // The buffers are byte-addressed windows; an access may not run off their end.
    uint8_t b[8] = {};
    EXPECT_EQ(soc->cpu.write(ENC + ENCODER_IN_BUF + ENCODER_IN_BUF_SIZE - 4, b, 8).status,
              tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_TRUE(soc->cpu.write(ENC + ENCODER_OUT_BUF + 3, b, 1).ok());
}

TEST_F(encoder_test, ClassificationMatchesTheReference) {
    build();
    setup(true);
    const nx::inference_result ref = nx::reference_run(net, input.data());
    std::set<int32_t> distinct(ref.logits.begin(), ref.logits.end());
    ASSERT_GE(distinct.size(), 3u) << "the test network must produce varied logits";
    fill_out_buf(0xCC);
    set(ENCODER_OUT_OFFSET, 0x40);
    start();
    run();
    EXPECT_EQ(status(), ENCODER_STATUS_DONE_MASK) << "no error, no sticky flag";
    expect_result(input, 0x40);
    EXPECT_EQ(out_buf(0, 0x40), std::vector<uint8_t>(0x40, 0xCC)) << "nothing written before OUT_OFFSET";
    EXPECT_EQ(out_buf(0x40 + 44, 16), std::vector<uint8_t>(16, 0xCC)) << "nothing written after the result";
    EXPECT_TRUE(soc->irq.level());
    EXPECT_EQ(soc->enc.runs(), 1u);
    EXPECT_EQ(log.count(), 0u) << log.dump();
}

TEST_F(encoder_test, CompressionCodeMatchesTheReference) {
    build();
    setup(false);
    const nx::inference_result ref = nx::reference_run(net, input.data());
    ASSERT_EQ(ref.output.size(), 96u);
    ASSERT_GE(std::set<uint8_t>(ref.output.begin(), ref.output.end()).size(), 2u) << "a non-constant code";
    start();
    run();
    EXPECT_EQ(status(), ENCODER_STATUS_DONE_MASK);
    expect_result(input, 0);
    EXPECT_EQ(reg(ENCODER_OUT_BYTES), 12u);
    EXPECT_TRUE(soc->irq.level());
}

TEST_F(encoder_test, CyclesMatchTheTimingModelAndTheInterruptComesAfterThem) {
    build();
    setup(true);
    const uint64_t cycles = expected_cycles();
    ASSERT_GT(cycles, 100u);
    start();
    run(ns(CLOCK_NS * double(cycles) / 2));
    // Half way: busy, nothing reported yet.
    EXPECT_EQ(status(), ENCODER_STATUS_BUSY_MASK);
    EXPECT_FALSE(soc->irq.level());
    EXPECT_EQ(reg(ENCODER_RESULT), 0u);
    EXPECT_EQ(reg(ENCODER_OUT_BYTES), 0u);
    run();
    EXPECT_EQ(status(), ENCODER_STATUS_DONE_MASK);
    EXPECT_EQ(reg(ENCODER_CYCLES_LO), uint32_t(cycles));
    EXPECT_EQ(reg(ENCODER_CYCLES_HI), 0u);
    EXPECT_EQ(soc->enc.last_run().cycles, cycles);
    EXPECT_EQ(soc->irq.first(true) - soc->busy.first(true), ns(CLOCK_NS) * double(cycles));
    EXPECT_EQ(soc->busy.first(true), ns(4)) << "the run starts when the START write arrives (bus hop + beat)";
    EXPECT_EQ(soc->busy.first(false), soc->irq.first(true));
    // The weight SRAM is charged for the layers' weights and biases.
    uint64_t bits = 0;
    for (const auto& l : net.layers) bits += l.d.weight_bits() + l.d.bias_bits();
    EXPECT_EQ(soc->sram.bits_read(), bits);
    nlohmann::json j;
    soc->enc.stats(j);
    EXPECT_EQ(j["cycles"], cycles);
    EXPECT_EQ(j["runs"], 1);
}

TEST_F(encoder_test, TimingOnlyModeTakesTheSameCycles) {
    encoder_config c;
    c.timing_only = true;
    build(c);
    setup(true);
    const uint64_t cycles = expected_cycles();
    start();
    run();
    EXPECT_EQ(status(), ENCODER_STATUS_DONE_MASK);
    EXPECT_EQ(reg(ENCODER_CYCLES_LO), uint32_t(cycles));
    EXPECT_EQ(soc->irq.first(true) - soc->busy.first(true), ns(CLOCK_NS) * double(cycles));
    EXPECT_EQ(reg(ENCODER_OUT_BYTES), 44u) << "10 logits and the class";
}

TEST_F(encoder_test, DoubleBufferedInputsGiveTheirOwnResults) {
    build();
    setup(true);
    const std::vector<uint8_t> second = random_bytes(IN_BYTES, 777);
    load_input(second, 0x8000);
    start();
    run();
    ASSERT_EQ(status(), ENCODER_STATUS_DONE_MASK);
    expect_result(second, 0);
    set(ENCODER_IN_OFFSET, 0);
    start();
    run();
    ASSERT_EQ(status(), ENCODER_STATUS_DONE_MASK);
    expect_result(input, 0);
    // Both buffers end to end: the input at the very end of IN_BUF, the result at the end of OUT_BUF.
    load_input(second, ENCODER_IN_BUF_SIZE - IN_BYTES);
    set(ENCODER_OUT_OFFSET, ENCODER_OUT_BUF_SIZE - 44);
    start();
    run();
    ASSERT_EQ(status(), ENCODER_STATUS_DONE_MASK);
    expect_result(second, ENCODER_OUT_BUF_SIZE - 44);
    EXPECT_EQ(soc->enc.runs(), 3u);
}

TEST_F(encoder_test, NewWeightsOrDescriptorsAreUsedByTheNextRun) {
    build();
    setup(true, 1);
    start();
    run();
    ASSERT_EQ(status(), ENCODER_STATUS_DONE_MASK);
    expect_result(input, 0);
    // Other weights of the same shape, written over the bus (as the DMA would).
    const nx::network other = make_network(classify_layers(), IN_C, IN_HW, true, input, 2);
    const packed other_img = pack(other);
    ASSERT_EQ(other_img.image.size(), img.image.size());
    ASSERT_TRUE(soc->cpu.write(SRAM, other_img.image.data(), unsigned(other_img.image.size())).ok());
    net = other;
    img = other_img;
    program();  // the shifts differ too
    start();
    run();
    ASSERT_EQ(status(), ENCODER_STATUS_DONE_MASK);
    expect_result(input, 0);
    // A descriptor change alone (another shift for layer 0) takes effect as well.
    net.layers[0].d.shift += 1;
    net.shape.layers[0].shift += 1;
    set(ENCODER_LAYER_PREC(0), describe(net.layers[0].d).prec);
    start();
    run();
    ASSERT_EQ(status(), ENCODER_STATUS_DONE_MASK);
    expect_result(input, 0);
}

TEST_F(encoder_test, InterruptOnlyWithIrqEnAndClearedByW1c) {
    build();
    setup(true);
    start(false);
    run();
    EXPECT_EQ(status(), ENCODER_STATUS_DONE_MASK);
    EXPECT_EQ(soc->irq.rises(), 0u);
    set(ENCODER_CTRL, ENCODER_CTRL_IRQ_EN_MASK);
    run(ns(10));
    EXPECT_TRUE(soc->irq.level()) << "DONE pending and IRQ_EN: the line is up";
    EXPECT_EQ(soc->busy.rises(), 1u) << "IRQ_EN alone starts nothing";
    set(ENCODER_STATUS, ENCODER_STATUS_DONE_MASK);
    run(ns(10));
    EXPECT_FALSE(soc->irq.level());
    EXPECT_EQ(status(), 0u);
}

TEST_F(encoder_test, StartWhileBusyIsRefusedAndTheRunCompletes) {
    build();
    setup(true);
    const uint64_t cycles = expected_cycles();
    start();
    run(ns(CLOCK_NS * double(cycles) / 2));
    ASSERT_EQ(status(), ENCODER_STATUS_BUSY_MASK);
    set(ENCODER_NUM_LAYERS, 0);  // a bad program must not matter to the running job
    start();
    uint32_t st = status();
    EXPECT_EQ(st & (ENCODER_STATUS_BUSY_MASK | ENCODER_STATUS_ERR_MASK | ENCODER_STATUS_DONE_MASK),
              ENCODER_STATUS_BUSY_MASK | ENCODER_STATUS_ERR_MASK);
    EXPECT_EQ(ENCVP_GET(ENCODER_STATUS_ERR_CODE, st), ENCODER_ERR_BUSY);
    run(ns(10));
    EXPECT_TRUE(soc->irq.level()) << "the refused START is reported by interrupt";
    run();
    st = status();
    EXPECT_EQ(st & (ENCODER_STATUS_BUSY_MASK | ENCODER_STATUS_DONE_MASK), ENCODER_STATUS_DONE_MASK);
    EXPECT_EQ(ENCVP_GET(ENCODER_STATUS_ERR_CODE, st), ENCODER_ERR_BUSY);
    expect_result(input, 0);
    EXPECT_EQ(soc->enc.runs(), 1u);
    EXPECT_EQ(soc->busy.rises(), 1u);
    EXPECT_EQ(soc->busy.first(false) - soc->busy.first(true), ns(CLOCK_NS) * double(cycles));
    EXPECT_TRUE(log.any({"ERR_BUSY"})) << log.dump();
}

TEST_F(encoder_test, TheResultGoesWhereOutOffsetPointedAtStart) {
    // OUT_OFFSET is range-checked at START; the run must also use that value. Firmware that
    // prepares the next run's output slot while this one computes must not move (or, with an
    // offset near the end of the buffer, overflow) the result.
    build();
    setup(true);
    fill_out_buf(0xCC);
    start();
    run(ns(CLOCK_NS * double(expected_cycles()) / 2));
    ASSERT_EQ(status(), ENCODER_STATUS_BUSY_MASK);
    set(ENCODER_OUT_OFFSET, 0x100);
    run();
    ASSERT_EQ(status(), ENCODER_STATUS_DONE_MASK);
    expect_result(input, 0);
    EXPECT_EQ(out_buf(0x100, 44), std::vector<uint8_t>(44, 0xCC)) << "result written at the OUT_OFFSET of after START";
}

TEST_F(encoder_test, UnusedWeightCodesDecodeAsZeroAndSetWcodeErr) {
    build();
    setup(true);
    // Layer 0 is ternary: code 0b10 is unused. Layer 1 is quinary: 0b100 is unused.
    std::vector<uint8_t> bad = img.image;
    put_field(bad, uint64_t(img.w_addr[0]) * 32 + 5 * 2, 2, 0x2);
    put_field(bad, uint64_t(img.w_addr[1]) * 32 + 7 * 3, 3, 0x4);
    soc->sram.load(0, bad.data(), bad.size());
    nx::network as_decoded = net;
    as_decoded.layers[0].weights[5] = 0;
    as_decoded.layers[1].weights[7] = 0;
    start();
    run();
    EXPECT_EQ(status(), ENCODER_STATUS_DONE_MASK | ENCODER_STATUS_WCODE_ERR_MASK);
    const nx::network good = net;
    net = as_decoded;
    expect_result(input, 0);
    net = good;
    // Repaired weights: the results are right again, the flag is sticky until cleared.
    soc->sram.load(0, img.image.data(), img.image.size());
    start();
    run();
    EXPECT_EQ(status(), ENCODER_STATUS_DONE_MASK | ENCODER_STATUS_WCODE_ERR_MASK);
    expect_result(input, 0);
    set(ENCODER_STATUS, ENCODER_STATUS_WCODE_ERR_MASK);
    EXPECT_EQ(status(), ENCODER_STATUS_DONE_MASK);
    start();
    run();
    EXPECT_EQ(status(), ENCODER_STATUS_DONE_MASK) << "valid codes do not set it";
}

TEST_F(encoder_test, AccumulatorSaturationSetsAccSat) {
    build();
    setup(false);
    // Largest bias on every channel of layer 0: any positive accumulator saturates at 2^23 - 1.
    net.layers[0].d.b_bits = 24;
    net.shape.layers[0].b_bits = 24;
    for (auto& b : net.layers[0].bias) b = int32_t(nx::bias_max(24));
    img = pack(net);
    soc->sram.load(0, img.image.data(), img.image.size());
    program();
    const nx::inference_result ref = nx::reference_run(net, input.data());
    ASSERT_TRUE(ref.f.acc_saturated);
    start();
    run();
    EXPECT_EQ(status(), ENCODER_STATUS_DONE_MASK | ENCODER_STATUS_ACC_SAT_MASK);
    expect_result(input, 0);
}

TEST_F(encoder_test, SoftResetClearsStatusAndResultsButNotWhileBusy) {
    build();
    setup(true);
    start();
    run();
    ASSERT_EQ(status(), ENCODER_STATUS_DONE_MASK);
    ASSERT_NE(reg(ENCODER_OUT_BYTES), 0u);
    ASSERT_TRUE(soc->irq.level());
    set(ENCODER_CTRL, ENCODER_CTRL_SOFT_RESET_MASK | ENCODER_CTRL_IRQ_EN_MASK);
    run(ns(10));
    EXPECT_EQ(status(), 0u);
    EXPECT_EQ(reg(ENCODER_RESULT), 0u);
    EXPECT_EQ(reg(ENCODER_OUT_BYTES), 0u);
    EXPECT_EQ(reg(ENCODER_CTRL), ENCODER_CTRL_IRQ_EN_MASK) << "SOFT_RESET reads as 0";
    EXPECT_FALSE(soc->irq.level());
    // While busy it is ignored and the run completes.
    start();
    run(ns(100));
    ASSERT_EQ(status(), ENCODER_STATUS_BUSY_MASK);
    set(ENCODER_CTRL, ENCODER_CTRL_SOFT_RESET_MASK | ENCODER_CTRL_IRQ_EN_MASK);
    EXPECT_EQ(status(), ENCODER_STATUS_BUSY_MASK);
    run();
    EXPECT_EQ(status(), ENCODER_STATUS_DONE_MASK);
    expect_result(input, 0);
    // It also clears an error.
    set(ENCODER_NUM_LAYERS, 0);
    start();
    run(ns(100));
    ASSERT_NE(status() & ENCODER_STATUS_ERR_MASK, 0u);
    set(ENCODER_CTRL, ENCODER_CTRL_SOFT_RESET_MASK | ENCODER_CTRL_IRQ_EN_MASK);
    run(ns(10));
    EXPECT_EQ(status(), 0u);
    EXPECT_FALSE(soc->irq.level());
}

TEST_F(encoder_test, TheCompilersImageAndDescriptorsGiveTheSameResult) {
    build();
    input = random_bytes(IN_BYTES, 300);
    net = make_network(classify_layers(), IN_C, IN_HW, true, input, 3);
    std::vector<std::string> classes;
    for (int i = 0; i < 10; ++i) classes.push_back("c" + std::to_string(i));
    const compiled_network c = compile_network(make_network_file(net, "t", classes, nlohmann::json::object()),
                                               soc->sram.geom().size_bits);
    soc->sram.load(0, c.sram_image.data(), c.sram_image.size());
    ASSERT_EQ(c.descriptors.size(), NETIMG_DESC_WORDS * net.layers.size());
    for (std::size_t i = 0; i < net.layers.size(); ++i)
        for (unsigned w = 0; w < NETIMG_DESC_WORDS; ++w)
            set(ENCODER_LAYER_IN_DIM(i) + 4 * w, c.descriptors[i * NETIMG_DESC_WORDS + w]);
    set(ENCODER_NUM_LAYERS, uint32_t(net.layers.size()));
    set(ENCODER_TASK, c.task);
    load_input(input, 0);
    start();
    run();
    EXPECT_EQ(status(), ENCODER_STATUS_DONE_MASK);
    expect_result(input, 0);
    EXPECT_EQ(reg(ENCODER_OUT_BYTES), c.out_bytes);
}

// ---- programming errors ----

struct error_case {
    const char* name;
    bool compress;                  // which network
    uint64_t act_buffer_bytes;      // 0: default
    void (*mutate)(encoder_test&);  // the programming mistake
    uint32_t code, layer;
};
std::ostream& operator<<(std::ostream& os, const error_case& e) { return os << e.name; }

#define FIELD(t, REG, F, v) (t).set_field(REG, F##_MASK, F##_SHIFT, v)

const error_case ERROR_CASES[] = {
    {"NumLayersZero", false, 0, [](encoder_test& t) { t.set(ENCODER_NUM_LAYERS, 0); }, ENCODER_ERR_NUM_LAYERS, 0},
    {"NumLayersAboveMax", false, 0, [](encoder_test& t) { t.set(ENCODER_NUM_LAYERS, 33); }, ENCODER_ERR_NUM_LAYERS, 0},
    {"WeightBitsZero", false, 0, [](encoder_test& t) { FIELD(t, ENCODER_LAYER_PREC(1), ENCODER_LAYER_PREC_WBITS, 0); },
     ENCODER_ERR_PRECISION, 1},
    {"FirstLayerInputNot8Bit", false, 0,
     [](encoder_test& t) { FIELD(t, ENCODER_LAYER_PREC(0), ENCODER_LAYER_PREC_INBITS, 3); }, ENCODER_ERR_PRECISION, 0},
    {"ActivationBitsZero", false, 0,
     [](encoder_test& t) { FIELD(t, ENCODER_LAYER_PREC(0), ENCODER_LAYER_PREC_ABITS, 0); }, ENCODER_ERR_PRECISION, 0},
    {"InputBitsAboveThree", false, 0,
     [](encoder_test& t) { FIELD(t, ENCODER_LAYER_PREC(1), ENCODER_LAYER_PREC_INBITS, 4); }, ENCODER_ERR_PRECISION, 1},
    {"BiasBitsOne", false, 0, [](encoder_test& t) { FIELD(t, ENCODER_LAYER_PREC(1), ENCODER_LAYER_PREC_BBITS, 1); },
     ENCODER_ERR_PRECISION, 1},
    {"BiasBits25", false, 0, [](encoder_test& t) { FIELD(t, ENCODER_LAYER_PREC(2), ENCODER_LAYER_PREC_BBITS, 25); },
     ENCODER_ERR_PRECISION, 2},
    {"Shift25", false, 0, [](encoder_test& t) { FIELD(t, ENCODER_LAYER_PREC(0), ENCODER_LAYER_PREC_SHIFT, 25); },
     ENCODER_ERR_PRECISION, 0},
    {"UnknownLayerType", false, 0, [](encoder_test& t) { FIELD(t, ENCODER_LAYER_PREC(1), ENCODER_LAYER_PREC_TYPE, 2); },
     ENCODER_ERR_GEOMETRY, 1},
    {"ChannelsDoNotChain", false, 0,
     [](encoder_test& t) { FIELD(t, ENCODER_LAYER_CHANNELS(1), ENCODER_LAYER_CHANNELS_IN, 4); }, ENCODER_ERR_GEOMETRY, 1},
    {"BitsDoNotChain", false, 0, [](encoder_test& t) { FIELD(t, ENCODER_LAYER_PREC(1), ENCODER_LAYER_PREC_INBITS, 3); },
     ENCODER_ERR_GEOMETRY, 1},
    {"SizeDoesNotChain", false, 0,
     [](encoder_test& t) {
         t.set(ENCODER_LAYER_IN_DIM(2), ENCVP_FIELD(ENCODER_LAYER_IN_DIM_H, 3) | ENCVP_FIELD(ENCODER_LAYER_IN_DIM_W, 3));
     },
     ENCODER_ERR_GEOMETRY, 2},
    {"EvenKernel", false, 0, [](encoder_test& t) { FIELD(t, ENCODER_LAYER_CONV(0), ENCODER_LAYER_CONV_KERNEL, 2); },
     ENCODER_ERR_GEOMETRY, 0},
    {"GroupsDoNotDivide", false, 0,
     [](encoder_test& t) { FIELD(t, ENCODER_LAYER_CONV(1), ENCODER_LAYER_CONV_GROUPS, 3); }, ENCODER_ERR_GEOMETRY, 1},
    {"PaddingAboveHalfKernel", false, 0,
     [](encoder_test& t) { FIELD(t, ENCODER_LAYER_CONV(0), ENCODER_LAYER_CONV_PAD, 2); }, ENCODER_ERR_GEOMETRY, 0},
    {"FcNotLast", false, 0,
     [](encoder_test& t) {
         // Layer 1 turned into a well-formed fc head on layer 0's 8x4x4 2-bit output.
         t.set(ENCODER_LAYER_CHANNELS(1),
               ENCVP_FIELD(ENCODER_LAYER_CHANNELS_IN, 8) | ENCVP_FIELD(ENCODER_LAYER_CHANNELS_OUT, 10));
         t.set(ENCODER_LAYER_CONV(1), 0);
         t.set(ENCODER_LAYER_PREC(1), ENCVP_FIELD(ENCODER_LAYER_PREC_TYPE, ENCODER_LTYPE_FC) |
                                          ENCVP_FIELD(ENCODER_LAYER_PREC_WBITS, 1) |
                                          ENCVP_FIELD(ENCODER_LAYER_PREC_INBITS, 2) |
                                          ENCVP_FIELD(ENCODER_LAYER_PREC_BBITS, 10));
     },
     ENCODER_ERR_TASK, 1},
    {"CompressTaskWithAnFcHead", false, 0, [](encoder_test& t) { t.set(ENCODER_TASK, ENCODER_TASK_COMPRESS); },
     ENCODER_ERR_TASK, 2},
    {"ClassifyTaskWithoutAnFcHead", true, 0, [](encoder_test& t) { t.set(ENCODER_TASK, ENCODER_TASK_CLASSIFY); },
     ENCODER_ERR_TASK, 1},
    {"WeightsBeyondTheSram", false, 0,
     [](encoder_test& t) { t.set(ENCODER_LAYER_W_ADDR(2), uint32_t((1u << 20) / 32 - 1)); }, ENCODER_ERR_SRAM_RANGE, 2},
    {"BiasesBeyondTheSram", false, 0, [](encoder_test& t) { t.set(ENCODER_LAYER_B_ADDR(0), 0xFFFFFFFF); },
     ENCODER_ERR_SRAM_RANGE, 0},
    {"InputBeyondTheInputBuffer", false, 0,
     [](encoder_test& t) { t.set(ENCODER_IN_OFFSET, ENCODER_IN_BUF_SIZE - IN_BYTES + 1); }, ENCODER_ERR_IN_RANGE, 0},
    {"InputOffsetOutsideTheInputBuffer", false, 0,
     [](encoder_test& t) { t.set(ENCODER_IN_OFFSET, 0x80000000u); }, ENCODER_ERR_IN_RANGE, 0},
    {"ResultBeyondTheOutputBuffer", false, 0,
     [](encoder_test& t) { t.set(ENCODER_OUT_OFFSET, ENCODER_OUT_BUF_SIZE - 43); }, ENCODER_ERR_OUT_RANGE, 2},
    {"CodeBeyondTheOutputBuffer", true, 0,
     [](encoder_test& t) { t.set(ENCODER_OUT_OFFSET, ENCODER_OUT_BUF_SIZE - 11); }, ENCODER_ERR_OUT_RANGE, 1},
    // Feature maps: layer 0 writes 8x4x4x2 bits (32 bytes); layer 1 holds them plus 8x2x2x3 bits (44 bytes).
    {"ActivationBufferOverflow", false, 40, [](encoder_test&) {}, ENCODER_ERR_ACT_BUFFER, 1},
};

class encoder_errors : public encoder_test, public ::testing::WithParamInterface<error_case> {};

TEST_P(encoder_errors, SetErrWithCodeAndLayerRaiseTheInterruptAndDoNotStop) {
    const error_case& p = GetParam();
    encoder_config c;
    if (p.act_buffer_bytes) c.act_buffer_bytes = p.act_buffer_bytes;
    build(c);
    setup(!p.compress);
    fill_out_buf(0xCC);
    p.mutate(*this);
    start();
    run(us(50));
    const uint32_t st = status();
    EXPECT_EQ(st & (ENCODER_STATUS_BUSY_MASK | ENCODER_STATUS_DONE_MASK | ENCODER_STATUS_ERR_MASK),
              ENCODER_STATUS_ERR_MASK);
    EXPECT_EQ(ENCVP_GET(ENCODER_STATUS_ERR_CODE, st), p.code);
    EXPECT_EQ(ENCVP_GET(ENCODER_STATUS_ERR_LAYER, st), p.layer);
    EXPECT_TRUE(soc->irq.level()) << "errors raise the interrupt";
    EXPECT_EQ(soc->enc.runs(), 0u);
    EXPECT_EQ(reg(ENCODER_OUT_BYTES), 0u);
    EXPECT_EQ(out_buf(0, 64), std::vector<uint8_t>(64, 0xCC)) << "no result written";
    EXPECT_EQ(log.count(), 1u) << log.dump();
    // W1C on ERR clears the code and the layer and drops the line; then a good program runs.
    set(ENCODER_STATUS, ENCODER_STATUS_ERR_MASK);
    run(ns(10));
    EXPECT_EQ(status(), 0u);
    EXPECT_FALSE(soc->irq.level());
    if (p.act_buffer_bytes) return;  // this configuration cannot run the network at all
    program();
    set(ENCODER_IN_OFFSET, 0);
    start();
    run(us(50));
    EXPECT_EQ(status(), ENCODER_STATUS_DONE_MASK);
    expect_result(input, 0);
}

INSTANTIATE_TEST_SUITE_P(Programming, encoder_errors, ::testing::ValuesIn(ERROR_CASES),
                         [](const ::testing::TestParamInfo<error_case>& i) { return std::string(i.param.name); });

}  // namespace
}  // namespace encvp::test

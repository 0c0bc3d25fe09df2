// Throughput of the arithmetic engine (golden model and encoder model share it) per kernel, on a
// network shaped like the 1 Mbit CIFAR-10 classifier: 32-32-M-64-64-M-128-128-M-192, fc 10.
//   build/tests/bench/engine_bench
#include <random>

#include <benchmark/benchmark.h>

#include "numerics/engine.h"

namespace {

encvp::nx::network cifar_like() {
    using namespace encvp::nx;
    std::mt19937 rng(7);
    network net;
    net.shape.in_c = 3, net.shape.in_h = 32, net.shape.in_w = 32, net.shape.classify = true;
    const struct {
        unsigned out, w;
        bool pool;
    } spec[] = {{32, 3, false}, {32, 3, true}, {64, 2, false}, {64, 2, true}, {128, 2, false}, {128, 2, true}, {192, 2, false}};
    unsigned c = 3, h = 32, w = 32, bits = 8;
    for (const auto& s : spec) {
        layer_params p;
        layer_desc& d = p.d;
        d.in_c = c, d.in_h = h, d.in_w = w, d.in_bits = bits, d.out_c = s.out, d.kernel = 3, d.pad = 1, d.w_bits = s.w;
        d.a_bits = 3, d.b_bits = 16, d.shift = bits == 8 ? 9 : 5, d.pool = s.pool;
        p.weights.resize(d.n_weights());
        for (auto& v : p.weights) v = int8_t(int(rng() % (2 * max_abs_weight(d.w_bits) + 1)) - max_abs_weight(d.w_bits));
        p.bias.assign(d.out_c, 3);
        c = d.out_c, h = d.out_h(), w = d.out_w(), bits = 3;
        net.shape.layers.push_back(d);
        net.layers.push_back(p);
    }
    layer_params fc;
    fc.d.type = layer_type::fc, fc.d.in_c = c, fc.d.in_h = h, fc.d.in_w = w, fc.d.in_bits = 3, fc.d.out_c = 10;
    fc.d.w_bits = 3, fc.d.b_bits = 16;
    fc.weights.assign(fc.d.n_weights(), 1);
    fc.bias.assign(10, 0);
    net.shape.layers.push_back(fc.d);
    net.layers.push_back(fc);
    return net;
}

void run(benchmark::State& state, encvp::nx::kernel_isa isa) {
    if (!encvp::nx::kernel_supported(isa)) {
        state.SkipWithError("kernel not supported on this CPU");
        return;
    }
    const encvp::nx::network net = cifar_like();
    encvp::nx::engine e(net, isa);
    std::vector<uint8_t> img(3 * 32 * 32);
    std::mt19937 rng(1);
    for (auto& p : img) p = uint8_t(rng());
    encvp::nx::inference_result r;
    uint64_t macs = 0;
    for (const auto& l : net.shape.layers) macs += l.macs();
    for (auto _ : state) {
        e.run(img.data(), r);
        benchmark::DoNotOptimize(r.cls);
    }
    state.SetItemsProcessed(int64_t(state.iterations()));
    state.counters["GMAC/s"] = benchmark::Counter(double(macs) * double(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
}

void BM_engine_generic(benchmark::State& s) { run(s, encvp::nx::kernel_isa::generic); }
void BM_engine_avx2(benchmark::State& s) { run(s, encvp::nx::kernel_isa::avx2); }
BENCHMARK(BM_engine_generic)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_engine_avx2)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

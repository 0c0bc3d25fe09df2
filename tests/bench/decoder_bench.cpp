// Throughput of the full-frame decoder (sw/decoder) on the decoder of docs/compression.md (random
// weights, ~63k MAC per output pixel) for a 768x512 Kodak-sized frame, per kernel and thread count.
// GMAC/s counts the multiply-accumulates of an untiled run (halo recomputation is overhead).
//   build/tests/bench/decoder_bench [--benchmark_filter=avx2]
#include <random>

#include <benchmark/benchmark.h>

#include "decoder/decoder.h"

namespace {

void run(benchmark::State& state, encvp::decoder_isa isa, bool patchwise) {
    if (!encvp::decoder_isa_supported(isa)) {
        state.SkipWithError("kernel not supported on this CPU");
        return;
    }
    const encvp::frame_decoder dec(encvp::make_random_edec({}, 1), isa);
    const unsigned h = 512 / 4, w = 768 / 4;
    std::vector<uint8_t> codes(std::size_t(4) * h * w);
    std::mt19937 rng(2);
    for (auto& b : codes) b = uint8_t(rng() & 1u);
    encvp::decode_options opt;
    opt.threads = unsigned(state.range(0));
    opt.patchwise = patchwise;
    encvp::decode_stats st;
    for (auto _ : state) {
        uint64_t sum = 0;
        st = dec.decode({codes.data(), 4, h, w}, opt, [&](unsigned, unsigned, const uint8_t* rgb) { sum += rgb[0]; });
        benchmark::DoNotOptimize(sum);
    }
    state.counters["GMAC/s"] = benchmark::Counter(double(st.macs_nominal) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["overhead"] = double(st.macs_done) / double(st.macs_nominal);
    state.counters["tiles"] = double(st.tiles_x * st.tiles_y);
}

}  // namespace

BENCHMARK_CAPTURE(run, avx2_768x512, encvp::decoder_isa::avx2, false)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(run, generic_768x512, encvp::decoder_isa::generic, false)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(run, avx2_768x512_patchwise, encvp::decoder_isa::avx2, true)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();

// Host-side codecs: CRC-32 (checks every network file and bitstream) against a byte-at-a-time
// reference in the same run, and the bitstream's entropy coder on a Kodak-sized frame.
//   build/tests/bench/codec_bench
#include <array>
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "bitstream/bitstream.h"
#include "bitstream/entropy.h"
#include "common/crc32.h"

namespace {

// The textbook one-table loop, for the ratio.
uint32_t crc32_bytewise(const uint8_t* p, std::size_t n) {
    static const std::array<uint32_t, 256> t = [] {
        std::array<uint32_t, 256> a{};
        for (uint32_t i = 0; i < 256; ++i) {
            uint32_t c = i;
            for (int k = 0; k < 8; ++k) c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            a[i] = c;
        }
        return a;
    }();
    uint32_t c = ~0u;
    for (std::size_t i = 0; i < n; ++i) c = t[(c ^ p[i]) & 0xFFu] ^ (c >> 8);
    return ~c;
}

std::vector<uint8_t> bytes_1mib() {
    std::vector<uint8_t> v(std::size_t(1) << 20);
    std::mt19937 rng(1);
    for (auto& b : v) b = uint8_t(rng());
    return v;
}

void BM_crc32(benchmark::State& state) {
    const std::vector<uint8_t> v = bytes_1mib();
    for (auto _ : state) benchmark::DoNotOptimize(encvp::crc32(v.data(), v.size()));
    state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(v.size()));
}

void BM_crc32_bytewise_reference(benchmark::State& state) {
    const std::vector<uint8_t> v = bytes_1mib();
    if (crc32_bytewise(v.data(), v.size()) != encvp::crc32(v.data(), v.size())) state.SkipWithError("CRC mismatch");
    for (auto _ : state) benchmark::DoNotOptimize(crc32_bytewise(v.data(), v.size()));
    state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(v.size()));
}

// 768 x 512 frame, 16-pixel patches, 8 x 4 x 4 codes per patch (1.6 Mbit), bits skewed to P(1) = 1/4
// with runs, roughly what trained encoders give.
encvp::code_stream kodak_sized() {
    encvp::code_stream s;
    s.width = 768, s.height = 512, s.patch = 16, s.code_c = 8, s.code_h = 4, s.code_w = 4;
    s.codes.assign((s.total_bits() + 7) / 8, 0);
    std::mt19937 rng(3);
    for (auto& b : s.codes) b = uint8_t(rng() & rng());
    return s;
}

// Argument: the entropy model (1: the first format, 2: context mixing, what compress --entropy writes).
encvp::code_stream kodak_sized(int64_t model) {
    encvp::code_stream s = kodak_sized();
    s.flags = encvp::EVC_FLAG_ENTROPY_CODED | (model == 2 ? encvp::EVC_FLAG_ENTROPY_MIXED : 0u);
    return s;
}

void BM_entropy_encode(benchmark::State& state) {
    const encvp::code_stream s = kodak_sized(state.range(0));
    for (auto _ : state) benchmark::DoNotOptimize(encvp::entropy_encode(s).size());
    state.counters["Mbit/s"] = benchmark::Counter(double(s.total_bits()) * 1e-6, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["bits/bit"] = double(encvp::entropy_encode(s).size()) * 8.0 / double(s.total_bits());
}

void BM_entropy_decode(benchmark::State& state) {
    const encvp::code_stream s = kodak_sized(state.range(0));
    const std::vector<uint8_t> coded = encvp::entropy_encode(s);
    encvp::code_stream d = s;
    for (auto _ : state) {
        encvp::entropy_decode(coded, d);
        benchmark::DoNotOptimize(d.codes.data());
    }
    if (d.codes != s.codes) state.SkipWithError("entropy round trip differs");
    state.counters["Mbit/s"] = benchmark::Counter(double(s.total_bits()) * 1e-6, benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

BENCHMARK(BM_crc32);
BENCHMARK(BM_crc32_bytewise_reference);
BENCHMARK(BM_entropy_encode)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_entropy_decode)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();

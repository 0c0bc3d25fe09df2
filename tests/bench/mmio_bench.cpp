// Speed of the CPU stub's paths, measured with Google Benchmark: MMIO register accesses through
// the bus (b_transport), DRAM accesses through DMI, and DRAM accesses with DMI disabled.
//   build/tests/bench/mmio_bench [--benchmark_filter=...]
#include <cstdlib>

#include <benchmark/benchmark.h>
#include <systemc>

#include "common/sim_kernel.h"
#include "encvp_regs.h"
#include "hal.h"
#include "soc.h"

namespace {

enum class path { mmio, dmi, no_dmi };

void run_accesses(benchmark::State& state, path p) {
    const uint32_t n = uint32_t(state.range(0));
    for (auto _ : state) {
        state.PauseTiming();
        if (sc_core::sc_get_curr_simcontext()->elaboration_done()) encvp::fresh_simulation_kernel();
        encvp::platform_config cfg;
        cfg.cpu_dmi = p != path::no_dmi;
        auto chip = std::make_unique<encvp::soc>("soc", cfg);
        const uint32_t target = p == path::mmio ? uint32_t(cfg.sysctrl_base + SYSCTRL_SCRATCH) : uint32_t(cfg.dram_base + 0x100);
        const uint32_t exit_reg = uint32_t(cfg.sysctrl_base + SYSCTRL_EXIT);
        chip->cpu.set_firmware(
            [n, target, exit_reg](uint32_t) {
                uint32_t sum = 0;
                for (uint32_t i = 0; i < n; ++i) {
                    if (i & 1) sum += hal_read32(target);
                    else hal_write32(target, i);
                }
                benchmark::DoNotOptimize(sum);
                hal_write32(exit_reg, 0);
                return 0;
            },
            0);
        state.ResumeTiming();
        sc_core::sc_start();
        state.PauseTiming();
        if (!chip->sys.exited()) state.SkipWithError("firmware did not exit");
        chip.reset();
        state.ResumeTiming();
    }
    state.SetItemsProcessed(int64_t(state.iterations()) * n);
}

void BM_mmio_register_access(benchmark::State& s) { run_accesses(s, path::mmio); }
void BM_dram_access_dmi(benchmark::State& s) { run_accesses(s, path::dmi); }
void BM_dram_access_no_dmi(benchmark::State& s) { run_accesses(s, path::no_dmi); }

BENCHMARK(BM_mmio_register_access)->Arg(200000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_dram_access_dmi)->Arg(200000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_dram_access_no_dmi)->Arg(200000)->Unit(benchmark::kMillisecond);

}  // namespace

static const bool banner_off = [] { return setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0) == 0; }();

int sc_main(int argc, char** argv) {
    (void)banner_off;
    sc_core::sc_report_handler::set_verbosity_level(sc_core::SC_NONE);
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

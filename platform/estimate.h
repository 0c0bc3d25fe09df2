// Latency, memory and energy estimates of a network on a platform configuration
// (docs/estimation-model.md has every formula). Two sources are combined:
//   * the encoder's per-layer timing/energy model (models/encoder/timing_model.*), and
//   * what the platform measured while it streamed images or patches: DMA, bus and DRAM traffic,
//     firmware (CPU) time, from the models' counters, split at the encoder's first START into a
//     load phase (boot, weight load, first input) and a streaming phase.
// The result goes to the JSON report and to a per-layer CSV (SCALE-Sim/Timeloop style: one row per
// layer, units in the column names, a total row).
#pragma once

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <systemc>

#include "compiler/compiler.h"
#include "config.h"
#include "encoder/timing_model.h"
#include "netfile/netfile.h"

namespace encvp {

class soc;

// Records the models' counters at the encoder's first START (the end of the load phase) and at
// its START number `expected_runs` (the last item's): between the two lie expected_runs - 1 whole
// periods of the double-buffered loop, the steady state. Create it after the session and before
// running it; it lives in the same simulation.
class stream_probe : public sc_core::sc_module {
public:
    SC_HAS_PROCESS(stream_probe);
    stream_probe(const sc_core::sc_module_name& nm, soc& chip, std::size_t expected_runs);

    // The measurement of one platform run that processed `items` inputs and ended at `end_s`
    // (simulated): {"items", "end_s", "first_start_s", "last_start_s", "at_first_start",
    // "at_last_start", "at_end"} (counters are soc::stats() snapshots).
    nlohmann::json measurement(std::size_t items, double end_s) const;

private:
    void on_busy();
    soc& chip_;
    std::size_t expected_, starts_ = 0;
    double first_start_s_ = 0, last_start_s_ = 0;
    nlohmann::json at_first_start_, at_last_start_;
};

// Per layer, from the timing model, with the latency attributed to what bounds it.
struct layer_report {
    std::string name;
    nx::layer_desc d;
    layer_estimate e;
    layer_budget budget;         // weights, biases, shift, padded SRAM bits (compiler)
    std::string bound;           // "compute", "weight_sram" or "activations"
    double latency_s = 0;        // cycles / encoder clock
    double setup_s = 0, compute_s = 0, weight_stall_s = 0, act_stall_s = 0;  // sum to latency_s
};

struct memory_report {
    uint64_t weight_bits = 0;          // weights + biases + shifts (the budget)
    uint64_t sram_image_bits = 0;      // packed image with 32-bit aligned segments
    uint64_t sram_capacity_bits = 0;
    bool weights_fit = false;
    uint64_t act_peak_bits = 0;        // largest input + output feature maps of one layer
    uint64_t act_buffer_bits = 0;
    bool activations_fit = false;
    uint64_t in_buffer_bits = 0, out_buffer_bits = 0;  // the encoder's I/O buffers (capacity)
    uint64_t in_used_bits = 0, out_used_bits = 0;      // two slots each (double buffering)
    uint64_t on_chip_bits = 0;         // provisioned: SRAM + activation buffer + I/O buffers
    uint64_t on_chip_used_bits = 0;    // needed: SRAM image + peak activations + used I/O slots
};

// Measured on the platform, per item (image or patch) of the streaming phase.
struct platform_report {
    bool measured = false;
    std::size_t items = 0, instances = 0;
    double load_s = 0;              // mean over instances: reset to the first encoder START
    double window_s = 0;            // sum over instances of the measurement windows (first to last START)
    double window_items = 0;        // whole periods in the windows
    double total_s = 0;             // sum over instances: simulated time of the runs
    double item_s = 0;              // window_s / window_items: the steady-state period
    double encoder_s = 0;           // encoder busy per item (measured: cycles / clock)
    double dma_in_s = 0, dma_out_s = 0;        // DMA channel 0 (inputs) and 1 (results) busy per item
    double dma_in_bytes = 0, dma_out_bytes = 0;
    double cpu_busy_s = 0, cpu_wfi_s = 0;      // firmware running vs waiting for an interrupt, per item
    double overhead_s = 0;          // item_s - encoder_s: the encoder idles (exposed DMA + firmware)
    double overlap_s = 0;           // max(encoder_s, dma_in_s): the double-buffered stage
    double serial_s = 0;            // item_s - overlap_s: result DMA, firmware, host round trips
    std::string critical;           // "encoder" or "dma_in": the longer overlapped stream
    double encoder_duty = 0;        // encoder_s / item_s
    double dram_bytes = 0, bus_bytes = 0, io_buffer_bytes = 0;  // per item
    double interrupts = 0;          // per item
    // Whole runs (all instances), for the per-task totals.
    double task_dram_bytes = 0, task_bus_bytes = 0, task_io_buffer_bytes = 0, task_sram_write_bits = 0;
    double load_dma_bytes = 0;      // mean over instances: bytes DMA moved before the first START
};

struct energy_report {
    // Per item (pJ).
    double mac_pj = 0, sram_read_pj = 0, act_io_pj = 0;  // encoder, from the layers
    double encoder_pj = 0;                               // their sum
    double dram_pj = 0, bus_pj = 0, io_transfer_pj = 0;  // platform transfers (measured traffic)
    double transfer_pj = 0;                              // their sum
    double static_pj = 0;                                // static power x item time
    double static_w = 0;                                 // static power: fixed + lanes + memory
    double static_fixed_w = 0, static_lanes_w = 0, static_memory_w = 0;
    double total_pj = 0;
    // Per task: every item, the load phase (weight writes, network DMA) and static power over the runs.
    double task_encoder_pj = 0, task_transfer_pj = 0, task_sram_write_pj = 0, task_static_pj = 0, task_total_pj = 0;
};

struct estimate_report {
    std::string task;  // "classify" or "compress"
    std::string unit;  // "image" or "patch"
    double encoder_clock_hz = 0;
    std::vector<layer_report> layers;
    uint64_t start_cycles = 0, encoder_cycles = 0, macs = 0;
    double encoder_s = 0;           // model: encoder cycles / clock, per item
    double mac_utilization = 0;     // cycle-weighted over the layers
    uint64_t mac_units = 0;         // mac_lanes x macs_per_lane_w3: 3-bit multipliers, the compute hardware
    memory_report memory;
    platform_report platform;
    energy_report energy;
    double latency_s = 0;           // per item: measured period, or the encoder alone when not measured
    double throughput_per_s = 0;    // items per second
};

// Builds the estimate. `measurements` are stream_probe::measurement() of each platform instance
// (empty when nothing ran on the platform: the encoder model alone).
estimate_report make_estimate(const platform_config& cfg, const network_file& net, const compiled_network& comp,
                              const std::vector<nlohmann::json>& measurements);

nlohmann::json estimate_json(const estimate_report& r);
// One row per layer, then "encoder start", "platform overhead" (measured), "static" and "total":
// the total row is the column sum, i.e. the per-item totals.
void write_estimate_csv(std::ostream& os, const estimate_report& r);
void write_estimate_csv(const std::string& path, const estimate_report& r);
// A short human summary (per-item latency split, memory, energy).
void print_estimate(std::ostream& os, const estimate_report& r);

}  // namespace encvp

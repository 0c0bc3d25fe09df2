// The encoder's per-layer timing, traffic and energy model (docs/timing-model.md and
// docs/estimation-model.md). SystemC-free: the encoder model annotates simulated time with it,
// and host tools (estimates, sweeps, timing-only runs) call the same functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "encoder/encoder_config.h"
#include "numerics/layer.h"

namespace encvp {

struct sram_port {
    unsigned word_bits = 64;
    unsigned banks = 2;
};

struct layer_estimate {
    std::string kind;            // "conv3x3/s1", "fc", ...
    uint64_t macs = 0;           // multiply-accumulates
    unsigned passes = 1;         // activation passes per MAC (8-bit inputs take several)
    uint64_t compute_cycles = 0;
    uint64_t weight_read_cycles = 0;
    uint64_t act_cycles = 0;
    uint64_t setup_cycles = 0;
    uint64_t cycles = 0;         // setup + max(compute, weight reads, activation traffic)
    uint64_t stall_cycles = 0;   // cycles - setup - compute: MAC lanes waiting on memory
    double utilization = 0;      // useful lane-slots / available lane-slots over the layer
    uint64_t weight_bits = 0;    // packed weights + biases read from the weight SRAM
    uint64_t act_read_bits = 0;  // activation-buffer reads (input buffer for the first layer)
    uint64_t act_write_bits = 0; // activation-buffer writes (output buffer for the last layer)
    uint64_t act_peak_bits = 0;  // input + output feature maps held at once
    double energy_mac_pj = 0, energy_sram_pj = 0, energy_act_pj = 0;
    double energy_pj() const { return energy_mac_pj + energy_sram_pj + energy_act_pj; }
};

// Estimate for one layer; `first`/`last` say whether its input/output lives in the I/O buffers.
layer_estimate estimate_layer(const nx::layer_desc& l, bool first, bool last, const encoder_config& cfg,
                              const sram_port& sram);

struct run_estimate {
    std::vector<layer_estimate> layers;
    uint64_t start_cycles = 0;
    uint64_t cycles = 0;  // start + sum of layers
    uint64_t macs = 0;
    uint64_t act_peak_bits = 0;
    double dynamic_energy_pj = 0;
};

run_estimate estimate_run(const std::vector<nx::layer_desc>& layers, const encoder_config& cfg, const sram_port& sram);

}  // namespace encvp

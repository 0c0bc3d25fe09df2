// Parameters of the encoder model: timing (docs/timing-model.md) and energy
// (docs/estimation-model.md). Plain data, filled from the platform configuration.
#pragma once

#include <cstdint>

namespace encvp {

struct energy_config {
    // Energy per action in picojoules (defaults and their sources: docs/estimation-model.md).
    double mac_pj[4] = {0.0, 0.05, 0.08, 0.12};  // index = weight bits (1, 2, 3)
    double mac_wide_input_pj = 0.30;              // one MAC pass on 8-bit pixels
    double sram_read_pj_per_bit = 0.08;           // weight SRAM
    double sram_write_pj_per_bit = 0.10;
    double act_buffer_pj_per_bit = 0.03;          // activation buffer, read or write
    double io_buffer_pj_per_bit = 0.03;           // input/output buffers
    double dram_pj_per_byte = 20.0;               // DRAM access incl. PHY
    double bus_pj_per_byte = 0.5;                 // on-chip bus transfer
    double static_mw = 1.2;                       // fixed static power: control, clock tree, I/O
    double lane_leakage_uw = 10.0;                // per MAC lane (scaled by macs_per_lane_w3)
    double memory_leakage_pw_per_bit = 100.0;     // per provisioned on-chip memory bit
};

struct encoder_config {
    double clock_hz = 200e6;
    unsigned mac_lanes = 64;                     // processing-element lanes
    unsigned macs_per_lane[4] = {0, 4, 2, 1};    // MACs per lane per cycle, index = weight bits
    unsigned act_bits_per_pass = 3;              // widest activation a lane multiplies in one pass
    unsigned act_ports = 2;                      // activation-buffer ports
    unsigned act_port_bits = 64;                 // bits per port per cycle
    uint64_t act_buffer_bytes = 32 * 1024;       // holds a layer's input and output feature maps
    unsigned layer_setup_cycles = 64;            // descriptor decode and pipeline fill, per layer
    unsigned start_cycles = 32;                  // per run: status, input buffer check
    bool timing_only = false;                    // skip the arithmetic, keep the timing
    bool trace = false;
    energy_config energy;
};

}  // namespace encvp

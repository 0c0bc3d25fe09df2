// The network compiler: turns a network file into what the hardware needs — the packed
// weight-SRAM image (weights at their own width, 32-bit aligned segments), the layer descriptors
// (register values), and the network image the firmware loads — after checking that the network
// fits the encoder (accumulator bound) and the configured weight SRAM (the budget).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "netfile/netfile.h"

namespace encvp {

struct layer_budget {
    std::string name;
    uint64_t weight_bits = 0;  // packed weights
    uint64_t bias_bits = 0;
    uint64_t shift_bits = 5;
    uint64_t sram_bits = 0;    // both segments padded to 32 bits
    uint32_t w_addr = 0;       // 32-bit word address of the weights
    uint32_t b_addr = 0;
    uint64_t total() const { return weight_bits + bias_bits + shift_bits; }
};

struct compiled_network {
    std::vector<uint8_t> sram_image;
    std::vector<uint32_t> descriptors;  // NETIMG_DESC_WORDS per layer
    std::vector<uint8_t> netimg;        // firmware's network image (docs/architecture.md)
    uint32_t task = 0;                  // ENCODER_TASK_*
    uint32_t out_bytes = 0;             // bytes the encoder writes per run
    uint32_t num_classes = 0;
    uint32_t code_bits = 0;             // compression: code bits per run
    uint32_t in_bytes = 0;
    std::vector<layer_budget> budget;
    uint64_t weight_bits = 0;           // numerics §5 total
    uint64_t sram_bits = 0;             // padded image
    uint64_t sram_capacity_bits = 0;
};

class budget_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Throws budget_error (does not fit) or input_error (accumulator bound).
compiled_network compile_network(const network_file& f, uint64_t sram_capacity_bits, const std::string& source = "");

// Per-layer budget table (weights, biases, shifts, padded SRAM bits) with totals and capacity.
std::string budget_table(const std::vector<layer_budget>& b, uint64_t capacity_bits);

}  // namespace encvp

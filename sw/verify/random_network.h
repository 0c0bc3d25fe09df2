// Random networks for `encvp verify`: valid for the hardware, with shifts chosen so activations
// spread over their range (a network whose outputs are all zero would verify nothing).
#pragma once

#include <cstdint>
#include <random>
#include <string>

#include "numerics/network.h"

namespace encvp {

struct random_network_spec {
    unsigned index = 0;  // selects the combination of the first conv layer (all combinations cycle)
    bool classify = true;
};

// Number of distinct (weight bits, activation bits, kernel, stride, groups, pool, task) combinations.
unsigned random_network_combinations();

// Random weights and biases for p.d, with a shift that keeps the outputs spread over their range
// (sets p.d.shift and p.d.b_bits).
void fill_random_layer(nx::layer_params& p, std::mt19937& rng);

// Builds network `index` from the rng; the first conv layer takes combination index % combinations().
nx::network make_random_network(unsigned index, std::mt19937& rng, std::string& description);

}  // namespace encvp

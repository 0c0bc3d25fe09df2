// The network file (.enet, docs/network-format.md): reading with full validation, writing, and
// conversion to the decoded form the numerics library runs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "numerics/network.h"

namespace encvp {

constexpr uint32_t NETFILE_VERSION = 1;
constexpr uint64_t NETFILE_MAX_JSON = 1u << 20;
constexpr uint64_t NETFILE_MAX_PAYLOAD = 64u << 20;

struct net_segment {
    uint64_t offset = 0;
    uint64_t bytes = 0;
};

struct net_layer {
    std::string name;
    nx::layer_desc d;  // geometry filled in from the chain
    net_segment weights, bias;
};

struct network_file {
    std::string name;
    std::string task = "classify";  // or "compress"
    unsigned in_c = 3, in_h = 32, in_w = 32;
    std::vector<std::string> classes;
    nlohmann::json provenance = nlohmann::json::object();
    std::vector<net_layer> layers;
    std::vector<uint8_t> payload;
    uint32_t crc = 0;  // as read (or written)

    bool classify() const { return task == "classify"; }
    // Weights + biases + shifts in bits (numerics §5).
    uint64_t weight_bits() const;
    // Decoded weights and biases, ready for nx::engine / nx::reference_run.
    nx::network to_network() const;
};

// Reads and validates; throws input_error naming the file, the layer and the field.
network_file read_network_file(const std::string& path);
network_file parse_network_file(const std::vector<uint8_t>& bytes, const std::string& source);

// Packs a decoded network into file form (bias width: the smallest that holds each layer's biases,
// unless the layer's b_bits is already larger).
network_file make_network_file(const nx::network& net, const std::string& name, const std::vector<std::string>& classes,
                               const nlohmann::json& provenance);
std::vector<uint8_t> serialize_network_file(const network_file& f);
void write_network_file(const std::string& path, const network_file& f);

}  // namespace encvp

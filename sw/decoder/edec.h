// The decoder file (.edec, docs/compression.md): the float graph of the full-frame decoder, read
// with full validation and written back. The graph is evaluated by frame_decoder (decoder.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace encvp {

constexpr uint32_t EDEC_VERSION = 1;
constexpr uint64_t EDEC_MAX_JSON = 1u << 20;
constexpr uint64_t EDEC_MAX_PAYLOAD = 64u << 20;
// Limits on what a file may ask for (each keeps the per-tile working memory bounded).
constexpr unsigned EDEC_MAX_OPS = 4096;
constexpr unsigned EDEC_MAX_CHANNELS = 1024;   // conv in/out, code channels
constexpr unsigned EDEC_MAX_KERNEL = 7;        // odd, zero padding kernel/2
constexpr unsigned EDEC_MAX_FACTOR = 8;        // pixel_shuffle
constexpr unsigned EDEC_MAX_UPSCALE = 64;      // product of the pixel_shuffle factors
constexpr unsigned EDEC_MAX_MARKS = 64;        // mark/add nesting depth

enum class edec_op_type { input_pm1, conv, mark, add, pixel_shuffle, relu, output };
const char* edec_op_name(edec_op_type t);

struct edec_segment {
    uint64_t offset = 0;
    uint64_t bytes = 0;
};

struct edec_op {
    edec_op_type type = edec_op_type::relu;
    // conv: `in` -> `out` channels, kernel x kernel, stride 1, zero padding kernel/2, bias, optional ReLU.
    unsigned in = 0, out = 0, kernel = 0;
    bool relu = false;
    std::vector<float> weights;  // PyTorch order [out][in][kernel][kernel]
    std::vector<float> bias;     // [out]
    edec_segment weights_seg, bias_seg;  // where they were in the payload (set by the reader and the writer)
    // pixel_shuffle: [C*f*f, H, W] -> [C, H*f, W*f] (PyTorch's channel order)
    unsigned factor = 0;

    uint64_t macs_per_pixel() const { return type == edec_op_type::conv ? uint64_t(in) * out * kernel * kernel : 0; }
};

struct edec_file {
    std::string name;
    unsigned code_channels = 0;
    unsigned upscale = 1;  // output pixels per code value, per side (product of pixel_shuffle factors)
    std::string encoder_name;  // the "encoder" object: the .enet whose codes this decoder reads
    uint32_t encoder_crc = 0;  // (its header CRC-32 field)
    nlohmann::json provenance = nlohmann::json::object();
    std::vector<edec_op> ops;
    uint32_t crc = 0;  // of the file as read or written
};

// Facts about a valid graph.
struct edec_graph_info {
    unsigned upscale = 1;
    // Radius, in code pixels, of the input region an output pixel depends on: a tile whose core is
    // [a, b) code pixels needs codes [a - halo, b + halo). Computed from the ops.
    unsigned halo = 0;
    // Radius of the receptive field in output pixels (the field is 2r+1 wide).
    unsigned receptive_radius_px = 0;
    unsigned max_channels = 0;      // widest tensor
    unsigned max_conv_radius = 0;   // largest kernel/2
    unsigned max_gap = 0;           // code pixels of zeros that isolate two patches (max over convs of radius/scale)
    uint64_t macs_per_code_pixel = 0;
    std::vector<unsigned> scale;    // per op: output pixels per code pixel of the tensor the op produces
    std::vector<int> partner;       // per op: the matching mark of an add, the matching add of a mark, else -1
};

// Checks the graph (ops, channels, mark/add balance, resolution, 3-channel output, sizes of the
// weight and bias arrays, limits, finite values). Returns "" if valid, else what is wrong, naming
// the op index and the field.
std::string check_edec(const edec_file& f);
// For a valid file (throws std::invalid_argument otherwise).
edec_graph_info analyze_edec(const edec_file& f);

// Reads and validates; throws input_error naming the file, the op and the field.
edec_file read_edec_file(const std::string& path);
edec_file parse_edec_file(const std::vector<uint8_t>& bytes, const std::string& source);

// Lays the weights out in the payload (each conv: weights, then bias) and writes the container.
// Throws std::invalid_argument if check_edec fails.
std::vector<uint8_t> serialize_edec_file(const edec_file& f);
void write_edec_file(const std::string& path, const edec_file& f);

// The decoder architecture of docs/compression.md with random weights (He-uniform, small biases,
// final bias 0.5), for tests and benchmarks without the training flow:
//   conv k C->w1, ReLU; blocks1 x [mark; conv w1->w1, ReLU; conv w1->w1; add];
//   conv w1->4*w2; pixel_shuffle 2; ReLU; blocks2 x [...w2...]; conv w2->4*w3; pixel_shuffle 2; ReLU;
//   conv w3->3; output.
struct edec_random_spec {
    unsigned code_channels = 4;
    unsigned w1 = 96, w2 = 48, w3 = 24;
    unsigned blocks1 = 3, blocks2 = 1;
    unsigned kernel = 3;
};
edec_file make_random_edec(const edec_random_spec& spec, uint32_t seed, const std::string& name = "random-decoder");

}  // namespace encvp

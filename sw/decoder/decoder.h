// The full-frame decoder (docs/compression.md): evaluates an .edec graph in float32 on the code
// tensor of a whole frame, in tiles, and delivers the RGB picture band by band.
//
// Tiles: each tile's core (a rectangle of code pixels) is decoded from its codes plus a halo; the
// region every op must produce is propagated back from the core (a conv widens it by its radius,
// a pixel_shuffle divides it by its factor, a mark needs what its add needs) and clipped to the
// frame, so the halo equals the graph's receptive field (edec_graph_info::halo) and no work is
// spent beyond it. Outside the frame every tensor is zero, exactly as the zero padding of an
// untiled run, and every output element is computed by the same sequence of float operations
// whatever the tiling or thread count: tiled output == untiled output, bit for bit.
//
// Memory: per thread, the live tensors of one tile, plus the output bands in flight (at most
// threads + 1 bands of tile_rows * upscale rows). The automatic tile size keeps both within
// decode_options::memory_budget whatever the frame size; the code tensor is the caller's.
//
// Patch-wise mode (the baseline of docs/compression.md): every P x P patch of codes is decoded alone,
// with zero padding around it, and the outputs are tiled. Internally patches are laid out with
// zero gaps wide enough that no convolution sees across a gap, so many patches share one tile
// and the result equals decoding each patch on its own, bit for bit.
//
// Kernels: the convolution runs as a register-blocked direct convolution (6 output channels x 16
// pixels per step, output channels innermost in the weight layout); an AVX2/FMA version is chosen at
// run time when the CPU has it (ENCVP_KERNEL=generic forces the portable one). The two kernels
// differ in rounding (fused multiply-add), so compare results within one kernel.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "decoder/edec.h"
#include "imageio/image.h"

namespace encvp {

enum class decoder_isa { automatic, generic, avx2 };
bool decoder_isa_supported(decoder_isa isa);
const char* decoder_isa_name(decoder_isa isa);

// The codes of a frame: channels x height x width values of 0 or 1, channel-major (CHW). Patch
// (i, j) of a codec with code size p x p per patch sits at rows p*i.., columns p*j...
struct code_tensor_view {
    const uint8_t* bits = nullptr;
    unsigned channels = 0, height = 0, width = 0;
};

struct decode_options {
    unsigned threads = 0;                   // worker threads; 0: std::thread::hardware_concurrency()
    unsigned tile_rows = 0, tile_cols = 0;  // tile core in code pixels; 0: chosen from threads and memory_budget
    // Bytes the automatic tiling aims to stay within: 3/4 for the tensors of the threads' tiles,
    // 1/4 for the output bands in flight. (Explicit tile sizes are taken as given.)
    uint64_t memory_budget = uint64_t(256) << 20;
    bool patchwise = false;                 // decode every patch alone (the baseline)
    unsigned patch_code = 4;                // code pixels per patch side (patch-wise mode)
};

struct decode_stats {
    unsigned width = 0, height = 0;         // output pixels
    unsigned tile_rows = 0, tile_cols = 0;  // tile core in code pixels
    unsigned tiles_y = 0, tiles_x = 0, threads = 0;
    uint64_t macs_nominal = 0;  // multiply-accumulates of an untiled run (frame area x MACs per code pixel)
    uint64_t macs_done = 0;     // actually computed, halos (and patch gaps) included
    double seconds = 0;
    decoder_isa isa = decoder_isa::generic;
};

// Receives the picture band by band, top to bottom: `rows` rows starting at row y0, each
// width * 3 bytes of interleaved RGB. Called from a worker thread, never concurrently, in order.
// An exception thrown here stops the decode and is rethrown by decode().
using rgb_band_sink = std::function<void(unsigned y0, unsigned rows, const uint8_t* rgb)>;

class frame_decoder {
public:
    // Throws std::invalid_argument if the graph is not valid (check_edec), or if `isa` is not
    // supported on this CPU.
    explicit frame_decoder(edec_file f, decoder_isa isa = decoder_isa::automatic);
    ~frame_decoder();
    frame_decoder(const frame_decoder&) = delete;
    frame_decoder& operator=(const frame_decoder&) = delete;

    const edec_file& file() const;
    const edec_graph_info& info() const;
    decoder_isa isa() const;

    // Output RGB: each value clamped to [0, 1], times 255, rounded half up (NaN gives 0).
    // Bad codes (wrong channel count, a value other than 0/1, a size the patch does not divide in
    // patch-wise mode, an output above 32768 per side) are input_error with source "codes".
    decode_stats decode(const code_tensor_view& codes, const decode_options& opt, const rgb_band_sink& sink) const;
    image decode_image(const code_tensor_view& codes, const decode_options& opt = decode_options(),
                       decode_stats* stats = nullptr) const;
    // The float output of the graph before clamping and rounding: 3 x H x W, channel-major.
    std::vector<float> decode_float(const code_tensor_view& codes, const decode_options& opt = decode_options(),
                                    decode_stats* stats = nullptr) const;

private:
    struct impl;
    std::unique_ptr<impl> p_;
};

// Output byte of one float value (the rounding rule above).
uint8_t decoder_output_byte(float v);

}  // namespace encvp

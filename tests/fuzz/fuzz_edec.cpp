// libFuzzer harness: the decoder-file reader (.edec), then the graph analysis and, when the graph
// is small, one decode of a tiny code tensor (tiled and untiled must agree bit for bit).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "common/error.h"
#include "fuzz_container.h"
#include "decoder/decoder.h"
#include "decoder/edec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    using namespace encvp;
    const std::vector<uint8_t> bytes = fuzz::with_container_crc(data, size);
    edec_file f;
    try {
        f = parse_edec_file(bytes, "fuzz.edec");
    } catch (const input_error&) {
        return 0;
    }
    const edec_graph_info info = analyze_edec(f);
    const std::vector<uint8_t> again = serialize_edec_file(f);
    if (parse_edec_file(again, "round-trip.edec").ops.size() != f.ops.size()) std::abort();
    // 2 x 3 code pixels: the output is at most 3 x (2 * 64) x (3 * 64) floats. Graphs up to 200k
    // MACs per code pixel (the seeds have up to 15k) are decoded; bigger ones, which use the same
    // kernels, took a fifth of the harness's time at a 2M limit.
    if (info.macs_per_code_pixel > 200000 || info.max_channels > 256) return 0;
    const unsigned h = 2, w = 3;
    std::vector<uint8_t> codes(std::size_t(f.code_channels) * h * w);
    for (std::size_t i = 0; i < codes.size(); ++i) codes[i] = uint8_t((i * 7 + 3) % 5 < 2);
    const code_tensor_view view{codes.data(), f.code_channels, h, w};
    frame_decoder dec(f, decoder_isa::generic);
    decode_options whole, tiled;
    whole.threads = tiled.threads = 1;
    tiled.tile_rows = tiled.tile_cols = 1;
    const std::vector<float> a = dec.decode_float(view, whole), b = dec.decode_float(view, tiled);
    if (a.size() != b.size() || (!a.empty() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) != 0)) std::abort();
    return 0;
}

// libFuzzer harness: the bitstream reader (.evc), plain and entropy-coded payloads. An accepted
// stream must survive a write/read round trip with the same geometry and codes, and every code
// bit must be readable.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "bitstream/bitstream.h"
#include "common/crc32.h"
#include "common/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    using namespace encvp;
    std::vector<uint8_t> bytes(data, data + size);
    // The stream ends with the CRC-32 of everything before it: store the mutated bytes' CRC, or
    // the fuzzer never gets past the checksum.
    if (bytes.size() >= 4) {
        const uint32_t crc = crc32(bytes.data(), bytes.size() - 4);
        for (int i = 0; i < 4; ++i) bytes[bytes.size() - 4 + std::size_t(i)] = uint8_t(crc >> (8 * i));
    }
    code_stream s;
    try {
        s = parse_code_stream(bytes, "fuzz.evc");
    } catch (const input_error&) {
        return 0;
    }
    const code_stream t = parse_code_stream(serialize_code_stream(s), "round-trip.evc");
    if (t.width != s.width || t.height != s.height || t.patch != s.patch || t.code_c != s.code_c ||
        t.code_h != s.code_h || t.code_w != s.code_w || t.flags != s.flags || t.net_crc != s.net_crc || t.codes != s.codes)
        std::abort();
    unsigned ones = 0;
    const uint32_t rows = s.rows(), cols = s.cols();
    for (uint32_t r = 0; r < rows; ++r)
        for (uint32_t c = 0; c < cols; ++c)
            for (unsigned ch = 0; ch < s.code_c; ++ch)
                for (unsigned y = 0; y < s.code_h; ++y)
                    for (unsigned x = 0; x < s.code_w; ++x) ones += unsigned(s.bit(r, c, ch, y, x));
    if (ones > s.total_bits()) std::abort();
    return 0;
}

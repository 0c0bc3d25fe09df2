// libFuzzer harness: the row-streaming image reader (sw/imageio/image_stream.cpp), read in
// bands of a varying number of rows. A file it accepts row by row must decode to the same pixels
// as the whole-image loader.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "common/error.h"
#include "fuzz_util.h"
#include "imageio/image.h"
#include "imageio/image_stream.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    using namespace encvp;
    static fuzz::mem_file file("fuzz.img");
    const std::string& path = file.set(data, size);
    image_limits lim;
    lim.max_pixels = uint64_t(1) << 22;
    image_reader rd;
    std::vector<uint8_t> got;
    try {
        rd.open(path, lim);
        const unsigned w = rd.width(), h = rd.height();
        got.resize(std::size_t(w) * h * 3);
        unsigned band = 1 + (size % 7);
        for (unsigned y = 0; y < h;) {
            const unsigned n = rd.read_rows(band, got.data() + std::size_t(y) * w * 3);
            if (n == 0) std::abort();
            y += n;
            band = band % 5 + 1;
        }
        if (rd.read_rows(1, got.data()) != 0) std::abort();
    } catch (const input_error&) {
        return 0;
    }
    image whole;
    try {
        whole = decode_image(std::vector<uint8_t>(data, data + size), "fuzz.img", lim);
    } catch (const input_error&) {
        std::abort();  // accepted row by row, refused whole
    }
    if (whole.rgb != got) std::abort();
    return 0;
}

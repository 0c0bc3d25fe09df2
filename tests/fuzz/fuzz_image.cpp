// libFuzzer harness: the whole-image loaders (PNG and JPEG by content, sw/imageio/image.cpp).
// The limits are the library's own except the pixel count, lowered so that the fuzzer spends
// its time on decoding rather than on allocating large frames (the size checks are the same code).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "common/error.h"
#include "imageio/image.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    using namespace encvp;
    image_limits lim;
    lim.max_pixels = uint64_t(1) << 22;
    const std::vector<uint8_t> bytes(data, data + size);
    try {
        const image img = decode_image(bytes, "fuzz.img", lim);
        if (img.rgb.size() != std::size_t(img.width) * img.height * 3 || img.width == 0 || img.height == 0) std::abort();
        const std::vector<uint8_t> chw = to_chw(img);
        if (chw.size() != img.rgb.size()) std::abort();
    } catch (const input_error&) {
    }
    return 0;
}

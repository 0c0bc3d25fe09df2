// Image files in and out: PNG and JPEG (detected by content, not extension), 8-bit RGB. Sizes are
// checked from the header before any pixel buffer is allocated.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace encvp {

struct image {
    unsigned width = 0, height = 0;
    std::vector<uint8_t> rgb;  // interleaved RGB, row-major, width*height*3 bytes

    uint8_t* px(unsigned x, unsigned y) { return &rgb[(std::size_t(y) * width + x) * 3]; }
    const uint8_t* px(unsigned x, unsigned y) const { return &rgb[(std::size_t(y) * width + x) * 3]; }
};

struct image_limits {
    unsigned max_side = 32768;
    uint64_t max_pixels = uint64_t(16384) * 16384;
    uint64_t max_file_bytes = uint64_t(1) << 30;
};

// Reads a PNG or JPEG; grey is expanded to RGB, alpha dropped, 16-bit reduced to 8.
// Throws input_error naming the file and the problem.
image read_image(const std::string& path, const image_limits& lim = image_limits());
image decode_image(const std::vector<uint8_t>& bytes, const std::string& source, const image_limits& lim = image_limits());
void write_png(const std::string& path, const image& img);
std::vector<uint8_t> encode_png(const image& img);
// JPEG at the given quality (1..100), 4:2:0 chroma subsampling.
std::vector<uint8_t> encode_jpeg(const image& img, int quality);

// Planar channel-major copy (CHW) of an image: what the encoder takes as input.
std::vector<uint8_t> to_chw(const image& img);

}  // namespace encvp

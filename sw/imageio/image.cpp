#include "imageio/image.h"

#include <csetjmp>
#include <cstdio>
#include <cstring>

#include <jpeglib.h>
#include <png.h>

#include "common/error.h"
#include "common/file.h"
#include "imageio/decode_limits.h"

namespace encvp {

namespace {

void check_size(uint64_t w, uint64_t h, const std::string& src, const image_limits& lim) {
    if (w == 0 || h == 0) throw input_error(src, "image has zero width or height");
    if (w > lim.max_side || h > lim.max_side || w * h > lim.max_pixels)
        throw input_error(src, "image is " + std::to_string(w) + "x" + std::to_string(h) + ", larger than the limit of " +
                                   std::to_string(lim.max_side) + " per side and " + std::to_string(lim.max_pixels) + " pixels");
}

// ---- PNG ----
struct png_reader {
    const std::vector<uint8_t>* data;
    std::size_t pos;
};

void png_read_cb(png_structp png, png_bytep out, png_size_t len) {
    auto* r = static_cast<png_reader*>(png_get_io_ptr(png));
    if (r->pos + len > r->data->size()) png_error(png, "truncated PNG data");
    std::memcpy(out, r->data->data() + r->pos, len);
    r->pos += len;
}

void png_error_cb(png_structp png, png_const_charp msg) {
    auto* err = static_cast<std::string*>(png_get_error_ptr(png));
    *err = msg;
    png_longjmp(png, 1);
}

void png_warning_cb(png_structp, png_const_charp) {}

image decode_png(const std::vector<uint8_t>& bytes, const std::string& src, const image_limits& lim) {
    std::string err;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &err, png_error_cb, png_warning_cb);
    if (!png) throw input_error(src, "cannot initialise the PNG decoder");
    png_infop info = png_create_info_struct(png);
    image img;
    std::vector<png_bytep> rows;
    png_reader reader{&bytes, 0};
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, nullptr);
        throw input_error(src, "invalid PNG: " + err);
    }
    png_set_read_fn(png, &reader, png_read_cb);
    png_set_user_limits(png, lim.max_side, lim.max_side);
    png_read_info(png, info);
    const png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    if (w == 0 || h == 0 || w > lim.max_side || h > lim.max_side || uint64_t(w) * h > lim.max_pixels)
        png_error(png, "image size outside the limits");  // no C++ exception inside the setjmp scope
    const int color = png_get_color_type(png, info);
    const int depth = png_get_bit_depth(png, info);
    if (depth == 16) png_set_strip_16(png);
    if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if ((color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA) && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    png_set_strip_alpha(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != std::size_t(w) * 3) png_error(png, "unexpected pixel layout after conversion");
    img.width = w;
    img.height = h;
    if (png_get_interlace_type(png, info) != PNG_INTERLACE_NONE) {  // Adam7: every pass touches every row
        img.rgb.resize(std::size_t(w) * h * 3);
        rows.resize(h);
        for (png_uint_32 y = 0; y < h; ++y) rows[y] = img.rgb.data() + std::size_t(y) * w * 3;
        png_read_image(png, rows.data());
    } else {  // row by row: the buffer grows with the rows the file really holds
        for (png_uint_32 y = 0; y < h; ++y) {
            img.rgb.resize(std::size_t(y + 1) * w * 3);
            png_read_row(png, img.rgb.data() + std::size_t(y) * w * 3, nullptr);
        }
    }
    png_read_end(png, nullptr);
    png_destroy_read_struct(&png, &info, nullptr);
    return img;
}

// ---- JPEG ----
image decode_jpeg(const std::vector<uint8_t>& bytes, const std::string& src, const image_limits& lim) {
    jpeg_decompress_struct cinfo;
    imageio_detail::jpeg_err err;
    std::memset(&cinfo, 0, sizeof cinfo);
    imageio_detail::install_jpeg_err(cinfo, err);
    image img;
    std::string size_problem;
    imageio_detail::jpeg_scan_limit scans;
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        throw input_error(src, imageio_detail::jpeg_problem(err, scans));
    }
    jpeg_create_decompress(&cinfo);
    cinfo.progress = &scans.mgr;
    jpeg_mem_src(&cinfo, bytes.data(), static_cast<unsigned long>(bytes.size()));
    jpeg_read_header(&cinfo, TRUE);
    cinfo.out_color_space = JCS_RGB;
    try {
        check_size(cinfo.image_width, cinfo.image_height, src, lim);
        const std::string memory = imageio_detail::jpeg_memory_problem(cinfo);
        if (!memory.empty()) throw input_error(src, memory);
    } catch (const input_error&) {
        jpeg_destroy_decompress(&cinfo);
        throw;
    }
    jpeg_start_decompress(&cinfo);
    if (cinfo.output_components != 3) {
        jpeg_destroy_decompress(&cinfo);
        throw input_error(src, "JPEG does not decode to 3 colour components");
    }
    img.width = cinfo.output_width;
    img.height = cinfo.output_height;
    while (cinfo.output_scanline < cinfo.output_height) {  // the buffer grows with the rows decoded
        img.rgb.resize(std::size_t(cinfo.output_scanline + 1) * img.width * 3);
        JSAMPROW row = img.rgb.data() + std::size_t(cinfo.output_scanline) * img.width * 3;
        if (jpeg_read_scanlines(&cinfo, &row, 1) != 1) {
            std::snprintf(err.msg, sizeof err.msg, "the decoder returned no rows");
            std::longjmp(err.jump, 1);
        }
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    if (err.warnings) throw input_error(src, std::string("corrupt or truncated JPEG: ") + err.msg);
    return img;
}

void png_write_cb(png_structp png, png_bytep data, png_size_t len) {
    auto* out = static_cast<std::vector<uint8_t>*>(png_get_io_ptr(png));
    out->insert(out->end(), data, data + len);
}
void png_flush_cb(png_structp) {}

}  // namespace

image decode_image(const std::vector<uint8_t>& bytes, const std::string& src, const image_limits& lim) {
    static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    if (bytes.size() >= 8 && std::memcmp(bytes.data(), png_sig, 8) == 0) {
        // check_size may throw inside the setjmp region; do the dimension check here first.
        if (bytes.size() >= 24) {
            const uint64_t w = uint64_t(bytes[16]) << 24 | uint64_t(bytes[17]) << 16 | uint64_t(bytes[18]) << 8 | bytes[19];
            const uint64_t h = uint64_t(bytes[20]) << 24 | uint64_t(bytes[21]) << 16 | uint64_t(bytes[22]) << 8 | bytes[23];
            check_size(w, h, src, lim);
            const std::string problem = imageio_detail::png_size_problem(bytes.data(), bytes.size(), bytes.size());
            if (!problem.empty()) throw input_error(src, "invalid PNG: " + problem);
        }
        return decode_png(bytes, src, lim);
    }
    if (bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF) return decode_jpeg(bytes, src, lim);
    throw input_error(src, "not a PNG or JPEG image (unrecognised signature)");
}

image read_image(const std::string& path, const image_limits& lim) {
    return decode_image(read_file(path, lim.max_file_bytes, "image file"), path, lim);
}

std::vector<uint8_t> encode_png(const image& img) {
    std::vector<uint8_t> out;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        throw std::runtime_error("PNG encoding failed");
    }
    png_set_write_fn(png, &out, png_write_cb, png_flush_cb);
    png_set_IHDR(png, info, img.width, img.height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (unsigned y = 0; y < img.height; ++y)
        png_write_row(png, const_cast<png_bytep>(img.rgb.data() + std::size_t(y) * img.width * 3));
    png_write_end(png, nullptr);
    png_destroy_write_struct(&png, &info);
    return out;
}

void write_png(const std::string& path, const image& img) { write_file(path, encode_png(img)); }

std::vector<uint8_t> encode_jpeg(const image& img, int quality) {
    jpeg_compress_struct cinfo;
    jpeg_error_mgr jerr;
    cinfo.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&cinfo);
    unsigned char* buf = nullptr;
    unsigned long len = 0;
    jpeg_mem_dest(&cinfo, &buf, &len);
    cinfo.image_width = img.width;
    cinfo.image_height = img.height;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = const_cast<JSAMPROW>(img.rgb.data() + std::size_t(cinfo.next_scanline) * img.width * 3);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    std::vector<uint8_t> out(buf, buf + len);
    jpeg_destroy_compress(&cinfo);
    std::free(buf);
    return out;
}

std::vector<uint8_t> to_chw(const image& img) {
    const std::size_t n = std::size_t(img.width) * img.height;
    std::vector<uint8_t> out(n * 3);
    for (std::size_t i = 0; i < n; ++i)
        for (unsigned c = 0; c < 3; ++c) out[c * n + i] = img.rgb[i * 3 + c];
    return out;
}

}  // namespace encvp

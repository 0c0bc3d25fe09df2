// Checks shared by the whole-image and the row-streaming readers (image.cpp, image_stream.cpp)
// that keep a hostile file from costing memory or time out of proportion to its size:
//  * a PNG header claiming more pixels than its file could hold even at deflate's best ratio
//    (1032:1) is refused before anything is allocated;
//  * a progressive JPEG needs its whole coefficient array in memory: refused above a limit;
//  * a JPEG with an absurd number of scans (each one a pass over that array) is stopped.
#pragma once

#include <csetjmp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include <jpeglib.h>
#include <jerror.h>  // after jpeglib.h

namespace encvp::imageio_detail {

// Deflate's best compression is 258 bytes of output per 2 bits of input.
constexpr uint64_t DEFLATE_MAX_RATIO = 1032;
// A progressive JPEG's coefficients (2 bytes each, 64 per block, every component) above this are refused.
constexpr uint64_t JPEG_MAX_COEFFICIENT_BYTES = uint64_t(1) << 30;
// Real progressive JPEGs have about ten scans.
constexpr int JPEG_MAX_SCANS = 1000;

// header: the first n bytes of a PNG file of file_bytes bytes. Returns "" or why the file cannot
// be the image its IHDR describes.
inline std::string png_size_problem(const uint8_t* header, std::size_t n, uint64_t file_bytes) {
    if (n < 26) return "";  // libpng reports what is missing
    const uint64_t w = uint64_t(header[16]) << 24 | uint64_t(header[17]) << 16 | uint64_t(header[18]) << 8 | header[19];
    const uint64_t h = uint64_t(header[20]) << 24 | uint64_t(header[21]) << 16 | uint64_t(header[22]) << 8 | header[23];
    const unsigned depth = header[24], color = header[25];
    const unsigned channels = color == 2 ? 3 : color == 4 ? 2 : color == 6 ? 4 : 1;
    if (w == 0 || h == 0 || depth == 0 || depth > 16) return "";  // libpng reports the bad header
    const uint64_t row = (w * channels * depth + 7) / 8 + 1;      // filter byte + pixels, no interlacing
    if (row > (uint64_t(1) << 40) / h) return "";                  // the size limits refuse this one
    if (file_bytes * DEFLATE_MAX_RATIO >= row * h) return "";
    return "the header claims " + std::to_string(w) + "x" + std::to_string(h) + " pixels, which need at least " +
           std::to_string(row * h / DEFLATE_MAX_RATIO) + " bytes of compressed data, but the file has " +
           std::to_string(file_bytes) + " bytes (truncated?)";
}

// After jpeg_read_header: "" or why the image would need too much memory.
inline std::string jpeg_memory_problem(const jpeg_decompress_struct& c) {
    if (!c.progressive_mode) return "";  // sequential JPEGs are decoded one row of blocks at a time
    const uint64_t mcu_w = uint64_t(c.max_h_samp_factor) * 8, mcu_h = uint64_t(c.max_v_samp_factor) * 8;
    uint64_t bytes = 0;
    for (int i = 0; i < c.num_components; ++i) {
        const jpeg_component_info& k = c.comp_info[i];
        const uint64_t bw = (uint64_t(c.image_width) + mcu_w - 1) / mcu_w * uint64_t(k.h_samp_factor);
        const uint64_t bh = (uint64_t(c.image_height) + mcu_h - 1) / mcu_h * uint64_t(k.v_samp_factor);
        bytes += bw * bh * 64 * 2;
    }
    if (bytes <= JPEG_MAX_COEFFICIENT_BYTES) return "";
    return "progressive JPEG of " + std::to_string(c.image_width) + "x" + std::to_string(c.image_height) + " needs " +
           std::to_string(bytes >> 20) + " MiB of coefficient memory, above the limit of " +
           std::to_string(JPEG_MAX_COEFFICIENT_BYTES >> 20) + " MiB";
}

// Install on a decompressor (cinfo.progress = &limit.mgr): a file with more than JPEG_MAX_SCANS
// scans ends in the error handler with `hit` set.
struct jpeg_scan_limit {
    jpeg_progress_mgr mgr{};
    bool hit = false;
    jpeg_scan_limit() { mgr.progress_monitor = &monitor; }
    static void monitor(j_common_ptr c) {
        auto* self = reinterpret_cast<jpeg_scan_limit*>(c->progress);
        const auto* d = reinterpret_cast<j_decompress_ptr>(c);
        if (!c->is_decompressor || d->input_scan_number <= JPEG_MAX_SCANS) return;
        self->hit = true;
        c->err->msg_code = JERR_BAD_SCAN_SCRIPT;
        (*c->err->error_exit)(c);
    }
    std::string what() const { return "more than " + std::to_string(JPEG_MAX_SCANS) + " scans"; }
};

// libjpeg error plumbing shared by the whole-image and the streaming loader: errors and
// warnings both end decoding (longjmp to the caller's setjmp); libjpeg only *warns* about
// truncated or corrupt data and would fill in grey, but the image is refused anyway, and going
// on would read a truncated file one empty refill at a time.
struct jpeg_err {
    jpeg_error_mgr mgr;
    std::jmp_buf jump;
    char msg[JMSG_LENGTH_MAX];
    int warnings = 0;
};

inline void jpeg_error_exit(j_common_ptr cinfo) {
    auto* e = reinterpret_cast<jpeg_err*>(cinfo->err);
    (*cinfo->err->format_message)(cinfo, e->msg);
    std::longjmp(e->jump, 1);
}

inline void jpeg_warning_stop(j_common_ptr cinfo, int level) {
    if (level >= 0) return;  // trace messages
    auto* e = reinterpret_cast<jpeg_err*>(cinfo->err);
    if (e->warnings++ == 0) (*cinfo->err->format_message)(cinfo, e->msg);
    std::longjmp(e->jump, 1);
}

// Points cinfo's error manager at err (before jpeg_create_decompress).
inline void install_jpeg_err(jpeg_decompress_struct& cinfo, jpeg_err& err) {
    cinfo.err = jpeg_std_error(&err.mgr);
    err.mgr.error_exit = jpeg_error_exit;
    err.mgr.emit_message = jpeg_warning_stop;
    err.msg[0] = 0;
    err.warnings = 0;
}

// The message after a longjmp: the scan limit, a warning (truncated or corrupt data) or an error.
inline std::string jpeg_problem(const jpeg_err& err, const jpeg_scan_limit& scans) {
    if (scans.hit) return "invalid JPEG: " + scans.what();
    return std::string(err.warnings ? "corrupt or truncated JPEG: " : "invalid JPEG: ") + err.msg;
}

}  // namespace encvp::imageio_detail

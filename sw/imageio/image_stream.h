// Row-streaming image I/O: read a PNG or JPEG and write a PNG a few rows at a time, through
// libpng's and libjpeg's row interfaces, so a frame of any width is processed without holding it
// whole (what the full-frame decoder's band output feeds). Same formats, conversions, size limits
// and errors as image.h: 8-bit RGB, grey expanded, alpha dropped, 16-bit reduced to 8.
//
// One exception to the memory bound: an interlaced (Adam7) PNG cannot be delivered row by row
// before its last pass, so it is decoded whole at open() and then served row by row.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "imageio/image.h"

namespace encvp {

class image_reader {
public:
    image_reader();
    ~image_reader();
    image_reader(const image_reader&) = delete;
    image_reader& operator=(const image_reader&) = delete;

    // Opens `path` (PNG or JPEG, detected by content) and reads its header; checks the limits
    // before any pixel is decoded. Throws input_error naming the file.
    void open(const std::string& path, const image_limits& lim = image_limits());
    bool is_open() const;
    unsigned width() const;
    unsigned height() const;
    unsigned rows_read() const;
    // Decodes the next min(n, height - rows_read) rows into rgb_out (n * width * 3 bytes of
    // interleaved RGB) and returns that count (0 at the end). A corrupt or truncated file is an
    // input_error (found when the rows that show it are decoded); the reader is closed after one.
    unsigned read_rows(unsigned n, uint8_t* rgb_out);
    void close();

private:
    struct impl;
    std::unique_ptr<impl> p_;
};

class png_row_writer {
public:
    png_row_writer();
    // Without close(): the partial file is removed.
    ~png_row_writer();
    png_row_writer(const png_row_writer&) = delete;
    png_row_writer& operator=(const png_row_writer&) = delete;

    // Starts an 8-bit RGB PNG of width x height (1..lim.max_side each). The file appears at `path`
    // only when close() succeeds (written to path + ".tmp", then renamed).
    void open(const std::string& path, unsigned width, unsigned height, const image_limits& lim = image_limits());
    // Appends n rows of width * 3 bytes. More rows than the height is std::logic_error.
    void write_rows(unsigned n, const uint8_t* rgb);
    unsigned rows_written() const;
    // Finishes the file; std::logic_error if rows are missing. Write failures are input_error.
    void close();

private:
    struct impl;
    std::unique_ptr<impl> p_;
};

}  // namespace encvp

#include "imageio/image_stream.h"

#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <sys/stat.h>

#include <jpeglib.h>
#include <png.h>

#include "common/error.h"
#include "imageio/decode_limits.h"

namespace encvp {

// libpng and libjpeg report errors by longjmp. Every function below that calls them sets its jump
// point first and holds no object with a destructor across the calls; errors become input_error
// once back in plain C++.

namespace {

struct png_err {
    char msg[256];
};

void png_error_cb(png_structp png, png_const_charp msg) {
    auto* e = static_cast<png_err*>(png_get_error_ptr(png));
    std::snprintf(e->msg, sizeof e->msg, "%s", msg);
    png_longjmp(png, 1);
}
void png_warning_cb(png_structp, png_const_charp) {}

std::string size_problem(uint64_t w, uint64_t h, const image_limits& lim) {
    if (w == 0 || h == 0) return "image has zero width or height";
    if (w > lim.max_side || h > lim.max_side || w * h > lim.max_pixels)
        return "image is " + std::to_string(w) + "x" + std::to_string(h) + ", larger than the limit of " + std::to_string(lim.max_side) +
               " per side and " + std::to_string(lim.max_pixels) + " pixels";
    return "";
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Reader

struct image_reader::impl {
    enum class kind { none, png, jpeg, memory } k = kind::none;
    std::string path;
    std::FILE* fp = nullptr;
    unsigned w = 0, h = 0, row = 0;
    // PNG
    png_structp png = nullptr;
    png_infop info = nullptr;
    png_err perr{};
    // JPEG
    jpeg_decompress_struct cinfo{};
    imageio_detail::jpeg_err jerr{};
    imageio_detail::jpeg_scan_limit scans;
    bool jpeg_created = false;
    // interlaced PNG, decoded whole
    image whole;

    ~impl() { reset(); }

    void reset() {
        if (png) png_destroy_read_struct(&png, &info, nullptr);
        png = nullptr, info = nullptr;
        if (jpeg_created) jpeg_destroy_decompress(&cinfo);
        jpeg_created = false;
        if (fp) std::fclose(fp);
        fp = nullptr;
        whole = image();
        k = kind::none;
        w = h = row = 0;
    }

    [[noreturn]] void fail(const std::string& what) {
        const std::string p = path;
        reset();
        throw input_error(p, what);
    }

    // Returns 0 on success, 1 on a libpng error (message in perr), 2 if interlaced.
    int png_start(const image_limits& lim, png_uint_32* pw, png_uint_32* ph) {
        png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &perr, png_error_cb, png_warning_cb);
        if (!png) return std::snprintf(perr.msg, sizeof perr.msg, "cannot initialise the PNG decoder"), 1;
        info = png_create_info_struct(png);
        if (!info) return std::snprintf(perr.msg, sizeof perr.msg, "cannot initialise the PNG decoder"), 1;
        if (setjmp(png_jmpbuf(png))) return 1;
        png_init_io(png, fp);
        png_set_user_limits(png, lim.max_side, lim.max_side);
        png_read_info(png, info);
        *pw = png_get_image_width(png, info);
        *ph = png_get_image_height(png, info);
        return png_get_interlace_type(png, info) != PNG_INTERLACE_NONE ? 2 : 0;
    }

    // The conversions of image.cpp; 0 on success, 1 on error.
    int png_setup() {
        if (setjmp(png_jmpbuf(png))) return 1;
        const int color = png_get_color_type(png, info);
        const int depth = png_get_bit_depth(png, info);
        if (depth == 16) png_set_strip_16(png);
        if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
        if ((color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA) && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
        if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
        if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
        png_set_strip_alpha(png);
        png_read_update_info(png, info);
        if (png_get_rowbytes(png, info) != std::size_t(w) * 3) png_error(png, "unexpected pixel layout after conversion");
        return 0;
    }

    int png_rows(unsigned n, uint8_t* out) {
        if (setjmp(png_jmpbuf(png))) return 1;
        for (unsigned i = 0; i < n; ++i) png_read_row(png, out + std::size_t(i) * w * 3, nullptr);
        if (row + n == h) png_read_end(png, nullptr);
        return 0;
    }

    std::string jpeg_problem() const { return imageio_detail::jpeg_problem(jerr, scans); }

    int jpeg_start() {
        if (setjmp(jerr.jump)) return 1;
        jpeg_create_decompress(&cinfo);
        jpeg_created = true;
        scans.hit = false;
        cinfo.progress = &scans.mgr;
        jpeg_stdio_src(&cinfo, fp);
        jpeg_read_header(&cinfo, TRUE);
        cinfo.out_color_space = JCS_RGB;
        return 0;
    }

    int jpeg_begin() {
        if (setjmp(jerr.jump)) return 1;
        jpeg_start_decompress(&cinfo);
        return 0;
    }

    int jpeg_rows(unsigned n, uint8_t* out) {
        if (setjmp(jerr.jump)) return 1;
        for (unsigned i = 0; i < n;) {
            JSAMPROW r = out + std::size_t(i) * w * 3;
            const JDIMENSION got = jpeg_read_scanlines(&cinfo, &r, 1);
            if (got == 0) return std::snprintf(jerr.msg, sizeof jerr.msg, "the decoder returned no rows"), 1;
            i += got;
        }
        if (row + n == h) jpeg_finish_decompress(&cinfo);
        return 0;
    }
};

image_reader::image_reader() : p_(std::make_unique<impl>()) {}
image_reader::~image_reader() = default;

void image_reader::open(const std::string& path, const image_limits& lim) {
    impl& s = *p_;
    s.reset();
    s.path = path;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw input_error(path, std::string("cannot open image file: ") + std::strerror(errno));
    if (S_ISDIR(st.st_mode)) throw input_error(path, "is a directory, expected an image file");
    if (uint64_t(st.st_size) > lim.max_file_bytes)
        throw input_error(path, "image file is " + std::to_string(st.st_size) + " bytes, more than the " +
                                    std::to_string(lim.max_file_bytes) + "-byte limit");
    s.fp = std::fopen(path.c_str(), "rb");
    if (!s.fp) throw input_error(path, std::string("cannot open image file: ") + std::strerror(errno));
    unsigned char sig[26] = {};
    const std::size_t got = std::fread(sig, 1, 26, s.fp);
    std::rewind(s.fp);
    static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    if (got >= 8 && std::memcmp(sig, png_sig, 8) == 0) {
        if (got >= 24) {  // the IHDR size, checked before libpng sees it (as image.cpp)
            const uint64_t w = uint64_t(sig[16]) << 24 | uint64_t(sig[17]) << 16 | uint64_t(sig[18]) << 8 | sig[19];
            const uint64_t h = uint64_t(sig[20]) << 24 | uint64_t(sig[21]) << 16 | uint64_t(sig[22]) << 8 | sig[23];
            const std::string problem = size_problem(w, h, lim);
            if (!problem.empty()) s.fail(problem);
            const std::string room = imageio_detail::png_size_problem(sig, got, uint64_t(st.st_size));
            if (!room.empty()) s.fail("invalid PNG: " + room);
        }
        png_uint_32 w = 0, h = 0;
        const int r = s.png_start(lim, &w, &h);
        if (r == 1) s.fail(std::string("invalid PNG: ") + s.perr.msg);
        const std::string problem = size_problem(w, h, lim);
        if (!problem.empty()) s.fail(problem);
        if (r == 2) {
            // Adam7: no row is final before the last pass; decode the whole image.
            s.reset();
            s.path = path;
            s.whole = read_image(path, lim);
            s.k = impl::kind::memory;
            s.w = s.whole.width, s.h = s.whole.height;
            return;
        }
        s.k = impl::kind::png;
        s.w = w, s.h = h;
        if (s.png_setup()) s.fail(std::string("invalid PNG: ") + s.perr.msg);
        return;
    }
    if (got >= 3 && sig[0] == 0xFF && sig[1] == 0xD8 && sig[2] == 0xFF) {
        imageio_detail::install_jpeg_err(s.cinfo, s.jerr);
        if (s.jpeg_start()) s.fail(s.jpeg_problem());
        const std::string problem = size_problem(s.cinfo.image_width, s.cinfo.image_height, lim);
        if (!problem.empty()) s.fail(problem);
        const std::string memory = imageio_detail::jpeg_memory_problem(s.cinfo);
        if (!memory.empty()) s.fail(memory);
        if (s.jpeg_begin()) s.fail(s.jpeg_problem());
        if (s.cinfo.output_components != 3) s.fail("JPEG does not decode to 3 colour components");
        s.k = impl::kind::jpeg;
        s.w = s.cinfo.output_width, s.h = s.cinfo.output_height;
        return;
    }
    s.fail("not a PNG or JPEG image (unrecognised signature)");
}

bool image_reader::is_open() const { return p_->k != impl::kind::none; }
unsigned image_reader::width() const { return p_->w; }
unsigned image_reader::height() const { return p_->h; }
unsigned image_reader::rows_read() const { return p_->row; }

unsigned image_reader::read_rows(unsigned n, uint8_t* rgb_out) {
    impl& s = *p_;
    if (s.k == impl::kind::none) throw std::logic_error("image_reader::read_rows: no image is open");
    n = std::min(n, s.h - s.row);
    if (n == 0) return 0;
    switch (s.k) {
    case impl::kind::png:
        if (s.png_rows(n, rgb_out)) s.fail(std::string("invalid PNG: ") + s.perr.msg);
        break;
    case impl::kind::jpeg:
        if (s.jpeg_rows(n, rgb_out)) s.fail(s.jpeg_problem());
        break;
    case impl::kind::memory:
        std::memcpy(rgb_out, s.whole.rgb.data() + std::size_t(s.row) * s.w * 3, std::size_t(n) * s.w * 3);
        break;
    case impl::kind::none:
        break;
    }
    s.row += n;
    return n;
}

void image_reader::close() { p_->reset(); }

// ---------------------------------------------------------------------------------------------
// Writer

struct png_row_writer::impl {
    std::string path, tmp;
    std::FILE* fp = nullptr;
    png_structp png = nullptr;
    png_infop info = nullptr;
    png_err perr{};
    unsigned w = 0, h = 0, row = 0;

    ~impl() { abandon(); }

    void abandon() {
        if (png) png_destroy_write_struct(&png, &info);
        png = nullptr, info = nullptr;
        if (fp) {
            std::fclose(fp);
            std::remove(tmp.c_str());
        }
        fp = nullptr;
        w = h = row = 0;
    }
    [[noreturn]] void fail(const std::string& what) {
        const std::string p = path;
        abandon();
        throw input_error(p, what);
    }

    int start() {
        png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &perr, png_error_cb, png_warning_cb);
        if (!png) return std::snprintf(perr.msg, sizeof perr.msg, "cannot initialise the PNG encoder"), 1;
        info = png_create_info_struct(png);
        if (!info) return std::snprintf(perr.msg, sizeof perr.msg, "cannot initialise the PNG encoder"), 1;
        if (setjmp(png_jmpbuf(png))) return 1;
        png_init_io(png, fp);
        png_set_IHDR(png, info, w, h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
        png_write_info(png, info);
        return 0;
    }
    int rows(unsigned n, const uint8_t* rgb) {
        if (setjmp(png_jmpbuf(png))) return 1;
        for (unsigned i = 0; i < n; ++i) png_write_row(png, const_cast<png_bytep>(rgb + std::size_t(i) * w * 3));
        return 0;
    }
    int end() {
        if (setjmp(png_jmpbuf(png))) return 1;
        png_write_end(png, nullptr);
        return 0;
    }
};

png_row_writer::png_row_writer() : p_(std::make_unique<impl>()) {}
png_row_writer::~png_row_writer() = default;

void png_row_writer::open(const std::string& path, unsigned width, unsigned height, const image_limits& lim) {
    impl& s = *p_;
    s.abandon();
    const std::string problem = size_problem(width, height, lim);
    if (!problem.empty()) throw std::invalid_argument(path + ": cannot write a PNG: " + problem);
    s.path = path;
    s.tmp = path + ".tmp";
    s.fp = std::fopen(s.tmp.c_str(), "wb");
    if (!s.fp) throw input_error(path, std::string("cannot create output file: ") + std::strerror(errno));
    s.w = width, s.h = height, s.row = 0;
    if (s.start()) s.fail(std::string("cannot write PNG: ") + s.perr.msg);
}

void png_row_writer::write_rows(unsigned n, const uint8_t* rgb) {
    impl& s = *p_;
    if (!s.png) throw std::logic_error("png_row_writer::write_rows: no file is open");
    if (n > s.h - s.row)
        throw std::logic_error("png_row_writer::write_rows: " + std::to_string(s.row + n) + " rows exceed the image height " +
                               std::to_string(s.h));
    if (s.rows(n, rgb)) s.fail(std::string("cannot write PNG: ") + s.perr.msg);
    s.row += n;
}

unsigned png_row_writer::rows_written() const { return p_->row; }

void png_row_writer::close() {
    impl& s = *p_;
    if (!s.png) throw std::logic_error("png_row_writer::close: no file is open");
    if (s.row != s.h)
        throw std::logic_error("png_row_writer::close: " + std::to_string(s.row) + " of " + std::to_string(s.h) + " rows written");
    if (s.end()) s.fail(std::string("cannot write PNG: ") + s.perr.msg);
    png_destroy_write_struct(&s.png, &s.info);
    s.png = nullptr, s.info = nullptr;
    const bool bad = std::ferror(s.fp) != 0;
    const int rc = std::fclose(s.fp);
    s.fp = nullptr;
    if (bad || rc != 0) {
        std::remove(s.tmp.c_str());
        throw input_error(s.path, std::string("cannot write output file: ") + std::strerror(errno));
    }
    if (std::rename(s.tmp.c_str(), s.path.c_str()) != 0) {
        std::remove(s.tmp.c_str());
        throw input_error(s.path, std::string("cannot write output file: ") + std::strerror(errno));
    }
}

}  // namespace encvp

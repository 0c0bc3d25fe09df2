// Row-streaming image I/O (sw/imageio/image_stream): the streamed pixels equal read_image()'s for
// PNGs of every colour type (interlaced included) and JPEGs, the row writer's files read back
// exactly, and bad input or misuse is a clear error.
#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <png.h>

#include "common/error.h"
#include "common/file.h"
#include "imageio/image.h"
#include "imageio/image_stream.h"
#include "sw_test_util.h"

using encvp::image;
using encvp::image_reader;
using encvp::input_error;
using encvp::png_row_writer;

namespace {

image random_image(unsigned w, unsigned h, uint32_t seed) {
    std::mt19937 rng(seed);
    image img;
    img.width = w, img.height = h;
    img.rgb.resize(std::size_t(w) * h * 3);
    for (auto& v : img.rgb) v = uint8_t(rng());
    return img;
}

void png_write_to_vector(png_structp png, png_bytep data, png_size_t len) {
    auto* out = static_cast<std::vector<uint8_t>*>(png_get_io_ptr(png));
    out->insert(out->end(), data, data + len);
}
void png_flush_nothing(png_structp) {}

// A PNG of any colour type and depth; rows in libpng's packed format.
std::vector<uint8_t> make_png(unsigned w, unsigned h, int color_type, int depth, const std::vector<std::vector<uint8_t>>& rows,
                              bool interlace = false, const std::vector<png_color>& palette = {}) {
    std::vector<uint8_t> out;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        ADD_FAILURE() << "libpng failed to write the test image";
        return {};
    }
    png_set_write_fn(png, &out, png_write_to_vector, png_flush_nothing);
    png_set_IHDR(png, info, w, h, depth, color_type, interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (!palette.empty()) png_set_PLTE(png, info, palette.data(), int(palette.size()));
    png_write_info(png, info);
    std::vector<png_bytep> ptrs;
    for (const auto& r : rows) ptrs.push_back(const_cast<png_bytep>(r.data()));
    png_write_image(png, ptrs.data());
    png_write_end(png, nullptr);
    png_destroy_write_struct(&png, &info);
    return out;
}

// Streams the whole file in chunks of `chunk` rows.
image stream_read(const std::string& path, unsigned chunk, const encvp::image_limits& lim = encvp::image_limits()) {
    image_reader r;
    r.open(path, lim);
    image img;
    img.width = r.width(), img.height = r.height();
    img.rgb.resize(std::size_t(img.width) * img.height * 3);
    unsigned y = 0;
    while (unsigned n = r.read_rows(chunk, img.rgb.data() + std::size_t(y) * img.width * 3)) {
        EXPECT_LE(n, chunk);
        y += n;
        EXPECT_EQ(r.rows_read(), y);
    }
    EXPECT_EQ(y, img.height);
    return img;
}

std::string open_error(const std::string& path, const encvp::image_limits& lim = encvp::image_limits()) {
    try {
        image_reader r;
        r.open(path, lim);
        std::vector<uint8_t> buf(std::size_t(r.width()) * 3 * 4);
        while (r.read_rows(4, buf.data())) {
        }
    } catch (const input_error& e) {
        EXPECT_EQ(e.source(), path);
        return e.what();
    }
    return "";
}

#define EXPECT_HAS(haystack, needle) EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << (haystack)

}  // namespace

TEST(ImageStream, PngRgbMatchesReadImage) {
    encvp::test::temp_dir dir;
    const image img = random_image(37, 23, 1);
    encvp::write_png(dir.file("a.png"), img);
    for (unsigned chunk : {1u, 3u, 23u, 100u}) {
        const image s = stream_read(dir.file("a.png"), chunk);
        EXPECT_EQ(s.width, 37u);
        EXPECT_EQ(s.rgb, img.rgb) << chunk;
    }
}

TEST(ImageStream, PngColourTypesAndInterlaceMatchReadImage) {
    encvp::test::temp_dir dir;
    std::mt19937 rng(2);
    const unsigned w = 19, h = 11;
    auto rows = [&](std::size_t bytes) {
        std::vector<std::vector<uint8_t>> r(h, std::vector<uint8_t>(bytes));
        for (auto& row : r)
            for (auto& v : row) v = uint8_t(rng());
        return r;
    };
    std::vector<png_color> pal(16);
    for (auto& c : pal) c = {uint8_t(rng()), uint8_t(rng()), uint8_t(rng())};
    auto pal_rows = rows(w);
    for (auto& row : pal_rows)
        for (auto& v : row) v %= 16;
    const struct {
        const char* name;
        std::vector<uint8_t> bytes;
    } cases[] = {
        {"grey8", make_png(w, h, PNG_COLOR_TYPE_GRAY, 8, rows(w))},
        {"grey1", make_png(w, h, PNG_COLOR_TYPE_GRAY, 1, rows((w + 7) / 8))},
        {"grey_alpha16", make_png(w, h, PNG_COLOR_TYPE_GRAY_ALPHA, 16, rows(w * 4))},
        {"rgba8", make_png(w, h, PNG_COLOR_TYPE_RGBA, 8, rows(w * 4))},
        {"rgb16", make_png(w, h, PNG_COLOR_TYPE_RGB, 16, rows(w * 6))},
        {"palette8", make_png(w, h, PNG_COLOR_TYPE_PALETTE, 8, pal_rows, false, pal)},
        {"rgb8_interlaced", make_png(w, h, PNG_COLOR_TYPE_RGB, 8, rows(w * 3), true)},
        {"grey8_interlaced", make_png(w, h, PNG_COLOR_TYPE_GRAY, 8, rows(w), true)},
    };
    for (const auto& c : cases) {
        const std::string path = dir.file(std::string(c.name) + ".png");
        encvp::write_file(path, c.bytes);
        const image ref = encvp::read_image(path);
        const image s = stream_read(path, 4);
        EXPECT_EQ(s.width, ref.width) << c.name;
        EXPECT_EQ(s.height, ref.height) << c.name;
        EXPECT_EQ(s.rgb, ref.rgb) << c.name;
    }
}

TEST(ImageStream, JpegMatchesReadImage) {
    encvp::test::temp_dir dir;
    const image img = random_image(45, 31, 3);
    encvp::write_file(dir.file("a.jpg"), encvp::encode_jpeg(img, 85));
    const image ref = encvp::read_image(dir.file("a.jpg"));
    for (unsigned chunk : {1u, 7u, 64u}) EXPECT_EQ(stream_read(dir.file("a.jpg"), chunk).rgb, ref.rgb) << chunk;
}

TEST(ImageStream, WriterRoundTripInChunks) {
    encvp::test::temp_dir dir;
    const image img = random_image(53, 29, 4);
    png_row_writer w;
    w.open(dir.file("out.png"), img.width, img.height);
    unsigned y = 0, n = 1;
    while (y < img.height) {
        const unsigned k = std::min(n, img.height - y);
        w.write_rows(k, img.rgb.data() + std::size_t(y) * img.width * 3);
        y += k;
        n = n * 2 + 1;
        EXPECT_EQ(w.rows_written(), y);
    }
    EXPECT_FALSE(std::ifstream(dir.file("out.png")).good());  // appears only on close
    w.close();
    EXPECT_FALSE(std::ifstream(dir.file("out.png.tmp")).good());
    EXPECT_EQ(encvp::read_image(dir.file("out.png")).rgb, img.rgb);
}

// A 16384-pixel-wide picture goes through writer and reader a few rows at a time.
TEST(ImageStream, WideImageStreams) {
    encvp::test::temp_dir dir;
    const unsigned W = 16384, H = 48, chunk = 8;
    std::vector<uint8_t> rows(std::size_t(W) * chunk * 3);
    png_row_writer w;
    w.open(dir.file("wide.png"), W, H);
    for (unsigned y = 0; y < H; y += chunk) {
        for (unsigned r = 0; r < chunk; ++r)
            for (unsigned x = 0; x < W; ++x)
                for (unsigned c = 0; c < 3; ++c) rows[(std::size_t(r) * W + x) * 3 + c] = uint8_t((x >> 6) + 3 * (y + r) + 50 * c);
        w.write_rows(chunk, rows.data());
    }
    w.close();
    image_reader r;
    r.open(dir.file("wide.png"));
    EXPECT_EQ(r.width(), W);
    EXPECT_EQ(r.height(), H);
    std::vector<uint8_t> got(std::size_t(W) * 5 * 3);
    unsigned y = 0;
    while (unsigned n = r.read_rows(5, got.data())) {
        for (unsigned k = 0; k < n; ++k)
            for (unsigned x = 0; x < W; x += 123)
                ASSERT_EQ(got[(std::size_t(k) * W + x) * 3 + 2], uint8_t((x >> 6) + 3 * (y + k) + 100)) << y + k << " " << x;
        y += n;
    }
    EXPECT_EQ(y, H);
    EXPECT_EQ(r.read_rows(5, got.data()), 0u);
}

TEST(ImageStream, WriterMisuse) {
    encvp::test::temp_dir dir;
    const image img = random_image(8, 4, 5);
    {
        png_row_writer w;
        w.open(dir.file("short.png"), 8, 4);
        w.write_rows(3, img.rgb.data());
        EXPECT_THROW(w.write_rows(2, img.rgb.data()), std::logic_error);
        EXPECT_THROW(w.close(), std::logic_error);
    }  // destroyed without a successful close: nothing left behind
    EXPECT_FALSE(std::ifstream(dir.file("short.png")).good());
    EXPECT_FALSE(std::ifstream(dir.file("short.png.tmp")).good());
    png_row_writer w;
    EXPECT_THROW(w.write_rows(1, img.rgb.data()), std::logic_error);
    EXPECT_THROW(w.open(dir.file("x.png"), 0, 4), std::invalid_argument);
    EXPECT_THROW(w.open(dir.file("x.png"), 40000, 4), std::invalid_argument);
    EXPECT_THROW(w.open(dir.file("no/such/dir/x.png"), 8, 4), input_error);
}

TEST(ImageStream, BadInputIsAClearError) {
    encvp::test::temp_dir dir;
    EXPECT_HAS(open_error(dir.file("missing.png")), "cannot open image file");
    EXPECT_HAS(open_error(dir.path()), "is a directory");
    encvp::write_file(dir.file("text.png"), {'h', 'e', 'l', 'l', 'o'});
    EXPECT_HAS(open_error(dir.file("text.png")), "not a PNG or JPEG image");
    encvp::write_file(dir.file("empty.png"), {});
    EXPECT_HAS(open_error(dir.file("empty.png")), "not a PNG or JPEG image");
    const image img = random_image(64, 64, 6);
    const std::vector<uint8_t> png = encvp::encode_png(img);
    encvp::write_file(dir.file("cut.png"), std::vector<uint8_t>(png.begin(), png.begin() + long(png.size() / 2)));
    EXPECT_HAS(open_error(dir.file("cut.png")), "invalid PNG");
    encvp::write_file(dir.file("header_only.png"), std::vector<uint8_t>(png.begin(), png.begin() + 20));
    EXPECT_HAS(open_error(dir.file("header_only.png")), "invalid PNG");
    std::vector<uint8_t> corrupt = png;
    corrupt[corrupt.size() / 2] ^= 0xFF;
    encvp::write_file(dir.file("corrupt.png"), corrupt);
    EXPECT_HAS(open_error(dir.file("corrupt.png")), "invalid PNG");
    const std::vector<uint8_t> jpg = encvp::encode_jpeg(img, 90);
    // Cut inside the header: libjpeg warns at the end of the data; the reader stops at the first
    // warning with the same message as the whole-image loader.
    encvp::write_file(dir.file("cut.jpg"), std::vector<uint8_t>(jpg.begin(), jpg.begin() + 40));
    EXPECT_HAS(open_error(dir.file("cut.jpg")), "corrupt or truncated JPEG: Premature end of JPEG file");
    try {
        encvp::read_image(dir.file("cut.jpg"));
        ADD_FAILURE() << "read_image accepted a JPEG cut after 40 bytes";
    } catch (const input_error& e) {
        EXPECT_EQ(std::string(e.what()), open_error(dir.file("cut.jpg")));
    }
    // Cut in the middle of the scan: libjpeg only warns (and fills in grey); refused like read_image.
    encvp::write_file(dir.file("half.jpg"), std::vector<uint8_t>(jpg.begin(), jpg.begin() + long(jpg.size() * 6 / 10)));
    EXPECT_HAS(open_error(dir.file("half.jpg")), "corrupt or truncated JPEG");
    EXPECT_THROW(encvp::read_image(dir.file("half.jpg")), input_error);
    // Limits, checked before any pixel is decoded.
    encvp::image_limits lim;
    lim.max_side = 32;
    encvp::write_file(dir.file("big.png"), png);
    EXPECT_HAS(open_error(dir.file("big.png"), lim), "64x64, larger than the limit of 32 per side");
    encvp::write_file(dir.file("big.jpg"), jpg);
    EXPECT_HAS(open_error(dir.file("big.jpg"), lim), "64x64, larger than the limit of 32 per side");
    lim = encvp::image_limits();
    lim.max_file_bytes = 100;
    EXPECT_HAS(open_error(dir.file("big.png"), lim), "more than the 100-byte limit");
    // Reading from a closed reader is misuse, not bad input.
    image_reader r;
    std::vector<uint8_t> buf(64 * 3);
    EXPECT_THROW(r.read_rows(1, buf.data()), std::logic_error);
    r.open(dir.file("big.png"));
    EXPECT_TRUE(r.is_open());
    r.close();
    EXPECT_FALSE(r.is_open());
}

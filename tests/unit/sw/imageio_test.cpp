// Image I/O: PNG and JPEG round trips, PNG colour-type/bit-depth conversions, and bad input of
// every kind (truncated, corrupt, oversized headers, not an image) as input_error naming the file.
#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <jpeglib.h>
#include <png.h>

#include "common/crc32.h"
#include "common/error.h"
#include "common/file.h"
#include "imageio/image.h"
#include "sw_test_util.h"

using encvp::image;
using encvp::input_error;

namespace {

image random_image(unsigned w, unsigned h, uint32_t seed) {
    std::mt19937 rng(seed);
    image img;
    img.width = w;
    img.height = h;
    img.rgb.resize(std::size_t(w) * h * 3);
    for (auto& v : img.rgb) v = uint8_t(rng());
    return img;
}

// A smooth picture JPEG keeps well.
image smooth_image(unsigned w, unsigned h) {
    image img;
    img.width = w;
    img.height = h;
    img.rgb.resize(std::size_t(w) * h * 3);
    for (unsigned y = 0; y < h; ++y)
        for (unsigned x = 0; x < w; ++x) {
            uint8_t* p = img.px(x, y);
            p[0] = uint8_t(40 + 150 * x / w);
            p[1] = uint8_t(30 + 180 * y / h);
            p[2] = uint8_t(128 + 60 * std::sin(double(x + y) / 9.0));
        }
    return img;
}

// ---- writing PNGs of any colour type with libpng ----
void png_write_to_vector(png_structp png, png_bytep data, png_size_t len) {
    auto* out = static_cast<std::vector<uint8_t>*>(png_get_io_ptr(png));
    out->insert(out->end(), data, data + len);
}
void png_flush_nothing(png_structp) {}

// rows: each row already in libpng's packed format for (color_type, depth), big-endian for 16-bit.
std::vector<uint8_t> make_png(unsigned w, unsigned h, int color_type, int depth, const std::vector<std::vector<uint8_t>>& rows,
                              bool interlace = false, const std::vector<png_color>& palette = {},
                              const std::vector<uint8_t>& trns = {}) {
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
    if (!trns.empty()) png_set_tRNS(png, info, trns.data(), int(trns.size()), nullptr);
    png_write_info(png, info);
    std::vector<png_bytep> ptrs;
    for (const auto& r : rows) ptrs.push_back(const_cast<png_bytep>(r.data()));
    png_write_image(png, ptrs.data());
    png_write_end(png, nullptr);
    png_destroy_write_struct(&png, &info);
    return out;
}

// ---- writing a greyscale JPEG with libjpeg ----
std::vector<uint8_t> make_grey_jpeg(unsigned w, unsigned h, const std::vector<uint8_t>& grey) {
    jpeg_compress_struct c;
    jpeg_error_mgr err;
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    unsigned char* buf = nullptr;
    unsigned long len = 0;
    jpeg_mem_dest(&c, &buf, &len);
    c.image_width = w;
    c.image_height = h;
    c.input_components = 1;
    c.in_color_space = JCS_GRAYSCALE;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 100, TRUE);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = const_cast<JSAMPROW>(grey.data() + std::size_t(c.next_scanline) * w);
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    std::vector<uint8_t> out(buf, buf + len);
    jpeg_destroy_compress(&c);
    std::free(buf);
    return out;
}

const std::string SRC = "picture.img";

// The error message for bytes, or "" when they decoded. Exceptions other than input_error fail.
std::string decode_error(const std::vector<uint8_t>& bytes, const encvp::image_limits& lim = encvp::image_limits()) {
    try {
        encvp::decode_image(bytes, SRC, lim);
    } catch (const input_error& e) {
        EXPECT_EQ(e.source(), SRC);
        EXPECT_NE(std::string(e.what()).find(SRC), std::string::npos) << e.what();
        return e.what();
    }
    return "";
}

void expect_close(const image& a, const image& b, int max_abs, double max_mean) {
    ASSERT_EQ(a.width, b.width);
    ASSERT_EQ(a.height, b.height);
    ASSERT_EQ(a.rgb.size(), b.rgb.size());
    int worst = 0;
    double sum = 0;
    for (std::size_t i = 0; i < a.rgb.size(); ++i) {
        const int d = std::abs(int(a.rgb[i]) - int(b.rgb[i]));
        worst = std::max(worst, d);
        sum += d;
    }
    EXPECT_LE(worst, max_abs);
    EXPECT_LE(sum / double(a.rgb.size()), max_mean);
}

// Offset of the byte after a JPEG SOFn marker (FF C0 / FF C2), or npos.
std::size_t find_sof(const std::vector<uint8_t>& j) {
    for (std::size_t i = 2; i + 9 < j.size(); ++i)
        if (j[i] == 0xFF && (j[i + 1] == 0xC0 || j[i + 1] == 0xC2)) return i + 2;
    return std::string::npos;
}

// Offset of the first entropy-coded byte (after the SOS segment).
std::size_t find_scan(const std::vector<uint8_t>& j) {
    for (std::size_t i = 2; i + 4 < j.size(); ++i)
        if (j[i] == 0xFF && j[i + 1] == 0xDA) return i + 2 + (std::size_t(j[i + 2]) << 8 | j[i + 3]);
    return std::string::npos;
}

// ---------------------------------------------------------------------------------------------
// PNG
// ---------------------------------------------------------------------------------------------

TEST(Png, RoundTripIsExact) {
    for (auto [w, h] : {std::pair<unsigned, unsigned>{1, 1}, {13, 7}, {64, 3}, {5, 40}}) {
        const image img = random_image(w, h, w * 31 + h);
        const std::vector<uint8_t> bytes = encvp::encode_png(img);
        ASSERT_GE(bytes.size(), 8u);
        EXPECT_EQ(bytes[0], 0x89);
        EXPECT_EQ(bytes[1], 'P');
        const image back = encvp::decode_image(bytes, SRC);
        EXPECT_EQ(back.width, w);
        EXPECT_EQ(back.height, h);
        EXPECT_EQ(back.rgb, img.rgb);
    }
}

TEST(Png, WriteAndReadAFile) {
    encvp::test::temp_dir dir;
    const image img = random_image(9, 11, 5);
    // The reader detects PNG by content, not by the extension.
    const std::string path = dir.file("image.jpg");
    encvp::write_png(path, img);
    const image back = encvp::read_image(path);
    EXPECT_EQ(back.rgb, img.rgb);
    EXPECT_EQ(back.width, 9u);
    EXPECT_EQ(back.height, 11u);
}

TEST(Png, GreyIsExpandedToRgb) {
    // 8-bit grey 3x2.
    const std::vector<std::vector<uint8_t>> rows = {{0, 128, 255}, {1, 2, 3}};
    const image img = encvp::decode_image(make_png(3, 2, PNG_COLOR_TYPE_GRAY, 8, rows), SRC);
    ASSERT_EQ(img.rgb.size(), 18u);
    const uint8_t want[6] = {0, 128, 255, 1, 2, 3};
    for (int i = 0; i < 6; ++i)
        for (int c = 0; c < 3; ++c) EXPECT_EQ(img.rgb[std::size_t(i) * 3 + std::size_t(c)], want[i]) << i;
}

TEST(Png, LowBitDepthGreyIsScaledToEightBits) {
    // 1-bit: 1 -> 255. Row of 4 pixels 1,0,1,1 packed MSB first: 1011 0000.
    image img = encvp::decode_image(make_png(4, 1, PNG_COLOR_TYPE_GRAY, 1, {{0xB0}}), SRC);
    EXPECT_EQ(img.rgb, (std::vector<uint8_t>{255, 255, 255, 0, 0, 0, 255, 255, 255, 255, 255, 255}));
    // 2-bit: 0,1,2,3 -> 0, 85, 170, 255: 00 01 10 11 = 0x1B.
    img = encvp::decode_image(make_png(4, 1, PNG_COLOR_TYPE_GRAY, 2, {{0x1B}}), SRC);
    EXPECT_EQ(img.rgb, (std::vector<uint8_t>{0, 0, 0, 85, 85, 85, 170, 170, 170, 255, 255, 255}));
    // 4-bit: 0x8, 0xF -> 0x88, 0xFF.
    img = encvp::decode_image(make_png(2, 1, PNG_COLOR_TYPE_GRAY, 4, {{0x8F}}), SRC);
    EXPECT_EQ(img.rgb, (std::vector<uint8_t>{0x88, 0x88, 0x88, 0xFF, 0xFF, 0xFF}));
}

TEST(Png, AlphaIsDropped) {
    // Grey + alpha: (10, 0), (200, 255) -> grey kept whatever the alpha.
    image img = encvp::decode_image(make_png(2, 1, PNG_COLOR_TYPE_GRAY_ALPHA, 8, {{10, 0, 200, 255}}), SRC);
    EXPECT_EQ(img.rgb, (std::vector<uint8_t>{10, 10, 10, 200, 200, 200}));
    // RGBA: colour kept, alpha dropped (not composited).
    img = encvp::decode_image(make_png(2, 1, PNG_COLOR_TYPE_RGB_ALPHA, 8, {{1, 2, 3, 0, 250, 251, 252, 128}}), SRC);
    EXPECT_EQ(img.rgb, (std::vector<uint8_t>{1, 2, 3, 250, 251, 252}));
}

TEST(Png, SixteenBitIsReducedToEight) {
    // RGB 16-bit big-endian: 0xABCD, 0x0000, 0xFFFF, 0x1234, 0x8000, 0x00FF.
    const std::vector<uint8_t> row = {0xAB, 0xCD, 0x00, 0x00, 0xFF, 0xFF, 0x12, 0x34, 0x80, 0x00, 0x00, 0xFF};
    image img = encvp::decode_image(make_png(2, 1, PNG_COLOR_TYPE_RGB, 16, {row}), SRC);
    const unsigned v16[6] = {0xABCD, 0, 0xFFFF, 0x1234, 0x8000, 0x00FF};
    ASSERT_EQ(img.rgb.size(), 6u);
    for (int i = 0; i < 6; ++i) EXPECT_NEAR(double(img.rgb[std::size_t(i)]), v16[i] / 257.0, 1.0) << i;
    EXPECT_EQ(img.rgb[0], 0xAB);
    EXPECT_EQ(img.rgb[1], 0x00);
    EXPECT_EQ(img.rgb[2], 0xFF);
    // Grey + alpha 16-bit.
    img = encvp::decode_image(make_png(1, 1, PNG_COLOR_TYPE_GRAY_ALPHA, 16, {{0x40, 0x10, 0x00, 0x00}}), SRC);
    EXPECT_EQ(img.rgb, (std::vector<uint8_t>{0x40, 0x40, 0x40}));
    // RGBA 16-bit.
    img = encvp::decode_image(make_png(1, 1, PNG_COLOR_TYPE_RGB_ALPHA, 16, {{0x10, 0, 0x20, 0, 0x30, 0, 0, 0}}), SRC);
    EXPECT_EQ(img.rgb, (std::vector<uint8_t>{0x10, 0x20, 0x30}));
}

TEST(Png, PaletteIsExpanded) {
    const std::vector<png_color> pal = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {10, 20, 30}};
    // 8-bit indices 3, 0, 2.
    image img = encvp::decode_image(make_png(3, 1, PNG_COLOR_TYPE_PALETTE, 8, {{3, 0, 2}}, false, pal), SRC);
    EXPECT_EQ(img.rgb, (std::vector<uint8_t>{10, 20, 30, 255, 0, 0, 0, 0, 255}));
    // 2-bit indices 1, 3 with a tRNS chunk (transparency dropped): 01 11 0000 = 0x70.
    img = encvp::decode_image(make_png(2, 1, PNG_COLOR_TYPE_PALETTE, 2, {{0x70}}, false, pal, {0, 128}), SRC);
    EXPECT_EQ(img.rgb, (std::vector<uint8_t>{0, 255, 0, 10, 20, 30}));
}

TEST(Png, InterlacedDecodesToTheSamePixels) {
    const image src = random_image(11, 9, 77);
    std::vector<std::vector<uint8_t>> rows;
    for (unsigned y = 0; y < 9; ++y) rows.emplace_back(src.rgb.begin() + long(y * 33), src.rgb.begin() + long((y + 1) * 33));
    const image img = encvp::decode_image(make_png(11, 9, PNG_COLOR_TYPE_RGB, 8, rows, true), SRC);
    EXPECT_EQ(img.rgb, src.rgb);
}

TEST(Png, TruncatedFilesAreInputErrorsNamingTheFile) {
    const std::vector<uint8_t> good = encvp::encode_png(random_image(16, 16, 1));
    for (std::size_t n = 0; n < good.size(); ++n) {
        const std::string m = decode_error(std::vector<uint8_t>(good.begin(), good.begin() + long(n)));
        EXPECT_NE(m, "") << "a PNG cut to " << n << " of " << good.size() << " bytes decoded";
    }
}

TEST(Png, CorruptFilesNeverCrash) {
    const std::vector<uint8_t> good = encvp::encode_png(random_image(16, 16, 2));
    int refused = 0;
    for (std::size_t at = 8; at < good.size(); ++at) {
        for (uint8_t flip : {uint8_t(0x01), uint8_t(0x80), uint8_t(0xFF)}) {
            std::vector<uint8_t> b = good;
            b[at] ^= flip;
            try {
                const image img = encvp::decode_image(b, SRC);
                EXPECT_EQ(img.rgb.size(), std::size_t(img.width) * img.height * 3);
            } catch (const input_error& e) {
                EXPECT_NE(std::string(e.what()).find(SRC), std::string::npos);
                ++refused;
            }
        }
    }
    // Critical chunks are CRC-checked: nearly every change must be refused.
    EXPECT_GT(refused, int(3 * (good.size() - 8) * 9 / 10));
}

// A PNG whose IHDR claims w x h (valid CRC), followed by nothing useful.
std::vector<uint8_t> png_header_claiming(uint32_t w, uint32_t h) {
    std::vector<uint8_t> b = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'};
    for (uint32_t v : {w, h})
        for (int s = 24; s >= 0; s -= 8) b.push_back(uint8_t(v >> s));
    b.insert(b.end(), {8, 2, 0, 0, 0});  // 8-bit RGB, deflate, no filter, no interlace
    const uint32_t crc = encvp::crc32(b.data() + 12, 17);
    for (int s = 24; s >= 0; s -= 8) b.push_back(uint8_t(crc >> s));
    // Then an IEND: only the size in the header can stop the decoder.
    const uint8_t tail[] = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82};
    b.insert(b.end(), tail, tail + sizeof tail);
    return b;
}

TEST(Png, HugeHeaderIsRejectedBeforeAllocating) {
    std::string m = decode_error(png_header_claiming(100000, 100000));
    EXPECT_NE(m.find("100000x100000"), std::string::npos) << m;
    EXPECT_NE(m.find("limit"), std::string::npos) << m;
    // Within the per-side limit but too many pixels (30000^2 > 16384^2).
    m = decode_error(png_header_claiming(30000, 30000));
    EXPECT_NE(m.find("30000x30000"), std::string::npos) << m;
    // Over the side limit in one direction only.
    m = decode_error(png_header_claiming(40000, 1));
    EXPECT_NE(m.find("40000x1"), std::string::npos) << m;
    // Zero size.
    m = decode_error(png_header_claiming(0, 5));
    EXPECT_NE(m.find("zero width or height"), std::string::npos) << m;
    // The largest 32-bit dimensions.
    EXPECT_NE(decode_error(png_header_claiming(0xFFFFFFFFu, 0xFFFFFFFFu)), "");
}

TEST(Png, CustomLimitsApply) {
    encvp::image_limits lim;
    lim.max_side = 16;
    lim.max_pixels = 16 * 8;
    EXPECT_EQ(decode_error(encvp::encode_png(random_image(16, 8, 3)), lim), "");
    EXPECT_NE(decode_error(encvp::encode_png(random_image(17, 1, 3)), lim).find("17x1"), std::string::npos);
    EXPECT_NE(decode_error(encvp::encode_png(random_image(16, 9, 3)), lim).find("16x9"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// JPEG
// ---------------------------------------------------------------------------------------------

TEST(Jpeg, RoundTripIsClose) {
    for (auto [w, h] : {std::pair<unsigned, unsigned>{64, 48}, {33, 17}, {8, 8}}) {
        const image img = smooth_image(w, h);
        const std::vector<uint8_t> bytes = encvp::encode_jpeg(img, 95);
        ASSERT_GE(bytes.size(), 3u);
        EXPECT_EQ(bytes[0], 0xFF);
        EXPECT_EQ(bytes[1], 0xD8);
        const image back = encvp::decode_image(bytes, SRC);
        expect_close(img, back, 24, 4.0);
    }
    // Lower quality: smaller file, still the same picture roughly.
    const image img = smooth_image(64, 48);
    const auto q95 = encvp::encode_jpeg(img, 95), q30 = encvp::encode_jpeg(img, 30);
    EXPECT_LT(q30.size(), q95.size());
    expect_close(img, encvp::decode_image(q30, SRC), 64, 6.0);
}

TEST(Jpeg, ReadFromFile) {
    encvp::test::temp_dir dir;
    const image img = smooth_image(20, 10);
    const std::string path = dir.file("x.png");  // content decides, not the name
    encvp::write_file(path, encvp::encode_jpeg(img, 90));
    expect_close(img, encvp::read_image(path), 32, 3.0);
}

TEST(Jpeg, GreyIsExpandedToRgb) {
    std::vector<uint8_t> grey(16 * 8);
    for (std::size_t i = 0; i < grey.size(); ++i) grey[i] = uint8_t(i * 2);
    const image img = encvp::decode_image(make_grey_jpeg(16, 8, grey), SRC);
    ASSERT_EQ(img.width, 16u);
    ASSERT_EQ(img.height, 8u);
    for (std::size_t i = 0; i < grey.size(); ++i) {
        EXPECT_EQ(img.rgb[i * 3], img.rgb[i * 3 + 1]);
        EXPECT_EQ(img.rgb[i * 3], img.rgb[i * 3 + 2]);
        EXPECT_NEAR(img.rgb[i * 3], grey[i], 3);
    }
}

TEST(Jpeg, TruncatedHeadersAreInputErrorsNamingTheFile) {
    const std::vector<uint8_t> good = encvp::encode_jpeg(smooth_image(32, 32), 90);
    const std::size_t scan = find_scan(good);
    ASSERT_NE(scan, std::string::npos);
    // Every cut before the image data (the last bytes of the SOS header included).
    for (std::size_t n = 0; n < scan; ++n)
        EXPECT_NE(decode_error(std::vector<uint8_t>(good.begin(), good.begin() + long(n))), "") << "cut at " << n;
}

TEST(Jpeg, TruncatedImageDataIsAnInputError) {
    // Cut inside the entropy-coded data: the picture is incomplete. libjpeg only warns and pads
    // the rest with grey; the reader must not return that as a good image.
    const std::vector<uint8_t> good = encvp::encode_jpeg(random_image(64, 64, 9), 90);
    const std::size_t scan = find_scan(good);
    ASSERT_NE(scan, std::string::npos);
    for (std::size_t n : {scan + 10, (scan + good.size()) / 2, good.size() - 20}) {
        const std::string m = decode_error(std::vector<uint8_t>(good.begin(), good.begin() + long(n)));
        EXPECT_NE(m, "") << "a JPEG cut to " << n << " of " << good.size() << " bytes decoded without an error";
    }
}

TEST(Jpeg, CorruptFilesNeverCrash) {
    const std::vector<uint8_t> good = encvp::encode_jpeg(smooth_image(24, 24), 80);
    std::mt19937 rng(4);
    for (int i = 0; i < 400; ++i) {
        std::vector<uint8_t> b = good;
        const int changes = 1 + int(rng() % 4);
        for (int k = 0; k < changes; ++k) b[2 + rng() % (b.size() - 2)] = uint8_t(rng());
        try {
            const image img = encvp::decode_image(b, SRC);
            EXPECT_EQ(img.rgb.size(), std::size_t(img.width) * img.height * 3);
        } catch (const input_error& e) {
            EXPECT_NE(std::string(e.what()).find(SRC), std::string::npos);
        }
    }
}

TEST(Jpeg, HugeHeaderIsRejectedBeforeAllocating) {
    std::vector<uint8_t> b = encvp::encode_jpeg(smooth_image(16, 16), 90);
    const std::size_t sof = find_sof(b);
    ASSERT_NE(sof, std::string::npos);
    // SOF: length(2) precision(1) height(2) width(2).
    b[sof + 3] = 60000 >> 8, b[sof + 4] = 60000 & 0xFF;
    b[sof + 5] = 60000 >> 8, b[sof + 6] = 60000 & 0xFF;
    const std::string m = decode_error(b);
    EXPECT_NE(m.find("60000x60000"), std::string::npos) << m;
    // Custom limit.
    encvp::image_limits lim;
    lim.max_side = 15;
    EXPECT_NE(decode_error(encvp::encode_jpeg(smooth_image(16, 16), 90), lim).find("16x16"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Not an image, files
// ---------------------------------------------------------------------------------------------

TEST(ImageFiles, NonImagesAreRejected) {
    for (const std::string& s : {std::string("hello world, not a picture"), std::string(""), std::string("GIF89a......"),
                                 std::string("\x89PN"), std::string("\xFF\xD8")}) {
        const std::string m = decode_error(std::vector<uint8_t>(s.begin(), s.end()));
        EXPECT_NE(m.find("not a PNG or JPEG image"), std::string::npos) << m;
    }
}

TEST(ImageFiles, MissingDirectoryAndOversizedFiles) {
    encvp::test::temp_dir dir;
    try {
        encvp::read_image(dir.file("nope.png"));
        FAIL();
    } catch (const input_error& e) {
        EXPECT_NE(std::string(e.what()).find("nope.png"), std::string::npos) << e.what();
    }
    EXPECT_THROW(encvp::read_image(dir.path()), input_error);
    const std::string path = dir.file("big.png");
    encvp::write_png(path, random_image(32, 32, 8));
    encvp::image_limits lim;
    lim.max_file_bytes = 100;
    try {
        encvp::read_image(path, lim);
        FAIL();
    } catch (const input_error& e) {
        EXPECT_NE(std::string(e.what()).find("big.png"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("limit"), std::string::npos) << e.what();
    }
    const std::string txt = dir.file("notes.png");
    encvp::write_text_file(txt, "just text");
    try {
        encvp::read_image(txt);
        FAIL();
    } catch (const input_error& e) {
        EXPECT_NE(std::string(e.what()).find("notes.png"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("not a PNG or JPEG"), std::string::npos);
    }
}

TEST(ImageFiles, ToChwIsPlanarRgb) {
    image img;
    img.width = 2;
    img.height = 2;
    img.rgb = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    EXPECT_EQ(encvp::to_chw(img), (std::vector<uint8_t>{1, 4, 7, 10, 2, 5, 8, 11, 3, 6, 9, 12}));
    EXPECT_EQ(img.px(1, 1)[0], 10);
    EXPECT_EQ(img.px(0, 1)[2], 9);
}

}  // namespace

// PSNR, (MS-)SSIM and blockiness (sw/metrics, docs/metrics.md): identities, closed-form and
// hand-computed cases, and blockiness of a smooth random field with and without block offsets.
#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.h"
#include "metrics/metrics.h"

using encvp::image;
using encvp::input_error;

namespace {

image make(unsigned w, unsigned h, uint8_t v = 0) {
    image img;
    img.width = w, img.height = h;
    img.rgb.assign(std::size_t(w) * h * 3, v);
    return img;
}

// A smooth random field: a sum of random low-frequency waves (periods 20..200 px, random phases
// and directions, so nothing lines up with any grid), one field per channel, plus a little
// pixel noise.
image smooth_field(unsigned w, unsigned h, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(0, 1);
    image img = make(w, h);
    for (unsigned c = 0; c < 3; ++c) {
        struct wave {
            double fx, fy, ph, a;
        };
        std::vector<wave> waves;
        for (int k = 0; k < 24; ++k) {
            const double period = 20 + 180 * u(rng), angle = 2 * M_PI * u(rng);
            waves.push_back({std::cos(angle) * 2 * M_PI / period, std::sin(angle) * 2 * M_PI / period, 2 * M_PI * u(rng), 8 + 8 * u(rng)});
        }
        std::normal_distribution<double> noise(0, 1.5);
        for (unsigned y = 0; y < h; ++y)
            for (unsigned x = 0; x < w; ++x) {
                double v = 128;
                for (const wave& wv : waves) v += wv.a * std::sin(wv.fx * x + wv.fy * y + wv.ph) / 3;
                v += noise(rng);
                img.px(x, y)[c] = uint8_t(std::clamp(std::lround(v), 0L, 255L));
            }
    }
    return img;
}

std::vector<double> plane(const image& img, unsigned c) {
    std::vector<double> p(std::size_t(img.width) * img.height);
    for (std::size_t i = 0; i < p.size(); ++i) p[i] = img.rgb[i * 3 + c];
    return p;
}

}  // namespace

TEST(Psnr, IdenticalImagesAreInfinite) {
    const image a = smooth_field(40, 30, 1);
    EXPECT_EQ(encvp::mse(a, a), 0.0);
    EXPECT_TRUE(std::isinf(encvp::psnr(a, a)));
    EXPECT_GT(encvp::psnr(a, a), 0);
}

TEST(Psnr, HandComputed) {
    // Every value off by 10: MSE 100, PSNR = 10 log10(65025 / 100) = 28.1308 dB.
    EXPECT_NEAR(encvp::psnr(make(8, 8, 100), make(8, 8, 110)), 28.1308, 1e-4);
    // One value of N = 4*5*3 = 60 off by 255: MSE = 255^2 / 60, PSNR = 10 log10(60) = 17.7815 dB.
    image a = make(4, 5, 0), b = a;
    b.rgb[17] = 255;
    EXPECT_NEAR(encvp::mse(a, b), 65025.0 / 60, 1e-9);
    EXPECT_NEAR(encvp::psnr(a, b), 10 * std::log10(60.0), 1e-9);
    // Over all channels: errors 3 (R), 0 (G), 4 (B) on every pixel: MSE = (9 + 0 + 16) / 3.
    image c = make(3, 3, 50), d = c;
    for (unsigned i = 0; i < 9; ++i) d.rgb[i * 3] += 3, d.rgb[i * 3 + 2] -= 4;
    EXPECT_NEAR(encvp::mse(c, d), 25.0 / 3, 1e-12);
}

TEST(Psnr, SizeMismatchIsAnError) {
    EXPECT_THROW(encvp::psnr(make(8, 8), make(8, 9)), input_error);
    EXPECT_THROW(encvp::ms_ssim(make(200, 200), make(201, 200)), input_error);
}

// One 11x11 window: SSIM computed here directly from the definition.
TEST(Ssim, SingleWindowHandComputed) {
    std::mt19937 rng(4);
    std::vector<double> x(121), y(121);
    for (int i = 0; i < 121; ++i) x[i] = double(rng() % 256), y[i] = std::clamp(x[i] + double(int(rng() % 61) - 30), 0.0, 255.0);
    double g[11], gs = 0;
    for (int i = 0; i < 11; ++i) gs += g[i] = std::exp(-(i - 5) * (i - 5) / (2 * 1.5 * 1.5));
    double mx = 0, my = 0, sxx = 0, syy = 0, sxy = 0;
    for (int r = 0; r < 11; ++r)
        for (int c = 0; c < 11; ++c) {
            const double wgt = g[r] * g[c] / (gs * gs), a = x[r * 11 + c], b = y[r * 11 + c];
            mx += wgt * a, my += wgt * b, sxx += wgt * a * a, syy += wgt * b * b, sxy += wgt * a * b;
        }
    const double vx = sxx - mx * mx, vy = syy - my * my, cxy = sxy - mx * my, C1 = 6.5025, C2 = 58.5225;
    const double cs = (2 * cxy + C2) / (vx + vy + C2), l = (2 * mx * my + C1) / (mx * mx + my * my + C1);
    const encvp::ssim_terms t = encvp::ssim_plane(x, y, 11, 11);
    EXPECT_NEAR(t.cs, cs, 1e-12);
    EXPECT_NEAR(t.ssim, l * cs, 1e-12);
    EXPECT_LT(t.ssim, 0.99);
    EXPECT_NEAR(encvp::ssim_plane(x, x, 11, 11).ssim, 1.0, 1e-12);
    EXPECT_THROW(encvp::ssim_plane(x, y, 10, 12), input_error);
}

TEST(MsSsim, IdenticalImagesGiveOne) {
    const image a = smooth_field(176, 180, 2);
    EXPECT_NEAR(encvp::ms_ssim(a, a), 1.0, 1e-12);
    EXPECT_NEAR(encvp::ssim(a, a), 1.0, 1e-12);
}

// Two flat images a and b: sigma = 0 at every scale, so every cs = C2 / C2 = 1 and
// MS-SSIM = l_5^0.1333 with l = (2ab + C1) / (a^2 + b^2 + C1).
TEST(MsSsim, FlatImagesClosedForm) {
    const double C1 = (0.01 * 255) * (0.01 * 255);
    const double l = (2 * 100.0 * 120.0 + C1) / (100.0 * 100.0 + 120.0 * 120.0 + C1);
    EXPECT_NEAR(encvp::ms_ssim(make(161, 170, 100), make(161, 170, 120)), std::pow(l, 0.1333), 1e-9);
}

TEST(MsSsim, DecreasesWithNoiseAndIsSymmetric) {
    const image a = smooth_field(192, 192, 3);
    std::mt19937 rng(5);
    double last = 1.0;
    for (double sigma : {2.0, 6.0, 15.0, 40.0}) {
        image b = a;
        std::normal_distribution<double> n(0, sigma);
        for (auto& v : b.rgb) v = uint8_t(std::clamp(std::lround(v + n(rng)), 0L, 255L));
        const double m = encvp::ms_ssim(a, b);
        EXPECT_LT(m, last) << sigma;
        EXPECT_GT(m, 0.0);
        EXPECT_NEAR(m, encvp::ms_ssim(b, a), 1e-12);
        // The average of the three channels' MS-SSIM.
        double per = 0;
        for (unsigned c = 0; c < 3; ++c) per += encvp::ms_ssim_plane(plane(a, c), plane(b, c), 192, 192);
        EXPECT_NEAR(m, per / 3, 1e-12);
        last = m;
    }
}

TEST(MsSsim, TooSmallIsAnError) {
    try {
        encvp::ms_ssim(make(160, 300), make(160, 300));
        FAIL() << "no error";
    } catch (const input_error& e) {
        EXPECT_NE(std::string(e.what()).find("at least 161x161"), std::string::npos) << e.what();
    }
    EXPECT_NO_THROW(encvp::ms_ssim(make(161, 161), make(161, 161)));
}

TEST(Luma, Bt601) {
    image a = make(1, 1);
    a.rgb = {100, 50, 200};
    EXPECT_NEAR(encvp::luma(a)[0], 0.299 * 100 + 0.587 * 50 + 0.114 * 200, 1e-12);
}

// Grey 4x4, grid 2, columns 0 2 12 14 in every row:
//   across: horizontal pairs (1,2) in 4 rows (|dY| = 10) + vertical pairs (1,2) in 4 columns (0) -> 40/8 = 5
//   away:   horizontal pairs (0,1), (2,3) in 4 rows (2 each) + vertical (0,1), (2,3) in 4 columns (0) -> 16/16 = 1
TEST(Blockiness, HandComputed) {
    image img = make(4, 4);
    const uint8_t cols[4] = {0, 2, 12, 14};
    for (unsigned y = 0; y < 4; ++y)
        for (unsigned x = 0; x < 4; ++x)
            for (unsigned c = 0; c < 3; ++c) img.px(x, y)[c] = cols[x];
    EXPECT_NEAR(encvp::blockiness(img, 2), 5.0, 1e-9);
    // Transposed: the same.
    image t = make(4, 4);
    for (unsigned y = 0; y < 4; ++y)
        for (unsigned x = 0; x < 4; ++x)
            for (unsigned c = 0; c < 3; ++c) t.px(x, y)[c] = cols[y];
    EXPECT_NEAR(encvp::blockiness(t, 2), 5.0, 1e-9);
    // Flat: 0 / 0 -> 1; steps only on the grid: x / 0 -> infinity.
    EXPECT_EQ(encvp::blockiness(make(8, 8, 9), 4), 1.0);
    image steps = make(8, 8);
    for (unsigned y = 0; y < 8; ++y)
        for (unsigned x = 0; x < 8; ++x)
            for (unsigned c = 0; c < 3; ++c) steps.px(x, y)[c] = uint8_t(x / 4 * 50);
    EXPECT_TRUE(std::isinf(encvp::blockiness(steps, 4)));
}

TEST(Blockiness, SmoothFieldIsAboutOneAndBlockOffsetsRaiseIt) {
    const image a = smooth_field(256, 256, 7);
    for (unsigned grid : {8u, 16u}) {
        const double b = encvp::blockiness(a, grid);
        EXPECT_GT(b, 0.93) << grid;
        EXPECT_LT(b, 1.07) << grid;
    }
    // Every 16x16 block shifted by its own random offset (-12..12), as a patch codec with a
    // per-patch brightness error would do.
    image blocky = a;
    std::mt19937 rng(9);
    std::vector<int> off(16 * 16);
    for (int& o : off) o = int(rng() % 25) - 12;
    for (unsigned y = 0; y < 256; ++y)
        for (unsigned x = 0; x < 256; ++x)
            for (unsigned c = 0; c < 3; ++c)
                blocky.px(x, y)[c] = uint8_t(std::clamp(int(a.px(x, y)[c]) + off[(y / 16) * 16 + x / 16], 0, 255));
    EXPECT_GT(encvp::blockiness(blocky, 16), 1.5);
    // Measured on another grid (12 px), most block edges are counted as "away" pairs.
    EXPECT_LT(encvp::blockiness(blocky, 12), encvp::blockiness(blocky, 16));
}

TEST(Blockiness, BadArgumentsAreErrors) {
    EXPECT_THROW(encvp::blockiness(make(16, 16), 1), input_error);
    EXPECT_THROW(encvp::blockiness(make(8, 8), 8), input_error);
    EXPECT_NO_THROW(encvp::blockiness(make(9, 8), 8));
    EXPECT_THROW(encvp::blockiness(image(), 8), input_error);
}

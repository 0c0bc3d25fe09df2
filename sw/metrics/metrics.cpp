#include "metrics/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "common/error.h"

namespace encvp {

namespace {

constexpr unsigned WIN = 11;           // Gaussian window, 11x11
constexpr double SIGMA = 1.5;
constexpr double L = 255.0;            // dynamic range
constexpr double C1 = (0.01 * L) * (0.01 * L);
constexpr double C2 = (0.03 * L) * (0.03 * L);
constexpr double MS_WEIGHTS[5] = {0.0448, 0.2856, 0.3001, 0.2363, 0.1333};

void check_same(const image& a, const image& b, const char* what) {
    if (a.width != b.width || a.height != b.height)
        throw input_error("", std::string(what) + ": the images differ in size (" + std::to_string(a.width) + "x" +
                                  std::to_string(a.height) + " and " + std::to_string(b.width) + "x" + std::to_string(b.height) + ")");
    if (a.width == 0 || a.height == 0) throw input_error("", std::string(what) + ": empty image");
    if (a.rgb.size() != std::size_t(a.width) * a.height * 3 || b.rgb.size() != a.rgb.size())
        throw input_error("", std::string(what) + ": pixel buffer does not match the image size");
}

std::vector<double> channel(const image& img, unsigned c) {
    std::vector<double> p(std::size_t(img.width) * img.height);
    for (std::size_t i = 0; i < p.size(); ++i) p[i] = img.rgb[i * 3 + c];
    return p;
}

// The normalised 1-D Gaussian; the 2-D window is its outer product (separable filtering).
const std::vector<double>& gauss() {
    static const std::vector<double> g = [] {
        std::vector<double> v(WIN);
        double s = 0;
        for (unsigned i = 0; i < WIN; ++i) {
            const double d = double(i) - double(WIN / 2);
            v[i] = std::exp(-d * d / (2 * SIGMA * SIGMA));
            s += v[i];
        }
        for (double& x : v) x /= s;
        return v;
    }();
    return g;
}

// "Valid" 2-D Gaussian filtering of a plane: (w - 10) x (h - 10) outputs.
std::vector<double> filter_valid(const std::vector<double>& p, unsigned w, unsigned h) {
    const std::vector<double>& g = gauss();
    const unsigned ow = w - WIN + 1, oh = h - WIN + 1;
    std::vector<double> tmp(std::size_t(ow) * h), out(std::size_t(ow) * oh);
    for (unsigned y = 0; y < h; ++y)
        for (unsigned x = 0; x < ow; ++x) {
            double s = 0;
            for (unsigned k = 0; k < WIN; ++k) s += g[k] * p[std::size_t(y) * w + x + k];
            tmp[std::size_t(y) * ow + x] = s;
        }
    for (unsigned y = 0; y < oh; ++y)
        for (unsigned x = 0; x < ow; ++x) {
            double s = 0;
            for (unsigned k = 0; k < WIN; ++k) s += g[k] * tmp[std::size_t(y + k) * ow + x];
            out[std::size_t(y) * ow + x] = s;
        }
    return out;
}

// 2x2 average; an odd last row/column is paired with itself (edge replication): ceil(n/2) outputs.
std::vector<double> downsample(const std::vector<double>& p, unsigned w, unsigned h, unsigned& ow, unsigned& oh) {
    ow = (w + 1) / 2, oh = (h + 1) / 2;
    std::vector<double> out(std::size_t(ow) * oh);
    for (unsigned y = 0; y < oh; ++y)
        for (unsigned x = 0; x < ow; ++x) {
            const unsigned y0 = 2 * y, y1 = std::min(2 * y + 1, h - 1), x0 = 2 * x, x1 = std::min(2 * x + 1, w - 1);
            out[std::size_t(y) * ow + x] =
                (p[std::size_t(y0) * w + x0] + p[std::size_t(y0) * w + x1] + p[std::size_t(y1) * w + x0] + p[std::size_t(y1) * w + x1]) / 4;
        }
    return out;
}

}  // namespace

double mse(const image& ref, const image& test) {
    check_same(ref, test, "MSE");
    double s = 0;
    for (std::size_t i = 0; i < ref.rgb.size(); ++i) {
        const double d = double(ref.rgb[i]) - double(test.rgb[i]);
        s += d * d;
    }
    return s / double(ref.rgb.size());
}

double psnr(const image& ref, const image& test) {
    const double e = mse(ref, test);
    if (e == 0) return std::numeric_limits<double>::infinity();
    return 10.0 * std::log10(L * L / e);
}

// SSIM map at each valid window position, with mu, sigma^2 and sigma_xy Gaussian-weighted:
//   l  = (2 mu_x mu_y + C1) / (mu_x^2 + mu_y^2 + C1)
//   cs = (2 sigma_xy + C2) / (sigma_x^2 + sigma_y^2 + C2)
//   ssim = l * cs;   sigma_x^2 = E[x^2] - mu_x^2, sigma_xy = E[xy] - mu_x mu_y
ssim_terms ssim_plane(const std::vector<double>& x, const std::vector<double>& y, unsigned w, unsigned h) {
    if (w < WIN || h < WIN) throw input_error("", "SSIM needs images of at least 11x11 pixels, got " + std::to_string(w) + "x" + std::to_string(h));
    if (x.size() != std::size_t(w) * h || y.size() != x.size()) throw input_error("", "SSIM: plane sizes do not match");
    std::vector<double> xx(x.size()), yy(x.size()), xy(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) xx[i] = x[i] * x[i], yy[i] = y[i] * y[i], xy[i] = x[i] * y[i];
    const std::vector<double> mx = filter_valid(x, w, h), my = filter_valid(y, w, h), sxx = filter_valid(xx, w, h),
                              syy = filter_valid(yy, w, h), sxy = filter_valid(xy, w, h);
    double ssum = 0, csum = 0;
    for (std::size_t i = 0; i < mx.size(); ++i) {
        const double vx = sxx[i] - mx[i] * mx[i], vy = syy[i] - my[i] * my[i], cxy = sxy[i] - mx[i] * my[i];
        const double cs = (2 * cxy + C2) / (vx + vy + C2);
        const double l = (2 * mx[i] * my[i] + C1) / (mx[i] * mx[i] + my[i] * my[i] + C1);
        ssum += l * cs;
        csum += cs;
    }
    return {ssum / double(mx.size()), csum / double(mx.size())};
}

// MS-SSIM = prod_{j=1..4} max(cs_j, 0)^w_j * max(ssim_5, 0)^w_5, scale j+1 = 2x2 average of scale j.
double ms_ssim_plane(const std::vector<double>& x, const std::vector<double>& y, unsigned w, unsigned h) {
    const unsigned min_side = (WIN - 1) * 16 + 1;  // ceil(n / 16) >= 11
    if (w < min_side || h < min_side)
        throw input_error("", "MS-SSIM needs images of at least " + std::to_string(min_side) + "x" + std::to_string(min_side) +
                                  " pixels (11x11 at the 5th scale), got " + std::to_string(w) + "x" + std::to_string(h));
    std::vector<double> a = x, b = y;
    double result = 1.0;
    for (unsigned j = 0; j < 5; ++j) {
        const ssim_terms t = ssim_plane(a, b, w, h);
        const double v = j < 4 ? t.cs : t.ssim;
        result *= std::pow(std::max(v, 0.0), MS_WEIGHTS[j]);
        if (j < 4) {
            unsigned nw, nh;
            a = downsample(a, w, h, nw, nh);
            b = downsample(b, w, h, nw, nh);
            w = nw, h = nh;
        }
    }
    return result;
}

double ms_ssim(const image& ref, const image& test) {
    check_same(ref, test, "MS-SSIM");
    double s = 0;
    for (unsigned c = 0; c < 3; ++c) s += ms_ssim_plane(channel(ref, c), channel(test, c), ref.width, ref.height);
    return s / 3;
}

double ssim(const image& ref, const image& test) {
    check_same(ref, test, "SSIM");
    double s = 0;
    for (unsigned c = 0; c < 3; ++c) s += ssim_plane(channel(ref, c), channel(test, c), ref.width, ref.height).ssim;
    return s / 3;
}

std::vector<double> luma(const image& img) {
    std::vector<double> y(std::size_t(img.width) * img.height);
    for (std::size_t i = 0; i < y.size(); ++i)
        y[i] = 0.299 * img.rgb[i * 3] + 0.587 * img.rgb[i * 3 + 1] + 0.114 * img.rgb[i * 3 + 2];
    return y;
}

// B = mean_{pairs across a grid line} |dY| / mean_{other pairs} |dY|, over horizontal pairs
// (x, x+1) and vertical pairs (y, y+1); a pair is "across" when x+1 (or y+1) is a multiple of grid.
double blockiness(const image& img, unsigned grid) {
    if (grid < 2) throw input_error("", "blockiness: the grid must be at least 2 pixels, got " + std::to_string(grid));
    if (img.width == 0 || img.height == 0 || img.rgb.size() != std::size_t(img.width) * img.height * 3)
        throw input_error("", "blockiness: empty or inconsistent image");
    if (img.width <= grid && img.height <= grid)
        throw input_error("", "blockiness: a " + std::to_string(img.width) + "x" + std::to_string(img.height) +
                                  " image crosses no line of a " + std::to_string(grid) + "-pixel grid");
    const std::vector<double> Y = luma(img);
    const unsigned W = img.width, H = img.height;
    double across = 0, away = 0;
    uint64_t n_across = 0, n_away = 0;
    for (unsigned y = 0; y < H; ++y)
        for (unsigned x = 0; x + 1 < W; ++x) {
            const double d = std::fabs(Y[std::size_t(y) * W + x + 1] - Y[std::size_t(y) * W + x]);
            if ((x + 1) % grid == 0) across += d, ++n_across;
            else away += d, ++n_away;
        }
    for (unsigned y = 0; y + 1 < H; ++y) {
        const bool at_line = (y + 1) % grid == 0;
        for (unsigned x = 0; x < W; ++x) {
            const double d = std::fabs(Y[std::size_t(y + 1) * W + x] - Y[std::size_t(y) * W + x]);
            if (at_line) across += d, ++n_across;
            else away += d, ++n_away;
        }
    }
    const double ma = across / double(n_across), mw = n_away ? away / double(n_away) : 0.0;
    if (mw == 0) return ma == 0 ? 1.0 : std::numeric_limits<double>::infinity();
    return ma / mw;
}

}  // namespace encvp

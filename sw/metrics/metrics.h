// Image quality metrics for the compression evaluation (docs/metrics.md): PSNR, MS-SSIM and
// blockiness. Images are 8-bit RGB (imageio/image.h); sizes that do not match, or images too small
// for a metric, are input_error.
#pragma once

#include <cstdint>
#include <vector>

#include "imageio/image.h"

namespace encvp {

// Mean squared error over all R, G, B values (0..255 scale).
double mse(const image& ref, const image& test);

// PSNR = 10 log10(255^2 / MSE), over all channels; +infinity for identical images.
double psnr(const image& ref, const image& test);

// SSIM of two planes of the same size (values 0..255), Wang et al. 2004 with an 11x11 Gaussian
// window (sigma 1.5), K1 = 0.01, K2 = 0.03, L = 255, over the "valid" window positions (planes at
// least 11x11). `ssim` is the mean of the SSIM map, `cs` the mean of its contrast-structure part.
struct ssim_terms {
    double ssim = 0, cs = 0;
};
ssim_terms ssim_plane(const std::vector<double>& x, const std::vector<double>& y, unsigned width, unsigned height);

// MS-SSIM of two planes (Wang, Simoncelli, Bovik 2003): five scales, 2x2 average downsampling
// between them, prod_{j=1..4} cs_j^w_j * ssim_5^w_5 with w = 0.0448, 0.2856, 0.3001, 0.2363, 0.1333
// (negative cs/ssim clamped to 0). The planes must be at least 161 pixels per side (11 at scale 5).
double ms_ssim_plane(const std::vector<double>& x, const std::vector<double>& y, unsigned width, unsigned height);

// MS-SSIM of RGB images: computed on R, G and B separately and averaged (as the learned-compression
// literature reports it).
double ms_ssim(const image& ref, const image& test);
// Single-scale SSIM of RGB images, averaged over R, G, B.
double ssim(const image& ref, const image& test);

// BT.601 luma: Y = 0.299 R + 0.587 G + 0.114 B (0..255, not rounded), row-major.
std::vector<double> luma(const image& img);

// Blockiness of one image for a block grid of `grid` pixels (the codec's patch size, 8 for JPEG):
// the mean absolute luma difference of horizontally and vertically neighbouring pixel pairs that
// straddle a grid line (between pixels k*grid - 1 and k*grid), divided by the same mean over all
// other neighbouring pairs. About 1.0 for an untouched photo, larger with block artefacts.
// 1.0 when both means are 0; +infinity when only the second is 0. grid >= 2, and the image must
// cross at least one grid line.
double blockiness(const image& img, unsigned grid);

}  // namespace encvp

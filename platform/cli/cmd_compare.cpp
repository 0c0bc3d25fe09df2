// encvp compare: PSNR, MS-SSIM and blockiness of a reconstruction against its reference.
#include <cmath>
#include <cstdio>

#include "cli/cli.h"
#include "common/error.h"
#include "imageio/image.h"
#include "metrics/metrics.h"

namespace encvp::cli {

namespace {

int run_compare(context& ctx) {
    if (!ctx.vm.count("reference") || !ctx.vm.count("test"))
        throw input_error("", "usage: encvp compare REF.png TEST.png");
    const std::string ref_path = ctx.vm["reference"].as<std::string>(), test_path = ctx.vm["test"].as<std::string>();
    const unsigned grid = ctx.vm["grid"].as<unsigned>();
    if (grid < 2) throw input_error("--grid", "must be at least 2");
    const image ref = read_image(ref_path), test = read_image(test_path);
    if (ref.width != test.width || ref.height != test.height)
        throw input_error(test_path, "is " + std::to_string(test.width) + "x" + std::to_string(test.height) + ", the reference " +
                                         ref_path + " is " + std::to_string(ref.width) + "x" + std::to_string(ref.height));
    const double p = psnr(ref, test);
    const bool ms_ok = ref.width >= 161 && ref.height >= 161;
    const double ms = ms_ok ? ms_ssim(ref, test) : std::nan("");
    const double b_test = blockiness(test, grid), b_ref = blockiness(ref, grid);
    std::printf("psnr        %.3f dB\n", p);
    if (ms_ok) std::printf("ms-ssim     %.5f\n", ms);
    else std::printf("ms-ssim     n/a (needs at least 161x161 pixels)\n");
    std::printf("blockiness  %.3f on a %u-pixel grid (reference: %.3f)\n", b_test, grid, b_ref);
    nlohmann::json j{{"command", "compare"}, {"reference", ref_path}, {"test", test_path}, {"psnr_db", std::isinf(p) ? 999.0 : p},
                     {"blockiness", b_test}, {"blockiness_reference", b_ref}, {"grid", grid}};
    if (ms_ok) j["ms_ssim"] = ms;
    write_report(ctx, j);
    return EXIT_OK;
}

}  // namespace

command make_compare_command() {
    command c;
    c.name = "compare";
    c.summary = "print PSNR, MS-SSIM and blockiness of TEST against REF";
    c.usage = "encvp compare REF.png TEST.png [--grid N] [--report FILE]";
    c.examples =
        "  encvp compare ../shared/data/kodak/kodim23.png kodim23-decoded.png\n"
        "  encvp compare ../shared/data/kodak/kodim23.png kodim23.jpg --grid 8       # JPEG's 8-pixel grid\n";
    c.platform_options = false;
    c.options = [](po::options_description& d, po::positional_options_description& pos) {
        d.add_options()("reference", po::value<std::string>()->value_name("REF"), "reference image (PNG/JPEG)")
            ("test", po::value<std::string>()->value_name("TEST"), "image to evaluate (PNG/JPEG)")
            ("grid", po::value<unsigned>()->default_value(16), "block grid for blockiness (codec patch size; 8 for JPEG)");
        pos.add("reference", 1).add("test", 1);
    };
    c.run = run_compare;
    return c;
}

}  // namespace encvp::cli

// encvp compress: encode an image patch by patch on the virtual platform (firmware, 2-D DMA,
// encoder in compression mode) and write the bitstream.
#include <cstdio>
#include <cstring>
#include <iostream>

#include "bitstream/bitstream.h"
#include "cli/cli.h"
#include "cli/network_util.h"
#include "common/crc32.h"
#include "common/error.h"
#include "common/file.h"
#include "common/timeline.h"
#include "estimate.h"
#include "imageio/image.h"
#include "imageio/image_stream.h"
#include "session.h"

namespace encvp::cli {

namespace {

int run_compress(context& ctx) {
    if (!ctx.vm.count("input")) throw input_error("", "no input image given (usage: encvp compress IN.png -o OUT.evc)");
    if (!ctx.vm.count("output")) throw input_error("", "no output file given (-o OUT.evc)");
    const std::string in_path = ctx.vm["input"].as<std::string>();
    const std::string out_path = ctx.vm["output"].as<std::string>();
    const std::string net_path =
        ctx.vm.count("network") ? ctx.vm["network"].as<std::string>() : source_path("configs/networks/kodak-025.enet");

    const std::vector<uint8_t> net_bytes = read_file(net_path, 64u << 20, "network file");
    const network_file net = parse_network_file(net_bytes, net_path);
    if (net.classify()) throw input_error(net_path, "is a classifier; `encvp compress` needs a compression network");
    if (net.in_c != 3 || net.in_h != net.in_w)
        throw input_error(net_path, "takes " + std::to_string(net.in_c) + "x" + std::to_string(net.in_h) + "x" +
                                        std::to_string(net.in_w) + " inputs; a patch encoder takes square RGB patches");
    const nx::layer_desc& last = net.layers.back().d;
    if (last.a_bits != 1) throw input_error(net_path, "its code is not binary (last layer has " + std::to_string(last.a_bits) + "-bit outputs)");
    const compiled_network comp = compile_network(net, ctx.cfg.sram_size_bits, net_path);

    // The frame streams in: only the rows of the current band are held (memory flat in frame size).
    image_reader reader;
    reader.open(in_path);
    const unsigned img_w = reader.width(), img_h = reader.height();
    const unsigned P = net.in_h;
    code_stream cs;
    cs.width = img_w;
    cs.height = img_h;
    cs.patch = uint16_t(P);
    cs.code_c = uint16_t(last.out_c);
    cs.code_h = uint16_t(last.out_h());
    cs.code_w = uint16_t(last.out_w());
    cs.net_crc = net.crc;  // the network's identity: the CRC-32 its .enet header carries
    if (img_w > EVC_MAX_SIDE || img_h > EVC_MAX_SIDE)
        throw input_error(in_path, "image is larger than the bitstream's " + std::to_string(EVC_MAX_SIDE) + "-pixel limit per side");
    const unsigned cols = cs.cols(), rows = cs.rows(), W = cols * P;
    const unsigned bpp_bits = cs.bits_per_patch();
    cs.codes.assign((cs.total_bits() + 7) / 8, 0);

    std::printf("image     %s (%ux%u, padded to %ux%u: %u x %u patches of %u px)\n", in_path.c_str(), img_w, img_h,
                W, rows * P, cols, rows, P);
    std::printf("network   %s ('%s', code %ux%ux%u bits per patch)\n", net_path.c_str(), net.name.c_str(), cs.code_c, cs.code_h,
                cs.code_w);
    std::fflush(stdout);

    // Bands of the edge-replicated, padded frame, planar. Bands come in order, so each one reads
    // the next P rows (the last band repeats the last row).
    std::vector<uint8_t> band_rows(std::size_t(P) * img_w * 3), last_row(std::size_t(img_w) * 3);
    auto band = [&](unsigned k, std::vector<uint8_t>& out) {
        out.resize(3ull * P * W);
        const unsigned got = reader.read_rows(P, band_rows.data());
        if (got > 0) std::memcpy(last_row.data(), &band_rows[std::size_t(got - 1) * img_w * 3], last_row.size());
        for (unsigned y = 0; y < P; ++y) {
            const uint8_t* src = y < got ? &band_rows[std::size_t(y) * img_w * 3] : last_row.data();
            for (unsigned x = 0; x < W; ++x) {
                const uint8_t* px = src + std::size_t(std::min(x, img_w - 1)) * 3;
                for (unsigned c = 0; c < 3; ++c) out[(std::size_t(c) * P + y) * W + x] = px[c];
            }
        }
        (void)k;
    };
    auto code = [&](unsigned k, unsigned col, const uint8_t* bytes, std::size_t) {
        const uint64_t at = (uint64_t(k) * cols + col) * bpp_bits;
        for (unsigned b = 0; b < bpp_bits; ++b)
            if ((bytes[b >> 3] >> (b & 7)) & 1) cs.codes[(at + b) >> 3] |= uint8_t(1u << ((at + b) & 7));
    };
    compress_job job(comp, W, rows, P, band, code);
    std::unique_ptr<timeline> tl;  // before the session: the models record while it runs
    if (ctx.vm.count("timeline")) tl = std::make_unique<timeline>(ctx.vm["timeline"].as<std::string>());
    session s(ctx.cfg, ctx.vcd_path);
    stream_probe probe("probe", s.chip(), std::size_t(cols) * rows);
    const double t0 = now_seconds();
    const run_outcome r = s.run_jobs({&job});
    const double wall = now_seconds() - t0;
    if (tl) {
        const uint64_t events = tl->events();
        if (!tl->close()) throw std::runtime_error("error writing timeline '" + tl->path() + "'");
        std::printf("timeline  %s: %llu events (open in ui.perfetto.dev)\n", tl->path().c_str(), (unsigned long long)events);
    }
    if (!r.exited || r.exit_code != 0 || job.job_status != 0 || job.patches != cols * rows) {
        std::printf("platform  FAILED: exit code %d, job status %u, %u of %u patches%s%s\n", r.exit_code, job.job_status,
                    job.patches, cols * rows, r.fault.empty() ? "" : ", ", r.fault.c_str());
        return EXIT_FAILED;
    }
    const std::size_t raw_bytes = serialize_code_stream(cs).size();
    std::vector<uint8_t> file = serialize_code_stream(cs);
    if (ctx.vm.count("entropy")) {
        cs.flags |= EVC_FLAG_ENTROPY_CODED | EVC_FLAG_ENTROPY_MIXED;
        std::vector<uint8_t> coded = serialize_code_stream(cs);
        if (coded.size() < file.size()) file.swap(coded);
        else {
            cs.flags &= ~(EVC_FLAG_ENTROPY_CODED | EVC_FLAG_ENTROPY_MIXED);  // these codes do not compress: keep them raw
            std::printf("entropy   no saving on these codes (%zu bytes coded vs %zu raw): kept raw\n", coded.size(), file.size());
        }
    }
    write_file(out_path, file);
    const double enc_s = double(job.encoder_cycles) / ctx.cfg.encoder.clock_hz;
    const double frame_s = job.band_end_times.empty() ? r.sim_seconds : job.band_end_times.back();
    std::printf("output    %s: %llu code bits, %.4f bpp (%u bits per patch)\n", out_path.c_str(),
                (unsigned long long)cs.total_bits(), cs.bpp(), bpp_bits);
    const double file_bpp = 8.0 * double(file.size()) / (double(img_w) * img_h);
    if (cs.flags & EVC_FLAG_ENTROPY_CODED)
        std::printf("entropy   %zu bytes instead of %zu (%.4f bpp in the file, %.1f%% saved, same picture)\n", file.size(),
                    raw_bytes, file_bpp, 100.0 * (1.0 - double(file.size()) / double(raw_bytes)));
    std::printf("latency   %.2f us per patch (encoder), %.2f us per patch on the platform, %.3f ms per frame (simulated)\n",
                enc_s * 1e6, frame_s / (cols * rows) * 1e6, frame_s * 1e3);
    std::printf("speed     %.3f s wall, %.0f patches/s\n", wall, (cols * rows) / std::max(1e-9, wall));
    const estimate_report est = make_estimate(ctx.cfg, net, comp, {probe.measurement(job.patches, r.sim_seconds)});
    print_estimate(std::cout, est);
    if (ctx.vm.count("csv")) write_estimate_csv(ctx.vm["csv"].as<std::string>(), est);

    nlohmann::json j = s.report(r);
    j["command"] = "compress";
    j["input"] = in_path;
    j["output"] = out_path;
    j["network"] = {{"path", net_path}, {"name", net.name}, {"crc32", cs.net_crc}, {"weight_bits", comp.weight_bits}};
    j["width"] = img_w;
    j["height"] = img_h;
    j["peak_rss_bytes"] = peak_rss_bytes();
    j["patch"] = P;
    j["patches"] = cols * rows;
    j["bits"] = cs.total_bits();
    j["bits_per_patch"] = bpp_bits;
    j["bpp"] = cs.bpp();
    j["file_bytes"] = file.size();
    j["file_bpp"] = file_bpp;
    j["entropy_coded"] = (cs.flags & EVC_FLAG_ENTROPY_CODED) != 0;
    j["raw_file_bytes"] = raw_bytes;
    j["simulated_seconds_per_patch_encoder"] = enc_s;
    j["simulated_seconds_per_patch"] = frame_s / (cols * rows);
    j["simulated_seconds_per_frame"] = frame_s;
    j["wall_seconds"] = wall;
    j["estimate"] = estimate_json(est);
    write_report(ctx, j);
    return EXIT_OK;
}

}  // namespace

command make_compress_command() {
    command c;
    c.name = "compress";
    c.summary = "compress an image patch by patch on the virtual platform and write an .evc bitstream";
    c.usage = "encvp compress IN.png -o OUT.evc [--network FILE] [--entropy] [--report FILE]";
    c.examples =
        "  encvp compress ../shared/data/kodak/kodim23.png -o kodim23.evc\n"
        "  encvp compress photo.jpg -o photo.evc --network configs/networks/kodak-050.enet --report compress.json\n"
        "  encvp compress kodim23.png -o kodim23.evc --entropy        # arithmetic-coded codes, same picture\n"
        "  encvp compress photo.png -o photo.evc --csv layers.csv --timeline compress-trace.json\n";
    c.options = [](po::options_description& d, po::positional_options_description& pos) {
        d.add_options()("input", po::value<std::string>()->value_name("IN"), "image to compress (PNG or JPEG)")
            ("output,o", po::value<std::string>()->value_name("OUT.evc"), "bitstream to write")
            ("network", po::value<std::string>()->value_name("FILE"),
             "compression network (.enet); default configs/networks/kodak-025.enet (0.25 bpp)")
            ("entropy", "code the bits losslessly with context-adaptive arithmetic coding (lower rate, same picture)")
            ("csv", po::value<std::string>()->value_name("FILE"),
             "write the per-layer latency/memory/energy estimate as CSV (docs/estimation-model.md)")
            ("timeline", po::value<std::string>()->value_name("FILE"),
             "write a Chrome/Perfetto trace of encoder layers, DMA, interrupts and firmware in simulated time");
        pos.add("input", 1);
    };
    c.run = run_compress;
    return c;
}

}  // namespace encvp::cli

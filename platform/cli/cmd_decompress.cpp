// encvp decompress: reconstruct a frame from its bitstream with the full-frame decoder (or the
// patch-wise baseline), streaming the picture into a PNG band by band.
#include <cstdio>
#include <algorithm>
#include <dirent.h>
#include <iostream>

#include "bitstream/bitstream.h"
#include "cli/cli.h"
#include "common/error.h"
#include "decoder/decoder.h"
#include "imageio/image_stream.h"

namespace encvp::cli {

namespace {

// The decoder in configs/networks whose encoder identity matches the bitstream's.
std::string find_decoder(uint32_t net_crc) {
    const std::string dir = source_path("configs/networks");
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return "";
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d)) {
        const std::string n = e->d_name;
        if (n.size() > 5 && n.compare(n.size() - 5, 5, ".edec") == 0) names.push_back(n);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    for (const std::string& n : names) {
        try {
            if (read_edec_file(dir + "/" + n).encoder_crc == net_crc) return dir + "/" + n;
        } catch (const std::exception&) {
        }
    }
    return "";
}

int run_decompress(context& ctx) {
    if (!ctx.vm.count("input")) throw input_error("", "no bitstream given (usage: encvp decompress IN.evc -o OUT.png)");
    if (!ctx.vm.count("output")) throw input_error("", "no output file given (-o OUT.png)");
    const std::string in_path = ctx.vm["input"].as<std::string>(), out_path = ctx.vm["output"].as<std::string>();
    const code_stream cs = read_code_stream(in_path);
    std::string dec_path = ctx.vm.count("decoder") ? ctx.vm["decoder"].as<std::string>() : find_decoder(cs.net_crc);
    if (dec_path.empty())
        throw input_error(in_path, "no decoder in configs/networks matches the encoder that made this bitstream (network CRC " +
                                       std::to_string(cs.net_crc) + "); give one with --decoder");
    const edec_file dec_file = read_edec_file(dec_path);
    if (dec_file.encoder_crc != cs.net_crc && !ctx.vm.count("force"))
        throw input_error(dec_path, "was trained for encoder '" + dec_file.encoder_name + "' (CRC " +
                                        std::to_string(dec_file.encoder_crc) + "), the bitstream comes from CRC " +
                                        std::to_string(cs.net_crc) + " (use --force to decode anyway)");
    if (dec_file.code_channels != cs.code_c)
        throw input_error(dec_path, "reads " + std::to_string(dec_file.code_channels) + "-channel codes, the bitstream has " +
                                        std::to_string(cs.code_c));
    if (dec_file.upscale * cs.code_h != cs.patch || cs.code_h != cs.code_w)
        throw input_error(dec_path, "upscales by " + std::to_string(dec_file.upscale) + ", the bitstream's " +
                                        std::to_string(cs.code_h) + "x" + std::to_string(cs.code_w) + " codes make " +
                                        std::to_string(cs.patch) + "-pixel patches");
    frame_decoder dec(dec_file);

    // Code tensor of the whole frame: channel-major, patch (i, j) at rows code_h*i.., cols code_w*j...
    const unsigned cols = cs.cols(), rows = cs.rows();
    const unsigned th = rows * cs.code_h, tw = cols * cs.code_w;
    std::vector<uint8_t> bits(std::size_t(cs.code_c) * th * tw);
    for (unsigned r = 0; r < rows; ++r)
        for (unsigned c = 0; c < cols; ++c)
            for (unsigned ch = 0; ch < cs.code_c; ++ch)
                for (unsigned y = 0; y < cs.code_h; ++y)
                    for (unsigned x = 0; x < cs.code_w; ++x)
                        bits[(std::size_t(ch) * th + r * cs.code_h + y) * tw + c * cs.code_w + x] =
                            uint8_t(cs.bit(r, c, ch, y, x));
    decode_options opt;
    opt.patchwise = ctx.vm.count("patchwise") > 0;
    opt.patch_code = cs.code_h;
    if (ctx.vm.count("threads")) opt.threads = ctx.vm["threads"].as<unsigned>();

    // Stream the bands into the PNG, cropping the padding back off.
    png_row_writer out;
    out.open(out_path, cs.width, cs.height);
    std::vector<uint8_t> row(std::size_t(cs.width) * 3);
    const code_tensor_view view{bits.data(), cs.code_c, th, tw};
    const decode_stats st = dec.decode(view, opt, [&](unsigned y0, unsigned n, const uint8_t* rgb) {
        const std::size_t stride = std::size_t(tw) * dec_file.upscale * 3;
        for (unsigned i = 0; i < n && y0 + i < cs.height; ++i) out.write_rows(1, rgb + i * stride);
    });
    out.close();
    std::printf("decoded   %s -> %s (%ux%u, %.4f bpp, %s decoder %s, %s kernel, %u threads, %.2f s, %.1f GMAC)\n",
                in_path.c_str(), out_path.c_str(), cs.width, cs.height, cs.bpp(), opt.patchwise ? "patch-wise" : "full-frame",
                dec_path.c_str(), decoder_isa_name(st.isa), st.threads, st.seconds, double(st.macs_done) / 1e9);
    write_report(ctx, {{"command", "decompress"},
                       {"input", in_path},
                       {"output", out_path},
                       {"decoder", dec_path},
                       {"patchwise", opt.patchwise},
                       {"width", cs.width},
                       {"height", cs.height},
                       {"bpp", cs.bpp()},
                       {"seconds", st.seconds},
                       {"macs", st.macs_done},
                       {"threads", st.threads},
                       {"peak_rss_bytes", peak_rss_bytes()}});
    return EXIT_OK;
}

}  // namespace

command make_decompress_command() {
    command c;
    c.name = "decompress";
    c.summary = "reconstruct an image from an .evc bitstream with the full-frame decoder (or --patchwise)";
    c.usage = "encvp decompress IN.evc -o OUT.png [--decoder FILE] [--patchwise] [--threads N]";
    c.examples =
        "  encvp decompress kodim23.evc -o kodim23-decoded.png\n"
        "  encvp decompress kodim23.evc -o kodim23-patchwise.png --patchwise      # the block-artefact baseline\n";
    c.platform_options = false;
    c.options = [](po::options_description& d, po::positional_options_description& pos) {
        d.add_options()("input", po::value<std::string>()->value_name("IN.evc"), "bitstream to decode")
            ("output,o", po::value<std::string>()->value_name("OUT.png"), "image to write (PNG)")
            ("decoder", po::value<std::string>()->value_name("FILE"),
             "decoder (.edec); default: the one in configs/networks made for the bitstream's encoder")
            ("patchwise", "decode every patch alone (baseline that shows block artefacts)")
            ("threads", po::value<unsigned>()->value_name("N"), "decoder threads (default: all cores)")
            ("force", "decode even if the decoder was trained for another encoder");
        pos.add("input", 1);
    };
    c.run = run_decompress;
    return c;
}

}  // namespace encvp::cli

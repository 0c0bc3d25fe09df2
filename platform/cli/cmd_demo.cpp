// encvp demo: the platform's firmware demo — a 2-D region cut out of a frame by the DMA, completion
// by interrupt, checked by firmware and host.
#include <cstdio>
#include <iostream>

#include "cli/cli.h"
#include "session.h"

namespace encvp::cli {

namespace {

bool parse_size(const std::string& s, uint32_t& w, uint32_t& h) {
    unsigned a = 0, b = 0;
    char x = 0;
    if (std::sscanf(s.c_str(), "%u%c%u", &a, &x, &b) != 3 || (x != 'x' && x != 'X')) return false;
    w = a, h = b;
    return true;
}

int run_demo_cmd(context& ctx) {
    demo_job job;
    if (ctx.vm.count("frame") && !parse_size(ctx.vm["frame"].as<std::string>(), job.frame_width, job.frame_height))
        throw std::invalid_argument("--frame must look like 256x128");
    if (ctx.vm.count("region")) {
        unsigned w = 0, h = 0, x = 0, y = 0;
        if (std::sscanf(ctx.vm["region"].as<std::string>().c_str(), "%ux%u+%u+%u", &w, &h, &x, &y) != 4)
            throw std::invalid_argument("--region must look like WxH+X+Y, e.g. 100x50+37+11");
        job.width = w, job.height = h, job.x = x, job.y = y;
    }
    job.seed = ctx.vm["seed"].as<uint32_t>();
    session s(ctx.cfg, ctx.vcd_path);
    const demo_result r = run_demo(s, job);
    const bool pass = r.run.exited && r.run.exit_code == 0 && r.job_status == 0 && r.region_matches &&
                      r.checksum == r.expected_checksum;
    const nlohmann::json stats = s.report(r.run);
    const uint64_t txs = stats["models"]["cpu"]["loads"].get<uint64_t>() + stats["models"]["cpu"]["stores"].get<uint64_t>();
    std::printf("demo      %ux%u region at (%u, %u) of a %ux%u frame, 2-D DMA\n", job.width, job.height, job.x, job.y,
                job.frame_width, job.frame_height);
    std::printf("result    %s (exit code %d, job status %u, checksum %u vs %u, host check %s)\n", pass ? "PASS" : "FAIL",
                r.run.exit_code, r.job_status, r.checksum, r.expected_checksum, r.region_matches ? "ok" : "MISMATCH");
    if (!r.run.fault.empty()) std::printf("fault     %s\n", r.run.fault.c_str());
    std::printf("transfer  %u cycles\n", r.transfer_cycles);
    std::printf("time      %.3f us simulated, %.3f ms wall, %llu CPU accesses (%.2f M/s)\n", r.run.sim_seconds * 1e6,
                r.run.wall_seconds * 1e3, (unsigned long long)txs, txs / std::max(1e-9, r.run.wall_seconds) / 1e6);
    nlohmann::json j = stats;
    j["command"] = "demo";
    j["pass"] = pass;
    j["transfer_cycles"] = r.transfer_cycles;
    write_report(ctx, j);
    return pass ? EXIT_OK : EXIT_FAILED;
}

}  // namespace

command make_demo_command() {
    command c;
    c.name = "demo";
    c.summary = "run the firmware demo: cut a 2-D region out of a frame with the DMA, take the interrupt, verify";
    c.usage = "encvp demo [--frame WxH] [--region WxH+X+Y] [--seed N] [options]";
    c.examples =
        "  encvp demo\n"
        "  encvp demo --region 64x64+100+20 --frame 512x256 --vcd demo.vcd\n"
        "  encvp demo --dma.burst 16 --bus.trace true        # every bus transaction on stderr\n";
    c.options = [](po::options_description& d, po::positional_options_description&) {
        d.add_options()("frame", po::value<std::string>()->value_name("WxH"), "source frame, bytes x rows (default 256x128)")
            ("region", po::value<std::string>()->value_name("WxH+X+Y"), "region to copy (default 100x50+37+11)")
            ("seed", po::value<uint32_t>()->default_value(1), "seed of the frame's random contents");
    };
    c.run = run_demo_cmd;
    return c;
}

}  // namespace encvp::cli

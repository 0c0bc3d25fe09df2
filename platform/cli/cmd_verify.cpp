// encvp verify: random networks covering every combination of weight/activation precision, kernel,
// stride, groups, pooling and task, with random inputs, through the VP, the golden engine and the
// straightforward reference; any difference fails.
#include <cstdio>
#include <iostream>
#include <random>

#include "cli/cli.h"
#include "common/error.h"
#include "golden/golden.h"
#include "session.h"
#include "verify/random_network.h"

namespace encvp::cli {

namespace {

std::string bytes_hex(const std::vector<uint8_t>& v) {
    std::string s;
    char b[4];
    for (std::size_t i = 0; i < v.size() && i < 64; ++i) {
        std::snprintf(b, sizeof b, "%02x", v[i]);
        s += b;
    }
    return s + (v.size() > 64 ? "..." : "");
}

// What the encoder writes to its output buffer for this result.
std::vector<uint8_t> expected_output(const nx::network& net, const nx::inference_result& r) {
    if (net.shape.classify) {
        std::vector<uint8_t> out;
        auto put = [&out](uint32_t v) {
            for (int i = 0; i < 4; ++i) out.push_back(uint8_t(v >> (8 * i)));
        };
        for (int32_t l : r.logits) put(uint32_t(l));
        put(uint32_t(r.cls));
        return out;
    }
    return nx::pack_values(r.output, net.shape.layers.back().a_bits);
}

int run_verify(context& ctx) {
    const unsigned n = ctx.vm["random"].as<unsigned>();
    const unsigned inputs = ctx.vm["inputs"].as<unsigned>();
    const uint32_t seed = ctx.vm["seed"].as<uint32_t>();
    if (n == 0) throw input_error("--random", "must be at least 1");
    if (inputs == 0) throw input_error("--inputs", "must be at least 1");
    std::mt19937 rng(seed);
    progress bar(n, "networks");
    const double t0 = now_seconds();
    std::size_t runs = 0;
    for (unsigned i = 0; i < n; ++i) {
        std::string desc;
        const nx::network net = make_random_network(i, rng, desc);
        const network_file file = make_network_file(net, "random-" + std::to_string(i), {}, {{"tool", "encvp verify"}});
        network_file f = file;
        if (net.shape.classify) {
            for (unsigned c = 0; c < net.layers.back().d.out_c; ++c) f.classes.push_back("c" + std::to_string(c));
        }
        // Round trip through the file format, so the reader and writer are verified too.
        const network_file back = parse_network_file(serialize_network_file(f), "random network " + std::to_string(i));
        const compiled_network comp = compile_network(back, ctx.cfg.sram_size_bits);
        golden_model gold(back);
        std::vector<std::vector<uint8_t>> in(inputs);
        for (auto& v : in) {
            v.resize(std::size_t(net.shape.in_c) * net.shape.in_h * net.shape.in_w);
            for (auto& p : v) p = uint8_t(rng());
        }
        std::string failure;
        session s(ctx.cfg);
        const inference_stats st = run_inference(
            s, comp, inputs, inputs, [&](std::size_t k, std::vector<uint8_t>& out) { out = in[k]; },
            [&](const inference_record& r) {
                if (!failure.empty()) return;
                nx::inference_result g, ref;
                gold.run(in[r.index].data(), g);
                ref = nx::reference_run(net, in[r.index].data());
                const std::vector<uint8_t> eg = expected_output(net, g), er = expected_output(net, ref);
                if (eg != er)
                    failure = "golden engine and reference differ on input " + std::to_string(r.index) + ": " + bytes_hex(eg) +
                              " vs " + bytes_hex(er);
                else if (r.status != 0)
                    failure = "VP reported encoder error " + std::to_string(r.status) + " on input " + std::to_string(r.index);
                else if (r.output != eg)
                    failure = "VP and golden differ on input " + std::to_string(r.index) + ": VP " + bytes_hex(r.output) +
                              ", golden " + bytes_hex(eg);
            });
        runs += inputs;
        if (failure.empty() && (st.run.exit_code != 0 || st.job_status != 0 || st.done != inputs))
            failure = "firmware run failed: exit code " + std::to_string(st.run.exit_code) + ", job status " +
                      std::to_string(st.job_status) + (st.run.fault.empty() ? "" : ", " + st.run.fault);
        if (!failure.empty()) {
            bar.finish();
            std::printf("verify    FAILED on network %u (%s): %s\n", i, desc.c_str(), failure.c_str());
            nlohmann::json j{{"command", "verify"}, {"networks", n}, {"failed_network", i}, {"description", desc}, {"failure", failure}};
            write_report(ctx, j);
            return EXIT_FAILED;
        }
        if (ctx.verbosity >= 1) std::printf("network %u ok: %s\n", i, desc.c_str());
        bar.update(i + 1);
    }
    bar.finish();
    const double wall = now_seconds() - t0;
    std::printf("verify    PASS: %u random networks x %u inputs (%zu runs, %u precision/kernel/stride/group/pool/task "
                "combinations%s) agree bit for bit across VP, golden engine and reference, in %.1f s\n",
                n, inputs, runs, random_network_combinations(), n >= random_network_combinations() ? ", all covered" : "", wall);
    write_report(ctx, {{"command", "verify"}, {"networks", n}, {"inputs_per_network", inputs}, {"seed", seed}, {"pass", true},
                       {"wall_seconds", wall}});
    return EXIT_OK;
}

}  // namespace

command make_verify_command() {
    command c;
    c.name = "verify";
    c.summary = "run random networks through the VP, the golden engine and the reference; fail on any difference";
    c.usage = "encvp verify --random N [--seed S] [--inputs K]";
    c.examples =
        "  encvp verify --random 500\n"
        "  encvp verify --random 50 --seed 7 --inputs 8 -v\n";
    c.options = [](po::options_description& d, po::positional_options_description&) {
        d.add_options()("random", po::value<unsigned>()->default_value(100)->value_name("N"), "number of random networks")
            ("seed", po::value<uint32_t>()->default_value(1), "random seed")
            ("inputs", po::value<unsigned>()->default_value(3)->value_name("K"), "random inputs per network");
    };
    c.run = run_verify;
    return c;
}

}  // namespace encvp::cli

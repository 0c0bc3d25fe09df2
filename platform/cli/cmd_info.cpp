// encvp info: the effective configuration, the memory map and, with --network, the network's
// budget and per-layer estimates.
#include <cstdio>
#include <iostream>

#include "cli/cli.h"
#include "cli/network_util.h"
#include "common/report.h"
#include "numerics/engine.h"

namespace encvp::cli {

namespace {

int run_info(context& ctx) {
    std::cout << "# encvp effective configuration";
    if (!ctx.sources.file.empty()) std::cout << " (from " << ctx.sources.file << " and the command line)";
    std::cout << "\n";
    write_config_ini(std::cout, ctx.vm);
    const platform_config& c = ctx.cfg;
    std::cout << "\n# memory map\n";
    const struct {
        const char* name;
        uint64_t base, size;
    } map[] = {{"sysctrl", c.sysctrl_base, 0x1000}, {"intc", c.intc_base, 0x1000},         {"dma", c.dma_base, 0x1000},
               {"encoder", c.encoder_base, 0x40000}, {"sram", c.sram_base, c.sram_size_bits / 8},
               {"dram", c.dram_base, c.dram_size}};
    for (const auto& m : map)
        std::printf("#   %-8s 0x%08llx - 0x%08llx  (%llu bytes)\n", m.name, (unsigned long long)m.base,
                    (unsigned long long)(m.base + m.size - 1), (unsigned long long)m.size);
    std::printf("# arithmetic kernel: %s\n", nx::engine::kernel_name());
    nlohmann::json j;
    j["command"] = "info";
    if (ctx.vm.count("network")) {
        const std::string path = ctx.vm["network"].as<std::string>();
        const network_file f = read_network_file(path);
        std::cout << "\n";
        compiled_network comp;
        try {
            comp = compile_network(f, c.sram_size_bits, path);
        } catch (const budget_error& e) {
            std::cout << e.what();
            return EXIT_FAILED;
        }
        print_network_summary(std::cout, path, f, comp);
        std::cout << "\n" << budget_table(comp.budget, comp.sram_capacity_bits) << "\n";
        const run_estimate e = estimate_network(f, c);
        print_layer_table(std::cout, f, e, c.encoder.clock_hz);
        j["network"] = {{"path", path}, {"name", f.name}, {"weight_bits", comp.weight_bits},
                        {"sram_bits", comp.sram_bits}, {"sram_capacity_bits", comp.sram_capacity_bits},
                        {"provenance", f.provenance}};
        j["layers"] = layers_json(f, e, c.encoder.clock_hz);
    }
    write_report(ctx, j);
    return EXIT_OK;
}

}  // namespace

command make_info_command() {
    command c;
    c.name = "info";
    c.summary = "print the effective configuration and memory map; with --network, its budget and per-layer estimates";
    c.usage = "encvp info [--config FILE] [--network FILE] [platform keys]";
    c.examples =
        "  encvp info\n"
        "  encvp info --config configs/default.ini --sram.size 512Kbit\n"
        "  encvp info --network configs/networks/cifar10-1mb.enet --encoder.mac_lanes 128\n";
    c.options = [](po::options_description& d, po::positional_options_description&) {
        d.add_options()("network", po::value<std::string>()->value_name("FILE"), "network file (.enet) to analyse");
    };
    c.run = run_info;
    return c;
}

}  // namespace encvp::cli

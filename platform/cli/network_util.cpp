#include "cli/network_util.h"

#include <cstdio>
#include <sys/stat.h>

#include "cli/cli.h"

namespace encvp::cli {

std::string default_network_path() {
    for (const char* rel : {"configs/networks/cifar10-1mb.enet", "configs/networks/cifar10-small.enet"}) {
        const std::string p = source_path(rel);
        struct stat st {};
        if (::stat(p.c_str(), &st) == 0) return p;
    }
    return source_path("configs/networks/cifar10-1mb.enet");
}

std::string default_dataset_path() { return source_path("configs/samples/cifar10"); }

std::vector<nx::layer_desc> layer_descs(const network_file& f) {
    std::vector<nx::layer_desc> v;
    for (const net_layer& l : f.layers) v.push_back(l.d);
    return v;
}

run_estimate estimate_network(const network_file& f, const platform_config& cfg) {
    return estimate_run(layer_descs(f), cfg.encoder, sram_port{cfg.sram_word_bits, cfg.sram_banks});
}

void print_network_summary(std::ostream& os, const std::string& path, const network_file& f, const compiled_network& c) {
    char buf[512];
    std::snprintf(buf, sizeof buf, "network   %s ('%s', %s, %zu layers, input %ux%ux%u)\n", path.c_str(), f.name.c_str(),
                  f.task.c_str(), f.layers.size(), f.in_c, f.in_h, f.in_w);
    os << buf;
    std::snprintf(buf, sizeof buf, "weights   %llu bits of %llu in the weight SRAM (%.1f%%; %llu bits with alignment)\n",
                  (unsigned long long)c.weight_bits, (unsigned long long)c.sram_capacity_bits,
                  100.0 * double(c.weight_bits) / double(c.sram_capacity_bits), (unsigned long long)c.sram_bits);
    os << buf;
}

void print_layer_table(std::ostream& os, const network_file& f, const run_estimate& e, double clock_hz) {
    char buf[512];
    std::snprintf(buf, sizeof buf, "%-3s %-10s %-18s %-9s %11s %9s %9s %6s %10s %10s\n", "#", "layer", "kind", "in->out",
                  "MACs", "cycles", "stalls", "util", "sram_bits", "energy_nJ");
    os << buf;
    for (std::size_t i = 0; i < e.layers.size(); ++i) {
        const layer_estimate& l = e.layers[i];
        const nx::layer_desc& d = f.layers[i].d;
        const std::string io = "w" + std::to_string(d.w_bits) + " " + std::to_string(d.in_bits) + "->" +
                               (d.type == nx::layer_type::fc ? std::string("int") : std::to_string(d.a_bits));
        std::snprintf(buf, sizeof buf, "%-3zu %-10.10s %-18.18s %-9s %11llu %9llu %9llu %5.1f%% %10llu %10.2f\n", i,
                      f.layers[i].name.c_str(), l.kind.c_str(), io.c_str(), (unsigned long long)l.macs,
                      (unsigned long long)l.cycles, (unsigned long long)l.stall_cycles, 100 * l.utilization,
                      (unsigned long long)l.weight_bits, l.energy_pj() / 1e3);
        os << buf;
    }
    std::snprintf(buf, sizeof buf, "total: %llu cycles = %.2f us at %.0f MHz, %llu MACs, %.2f nJ dynamic\n",
                  (unsigned long long)e.cycles, double(e.cycles) / clock_hz * 1e6, clock_hz / 1e6,
                  (unsigned long long)e.macs, e.dynamic_energy_pj / 1e3);
    os << buf;
}

nlohmann::json layers_json(const network_file& f, const run_estimate& e, double clock_hz) {
    nlohmann::json arr = nlohmann::json::array();
    for (std::size_t i = 0; i < e.layers.size(); ++i) {
        const layer_estimate& l = e.layers[i];
        arr.push_back({{"index", i},
                       {"name", f.layers[i].name},
                       {"kind", l.kind},
                       {"macs", l.macs},
                       {"cycles", l.cycles},
                       {"compute_cycles", l.compute_cycles},
                       {"weight_read_cycles", l.weight_read_cycles},
                       {"act_cycles", l.act_cycles},
                       {"setup_cycles", l.setup_cycles},
                       {"stall_cycles", l.stall_cycles},
                       {"utilization", l.utilization},
                       {"latency_seconds", double(l.cycles) / clock_hz},
                       {"sram_read_bits", l.weight_bits},
                       {"act_read_bits", l.act_read_bits},
                       {"act_write_bits", l.act_write_bits},
                       {"act_peak_bits", l.act_peak_bits},
                       {"energy_pj", l.energy_pj()}});
    }
    return arr;
}

}  // namespace encvp::cli

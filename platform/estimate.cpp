#include "estimate.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "regs/encvp_regdefs.h"
#include "soc.h"

namespace encvp {

// ---- the probe -------------------------------------------------------------------------------

stream_probe::stream_probe(const sc_core::sc_module_name& nm, soc& chip, std::size_t expected_runs)
    : sc_module(nm), chip_(chip), expected_(expected_runs) {
    SC_METHOD(on_busy);
    sensitive << chip_.enc.busy;
    dont_initialize();
}

void stream_probe::on_busy() {
    if (!chip_.enc.busy.read()) return;
    ++starts_;
    const double now = sc_core::sc_time_stamp().to_seconds();
    if (starts_ == 1) {
        first_start_s_ = now;
        at_first_start_ = chip_.stats();
    }
    if (starts_ == expected_ && starts_ > 1) {
        last_start_s_ = now;
        at_last_start_ = chip_.stats();
    }
}

nlohmann::json stream_probe::measurement(std::size_t items, double end_s) const {
    nlohmann::json j;
    j["items"] = items;
    j["end_s"] = end_s;
    j["starts"] = starts_;
    j["at_end"] = chip_.stats();
    j["first_start_s"] = starts_ >= 1 ? first_start_s_ : end_s;
    j["at_first_start"] = starts_ >= 1 ? at_first_start_ : j["at_end"];
    if (expected_ > 1 && starts_ >= expected_ && items == expected_) {
        j["last_start_s"] = last_start_s_;
        j["at_last_start"] = at_last_start_;
    }
    return j;
}

// ---- counters --------------------------------------------------------------------------------

namespace {

double num(const nlohmann::json& j, std::initializer_list<const char*> path) {
    const nlohmann::json* p = &j;
    for (const char* k : path) {
        if (!p->is_object()) return 0;
        auto it = p->find(k);
        if (it == p->end()) return 0;
        p = &*it;
    }
    return p->is_number() ? p->get<double>() : 0;
}

// The counters the estimate uses, out of one soc::stats() snapshot.
struct counters {
    double encoder_cycles = 0, encoder_runs = 0;
    double dma_busy_s[2] = {0, 0}, dma_bytes[2] = {0, 0};
    double cpu_wfi_s = 0, cpu_dmi = 0;
    double dram_bytes = 0, bus_bytes = 0, io_bytes = 0, sram_write_bits = 0, interrupts = 0;
};

counters read_counters(const nlohmann::json& s) {
    counters c;
    c.encoder_cycles = num(s, {"encoder", "cycles"});
    c.encoder_runs = num(s, {"encoder", "runs"});
    if (s.contains("dma") && s["dma"].contains("channels") && s["dma"]["channels"].is_array()) {
        const nlohmann::json& ch = s["dma"]["channels"];
        for (std::size_t i = 0; i < 2 && i < ch.size(); ++i) {
            c.dma_busy_s[i] = num(ch[i], {"busy_seconds"});
            c.dma_bytes[i] = num(ch[i], {"bytes"});
        }
    }
    c.cpu_wfi_s = num(s, {"cpu", "wfi_seconds"});
    c.cpu_dmi = num(s, {"cpu", "dmi_accesses"});
    // CPU accesses through DMI bypass the bus and DRAM models (a simulation shortcut); in hardware
    // they are bus and DRAM traffic: counted as 4 bytes each.
    c.dram_bytes = num(s, {"dram", "bytes_read"}) + num(s, {"dram", "bytes_written"}) + 4 * c.cpu_dmi;
    if (s.contains("bus") && s["bus"].contains("targets"))
        for (const auto& t : s["bus"]["targets"]) c.bus_bytes += num(t, {"bytes"});
    c.bus_bytes += 4 * c.cpu_dmi;
    c.io_bytes = num(s, {"encoder", "in_buf_bytes_written"}) + num(s, {"encoder", "in_buf_bytes_read"}) +
                 num(s, {"encoder", "out_buf_bytes_written"}) + num(s, {"encoder", "out_buf_bytes_read"});
    c.sram_write_bits = num(s, {"sram", "bits_written"});
    if (s.contains("intc") && s["intc"].contains("interrupts_raised"))
        for (const auto& n : s["intc"]["interrupts_raised"]) c.interrupts += n.is_number() ? n.get<double>() : 0;
    return c;
}

const char* bound_of(const layer_estimate& e) {
    const uint64_t body = std::max({e.compute_cycles, e.weight_read_cycles, e.act_cycles});
    if (e.compute_cycles == body) return "compute";
    if (e.weight_read_cycles == body) return "weight_sram";
    return "activations";
}

}  // namespace

// ---- the estimate ----------------------------------------------------------------------------

estimate_report make_estimate(const platform_config& cfg, const network_file& net, const compiled_network& comp,
                              const std::vector<nlohmann::json>& measurements) {
    estimate_report r;
    r.task = net.classify() ? "classify" : "compress";
    r.unit = net.classify() ? "image" : "patch";
    const double f = cfg.encoder.clock_hz;
    r.encoder_clock_hz = f;
    std::vector<nx::layer_desc> descs;
    for (const net_layer& l : net.layers) descs.push_back(l.d);
    const run_estimate run = estimate_run(descs, cfg.encoder, sram_port{cfg.sram_word_bits, cfg.sram_banks});

    // Layers.
    double util_cycles = 0;
    uint64_t layer_cycles = 0;
    energy_report& en = r.energy;
    for (std::size_t i = 0; i < run.layers.size(); ++i) {
        layer_report l;
        l.name = net.layers[i].name;
        l.d = net.layers[i].d;
        l.e = run.layers[i];
        if (i < comp.budget.size()) l.budget = comp.budget[i];
        l.bound = bound_of(l.e);
        l.latency_s = double(l.e.cycles) / f;
        l.setup_s = double(l.e.setup_cycles) / f;
        l.compute_s = double(l.e.compute_cycles) / f;
        const double stall_s = double(l.e.stall_cycles) / f;
        if (l.bound == std::string("weight_sram")) l.weight_stall_s = stall_s;
        if (l.bound == std::string("activations")) l.act_stall_s = stall_s;
        util_cycles += l.e.utilization * double(l.e.cycles);
        layer_cycles += l.e.cycles;
        en.mac_pj += l.e.energy_mac_pj;
        en.sram_read_pj += l.e.energy_sram_pj;
        en.act_io_pj += l.e.energy_act_pj;
        r.layers.push_back(std::move(l));
    }
    r.start_cycles = run.start_cycles;
    r.encoder_cycles = run.cycles;
    r.macs = run.macs;
    r.encoder_s = double(run.cycles) / f;
    r.mac_utilization = layer_cycles ? util_cycles / double(layer_cycles) : 0;
    r.mac_units = uint64_t(cfg.encoder.mac_lanes) * cfg.encoder.macs_per_lane[3];
    en.encoder_pj = en.mac_pj + en.sram_read_pj + en.act_io_pj;

    // Memory.
    memory_report& m = r.memory;
    m.weight_bits = comp.weight_bits;
    m.sram_image_bits = comp.sram_bits;
    m.sram_capacity_bits = cfg.sram_size_bits;
    m.weights_fit = m.weight_bits <= m.sram_capacity_bits && m.sram_image_bits <= m.sram_capacity_bits;
    m.act_peak_bits = run.act_peak_bits;
    m.act_buffer_bits = cfg.encoder.act_buffer_bytes * 8;
    m.activations_fit = m.act_peak_bits <= m.act_buffer_bits;
    m.in_buffer_bits = uint64_t(regdefs::encoder::IN_BUF.size) * 8;
    m.out_buffer_bits = uint64_t(regdefs::encoder::OUT_BUF.size) * 8;
    m.in_used_bits = 2ull * comp.in_bytes * 8;
    m.out_used_bits = 2ull * comp.out_bytes * 8;
    m.on_chip_bits = m.sram_capacity_bits + m.act_buffer_bits + m.in_buffer_bits + m.out_buffer_bits;
    m.on_chip_used_bits = m.sram_image_bits + m.act_peak_bits + m.in_used_bits + m.out_used_bits;

    // Platform measurements, summed over instances.
    platform_report& p = r.platform;
    const energy_config& ec = cfg.encoder.energy;
    for (const nlohmann::json& j : measurements) {
        const nlohmann::json empty = nlohmann::json::object();
        const counters a = read_counters(j.value("at_first_start", empty));
        const counters e = read_counters(j.value("at_end", empty));
        const double items = j.value("items", 0.0), first = j.value("first_start_s", 0.0), end = j.value("end_s", 0.0);
        // The window: first to last START holds items - 1 whole periods; without a last START
        // (one item), first START to the end of the run holds one.
        const bool whole = j.contains("at_last_start") && items >= 2;
        const counters b = whole ? read_counters(j["at_last_start"]) : e;
        const double last = whole ? j.value("last_start_s", end) : end;
        if (items <= 0) continue;
        p.items += std::size_t(items);
        ++p.instances;
        p.load_s += first;
        p.window_s += std::max(0.0, last - first);
        p.window_items += whole ? items - 1 : items;
        p.total_s += end;
        p.encoder_s += (b.encoder_cycles - a.encoder_cycles) / f;
        p.dma_in_s += b.dma_busy_s[0] - a.dma_busy_s[0];
        p.dma_out_s += b.dma_busy_s[1] - a.dma_busy_s[1];
        p.dma_in_bytes += b.dma_bytes[0] - a.dma_bytes[0];
        p.dma_out_bytes += b.dma_bytes[1] - a.dma_bytes[1];
        p.cpu_wfi_s += b.cpu_wfi_s - a.cpu_wfi_s;
        p.dram_bytes += b.dram_bytes - a.dram_bytes;
        p.bus_bytes += b.bus_bytes - a.bus_bytes;
        p.io_buffer_bytes += b.io_bytes - a.io_bytes;
        p.interrupts += b.interrupts - a.interrupts;
        p.task_dram_bytes += e.dram_bytes;
        p.task_bus_bytes += e.bus_bytes;
        p.task_io_buffer_bytes += e.io_bytes;
        p.task_sram_write_bits += e.sram_write_bits;
        p.load_dma_bytes += a.dma_bytes[0] + a.dma_bytes[1];
    }
    if (p.instances > 0 && p.window_items > 0) {
        p.measured = true;
        const double n = p.window_items;
        p.load_s /= double(p.instances);
        p.load_dma_bytes /= double(p.instances);
        p.cpu_busy_s = (p.window_s - p.cpu_wfi_s) / n;
        p.item_s = p.window_s / n;
        for (double* v : {&p.encoder_s, &p.dma_in_s, &p.dma_out_s, &p.dma_in_bytes, &p.dma_out_bytes, &p.cpu_wfi_s,
                          &p.dram_bytes, &p.bus_bytes, &p.io_buffer_bytes, &p.interrupts})
            *v /= n;
        p.overhead_s = p.item_s - p.encoder_s;
        p.overlap_s = std::max(p.encoder_s, p.dma_in_s);
        p.serial_s = p.item_s - p.overlap_s;
        p.critical = p.encoder_s >= p.dma_in_s ? "encoder" : "dma_in";
        p.encoder_duty = p.item_s > 0 ? p.encoder_s / p.item_s : 0;
    }

    // Energy.
    // Static power: a fixed part, the MAC lanes (a lane holds macs_per_lane_w3 3-bit MACs, which
    // split into the narrower ones) and every provisioned on-chip memory bit.
    en.static_fixed_w = ec.static_mw * 1e-3;
    en.static_lanes_w = double(cfg.encoder.mac_lanes) * cfg.encoder.macs_per_lane[3] * ec.lane_leakage_uw * 1e-6;
    en.static_memory_w = double(m.on_chip_bits) * ec.memory_leakage_pw_per_bit * 1e-12;
    en.static_w = en.static_fixed_w + en.static_lanes_w + en.static_memory_w;
    const double static_w = en.static_w;
    r.latency_s = p.measured ? p.item_s : r.encoder_s;
    r.throughput_per_s = r.latency_s > 0 ? 1.0 / r.latency_s : 0;
    en.dram_pj = p.dram_bytes * ec.dram_pj_per_byte;
    en.bus_pj = p.bus_bytes * ec.bus_pj_per_byte;
    en.io_transfer_pj = p.io_buffer_bytes * 8 * ec.io_buffer_pj_per_bit;
    en.transfer_pj = en.dram_pj + en.bus_pj + en.io_transfer_pj;
    en.static_pj = static_w * r.latency_s * 1e12;
    en.total_pj = en.encoder_pj + en.transfer_pj + en.static_pj;
    if (p.measured) {
        en.task_encoder_pj = en.encoder_pj * double(p.items);
        en.task_transfer_pj = p.task_dram_bytes * ec.dram_pj_per_byte + p.task_bus_bytes * ec.bus_pj_per_byte +
                              p.task_io_buffer_bytes * 8 * ec.io_buffer_pj_per_bit;
        en.task_sram_write_pj = p.task_sram_write_bits * ec.sram_write_pj_per_bit;
        en.task_static_pj = static_w * p.total_s * 1e12;
    } else {
        en.task_encoder_pj = en.encoder_pj;
        en.task_sram_write_pj = double(m.sram_image_bits) * ec.sram_write_pj_per_bit;
        en.task_static_pj = en.static_pj;
    }
    en.task_total_pj = en.task_encoder_pj + en.task_transfer_pj + en.task_sram_write_pj + en.task_static_pj;
    return r;
}

// ---- output ----------------------------------------------------------------------------------

nlohmann::json estimate_json(const estimate_report& r) {
    nlohmann::json j;
    j["task"] = r.task;
    j["unit"] = r.unit;
    j["encoder_clock_hz"] = r.encoder_clock_hz;
    nlohmann::json layers = nlohmann::json::array();
    for (std::size_t i = 0; i < r.layers.size(); ++i) {
        const layer_report& l = r.layers[i];
        const layer_estimate& e = l.e;
        layers.push_back({{"index", i},
                          {"name", l.name},
                          {"kind", e.kind},
                          {"w_bits", l.d.w_bits},
                          {"in_bits", l.d.in_bits},
                          {"a_bits", l.d.a_bits},
                          {"macs", e.macs},
                          {"passes", e.passes},
                          {"cycles", e.cycles},
                          {"setup_cycles", e.setup_cycles},
                          {"compute_cycles", e.compute_cycles},
                          {"weight_read_cycles", e.weight_read_cycles},
                          {"act_cycles", e.act_cycles},
                          {"stall_cycles", e.stall_cycles},
                          {"bound", l.bound},
                          {"latency_s", l.latency_s},
                          {"latency_split_s",
                           {{"setup", l.setup_s}, {"compute", l.compute_s}, {"weight_sram_stall", l.weight_stall_s},
                            {"activation_stall", l.act_stall_s}}},
                          {"mac_utilization", e.utilization},
                          {"memory_bits",
                           {{"weights", l.budget.weight_bits},
                            {"biases", l.budget.bias_bits},
                            {"shift", l.budget.shift_bits},
                            {"sram_segment", l.budget.sram_bits},
                            {"sram_read", e.weight_bits},
                            {"act_read", e.act_read_bits},
                            {"act_write", e.act_write_bits},
                            {"act_peak", e.act_peak_bits}}},
                          {"energy_pj",
                           {{"mac", e.energy_mac_pj},
                            {"sram_read", e.energy_sram_pj},
                            {"act_io_buffers", e.energy_act_pj},
                            {"total", e.energy_pj()}}}});
    }
    j["layers"] = layers;
    j["encoder"] = {{"start_cycles", r.start_cycles},
                    {"cycles", r.encoder_cycles},
                    {"latency_s", r.encoder_s},
                    {"macs", r.macs},
                    {"mac_utilization", r.mac_utilization},
                    {"mac_units", r.mac_units}};
    const memory_report& m = r.memory;
    j["memory_bits"] = {{"weights", m.weight_bits},
                        {"sram_image", m.sram_image_bits},
                        {"sram_capacity", m.sram_capacity_bits},
                        {"weights_fit", m.weights_fit},
                        {"act_peak", m.act_peak_bits},
                        {"act_buffer", m.act_buffer_bits},
                        {"activations_fit", m.activations_fit},
                        {"in_buffer", m.in_buffer_bits},
                        {"out_buffer", m.out_buffer_bits},
                        {"in_used", m.in_used_bits},
                        {"out_used", m.out_used_bits},
                        {"on_chip", m.on_chip_bits},
                        {"on_chip_used", m.on_chip_used_bits}};
    const platform_report& p = r.platform;
    if (p.measured) {
        j["platform"] = {{"items", p.items},
                         {"instances", p.instances},
                         {"load_s", p.load_s},
                         {"load_dma_bytes", p.load_dma_bytes},
                         {"window_s", p.window_s},
                         {"window_periods", p.window_items},
                         {"total_s", p.total_s},
                         {"per_item",
                          {{"period_s", p.item_s},
                           {"encoder_s", p.encoder_s},
                           {"dma_in_s", p.dma_in_s},
                           {"dma_out_s", p.dma_out_s},
                           {"dma_in_bytes", p.dma_in_bytes},
                           {"dma_out_bytes", p.dma_out_bytes},
                           {"cpu_busy_s", p.cpu_busy_s},
                           {"cpu_wfi_s", p.cpu_wfi_s},
                           {"overhead_s", p.overhead_s},
                           {"dram_bytes", p.dram_bytes},
                           {"bus_bytes", p.bus_bytes},
                           {"io_buffer_bytes", p.io_buffer_bytes},
                           {"interrupts", p.interrupts}}},
                         {"double_buffering",
                          {{"overlapped_s", p.overlap_s},
                           {"serial_s", p.serial_s},
                           {"critical", p.critical},
                           {"encoder_duty", p.encoder_duty}}}};
    } else {
        j["platform"] = nullptr;
    }
    const energy_report& e = r.energy;
    j["energy_pj"] = {{"per_" + r.unit,
                       {{"mac", e.mac_pj},
                        {"sram_read", e.sram_read_pj},
                        {"act_io_buffers", e.act_io_pj},
                        {"encoder", e.encoder_pj},
                        {"dram", e.dram_pj},
                        {"bus", e.bus_pj},
                        {"io_transfers", e.io_transfer_pj},
                        {"transfers", e.transfer_pj},
                        {"static", e.static_pj},
                        {"total", e.total_pj}}},
                      {"static_power_w",
                       {{"fixed", e.static_fixed_w},
                        {"mac_lanes", e.static_lanes_w},
                        {"memory", e.static_memory_w},
                        {"total", e.static_w}}},
                      {"task",
                       {{"encoder", e.task_encoder_pj},
                        {"transfers", e.task_transfer_pj},
                        {"sram_write", e.task_sram_write_pj},
                        {"static", e.task_static_pj},
                        {"total", e.task_total_pj}}}};
    j["latency_s"] = r.latency_s;
    j["throughput_per_s"] = r.throughput_per_s;
    return j;
}

namespace {

std::string fmt(double v) {
    char b[64];
    std::snprintf(b, sizeof b, "%.9g", v);
    return b;
}

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

}  // namespace

void write_estimate_csv(std::ostream& os, const estimate_report& r) {
    static const char* const cols[] = {
        "row", "name", "kind", "w_bits", "in_bits", "a_bits", "macs", "passes", "cycles", "setup_cycles",
        "compute_cycles", "weight_read_cycles", "act_cycles", "stall_cycles", "bound", "latency_us", "setup_us",
        "compute_us", "weight_stall_us", "act_stall_us", "overhead_us", "mac_utilization", "weight_bits",
        "bias_bits", "sram_segment_bits", "sram_read_bits", "act_read_bits", "act_write_bits", "act_peak_bits",
        "energy_mac_pj", "energy_sram_read_pj", "energy_act_io_pj", "energy_transfer_pj", "energy_static_pj",
        "energy_pj"};
    constexpr std::size_t ncols = sizeof cols / sizeof cols[0];
    for (std::size_t i = 0; i < ncols; ++i) os << (i ? "," : "") << cols[i];
    os << "\n";
    auto row = [&](const std::vector<std::string>& v) {
        for (std::size_t i = 0; i < ncols; ++i) os << (i ? "," : "") << (i < v.size() ? csv_field(v[i]) : "");
        os << "\n";
    };
    const double us = 1e6;
    struct sums {
        double macs = 0, cycles = 0, setup = 0, compute = 0, wread = 0, act = 0, stall = 0;
        double lat = 0, setup_us = 0, compute_us = 0, wstall = 0, astall = 0, overhead = 0;
        double wbits = 0, bbits = 0, seg = 0, sread = 0, aread = 0, awrite = 0, apeak = 0;
        double emac = 0, esram = 0, eact = 0, etr = 0, est = 0, e = 0;
    } t;
    for (std::size_t i = 0; i < r.layers.size(); ++i) {
        const layer_report& l = r.layers[i];
        const layer_estimate& e = l.e;
        const bool fc = l.d.type == nx::layer_type::fc;
        row({std::to_string(i), l.name, e.kind, std::to_string(l.d.w_bits), std::to_string(l.d.in_bits),
             fc ? "32" : std::to_string(l.d.a_bits), std::to_string(e.macs), std::to_string(e.passes),
             std::to_string(e.cycles), std::to_string(e.setup_cycles), std::to_string(e.compute_cycles),
             std::to_string(e.weight_read_cycles), std::to_string(e.act_cycles), std::to_string(e.stall_cycles), l.bound,
             fmt(l.latency_s * us), fmt(l.setup_s * us), fmt(l.compute_s * us), fmt(l.weight_stall_s * us),
             fmt(l.act_stall_s * us), "0", fmt(e.utilization), std::to_string(l.budget.weight_bits),
             std::to_string(l.budget.bias_bits), std::to_string(l.budget.sram_bits), std::to_string(e.weight_bits),
             std::to_string(e.act_read_bits), std::to_string(e.act_write_bits), std::to_string(e.act_peak_bits),
             fmt(e.energy_mac_pj), fmt(e.energy_sram_pj), fmt(e.energy_act_pj), "0", "0", fmt(e.energy_pj())});
        t.macs += double(e.macs), t.cycles += double(e.cycles), t.setup += double(e.setup_cycles);
        t.compute += double(e.compute_cycles), t.wread += double(e.weight_read_cycles), t.act += double(e.act_cycles);
        t.stall += double(e.stall_cycles);
        t.lat += l.latency_s * us, t.setup_us += l.setup_s * us, t.compute_us += l.compute_s * us;
        t.wstall += l.weight_stall_s * us, t.astall += l.act_stall_s * us;
        t.wbits += double(l.budget.weight_bits), t.bbits += double(l.budget.bias_bits), t.seg += double(l.budget.sram_bits);
        t.sread += double(e.weight_bits), t.aread += double(e.act_read_bits), t.awrite += double(e.act_write_bits);
        t.apeak = std::max(t.apeak, double(e.act_peak_bits));
        t.emac += e.energy_mac_pj, t.esram += e.energy_sram_pj, t.eact += e.energy_act_pj, t.e += e.energy_pj();
    }
    // The encoder's per-run start cycles are latency too.
    const double start_us = double(r.start_cycles) / r.encoder_clock_hz * us;
    row({"start", "encoder start", "", "", "", "", "", "", std::to_string(r.start_cycles), std::to_string(r.start_cycles),
         "", "", "", "", "", fmt(start_us), fmt(start_us), "", "", "", "0"});
    t.cycles += double(r.start_cycles), t.setup += double(r.start_cycles), t.lat += start_us, t.setup_us += start_us;
    if (r.platform.measured) {
        const double ov = r.platform.overhead_s * us;
        row({"platform", "DMA + firmware (measured)", "", "", "", "", "", "", "", "", "", "", "", "", r.platform.critical,
             fmt(ov), "", "", "", "", fmt(ov), "", "", "", "", "", "", "", "", "", "", "", fmt(r.energy.transfer_pj), "0",
             fmt(r.energy.transfer_pj)});
        t.lat += ov, t.overhead += ov, t.etr += r.energy.transfer_pj, t.e += r.energy.transfer_pj;
    }
    row({"static", "static power", "", "", "", "", "", "", "", "", "", "", "", "", "", "0", "", "", "", "", "", "", "",
         "", "", "", "", "", "", "", "", "", "0", fmt(r.energy.static_pj), fmt(r.energy.static_pj)});
    t.est += r.energy.static_pj, t.e += r.energy.static_pj;
    row({"total", "per " + r.unit, "", "", "", "", fmt(t.macs), "", fmt(t.cycles), fmt(t.setup), fmt(t.compute), fmt(t.wread),
         fmt(t.act), fmt(t.stall), "", fmt(t.lat), fmt(t.setup_us), fmt(t.compute_us), fmt(t.wstall), fmt(t.astall),
         fmt(t.overhead), fmt(r.mac_utilization), fmt(t.wbits), fmt(t.bbits), fmt(t.seg), fmt(t.sread), fmt(t.aread),
         fmt(t.awrite), fmt(t.apeak), fmt(t.emac), fmt(t.esram), fmt(t.eact), fmt(t.etr), fmt(t.est), fmt(t.e)});
}

void write_estimate_csv(const std::string& path, const estimate_report& r) {
    std::ofstream os(path);
    if (!os) throw std::runtime_error("cannot write CSV '" + path + "'");
    write_estimate_csv(os, r);
    if (!os.flush()) throw std::runtime_error("error writing CSV '" + path + "'");
}

void print_estimate(std::ostream& os, const estimate_report& r) {
    char b[512];
    const platform_report& p = r.platform;
    const energy_report& e = r.energy;
    const memory_report& m = r.memory;
    std::snprintf(b, sizeof b, "estimate  per %s: %.2f us", r.unit.c_str(), r.latency_s * 1e6);
    os << b;
    if (p.measured) {
        std::snprintf(b, sizeof b,
                      " = encoder %.2f us + DMA/firmware %.2f us (DMA in %.2f us %s, out %.2f us; CPU busy %.2f us); "
                      "critical: %s\n",
                      p.encoder_s * 1e6, p.overhead_s * 1e6, p.dma_in_s * 1e6,
                      p.dma_in_s <= p.encoder_s ? "hidden" : "exposed", p.dma_out_s * 1e6, p.cpu_busy_s * 1e6,
                      p.critical.c_str());
    } else {
        std::snprintf(b, sizeof b, " (encoder model alone)\n");
    }
    os << b;
    std::snprintf(b, sizeof b,
                  "          energy %.3f nJ per %s (encoder %.3f: MAC %.3f, SRAM %.3f, buffers %.3f; transfers %.3f; "
                  "static %.3f); MAC utilization %.1f%%\n",
                  e.total_pj / 1e3, r.unit.c_str(), e.encoder_pj / 1e3, e.mac_pj / 1e3, e.sram_read_pj / 1e3,
                  e.act_io_pj / 1e3, e.transfer_pj / 1e3, e.static_pj / 1e3, 100 * r.mac_utilization);
    os << b;
    std::snprintf(b, sizeof b,
                  "          memory: weights %llu of %llu bits (%s), activations peak %llu of %llu bits (%s), on-chip "
                  "%llu bits provisioned, %llu used\n",
                  (unsigned long long)m.weight_bits, (unsigned long long)m.sram_capacity_bits, m.weights_fit ? "fits" : "DOES NOT FIT",
                  (unsigned long long)m.act_peak_bits, (unsigned long long)m.act_buffer_bits,
                  m.activations_fit ? "fits" : "DOES NOT FIT", (unsigned long long)m.on_chip_bits,
                  (unsigned long long)m.on_chip_used_bits);
    os << b;
}

}  // namespace encvp

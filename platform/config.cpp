#include "config.h"

#include <algorithm>

#include <fstream>
#include <set>
#include <sstream>

#include "units.h"

namespace po = boost::program_options;

namespace encvp {

namespace {

using setter = std::function<void(platform_config&, const std::string&)>;

unsigned parse_uint(const std::string& text, unsigned lo, unsigned hi) {
    const uint64_t v = parse_address(text);
    if (v < lo || v > hi)
        throw std::invalid_argument("'" + text + "' is out of range " + std::to_string(lo) + ".." + std::to_string(hi));
    return unsigned(v);
}

// A plain number; `what` names the range in the error when text has trailing characters or
// `in_range` refuses the value.
template <class InRange>
double parse_number(const std::string& text, InRange in_range, const char* what) {
    std::size_t used = 0;
    double v = 0;
    try {
        v = std::stod(text, &used);
    } catch (const std::exception&) {
        throw std::invalid_argument("'" + text + "' is not a number");
    }
    if (used != text.size() || !in_range(v)) throw std::invalid_argument("'" + text + "' is not " + what);
    return v;
}

double parse_fraction(const std::string& text) {
    return parse_number(text, [](double v) { return v >= 0 && v <= 1; }, "a number in 0..1");
}

double parse_positive(const std::string& text) {
    return parse_number(text, [](double v) { return v >= 0 && v <= 1e30; }, "a non-negative number");
}

std::vector<config_key> build_keys() {
    std::vector<config_key> k;
    auto add = [&k](std::string name, std::string def, std::string help, setter s) {
        k.push_back(config_key{std::move(name), std::move(def), std::move(help), std::move(s)});
    };
    // Address map.
    add("map.sysctrl", "0x10000000", "base address of the system controller",
        [](platform_config& c, const std::string& v) { c.sysctrl_base = parse_address(v); });
    add("map.intc", "0x10001000", "base address of the interrupt controller",
        [](platform_config& c, const std::string& v) { c.intc_base = parse_address(v); });
    add("map.dma", "0x10002000", "base address of the DMA engine's registers",
        [](platform_config& c, const std::string& v) { c.dma_base = parse_address(v); });
    add("map.encoder", "0x11000000", "base address of the encoder (registers and buffers, 256 KiB)",
        [](platform_config& c, const std::string& v) { c.encoder_base = parse_address(v); });
    add("map.sram", "0x20000000", "base address of the weight SRAM",
        [](platform_config& c, const std::string& v) { c.sram_base = parse_address(v); });
    add("map.dram", "0x80000000", "base address of the DRAM",
        [](platform_config& c, const std::string& v) { c.dram_base = parse_address(v); });
    // SoC-wide.
    add("soc.clock", "200MHz", "clock of the bus, the system controller's cycle counter and the SRAM",
        [](platform_config& c, const std::string& v) { c.soc_clock_hz = parse_frequency_hz(v); });
    add("soc.peripheral_latency", "5ns", "latency of one register access inside a peripheral",
        [](platform_config& c, const std::string& v) { c.peripheral_latency_s = parse_time_s(v); });
    // CPU stub.
    add("cpu.clock", "200MHz", "CPU clock (firmware compute time, cycle CSR)",
        [](platform_config& c, const std::string& v) { c.cpu_clock_hz = parse_frequency_hz(v); });
    add("cpu.access_cycles", "2", "core cycles per load/store on top of the bus latency",
        [](platform_config& c, const std::string& v) { c.cpu_access_cycles = parse_uint(v, 0, 1000); });
    add("cpu.quantum", "1us", "temporal-decoupling quantum: how far the CPU may run ahead of the rest",
        [](platform_config& c, const std::string& v) {
            c.cpu_quantum_s = parse_time_s(v);
            if (!(c.cpu_quantum_s > 0)) throw std::invalid_argument("quantum must be > 0");
        });
    add("cpu.wfi_timeout", "1s", "simulated time a wait-for-interrupt may last before the run is ended",
        [](platform_config& c, const std::string& v) { c.cpu_wfi_timeout_s = parse_time_s(v); });
    add("cpu.stack", "1MiB", "stack of the SystemC thread that runs the firmware",
        [](platform_config& c, const std::string& v) {
            c.cpu_stack_bytes = parse_size_bytes(v);
            if (c.cpu_stack_bytes < 65536) throw std::invalid_argument("stack must be at least 64KiB");
        });
    add("cpu.dmi", "true", "use direct memory interface pointers for memory accesses",
        [](platform_config& c, const std::string& v) { c.cpu_dmi = parse_bool(v); });
    add("cpu.stop_on_bus_error", "true", "a firmware bus error ends the run (true) or reads 0 and continues",
        [](platform_config& c, const std::string& v) { c.cpu_stop_on_bus_error = parse_bool(v); });
    add("cpu.trace", "false", "trace every CPU transaction",
        [](platform_config& c, const std::string& v) { c.cpu_trace = parse_bool(v); });
    add("cpu.time_limit", "0s", "simulated time after which a run that has not ended is stopped (0s: no limit)",
        [](platform_config& c, const std::string& v) { c.cpu_time_limit_s = parse_time_s(v); });
    // Bus.
    add("bus.hop_latency", "5ns", "latency added by the bus to every transaction",
        [](platform_config& c, const std::string& v) { c.bus_hop_latency_s = parse_time_s(v); });
    add("bus.width", "8", "bus data width in bytes (one beat per soc clock)",
        [](platform_config& c, const std::string& v) {
            c.bus_width_bytes = parse_uint(v, 1, 128);
            if (c.bus_width_bytes & (c.bus_width_bytes - 1)) throw std::invalid_argument("width must be a power of two");
        });
    add("bus.trace", "false", "trace every transaction through the bus",
        [](platform_config& c, const std::string& v) { c.bus_trace = parse_bool(v); });
    add("bus.protocol_check", "false", "check the TLM-2.0 base protocol on every socket (a violation fails the run)",
        [](platform_config& c, const std::string& v) { c.bus_protocol_check = parse_bool(v); });
    // DRAM.
    add("dram.size", "256MiB", "DRAM capacity",
        [](platform_config& c, const std::string& v) {
            c.dram_size = parse_size_bytes(v);
            if (c.dram_size < 4096 || c.dram_size > (2ull << 30))
                throw std::invalid_argument("DRAM size must be 4KiB..2GiB");
        });
    add("dram.latency", "60ns", "DRAM access latency",
        [](platform_config& c, const std::string& v) { c.dram_latency_s = parse_time_s(v); });
    add("dram.bandwidth", "6.4GB/s", "DRAM bandwidth",
        [](platform_config& c, const std::string& v) { c.dram_bandwidth = parse_bandwidth(v); });
    add("dram.dmi", "true", "grant DMI pointers to initiators",
        [](platform_config& c, const std::string& v) { c.dram_dmi = parse_bool(v); });
    add("dram.trace", "false", "trace DRAM transactions",
        [](platform_config& c, const std::string& v) { c.dram_trace = parse_bool(v); });
    // Weight SRAM.
    add("sram.size", "1Mbit", "weight SRAM capacity",
        [](platform_config& c, const std::string& v) { c.sram_size_bits = parse_size_bits(v); });
    add("sram.word_bits", "64", "weight SRAM word width in bits",
        [](platform_config& c, const std::string& v) { c.sram_word_bits = parse_uint(v, 8, 1024); });
    add("sram.banks", "2", "weight SRAM banks (words read per cycle)",
        [](platform_config& c, const std::string& v) { c.sram_banks = parse_uint(v, 1, 64); });
    add("sram.trace", "false", "trace weight SRAM transactions",
        [](platform_config& c, const std::string& v) { c.sram_trace = parse_bool(v); });
    add("sram.ecc", "false", "SECDED ECC on every weight SRAM word (corrects one bit, detects two)",
        [](platform_config& c, const std::string& v) { c.sram_ecc = parse_bool(v); });
    // DMA.
    add("dma.channels", "2", "DMA channels (1..4)",
        [](platform_config& c, const std::string& v) { c.dma_channels = parse_uint(v, 1, 4); });
    add("dma.burst", "64", "largest DMA burst in bytes",
        [](platform_config& c, const std::string& v) { c.dma_burst_bytes = parse_uint(v, 1, 4096); });
    add("dma.trace", "false", "trace DMA register accesses",
        [](platform_config& c, const std::string& v) { c.dma_trace = parse_bool(v); });
    add("sysctrl.trace", "false", "trace system controller register accesses",
        [](platform_config& c, const std::string& v) { c.sysctrl_trace = parse_bool(v); });
    add("intc.trace", "false", "trace interrupt controller register accesses",
        [](platform_config& c, const std::string& v) { c.intc_trace = parse_bool(v); });
    // Encoder.
    add("encoder.clock", "200MHz", "encoder clock",
        [](platform_config& c, const std::string& v) { c.encoder.clock_hz = parse_frequency_hz(v); });
    add("encoder.mac_lanes", "64", "processing-element lanes",
        [](platform_config& c, const std::string& v) { c.encoder.mac_lanes = parse_uint(v, 1, 65536); });
    add("encoder.macs_per_lane_w1", "4", "MACs per lane per cycle with 1-bit weights",
        [](platform_config& c, const std::string& v) { c.encoder.macs_per_lane[1] = parse_uint(v, 1, 64); });
    add("encoder.macs_per_lane_w2", "2", "MACs per lane per cycle with 2-bit weights",
        [](platform_config& c, const std::string& v) { c.encoder.macs_per_lane[2] = parse_uint(v, 1, 64); });
    add("encoder.macs_per_lane_w3", "1", "MACs per lane per cycle with 3-bit weights",
        [](platform_config& c, const std::string& v) { c.encoder.macs_per_lane[3] = parse_uint(v, 1, 64); });
    add("encoder.act_bits_per_pass", "3", "activation bits a lane multiplies per pass (8-bit pixels take several)",
        [](platform_config& c, const std::string& v) { c.encoder.act_bits_per_pass = parse_uint(v, 1, 8); });
    add("encoder.act_ports", "2", "activation-buffer ports",
        [](platform_config& c, const std::string& v) { c.encoder.act_ports = parse_uint(v, 1, 64); });
    add("encoder.act_port_bits", "64", "bits per activation-buffer port per cycle",
        [](platform_config& c, const std::string& v) { c.encoder.act_port_bits = parse_uint(v, 8, 4096); });
    add("encoder.act_buffer", "32KiB", "activation buffer (a layer's input and output feature maps)",
        [](platform_config& c, const std::string& v) { c.encoder.act_buffer_bytes = parse_size_bytes(v); });
    add("encoder.layer_setup_cycles", "64", "cycles per layer for descriptor decode and pipeline fill",
        [](platform_config& c, const std::string& v) { c.encoder.layer_setup_cycles = parse_uint(v, 0, 1000000); });
    add("encoder.start_cycles", "32", "cycles per run before the first layer",
        [](platform_config& c, const std::string& v) { c.encoder.start_cycles = parse_uint(v, 0, 1000000); });
    add("encoder.timing_only", "false", "skip the arithmetic and keep the timing (fast sweeps; results are zero)",
        [](platform_config& c, const std::string& v) { c.encoder.timing_only = parse_bool(v); });
    add("encoder.trace", "false", "trace encoder register and buffer accesses",
        [](platform_config& c, const std::string& v) { c.encoder.trace = parse_bool(v); });
    // Energy table.
    auto pj = [](const std::string& v) { return parse_positive(v); };
    add("energy.mac_w1_pj", "0.05", "energy of one MAC with 1-bit weights (pJ)",
        [pj](platform_config& c, const std::string& v) { c.encoder.energy.mac_pj[1] = pj(v); });
    add("energy.mac_w2_pj", "0.08", "energy of one MAC with 2-bit weights (pJ)",
        [pj](platform_config& c, const std::string& v) { c.encoder.energy.mac_pj[2] = pj(v); });
    add("energy.mac_w3_pj", "0.12", "energy of one MAC with 3-bit weights (pJ)",
        [pj](platform_config& c, const std::string& v) { c.encoder.energy.mac_pj[3] = pj(v); });
    add("energy.mac_wide_input_pj", "0.30", "energy of one MAC on 8-bit input pixels (pJ)",
        [pj](platform_config& c, const std::string& v) { c.encoder.energy.mac_wide_input_pj = pj(v); });
    add("energy.sram_read_pj_per_bit", "0.08", "weight SRAM read energy (pJ/bit)",
        [pj](platform_config& c, const std::string& v) { c.encoder.energy.sram_read_pj_per_bit = pj(v); });
    add("energy.sram_write_pj_per_bit", "0.10", "weight SRAM write energy (pJ/bit)",
        [pj](platform_config& c, const std::string& v) { c.encoder.energy.sram_write_pj_per_bit = pj(v); });
    add("energy.act_buffer_pj_per_bit", "0.03", "activation buffer access energy (pJ/bit)",
        [pj](platform_config& c, const std::string& v) { c.encoder.energy.act_buffer_pj_per_bit = pj(v); });
    add("energy.io_buffer_pj_per_bit", "0.03", "input/output buffer access energy (pJ/bit)",
        [pj](platform_config& c, const std::string& v) { c.encoder.energy.io_buffer_pj_per_bit = pj(v); });
    add("energy.dram_pj_per_byte", "20", "DRAM access energy (pJ/byte)",
        [pj](platform_config& c, const std::string& v) { c.encoder.energy.dram_pj_per_byte = pj(v); });
    add("energy.bus_pj_per_byte", "0.5", "on-chip bus transfer energy (pJ/byte)",
        [pj](platform_config& c, const std::string& v) { c.encoder.energy.bus_pj_per_byte = pj(v); });
    add("energy.static_mw", "1.2", "fixed static power: encoder control, clock tree, I/O (mW)",
        [pj](platform_config& c, const std::string& v) { c.encoder.energy.static_mw = pj(v); });
    add("energy.lane_leakage_uw", "10", "leakage per 3-bit MAC unit: mac_lanes x macs_per_lane_w3 units leak (uW)",
        [pj](platform_config& c, const std::string& v) { c.encoder.energy.lane_leakage_uw = pj(v); });
    add("energy.memory_leakage_pw_per_bit", "100", "leakage per on-chip memory bit: weight SRAM, activation and I/O buffers (pW)",
        [pj](platform_config& c, const std::string& v) { c.encoder.energy.memory_leakage_pw_per_bit = pj(v); });
    // Fault injection.
    add("fault.seed", "1", "seed of the injected faults (the same seed gives the same faults)",
        [](platform_config& c, const std::string& v) { c.fault.seed = parse_address(v); });
    add("fault.sram_ber", "0", "weight SRAM bit-error rate: fraction of stored bits that read back inverted (0..1)",
        [](platform_config& c, const std::string& v) { c.fault.sram_ber = parse_fraction(v); });
    add("fault.sram_stuck_at", "0", "fraction of weight SRAM cells stuck at 0 or 1 (0..1)",
        [](platform_config& c, const std::string& v) { c.fault.sram_stuck_at = parse_fraction(v); });
    add("fault.dma_error_every", "0", "answer every Nth DMA bus transaction with a bus error (0: never)",
        [](platform_config& c, const std::string& v) { c.fault.dma_error_every = parse_address(v); });
    add("fault.drop_irq_every", "0", "lose every Nth interrupt request on its way to the controller (0: never)",
        [](platform_config& c, const std::string& v) { c.fault.drop_irq_every = parse_address(v); });
    return k;
}

}  // namespace

const std::vector<config_key>& platform_keys() {
    static const std::vector<config_key> keys = build_keys();
    return keys;
}

po::options_description platform_options() {
    po::options_description d("Platform configuration (INI keys; any of them on the command line overrides the file)");
    for (const config_key& k : platform_keys())
        d.add_options()(k.name.c_str(), po::value<std::string>()->default_value(k.default_value),
                        k.help.c_str());
    return d;
}

namespace {
// Access to an error's substitutions (protected in Boost), to defuse placeholder tokens in them.
struct defused_option_error : po::error_with_option_name {
    explicit defused_option_error(const po::error_with_option_name& e) : po::error_with_option_name(e) {
        std::vector<std::pair<std::string, std::string>> fixed;
        for (const auto& [key, value] : m_substitutions)
            if (value.find('%') != std::string::npos) {
                std::string v = value;
                std::replace(v.begin(), v.end(), '%', '?');
                fixed.emplace_back(key, v);
            }
        for (const auto& [key, value] : fixed) set_substitute(key, value);
    }
};
}  // namespace

std::string option_error_message(const po::error& e) {
    // Boost replaces each placeholder of the message template in a loop that restarts from the
    // beginning, so a name or value that contains a token ("%value%", "%canonical_option%") never
    // ends: such characters are shown as '?'.
    if (const auto* n = dynamic_cast<const po::error_with_option_name*>(&e)) return defused_option_error(*n).what();
    return e.what();
}

void store_config_file(const std::string& path, po::variables_map& vm, config_sources& src) {
    std::ifstream in(path);
    if (!in) throw config_error("cannot open configuration file '" + path + "'");
    src.file = path;
    // parsed_options keeps a pointer to the description: it must outlive the parse and store.
    static const po::options_description desc = platform_options();
    po::parsed_options parsed(nullptr);
    try {
        parsed = po::parse_config_file(in, desc, false);
    } catch (const po::error& e) {
        throw config_error("configuration file '" + path + "': " + option_error_message(e));
    }
    for (const auto& o : parsed.options)
        if (!src.origin.count(o.string_key)) src.origin[o.string_key] = "file '" + path + "'";
    try {
        po::store(parsed, vm);
    } catch (const po::error& e) {
        throw config_error("configuration file '" + path + "': " + option_error_message(e));
    }
}

void note_command_line(const po::parsed_options& parsed, config_sources& src) {
    for (const auto& o : parsed.options) src.origin[o.string_key] = "the command line";
}

platform_config make_platform_config(const po::variables_map& vm, const config_sources& src) {
    platform_config cfg;
    for (const config_key& k : platform_keys()) {
        if (!vm.count(k.name)) continue;
        const std::string v = vm[k.name].as<std::string>();
        try {
            k.apply(cfg, v);
        } catch (const std::invalid_argument& e) {
            auto it = src.origin.find(k.name);
            const std::string where = it != src.origin.end() ? it->second : "the built-in defaults";
            throw config_error("bad value for '" + k.name + "' (from " + where + "): " + e.what());
        }
    }
    validate_platform_config(cfg);
    return cfg;
}

void validate_platform_config(const platform_config& c) {
    struct region {
        const char* name;
        uint64_t base, size;
    };
    const std::vector<region> map = {
        {"map.sysctrl", c.sysctrl_base, 0x1000}, {"map.intc", c.intc_base, 0x1000},
        {"map.dma", c.dma_base, 0x1000},         {"map.encoder", c.encoder_base, 0x40000},
        {"map.sram", c.sram_base, c.sram_size_bits / 8}, {"map.dram", c.dram_base, c.dram_size}};
    for (const region& r : map) {
        if (r.base > (uint64_t(1) << 32) || r.size > (uint64_t(1) << 32) - r.base)
            throw config_error("'" + std::string(r.name) + "': region ends beyond the 32-bit address space");
        if (r.base % 4096)
            throw config_error("'" + std::string(r.name) + "': base address must be 4 KiB aligned");
    }
    for (std::size_t i = 0; i < map.size(); ++i)
        for (std::size_t j = i + 1; j < map.size(); ++j)
            if (map[i].base < map[j].base + map[j].size && map[j].base < map[i].base + map[i].size)
                throw config_error("address map: '" + std::string(map[i].name) + "' overlaps '" +
                                   std::string(map[j].name) + "'");
    if (c.sram_size_bits % (uint64_t(c.sram_word_bits) * c.sram_banks) != 0 || c.sram_size_bits % 32 != 0)
        throw config_error("'sram.size' must be a multiple of sram.word_bits x sram.banks and of 32 bits");
    if (c.sram_word_bits & (c.sram_word_bits - 1))
        throw config_error("'sram.word_bits' must be a power of two");
    if (c.encoder.act_buffer_bytes == 0) throw config_error("'encoder.act_buffer' must be > 0");
    // Simulated time is counted in picoseconds in 64 bits: keep clocks, latencies and limits where
    // they mean something (a 0 ps clock period would divide by zero, a year-long latency overflow).
    const struct {
        const char* name;
        double hz;
    } clocks[] = {{"soc.clock", c.soc_clock_hz}, {"cpu.clock", c.cpu_clock_hz}, {"encoder.clock", c.encoder.clock_hz}};
    for (const auto& k : clocks)
        if (!(k.hz >= 1e3 && k.hz <= 100e9))
            throw config_error("'" + std::string(k.name) + "' must be between 1kHz and 100GHz");
    const struct {
        const char* name;
        double s;
    } times[] = {{"soc.peripheral_latency", c.peripheral_latency_s}, {"cpu.quantum", c.cpu_quantum_s},
                 {"cpu.wfi_timeout", c.cpu_wfi_timeout_s},           {"cpu.time_limit", c.cpu_time_limit_s},
                 {"bus.hop_latency", c.bus_hop_latency_s},           {"dram.latency", c.dram_latency_s}};
    for (const auto& k : times)
        if (!(k.s >= 0 && k.s <= 1e6)) throw config_error("'" + std::string(k.name) + "' must be between 0s and 1000000s");
    if (c.cpu_quantum_s < 1e-12) throw config_error("'cpu.quantum' must be at least 1ps");
    if (!(c.dram_bandwidth >= 1e3 && c.dram_bandwidth <= 1e15))
        throw config_error("'dram.bandwidth' must be between 1kB/s and 1PB/s");
    if (c.cpu_stack_bytes > (uint64_t(1) << 30)) throw config_error("'cpu.stack' must be at most 1GiB");
}

void write_config_ini(std::ostream& os, const po::variables_map& vm) {
    std::string section;
    for (const config_key& k : platform_keys()) {
        const auto dot = k.name.find('.');
        const std::string sec = k.name.substr(0, dot), key = k.name.substr(dot + 1);
        if (sec != section) {
            os << (section.empty() ? "" : "\n") << '[' << sec << "]\n";
            section = sec;
        }
        const std::string v = vm.count(k.name) ? vm[k.name].as<std::string>() : k.default_value;
        os << "# " << k.help << "\n" << key << " = " << v << "\n";
    }
}

}  // namespace encvp

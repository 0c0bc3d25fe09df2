// platform/config: the key table, INI files through Boost.Program_options (sections map to
// dotted keys), command-line overrides, errors naming the key and where its value came from,
// configs/default.ini against the built-in defaults, and the address-map cross-checks.
#include <cstdint>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <gtest/gtest.h>

#include "config.h"
#include "sw_test_util.h"

namespace po = boost::program_options;
using encvp::config_error;
using encvp::config_sources;
using encvp::platform_config;

namespace {

// What the CLI does (platform/cli/cli.cpp): command line first, then the INI file, then apply.
struct loaded {
    po::variables_map vm;
    config_sources src;
};

loaded load(const std::vector<std::string>& args, const std::string& ini_path = "") {
    loaded l;
    po::options_description all;
    all.add_options()("config", po::value<std::string>(), "INI file");
    all.add(encvp::platform_options());
    std::vector<const char*> argv = {"encvp"};
    for (const auto& a : args) argv.push_back(a.c_str());
    const po::parsed_options parsed = po::command_line_parser(int(argv.size()), argv.data()).options(all).run();
    po::store(parsed, l.vm);
    encvp::note_command_line(parsed, l.src);
    if (!ini_path.empty()) encvp::store_config_file(ini_path, l.vm, l.src);
    po::notify(l.vm);
    return l;
}

platform_config make(const std::vector<std::string>& args, const std::string& ini_path = "") {
    const loaded l = load(args, ini_path);
    return encvp::make_platform_config(l.vm, l.src);
}

std::string config_error_of(const std::vector<std::string>& args, const std::string& ini_path = "") {
    try {
        make(args, ini_path);
    } catch (const config_error& e) {
        return e.what();
    }
    return "";
}

std::string write_ini(const encvp::test::temp_dir& dir, const std::string& name, const std::string& text) {
    const std::string path = dir.file(name);
    std::ofstream(path) << text;
    return path;
}

void expect_same(const platform_config& a, const platform_config& b) {
    EXPECT_EQ(a.sysctrl_base, b.sysctrl_base);
    EXPECT_EQ(a.intc_base, b.intc_base);
    EXPECT_EQ(a.dma_base, b.dma_base);
    EXPECT_EQ(a.encoder_base, b.encoder_base);
    EXPECT_EQ(a.sram_base, b.sram_base);
    EXPECT_EQ(a.dram_base, b.dram_base);
    EXPECT_DOUBLE_EQ(a.soc_clock_hz, b.soc_clock_hz);
    EXPECT_DOUBLE_EQ(a.cpu_clock_hz, b.cpu_clock_hz);
    EXPECT_EQ(a.cpu_access_cycles, b.cpu_access_cycles);
    EXPECT_DOUBLE_EQ(a.cpu_quantum_s, b.cpu_quantum_s);
    EXPECT_DOUBLE_EQ(a.cpu_wfi_timeout_s, b.cpu_wfi_timeout_s);
    EXPECT_EQ(a.cpu_stack_bytes, b.cpu_stack_bytes);
    EXPECT_EQ(a.cpu_dmi, b.cpu_dmi);
    EXPECT_EQ(a.cpu_stop_on_bus_error, b.cpu_stop_on_bus_error);
    EXPECT_EQ(a.cpu_trace, b.cpu_trace);
    EXPECT_DOUBLE_EQ(a.bus_hop_latency_s, b.bus_hop_latency_s);
    EXPECT_EQ(a.bus_width_bytes, b.bus_width_bytes);
    EXPECT_EQ(a.bus_trace, b.bus_trace);
    EXPECT_EQ(a.dram_size, b.dram_size);
    EXPECT_DOUBLE_EQ(a.dram_latency_s, b.dram_latency_s);
    EXPECT_DOUBLE_EQ(a.dram_bandwidth, b.dram_bandwidth);
    EXPECT_EQ(a.dram_dmi, b.dram_dmi);
    EXPECT_EQ(a.dram_trace, b.dram_trace);
    EXPECT_EQ(a.sram_size_bits, b.sram_size_bits);
    EXPECT_EQ(a.sram_word_bits, b.sram_word_bits);
    EXPECT_EQ(a.sram_banks, b.sram_banks);
    EXPECT_EQ(a.sram_trace, b.sram_trace);
    EXPECT_EQ(a.dma_channels, b.dma_channels);
    EXPECT_EQ(a.dma_burst_bytes, b.dma_burst_bytes);
    EXPECT_EQ(a.dma_trace, b.dma_trace);
    EXPECT_EQ(a.sysctrl_trace, b.sysctrl_trace);
    EXPECT_EQ(a.intc_trace, b.intc_trace);
    EXPECT_DOUBLE_EQ(a.peripheral_latency_s, b.peripheral_latency_s);
    const auto &x = a.encoder, &y = b.encoder;
    EXPECT_DOUBLE_EQ(x.clock_hz, y.clock_hz);
    EXPECT_EQ(x.mac_lanes, y.mac_lanes);
    for (int w = 1; w <= 3; ++w) EXPECT_EQ(x.macs_per_lane[w], y.macs_per_lane[w]) << w;
    EXPECT_EQ(x.act_bits_per_pass, y.act_bits_per_pass);
    EXPECT_EQ(x.act_ports, y.act_ports);
    EXPECT_EQ(x.act_port_bits, y.act_port_bits);
    EXPECT_EQ(x.act_buffer_bytes, y.act_buffer_bytes);
    EXPECT_EQ(x.layer_setup_cycles, y.layer_setup_cycles);
    EXPECT_EQ(x.start_cycles, y.start_cycles);
    EXPECT_EQ(x.timing_only, y.timing_only);
    EXPECT_EQ(x.trace, y.trace);
    for (int w = 1; w <= 3; ++w) EXPECT_DOUBLE_EQ(x.energy.mac_pj[w], y.energy.mac_pj[w]) << w;
    EXPECT_DOUBLE_EQ(x.energy.mac_wide_input_pj, y.energy.mac_wide_input_pj);
    EXPECT_DOUBLE_EQ(x.energy.sram_read_pj_per_bit, y.energy.sram_read_pj_per_bit);
    EXPECT_DOUBLE_EQ(x.energy.sram_write_pj_per_bit, y.energy.sram_write_pj_per_bit);
    EXPECT_DOUBLE_EQ(x.energy.act_buffer_pj_per_bit, y.energy.act_buffer_pj_per_bit);
    EXPECT_DOUBLE_EQ(x.energy.io_buffer_pj_per_bit, y.energy.io_buffer_pj_per_bit);
    EXPECT_DOUBLE_EQ(x.energy.dram_pj_per_byte, y.energy.dram_pj_per_byte);
    EXPECT_DOUBLE_EQ(x.energy.bus_pj_per_byte, y.energy.bus_pj_per_byte);
    EXPECT_DOUBLE_EQ(x.energy.static_mw, y.energy.static_mw);
}

TEST(ConfigKeys, NamesAreDottedAndUnique) {
    std::set<std::string> names;
    for (const auto& k : encvp::platform_keys()) {
        const auto dot = k.name.find('.');
        EXPECT_NE(dot, std::string::npos) << k.name;
        EXPECT_EQ(k.name.find('.', dot + 1), std::string::npos) << k.name;
        EXPECT_FALSE(k.help.empty()) << k.name;
        EXPECT_TRUE(names.insert(k.name).second) << "duplicate " << k.name;
    }
    EXPECT_GE(names.size(), 50u);
}

TEST(ConfigKeys, KeyDefaultsEqualTheStructDefaults) {
    // Every key's default text, applied, gives the platform_config defaults.
    const platform_config built_in;
    platform_config applied;
    for (const auto& k : encvp::platform_keys()) {
        platform_config one;
        EXPECT_NO_THROW(k.apply(one, k.default_value)) << k.name << " = " << k.default_value;
        k.apply(applied, k.default_value);
    }
    expect_same(applied, built_in);
    // And through the options machinery with no arguments at all.
    expect_same(make({}), built_in);
}

TEST(ConfigKeys, EachKeyReachesItsField) {
    // A non-default value for a sample of keys from every section lands in the right field.
    const platform_config c = make({"--map.dram", "0x40000000", "--soc.clock", "100MHz", "--cpu.quantum", "10us", "--cpu.trace", "yes",
                                    "--bus.width", "16", "--dram.size", "64MiB", "--dram.bandwidth", "1GiB/s", "--sram.size", "2Mbit",
                                    "--sram.banks", "4", "--dma.channels", "4", "--encoder.macs_per_lane_w2", "7",
                                    "--encoder.act_buffer", "64KiB", "--energy.mac_w3_pj", "0.5", "--energy.static_mw", "0"});
    EXPECT_EQ(c.dram_base, 0x40000000u);
    EXPECT_DOUBLE_EQ(c.soc_clock_hz, 100e6);
    EXPECT_DOUBLE_EQ(c.cpu_quantum_s, 10e-6);
    EXPECT_TRUE(c.cpu_trace);
    EXPECT_EQ(c.bus_width_bytes, 16u);
    EXPECT_EQ(c.dram_size, 64u << 20);
    EXPECT_DOUBLE_EQ(c.dram_bandwidth, 1073741824.0);
    EXPECT_EQ(c.sram_size_bits, 2u << 20);
    EXPECT_EQ(c.sram_banks, 4u);
    EXPECT_EQ(c.dma_channels, 4u);
    EXPECT_EQ(c.encoder.macs_per_lane[2], 7u);
    EXPECT_EQ(c.encoder.macs_per_lane[1], 4u);
    EXPECT_EQ(c.encoder.act_buffer_bytes, 64u << 10);
    EXPECT_DOUBLE_EQ(c.encoder.energy.mac_pj[3], 0.5);
    EXPECT_DOUBLE_EQ(c.encoder.energy.static_mw, 0.0);
}

TEST(ConfigFile, SectionsMapToDottedKeys) {
    encvp::test::temp_dir dir;
    const std::string path = write_ini(dir, "p.ini",
                                       "# comment\n[dram]\nsize = 512MiB\nlatency = 80ns\n\n[encoder]\nmac_lanes = 128\n"
                                       "timing_only = true\n[cpu]\ntrace = on\n");
    const loaded l = load({}, path);
    const platform_config c = encvp::make_platform_config(l.vm, l.src);
    EXPECT_EQ(c.dram_size, 512u << 20);
    EXPECT_DOUBLE_EQ(c.dram_latency_s, 80e-9);
    EXPECT_EQ(c.encoder.mac_lanes, 128u);
    EXPECT_TRUE(c.encoder.timing_only);
    EXPECT_TRUE(c.cpu_trace);
    // Untouched keys keep their defaults.
    EXPECT_EQ(c.sram_size_bits, 1u << 20);
    EXPECT_EQ(l.src.file, path);
    EXPECT_EQ(l.src.origin.at("dram.size"), "file '" + path + "'");
    EXPECT_EQ(l.src.origin.at("encoder.mac_lanes"), "file '" + path + "'");
    EXPECT_EQ(l.src.origin.count("sram.size"), 0u);
}

TEST(ConfigFile, UnknownKeyIsAnErrorNamingKeyAndFile) {
    encvp::test::temp_dir dir;
    const std::string path = write_ini(dir, "typo.ini", "[dram]\nsise = 512MiB\n");
    std::string m = config_error_of({}, path);
    EXPECT_NE(m.find("dram.sise"), std::string::npos) << m;
    EXPECT_NE(m.find("typo.ini"), std::string::npos) << m;
    // An unknown section too.
    const std::string p2 = write_ini(dir, "section.ini", "[dramm]\nsize = 512MiB\n");
    m = config_error_of({}, p2);
    EXPECT_NE(m.find("dramm.size"), std::string::npos) << m;
    EXPECT_NE(m.find("section.ini"), std::string::npos) << m;
    // A key outside any section.
    const std::string p3 = write_ini(dir, "nosection.ini", "size = 512MiB\n");
    m = config_error_of({}, p3);
    EXPECT_NE(m.find("size"), std::string::npos) << m;
    EXPECT_NE(m.find("nosection.ini"), std::string::npos) << m;
}

TEST(ConfigFile, SyntaxErrorsAndMissingFiles) {
    encvp::test::temp_dir dir;
    const std::string path = write_ini(dir, "broken.ini", "[dram]\nsize 512MiB\n");
    std::string m = config_error_of({}, path);
    EXPECT_NE(m.find("broken.ini"), std::string::npos) << m;
    m = config_error_of({}, dir.file("absent.ini"));
    EXPECT_NE(m.find("cannot open configuration file"), std::string::npos) << m;
    EXPECT_NE(m.find("absent.ini"), std::string::npos) << m;
    // The same key twice in one file.
    const std::string twice = write_ini(dir, "twice.ini", "[dram]\nsize = 1MiB\nsize = 2MiB\n");
    m = config_error_of({}, twice);
    EXPECT_NE(m.find("twice.ini"), std::string::npos) << m;
}

TEST(ConfigFile, BadValueNamesKeyAndOrigin) {
    encvp::test::temp_dir dir;
    const std::string path = write_ini(dir, "bad.ini", "[dram]\nsize = lots\n");
    std::string m = config_error_of({}, path);
    EXPECT_NE(m.find("'dram.size'"), std::string::npos) << m;
    EXPECT_NE(m.find("file '" + path + "'"), std::string::npos) << m;
    EXPECT_NE(m.find("'lots'"), std::string::npos) << m;
    // The same from the command line.
    m = config_error_of({"--dram.size", "lots"});
    EXPECT_NE(m.find("'dram.size'"), std::string::npos) << m;
    EXPECT_NE(m.find("the command line"), std::string::npos) << m;
    EXPECT_EQ(m.find("file"), std::string::npos) << m;
    // A range error from the file.
    const std::string p2 = write_ini(dir, "range.ini", "[dma]\nchannels = 5\n");
    m = config_error_of({}, p2);
    EXPECT_NE(m.find("'dma.channels'"), std::string::npos) << m;
    EXPECT_NE(m.find("range.ini"), std::string::npos) << m;
    EXPECT_NE(m.find("1..4"), std::string::npos) << m;
}

TEST(ConfigFile, CommandLineOverridesTheFile) {
    encvp::test::temp_dir dir;
    const std::string path = write_ini(dir, "p.ini", "[dram]\nsize = 128MiB\nlatency = 70ns\n[sram]\nbanks = 8\n");
    const loaded l = load({"--dram.size", "512MiB", "--sram.banks", "1"}, path);
    const platform_config c = encvp::make_platform_config(l.vm, l.src);
    EXPECT_EQ(c.dram_size, 512u << 20);
    EXPECT_EQ(c.sram_banks, 1u);
    EXPECT_DOUBLE_EQ(c.dram_latency_s, 70e-9);  // only in the file
    EXPECT_EQ(l.src.origin.at("dram.size"), "the command line");
    EXPECT_EQ(l.src.origin.at("dram.latency"), "file '" + path + "'");
    // A bad value on the command line is attributed to it even though the file also sets the key.
    const std::string m = config_error_of({"--dram.size", "huge"}, path);
    EXPECT_NE(m.find("the command line"), std::string::npos) << m;
    // A bad value in the file is ignored when the command line overrides it.
    const std::string bad = write_ini(dir, "bad.ini", "[dram]\nsize = lots\n");
    EXPECT_EQ(make({"--dram.size", "64MiB"}, bad).dram_size, 64u << 20);
}

TEST(ConfigFile, DefaultIniMatchesTheBuiltInDefaults) {
    const std::string path = std::string(ENCVP_SOURCE_DIR) + "/configs/default.ini";
    std::ifstream in(path);
    if (!in) GTEST_SKIP() << "no configs/default.ini";
    // Through the loader: the same configuration as no file at all.
    expect_same(make({}, path), platform_config());
    // Text level: every key of the table is in the file with its default text, and nothing else.
    std::map<std::string, std::string> file_keys;
    std::string line, section;
    while (std::getline(in, line)) {
        const auto b = line.find_first_not_of(" \t");
        if (b == std::string::npos || line[b] == '#') continue;
        if (line[b] == '[') {
            section = line.substr(b + 1, line.find(']') - b - 1);
            continue;
        }
        const auto eq = line.find('=');
        ASSERT_NE(eq, std::string::npos) << line;
        auto trim = [](std::string s) {
            s.erase(0, s.find_first_not_of(" \t"));
            s.erase(s.find_last_not_of(" \t\r") + 1);
            return s;
        };
        file_keys[section + "." + trim(line.substr(0, eq))] = trim(line.substr(eq + 1));
    }
    for (const auto& k : encvp::platform_keys()) {
        auto it = file_keys.find(k.name);
        if (it == file_keys.end()) {
            ADD_FAILURE() << k.name << " is missing from configs/default.ini";
            continue;
        }
        EXPECT_EQ(it->second, k.default_value) << k.name;
        file_keys.erase(it);
    }
    for (const auto& [k, v] : file_keys) ADD_FAILURE() << "configs/default.ini has unknown key " << k;
}

TEST(ConfigFile, WrittenIniReadsBackToTheSameConfiguration) {
    encvp::test::temp_dir dir;
    const loaded l = load({"--dram.size", "32MiB", "--encoder.mac_lanes", "16", "--cpu.dmi", "false"});
    std::ostringstream os;
    encvp::write_config_ini(os, l.vm);
    const std::string text = os.str();
    EXPECT_NE(text.find("[dram]\n"), std::string::npos);
    EXPECT_NE(text.find("size = 32MiB\n"), std::string::npos);
    const std::string path = write_ini(dir, "out.ini", text);
    expect_same(make({}, path), encvp::make_platform_config(l.vm, l.src));
    EXPECT_EQ(make({}, path).dram_size, 32u << 20);
    // With an empty map the defaults are written.
    std::ostringstream d;
    encvp::write_config_ini(d, po::variables_map());
    expect_same(make({}, write_ini(dir, "d.ini", d.str())), platform_config());
}

// ---------------------------------------------------------------------------------------------
// Cross-checks
// ---------------------------------------------------------------------------------------------

TEST(ConfigValidate, OverlappingAddressMapIsRejected) {
    // The SRAM (128 KiB) on top of the system controller.
    std::string m = config_error_of({"--map.sram", "0x10000000"});
    EXPECT_NE(m.find("overlaps"), std::string::npos) << m;
    EXPECT_NE(m.find("'map.sysctrl'"), std::string::npos) << m;
    EXPECT_NE(m.find("'map.sram'"), std::string::npos) << m;
    // The encoder's 256 KiB window reaching into the SRAM.
    m = config_error_of({"--map.encoder", "0x1FFC1000"});
    EXPECT_NE(m.find("'map.encoder' overlaps 'map.sram'"), std::string::npos) << m;
    // Adjacent regions are fine: the encoder ends exactly where the SRAM starts.
    EXPECT_NO_THROW(make({"--map.encoder", "0x1FFC0000"}));
    // A bigger DRAM growing into another region.
    m = config_error_of({"--map.dram", "0x1F000000", "--dram.size", "32MiB"});
    EXPECT_NE(m.find("overlaps"), std::string::npos) << m;
    EXPECT_NE(m.find("'map.dram'"), std::string::npos) << m;
    // A bigger SRAM overlapping the DRAM placed right after it.
    m = config_error_of({"--map.dram", "0x20010000", "--sram.size", "1MiB"});
    EXPECT_NE(m.find("'map.sram' overlaps 'map.dram'"), std::string::npos) << m;
}

TEST(ConfigValidate, AlignmentAndAddressSpace) {
    std::string m = config_error_of({"--map.dma", "0x10002004"});
    EXPECT_NE(m.find("'map.dma'"), std::string::npos) << m;
    EXPECT_NE(m.find("4 KiB aligned"), std::string::npos) << m;
    m = config_error_of({"--map.dram", "0xF8000000"});  // 256 MiB from there passes 4 GiB
    EXPECT_NE(m.find("'map.dram'"), std::string::npos) << m;
    EXPECT_NE(m.find("32-bit address space"), std::string::npos) << m;
    // Exactly up to 4 GiB is fine.
    EXPECT_NO_THROW(make({"--map.dram", "0xF0000000"}));
    m = config_error_of({"--map.intc", "0x100000000"});
    EXPECT_NE(m.find("'map.intc'"), std::string::npos) << m;
}

TEST(ConfigValidate, BaseAddressNearTwoToTheSixtyFourIsRejected) {
    // base + size wraps around 2^64: the region must still be refused as beyond 32 bits.
    std::string m = config_error_of({"--map.dram", "0xFFFFFFFFFFFFF000"});
    EXPECT_NE(m.find("'map.dram'"), std::string::npos) << "accepted a DRAM base of 0xFFFFFFFFFFFFF000: " << m;
    // The same through a typo'd negative hex address (which parse_address wraps to that value).
    m = config_error_of({"--map.dram", "0x-1000"});
    EXPECT_NE(m.find("map.dram"), std::string::npos) << "accepted --map.dram 0x-1000: " << m;
    // A base near 2^64 whose region does not wrap is refused (the check works without wrap-around).
    m = config_error_of({"--map.sysctrl", "0xFFFFFFFFFFFFE000"});
    EXPECT_NE(m.find("'map.sysctrl'"), std::string::npos) << m;
}

TEST(ConfigValidate, SizesAndRanges) {
    EXPECT_NE(config_error_of({"--sram.size", "1000bit"}).find("'sram.size'"), std::string::npos);
    EXPECT_NE(config_error_of({"--sram.word_bits", "48", "--sram.size", "3072bit", "--sram.banks", "1"}).find("power of two"),
              std::string::npos);
    EXPECT_NE(config_error_of({"--bus.width", "3"}).find("power of two"), std::string::npos);
    EXPECT_NE(config_error_of({"--cpu.stack", "1KiB"}).find("64KiB"), std::string::npos);
    EXPECT_NE(config_error_of({"--cpu.quantum", "0s"}).find("'cpu.quantum'"), std::string::npos);
    EXPECT_NE(config_error_of({"--dram.size", "4GiB"}).find("4KiB..2GiB"), std::string::npos);
    EXPECT_NE(config_error_of({"--encoder.act_buffer", "0"}).find("'encoder.act_buffer'"), std::string::npos);
    EXPECT_NE(config_error_of({"--energy.dram_pj_per_byte", "-1"}).find("'energy.dram_pj_per_byte'"), std::string::npos);
    EXPECT_NE(config_error_of({"--energy.bus_pj_per_byte", "1pJ"}).find("'1pJ'"), std::string::npos);
    EXPECT_NE(config_error_of({"--encoder.mac_lanes", "0"}).find("'encoder.mac_lanes'"), std::string::npos);
    EXPECT_NE(config_error_of({"--cpu.dmi", "perhaps"}).find("'cpu.dmi'"), std::string::npos);
    EXPECT_NE(config_error_of({"--soc.clock", "200"}).find("needs a frequency unit"), std::string::npos);
    // Valid non-defaults pass.
    EXPECT_NO_THROW(make({"--sram.size", "2Mbit", "--sram.word_bits", "128", "--sram.banks", "4"}));
}

}  // namespace

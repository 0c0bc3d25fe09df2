// The platform configuration: every key, its default, its help text and how it is parsed, in
// one table. INI files (sections map to dotted names: [dram] size = 256MiB is dram.size) and
// command-line overrides (--dram.size 512MiB) go through the same table.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "encoder/encoder_config.h"

namespace encvp {

struct platform_config {
    // [map] base addresses
    uint64_t sysctrl_base = 0x10000000;
    uint64_t intc_base = 0x10001000;
    uint64_t dma_base = 0x10002000;
    uint64_t encoder_base = 0x11000000;
    uint64_t sram_base = 0x20000000;
    uint64_t dram_base = 0x80000000;
    // [soc]
    double soc_clock_hz = 200e6;
    // [cpu]
    double cpu_clock_hz = 200e6;
    unsigned cpu_access_cycles = 2;
    double cpu_quantum_s = 1e-6;
    double cpu_wfi_timeout_s = 1.0;
    uint64_t cpu_stack_bytes = 1 << 20;
    bool cpu_dmi = true;
    bool cpu_stop_on_bus_error = true;
    bool cpu_trace = false;
    double cpu_time_limit_s = 0;  // 0: no limit
    // [bus]
    double bus_hop_latency_s = 5e-9;
    unsigned bus_width_bytes = 8;
    bool bus_trace = false;
    bool bus_protocol_check = false;
    // [dram]
    uint64_t dram_size = 256ull << 20;
    double dram_latency_s = 60e-9;
    double dram_bandwidth = 6.4e9;
    bool dram_dmi = true;
    bool dram_trace = false;
    // [sram]
    uint64_t sram_size_bits = 1ull << 20;
    unsigned sram_word_bits = 64;
    unsigned sram_banks = 2;
    bool sram_trace = false;
    bool sram_ecc = false;
    // [dma]
    unsigned dma_channels = 2;
    unsigned dma_burst_bytes = 64;
    bool dma_trace = false;
    // [sysctrl], [intc]
    bool sysctrl_trace = false;
    bool intc_trace = false;
    double peripheral_latency_s = 5e-9;
    // [encoder]
    encoder_config encoder;
    // [fault] injection (docs/fault-injection.md)
    struct faults {
        uint64_t seed = 1;
        double sram_ber = 0;          // weight-SRAM bit-error rate of the stored bits
        double sram_stuck_at = 0;     // fraction of weight-SRAM cells stuck at 0 or 1
        uint64_t dma_error_every = 0;  // every Nth DMA bus transaction fails (0: never)
        uint64_t drop_irq_every = 0;   // every Nth interrupt request is lost (0: never)
    } fault;
};

struct config_key {
    std::string name;           // dotted: section.key
    std::string default_value;  // as written in an INI file
    std::string help;
    std::function<void(platform_config&, const std::string&)> apply;  // throws std::invalid_argument
};

const std::vector<config_key>& platform_keys();

// Options description of every key (values as strings), for the command line and INI files.
boost::program_options::options_description platform_options();

// Builds the configuration from the built-in defaults overridden by the INI file (optional) and
// the command line (which wins). Errors name the key and where its value came from.
class config_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct config_sources {
    std::string file;                           // "" when no --config
    std::map<std::string, std::string> origin;  // key -> "file X" / "command line"
    std::map<std::string, std::string> values;  // effective non-default values
};

// The message of a Boost.Program_options error. Boost substitutes names and values into its
// message template in a loop that never ends when one of them contains a placeholder token such
// as "%canonical_option%" or "%value%" (a hostile INI key, option or value found by fuzzing); here
// '%' in them is shown as '?'. Use this instead of what() on every Boost option error.
std::string option_error_message(const boost::program_options::error& e);

// Parses an INI file's platform keys into vm (first stored value wins, so store the command line
// first). Throws config_error naming the file and the key.
void store_config_file(const std::string& path, boost::program_options::variables_map& vm, config_sources& src);
// Records which keys the command line set.
void note_command_line(const boost::program_options::parsed_options& parsed, config_sources& src);
// Applies every platform key present in vm to cfg. Throws config_error naming key and origin.
platform_config make_platform_config(const boost::program_options::variables_map& vm, const config_sources& src);
// Cross-checks between keys (overlapping map, sizes). Throws config_error.
void validate_platform_config(const platform_config& cfg);

// The effective configuration as an INI file (every key, defaults included).
void write_config_ini(std::ostream& os, const boost::program_options::variables_map& vm);

}  // namespace encvp

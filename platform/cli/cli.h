// Shared plumbing of the encvp subcommands: option parsing (command options, common options and
// every platform configuration key), help text with examples, reports and exit codes.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "config.h"

namespace encvp::cli {

namespace po = boost::program_options;

enum exit_code { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

struct context {
    po::variables_map vm;
    platform_config cfg;
    config_sources sources;
    int verbosity = 0;
    std::string report_path;
    std::string vcd_path;
    std::vector<std::string> argv;
};

struct command {
    std::string name;
    std::string summary;
    std::string usage;     // e.g. "encvp classify [options]"
    std::string examples;  // real command lines, one per line
    bool platform_options = true;
    std::function<void(po::options_description&, po::positional_options_description&)> options;
    std::function<int(context&)> run;
};

const std::vector<command>& commands();

// Parses argv for cmd into ctx. Returns -1 to continue, or an exit code (help shown, bad usage).
int parse(const command& cmd, int argc, char** argv, context& ctx);

// Writes a JSON report if --report was given (the value of `what` plus the command line).
void write_report(const context& ctx, nlohmann::json j);

// Default paths inside the source tree (built-in default network, sample images).
std::string source_path(const std::string& relative);

// A one-line progress bar on stderr when it is a terminal.
class progress {
public:
    progress(std::size_t total, const char* unit);
    void update(std::size_t done);
    void finish();

private:
    std::size_t total_;
    const char* unit_;
    bool tty_;
    double t0_;
    double last_ = -1;
};

double now_seconds();
std::size_t peak_rss_bytes();

}  // namespace encvp::cli

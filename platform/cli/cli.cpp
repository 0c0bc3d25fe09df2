#include "cli/cli.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file.h"
#include "logging.h"

#ifndef ENCVP_SOURCE_DIR
#define ENCVP_SOURCE_DIR "."
#endif

namespace encvp::cli {

double now_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::size_t peak_rss_bytes() {
    // VmHWM is this program's own high-water mark. getrusage(RUSAGE_SELF) would do on its own but
    // Linux carries ru_maxrss across exec: started from a big process (a Python benchmark) it would
    // report the parent's peak. Worker processes (--jobs) count through RUSAGE_CHILDREN.
    std::size_t self = 0;
    if (std::FILE* f = std::fopen("/proc/self/status", "r")) {
        char line[256];
        unsigned long kb = 0;
        while (std::fgets(line, sizeof line, f))
            if (std::sscanf(line, "VmHWM: %lu kB", &kb) == 1) {
                self = std::size_t(kb) * 1024;
                break;
            }
        std::fclose(f);
    }
    if (self == 0) {
        rusage ru{};
        getrusage(RUSAGE_SELF, &ru);
        self = std::size_t(ru.ru_maxrss) * 1024;
    }
    rusage ch{};
    getrusage(RUSAGE_CHILDREN, &ch);
    return std::max(self, std::size_t(ch.ru_maxrss) * 1024);
}

std::string source_path(const std::string& rel) {
    struct stat st {};
    const std::string in_tree = std::string(ENCVP_SOURCE_DIR) + "/" + rel;
    if (::stat(in_tree.c_str(), &st) == 0) return in_tree;
    return rel;
}

int parse(const command& cmd, int argc, char** argv, context& ctx) {
    po::options_description specific(cmd.name + " options");
    po::positional_options_description pos;
    if (cmd.options) cmd.options(specific, pos);
    po::options_description common("Common options");
    common.add_options()("help,h", "show this help")
        ("verbose,v", po::value<int>()->implicit_value(1)->default_value(0)->value_name("N"),
         "more log output: -v progress, -v 2 details, -v 3 debug")
        ("report", po::value<std::string>(&ctx.report_path)->value_name("FILE"), "write a JSON report to FILE");
    if (cmd.platform_options) {
        common.add_options()("config", po::value<std::string>()->value_name("FILE"),
                             "platform configuration (INI); the built-in default is configs/default.ini")
            ("vcd", po::value<std::string>(&ctx.vcd_path)->value_name("FILE"),
             "write interrupt lines and busy signals as a VCD waveform")
            ("trace", "trace every TLM transaction of every socket (very verbose)");
    }
    po::options_description all;
    all.add(specific).add(common);
    po::options_description plat = platform_options();
    if (cmd.platform_options) all.add(plat);

    for (int i = 0; i < argc; ++i) ctx.argv.push_back(argv[i]);
    try {
        po::parsed_options parsed = po::command_line_parser(argc, argv).options(all).positional(pos).run();
        po::store(parsed, ctx.vm);
        note_command_line(parsed, ctx.sources);
        if (ctx.vm.count("help")) {
            std::cout << "usage: " << cmd.usage << "\n\n" << cmd.summary << "\n\n" << specific << "\n" << common << "\n";
            if (cmd.platform_options)
                std::cout << "Any platform configuration key can be given as an option, e.g. --encoder.mac_lanes 128\n"
                             "(see `encvp info` for all keys and their values).\n\n";
            std::cout << "Examples:\n" << cmd.examples << "\n";
            return EXIT_OK;
        }
        if (cmd.platform_options && ctx.vm.count("config"))
            store_config_file(ctx.vm["config"].as<std::string>(), ctx.vm, ctx.sources);
        po::notify(ctx.vm);
        if (cmd.platform_options) {
            ctx.cfg = make_platform_config(ctx.vm, ctx.sources);
            if (ctx.vm.count("trace")) {
                ctx.cfg.cpu_trace = ctx.cfg.bus_trace = ctx.cfg.dram_trace = ctx.cfg.sram_trace = true;
                ctx.cfg.dma_trace = ctx.cfg.sysctrl_trace = ctx.cfg.intc_trace = ctx.cfg.encoder.trace = true;
            }
        }
    } catch (const po::error& e) {
        std::cerr << "encvp " << cmd.name << ": " << option_error_message(e) << "\n(try `encvp " << cmd.name << " --help`)\n";
        return EXIT_USAGE;
    } catch (const config_error& e) {
        std::cerr << "encvp " << cmd.name << ": " << e.what() << "\n";
        return EXIT_USAGE;
    }
    ctx.verbosity = ctx.vm["verbose"].as<int>();
    install_report_handler(ctx.verbosity);
    return -1;
}

void write_report(const context& ctx, nlohmann::json j) {
    if (ctx.report_path.empty()) return;
    j["command_line"] = ctx.argv;
    write_text_file(ctx.report_path, j.dump(2) + "\n");
}

progress::progress(std::size_t total, const char* unit)
    : total_(total), unit_(unit), tty_(::isatty(2) != 0), t0_(now_seconds()) {}

void progress::update(std::size_t done) {
    if (!tty_ || total_ < 200) return;
    const double t = now_seconds();
    if (t - last_ < 0.2 && done != total_) return;
    last_ = t;
    const int width = 30;
    const int filled = int(double(done) / double(total_) * width);
    const double rate = done / std::max(1e-9, t - t0_);
    std::fprintf(stderr, "\r[%.*s%*s] %zu/%zu %s, %.0f %s/s ", filled, "==============================", width - filled, "",
                 done, total_, unit_, rate, unit_);
    std::fflush(stderr);
}

void progress::finish() {
    if (tty_ && total_ >= 200 && last_ >= 0) std::fprintf(stderr, "\r%*s\r", 78, "");
}

}  // namespace encvp::cli

// encvp: the command-line front end of the virtual platform.
#include <cstdlib>
#include <cstring>
#include <iostream>

#include <systemc>

#include "cli/cli.h"
#include "common/error.h"

using namespace encvp::cli;

namespace {

void usage(std::ostream& os) {
    os << "encvp — SystemC/TLM virtual platform of a mixed-precision (3b/2b/1b) CNN encoder ASIC\n\n"
          "usage: encvp <command> [options]     (encvp <command> --help for details and examples)\n\n"
          "commands:\n";
    for (const command& c : commands()) {
        os << "  " << c.name;
        for (std::size_t i = c.name.size(); i < 12; ++i) os << ' ';
        os << c.summary << "\n";
    }
    os << "\nexamples:\n"
          "  encvp classify                                   # default network on the bundled CIFAR-10 samples\n"
          "  encvp classify --dataset data/cifar10/test --check --report run.json\n"
          "  encvp info --network configs/networks/cifar10-1mb.enet\n"
          "  encvp demo --vcd demo.vcd\n";
}

}  // namespace

// SystemC's own main() runs before sc_main(); silence its banner before that happens.
static const bool banner_off = [] { return setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0) == 0; }();

int sc_main(int argc, char** argv) {
    (void)banner_off;
    if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
        usage(std::cout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    if (!std::strcmp(argv[1], "--version")) {
        std::cout << "encvp 1.0.0\n";
        return EXIT_OK;
    }
    for (const command& c : commands()) {
        if (c.name != argv[1]) continue;
        context ctx;
        const int rc = parse(c, argc - 1, argv + 1, ctx);
        if (rc >= 0) return rc;
        try {
            return c.run(ctx);
        } catch (const encvp::input_error& e) {
            std::cerr << "encvp " << c.name << ": " << e.what() << "\n";
            return EXIT_USAGE;
        } catch (const std::exception& e) {
            std::cerr << "encvp " << c.name << ": " << e.what() << "\n";
            return EXIT_FAILED;
        }
    }
    std::cerr << "encvp: unknown command '" << argv[1] << "'\n\n";
    usage(std::cerr);
    return EXIT_USAGE;
}

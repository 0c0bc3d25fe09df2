// The table of subcommands. Each command's implementation lives in cmd_<name>.cpp.
#include "cli/cli.h"

namespace encvp::cli {

command make_demo_command();
command make_info_command();
command make_classify_command();
command make_verify_command();
command make_compress_command();
command make_decompress_command();
command make_compare_command();
command make_explore_command();

const std::vector<command>& commands() {
    static const std::vector<command> table = {
        make_classify_command(),
        make_verify_command(),
        make_compress_command(),
        make_decompress_command(),
        make_compare_command(),
        make_explore_command(),
        make_info_command(),
        make_demo_command(),
    };
    return table;
}

}  // namespace encvp::cli

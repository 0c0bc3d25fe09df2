// libFuzzer harness: the platform configuration reader: an INI file through Boost.Program_options
// and the key table (platform/config.cpp), then the cross-checks. Expected rejections are
// config_error; anything else (an escaping Boost or std exception) is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>

#include <boost/program_options.hpp>

#include "config.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    using namespace encvp;
    static fuzz::mem_file file("fuzz.ini");
    const std::string& path = file.set(data, size);
    boost::program_options::variables_map vm;
    config_sources src;
    try {
        store_config_file(path, vm, src);
        boost::program_options::notify(vm);
        const platform_config cfg = make_platform_config(vm, src);
        std::ostringstream ini;
        write_config_ini(ini, vm);
        (void)cfg;
    } catch (const config_error&) {
    }
    return 0;
}

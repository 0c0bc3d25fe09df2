// libFuzzer harness: the CIFAR-10 binary dataset reader (sw/dataset): open a .bin file, read
// every record (at most 64), check labels against a 10-class network.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <unistd.h>

#include "common/error.h"
#include "dataset/dataset.h"

namespace {
// The reader identifies CIFAR files by their .bin name, so this harness writes a real file.
struct scratch_file {
    std::string path;
    scratch_file() {
        const char* dir = std::getenv("TMPDIR");
        path = std::string(dir && *dir ? dir : "/tmp") + "/encvp-fuzz-dataset-" + std::to_string(::getpid()) + ".bin";
    }
    ~scratch_file() { std::remove(path.c_str()); }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    using namespace encvp;
    static const scratch_file scratch;
    const std::string& path = scratch.path;
    static const std::vector<std::string> classes = {"airplane", "automobile", "bird", "cat", "deer",
                                                     "dog", "frog", "horse", "ship", "truck"};
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) std::abort();
    if (size && std::fwrite(data, 1, size, f) != size) std::abort();
    std::fclose(f);
    try {
        const auto ds = open_dataset(path, classes, 3, 32, 32);
        sample s;
        for (std::size_t i = 0; i < ds->size() && i < 64; ++i) {
            try {
                ds->get(i, s);
                if (s.chw.size() != 3072 || s.label < 0 || s.label >= 10) std::abort();
            } catch (const input_error&) {
            }
        }
    } catch (const input_error&) {
    }
    return 0;
}

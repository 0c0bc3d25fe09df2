// Test helper: writes the bundled sample images (one folder per class) as a CIFAR-10 binary file,
// so the CLI can be tested on the official binary format.  usage: make_cifar_bin SAMPLES OUT.bin
#include <cstdio>
#include <exception>

#include "dataset/dataset.h"

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: make_cifar_bin SAMPLES_DIR OUT.bin\n");
        return 2;
    }
    try {
        const std::vector<std::string> classes = {"airplane", "automobile", "bird", "cat", "deer",
                                                  "dog", "frog", "horse", "ship", "truck"};
        auto ds = encvp::open_dataset(argv[1], classes, 3, 32, 32);
        std::vector<encvp::sample> all(ds->size());
        for (std::size_t i = 0; i < ds->size(); ++i) ds->get(i, all[i]);
        encvp::write_cifar_binary(argv[2], all);
        std::printf("wrote %zu records to %s\n", all.size(), argv[2]);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "make_cifar_bin: %s\n", e.what());
        return 1;
    }
    return 0;
}

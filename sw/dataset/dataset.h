// Image datasets for classification, read lazily (memory stays flat with the dataset size):
//  * CIFAR-10 binary files (data_batch_*.bin, test_batch.bin: 1 label byte + 3072 bytes of R, G, B
//    planes per record), a single file or a directory holding them;
//  * image folders with one subfolder per class (PNG or JPEG), e.g. the CIFAR JPEG copy.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace encvp {

struct sample {
    std::vector<uint8_t> chw;  // 8-bit planar image of the dataset's geometry
    int label = -1;            // index into the class list, -1 if unknown
    std::string id;            // file (and record) it came from
};

class dataset {
public:
    virtual ~dataset() = default;
    virtual std::size_t size() const = 0;
    // Loads sample i; throws input_error if its file is bad.
    virtual void get(std::size_t i, sample& out) const = 0;
    // Where sample i comes from (file, or file#record), without loading it.
    virtual std::string id(std::size_t i) const = 0;
    virtual std::string describe() const = 0;
    unsigned channels = 3, height = 32, width = 32;
};

// Opens `path` as a CIFAR binary file/directory or an image-folder dataset whose subfolders are
// named after `classes` (labels are indices into it; an unknown folder name is an error). Images
// must have the given geometry. Throws input_error.
std::unique_ptr<dataset> open_dataset(const std::string& path, const std::vector<std::string>& classes, unsigned channels,
                                      unsigned height, unsigned width);

// Writes samples as a CIFAR binary file (for tests and for exporting subsets).
void write_cifar_binary(const std::string& path, const std::vector<sample>& samples);

}  // namespace encvp

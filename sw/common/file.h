// Reading whole files with a size limit (no input may make encvp allocate without bound).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace encvp {

// Reads `path` completely; throws input_error if it cannot be read or exceeds max_bytes.
std::vector<uint8_t> read_file(const std::string& path, uint64_t max_bytes, const char* what = "file");
// Writes bytes to `path` (via a temporary file and rename, so a failure leaves no partial file).
void write_file(const std::string& path, const std::vector<uint8_t>& bytes);
void write_text_file(const std::string& path, const std::string& text);

}  // namespace encvp

#include "common/file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sys/stat.h>

#include "common/error.h"

namespace encvp {

std::vector<uint8_t> read_file(const std::string& path, uint64_t max_bytes, const char* what) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        throw input_error(path, std::string("cannot open ") + what + ": " + std::strerror(errno));
    if (S_ISDIR(st.st_mode)) throw input_error(path, std::string("is a directory, expected a ") + what);
    if (uint64_t(st.st_size) > max_bytes)
        throw input_error(path, std::string(what) + " is " + std::to_string(st.st_size) + " bytes, more than the " +
                                    std::to_string(max_bytes) + "-byte limit");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw input_error(path, std::string("cannot open ") + what);
    std::vector<uint8_t> data(static_cast<std::size_t>(st.st_size));
    if (!data.empty() && !in.read(reinterpret_cast<char*>(data.data()), std::streamsize(data.size())))
        throw input_error(path, std::string("cannot read ") + what);
    return data;
}

void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) throw input_error(path, "cannot create output file");
        out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
        if (!out) {
            std::remove(tmp.c_str());
            throw input_error(path, "cannot write output file");
        }
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        throw input_error(path, std::string("cannot write output file: ") + std::strerror(errno));
    }
}

void write_text_file(const std::string& path, const std::string& text) {
    write_file(path, std::vector<uint8_t>(text.begin(), text.end()));
}

}  // namespace encvp

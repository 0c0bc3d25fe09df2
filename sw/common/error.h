// The one exception type for bad input: what is wrong, naming the file and the field.
#pragma once

#include <stdexcept>
#include <string>

namespace encvp {

class input_error : public std::runtime_error {
public:
    input_error(const std::string& source, const std::string& what)
        : std::runtime_error(source.empty() ? what : source + ": " + what), source_(source) {}
    const std::string& source() const { return source_; }

private:
    std::string source_;
};

}  // namespace encvp

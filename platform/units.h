// Parsing of the value syntaxes used in configuration files and on the command line:
// addresses, memory sizes, times, frequencies and bandwidths. Errors name the offending text.
#pragma once

#include <cstdint>
#include <string>

namespace encvp {

// "0x8000_0000", "2147483648". Throws std::invalid_argument.
uint64_t parse_address(const std::string& text);
// "256MiB", "128KiB", "64K", "1Mbit", "4096" (bytes). Throws std::invalid_argument.
uint64_t parse_size_bytes(const std::string& text);
// Same syntax, result in bits ("1Mbit" = 1048576, "128KiB" = 1048576).
uint64_t parse_size_bits(const std::string& text);
// "2ns", "1.5us", "10ms", "1s", "500ps" -> seconds. A unit is required.
double parse_time_s(const std::string& text);
// "500MHz", "1.2GHz", "32kHz" -> Hz. A unit is required.
double parse_frequency_hz(const std::string& text);
// "8GB/s", "12.8GiB/s", "800MB/s" -> bytes per second.
double parse_bandwidth(const std::string& text);
// "true/false/yes/no/on/off/1/0".
bool parse_bool(const std::string& text);

std::string format_size(uint64_t bytes);
std::string format_time(double seconds);

}  // namespace encvp

#include "units.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace encvp {

namespace {

std::string strip(const std::string& s) {
    std::string out;
    for (char c : s)
        if (!std::isspace(static_cast<unsigned char>(c)) && c != '_') out.push_back(c);
    return out;
}

std::string lower(std::string s) {
    for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// Splits "12.5MHz" into 12.5 and "mhz". Throws if there is no number.
double split_number(const std::string& text, std::string& unit, const char* what) {
    const std::string s = strip(text);
    std::size_t i = 0;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
    if (i == 0) throw std::invalid_argument("'" + text + "' is not a " + what);
    double v = 0;
    try {
        std::size_t used = 0;
        v = std::stod(s.substr(0, i), &used);
        if (used != i) throw std::invalid_argument("");
    } catch (const std::exception&) {
        throw std::invalid_argument("'" + text + "' is not a " + what);
    }
    unit = lower(s.substr(i));
    return v;
}

uint64_t to_u64(double v, const std::string& text, const char* what) {
    if (!(v >= 0) || v > 1.8e19 || std::floor(v) != v)
        throw std::invalid_argument("'" + text + "' is not a whole " + std::string(what));
    return static_cast<uint64_t>(v);
}

}  // namespace

uint64_t parse_address(const std::string& text) {
    const std::string s = strip(text);
    if (s.empty()) throw std::invalid_argument("empty address");
    const bool hex = s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    for (std::size_t i = hex ? 2 : 0; i < s.size(); ++i)
        if (!(hex ? std::isxdigit(static_cast<unsigned char>(s[i])) : std::isdigit(static_cast<unsigned char>(s[i]))))
            throw std::invalid_argument("'" + text + "' is not an address (use decimal or 0x hex)");
    if (hex && s.size() == 2) throw std::invalid_argument("'" + text + "' is not an address (use decimal or 0x hex)");
    std::size_t used = 0;
    unsigned long long v = 0;
    try {
        if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) v = std::stoull(s.substr(2), &used, 16), used += 2;
        else v = std::stoull(s, &used, 10);
    } catch (const std::exception&) {
        throw std::invalid_argument("'" + text + "' is not an address (use decimal or 0x hex)");
    }
    if (used != s.size() || s[0] == '-') throw std::invalid_argument("'" + text + "' is not an address (use decimal or 0x hex)");
    return v;
}

static uint64_t size_in_bits(const std::string& text) {
    const std::string s = strip(text);
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) return parse_address(s) * 8;
    std::string unit;
    const double v = split_number(text, unit, "size");
    double bits;
    {
        // "Mb" could mean megabits or (as often written) megabytes: refuse rather than guess.
        const std::string raw = strip(text).substr(strip(text).size() - unit.size());
        if (raw.size() == 2 && raw[1] == 'b' && std::string("KkMmGg").find(raw[0]) != std::string::npos)
            throw std::invalid_argument("'" + text + "': ambiguous unit '" + raw + "' (write " + char(std::toupper(raw[0])) +
                                        "iB for bytes or " + char(std::toupper(raw[0])) + "bit for bits)");
    }
    if (unit.empty() || unit == "b" || unit == "byte" || unit == "bytes") bits = v * 8;
    else if (unit == "k" || unit == "kb" || unit == "kib") bits = v * 8 * 1024.0;
    else if (unit == "m" || unit == "mb" || unit == "mib") bits = v * 8 * 1048576.0;
    else if (unit == "g" || unit == "gb" || unit == "gib") bits = v * 8 * 1073741824.0;
    else if (unit == "bit" || unit == "bits") bits = v;
    else if (unit == "kbit" || unit == "kibit") bits = v * 1024.0;
    else if (unit == "mbit" || unit == "mibit") bits = v * 1048576.0;
    else if (unit == "gbit" || unit == "gibit") bits = v * 1073741824.0;
    else
        throw std::invalid_argument("'" + text + "': unknown size unit '" + unit +
                                    "' (use B, KiB, MiB, GiB, bit, Kbit, Mbit; K/M/G are binary)");
    return to_u64(bits, text, "number of bits");
}

uint64_t parse_size_bits(const std::string& text) { return size_in_bits(text); }

uint64_t parse_size_bytes(const std::string& text) {
    const uint64_t bits = size_in_bits(text);
    if (bits % 8) throw std::invalid_argument("'" + text + "' is not a whole number of bytes");
    return bits / 8;
}

double parse_time_s(const std::string& text) {
    std::string unit;
    const double v = split_number(text, unit, "time");
    if (unit == "s") return v;
    if (unit == "ms") return v * 1e-3;
    if (unit == "us") return v * 1e-6;
    if (unit == "ns") return v * 1e-9;
    if (unit == "ps") return v * 1e-12;
    if (unit.empty()) throw std::invalid_argument("'" + text + "' needs a time unit (s, ms, us, ns, ps)");
    throw std::invalid_argument("'" + text + "': unknown time unit '" + unit + "' (use s, ms, us, ns, ps)");
}

double parse_frequency_hz(const std::string& text) {
    std::string unit;
    const double v = split_number(text, unit, "frequency");
    double hz;
    if (unit == "hz") hz = v;
    else if (unit == "khz") hz = v * 1e3;
    else if (unit == "mhz") hz = v * 1e6;
    else if (unit == "ghz") hz = v * 1e9;
    else if (unit.empty()) throw std::invalid_argument("'" + text + "' needs a frequency unit (Hz, kHz, MHz, GHz)");
    else throw std::invalid_argument("'" + text + "': unknown frequency unit '" + unit + "' (use Hz, kHz, MHz, GHz)");
    if (!(hz > 0)) throw std::invalid_argument("'" + text + "': frequency must be > 0");
    return hz;
}

double parse_bandwidth(const std::string& text) {
    std::string unit;
    const double v = split_number(text, unit, "bandwidth");
    {
        const std::string st = strip(text);
        const std::string raw = st.substr(st.size() - unit.size());
        if (raw.size() >= 3 && raw.compare(raw.size() - 3, 3, "b/s") == 0)
            throw std::invalid_argument("'" + text + "': bits per second are ambiguous here; write bytes per second (B/s, MB/s, GB/s)");
    }
    double bps;
    if (unit == "b/s") bps = v;
    else if (unit == "kb/s") bps = v * 1e3;
    else if (unit == "mb/s") bps = v * 1e6;
    else if (unit == "gb/s") bps = v * 1e9;
    else if (unit == "kib/s") bps = v * 1024.0;
    else if (unit == "mib/s") bps = v * 1048576.0;
    else if (unit == "gib/s") bps = v * 1073741824.0;
    else throw std::invalid_argument("'" + text + "' needs a bandwidth unit (B/s, MB/s, GB/s, MiB/s, GiB/s)");
    if (!(bps > 0)) throw std::invalid_argument("'" + text + "': bandwidth must be > 0");
    return bps;
}

bool parse_bool(const std::string& text) {
    const std::string s = lower(strip(text));
    if (s == "1" || s == "true" || s == "yes" || s == "on") return true;
    if (s == "0" || s == "false" || s == "no" || s == "off") return false;
    throw std::invalid_argument("'" + text + "' is not a boolean (true/false, yes/no, on/off, 1/0)");
}

std::string format_size(uint64_t bytes) {
    char buf[64];
    if (bytes >= (1ull << 30) && bytes % (1ull << 30) == 0) std::snprintf(buf, sizeof buf, "%lluGiB", (unsigned long long)(bytes >> 30));
    else if (bytes >= (1ull << 20) && bytes % (1ull << 20) == 0) std::snprintf(buf, sizeof buf, "%lluMiB", (unsigned long long)(bytes >> 20));
    else if (bytes >= 1024 && bytes % 1024 == 0) std::snprintf(buf, sizeof buf, "%lluKiB", (unsigned long long)(bytes >> 10));
    else std::snprintf(buf, sizeof buf, "%lluB", (unsigned long long)bytes);
    return buf;
}

std::string format_time(double s) {
    char buf[64];
    if (s >= 1) std::snprintf(buf, sizeof buf, "%.6gs", s);
    else if (s >= 1e-3) std::snprintf(buf, sizeof buf, "%.6gms", s * 1e3);
    else if (s >= 1e-6) std::snprintf(buf, sizeof buf, "%.6gus", s * 1e6);
    else std::snprintf(buf, sizeof buf, "%.6gns", s * 1e9);
    return buf;
}

}  // namespace encvp

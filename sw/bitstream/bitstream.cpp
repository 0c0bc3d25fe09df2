#include "bitstream/bitstream.h"

#include <cstring>

#include "bitstream/entropy.h"
#include "common/crc32.h"
#include "common/error.h"
#include "common/file.h"

namespace encvp {

namespace {

constexpr char MAGIC[8] = {'E', 'N', 'C', 'V', 'P', 'E', 'V', 'C'};
constexpr std::size_t HEADER = 52;

void put16(std::vector<uint8_t>& v, uint32_t x) {
    v.push_back(uint8_t(x));
    v.push_back(uint8_t(x >> 8));
}
void put32(std::vector<uint8_t>& v, uint32_t x) {
    for (int i = 0; i < 4; ++i) v.push_back(uint8_t(x >> (8 * i)));
}
uint32_t get16(const uint8_t* p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8; }
uint32_t get32(const uint8_t* p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24; }

}  // namespace

int code_stream::bit(uint32_t row, uint32_t col, unsigned c, unsigned y, unsigned x) const {
    const uint64_t i = (uint64_t(row) * cols() + col) * bits_per_patch() + (uint64_t(c) * code_h + y) * code_w + x;
    return (codes[i >> 3] >> (i & 7)) & 1;
}

std::vector<uint8_t> serialize_code_stream(const code_stream& s) {
    std::vector<uint8_t> out(MAGIC, MAGIC + 8);
    put32(out, EVC_VERSION);
    put32(out, s.width);
    put32(out, s.height);
    put16(out, s.patch);
    put16(out, s.code_c);
    put16(out, s.code_h);
    put16(out, s.code_w);
    put32(out, s.bits_per_patch());
    put32(out, s.cols());
    put32(out, s.rows());
    put32(out, s.net_crc);
    put32(out, s.flags);
    const std::vector<uint8_t> payload = (s.flags & EVC_FLAG_ENTROPY_CODED) ? entropy_encode(s) : s.codes;
    put32(out, uint32_t(payload.size()));
    out.insert(out.end(), payload.begin(), payload.end());
    put32(out, crc32(out.data(), out.size()));
    return out;
}

code_stream parse_code_stream(const std::vector<uint8_t>& b, const std::string& src) {
    if (b.size() < HEADER + 4)
        throw input_error(src, "truncated: " + std::to_string(b.size()) + " bytes, a bitstream has at least " +
                                   std::to_string(HEADER + 4));
    if (std::memcmp(b.data(), MAGIC, 8) != 0) throw input_error(src, "not an encvp bitstream (bad magic; expected 'ENCVPEVC')");
    const uint32_t version = get32(&b[8]);
    if (version != EVC_VERSION)
        throw input_error(src, "unsupported bitstream version " + std::to_string(version) + " (this encvp reads version 1)");
    code_stream s;
    s.width = get32(&b[12]);
    s.height = get32(&b[16]);
    s.patch = uint16_t(get16(&b[20]));
    s.code_c = uint16_t(get16(&b[22]));
    s.code_h = uint16_t(get16(&b[24]));
    s.code_w = uint16_t(get16(&b[26]));
    const uint32_t bits = get32(&b[28]), cols = get32(&b[32]), rows = get32(&b[36]);
    s.net_crc = get32(&b[40]);
    s.flags = get32(&b[44]);
    const uint64_t payload = get32(&b[48]);
    if (s.width == 0 || s.height == 0 || s.width > EVC_MAX_SIDE || s.height > EVC_MAX_SIDE)
        throw input_error(src, "frame size " + std::to_string(s.width) + "x" + std::to_string(s.height) + " outside 1.." +
                                   std::to_string(EVC_MAX_SIDE) + " per side");
    if (s.patch < 4 || s.patch > 256) throw input_error(src, "patch size " + std::to_string(s.patch) + " outside 4..256");
    if (s.code_c == 0 || s.code_c > 256 || s.code_h == 0 || s.code_w == 0 || s.code_h > s.patch || s.code_w > s.patch)
        throw input_error(src, "code shape " + std::to_string(s.code_c) + "x" + std::to_string(s.code_h) + "x" +
                                   std::to_string(s.code_w) + " is not valid for " + std::to_string(s.patch) + "-pixel patches");
    if (bits != s.bits_per_patch())
        throw input_error(src, "bits per patch " + std::to_string(bits) + " does not match the code shape (" +
                                   std::to_string(s.bits_per_patch()) + ")");
    if (cols != s.cols() || rows != s.rows())
        throw input_error(src, "patch grid " + std::to_string(cols) + "x" + std::to_string(rows) + " does not match a " +
                                   std::to_string(s.width) + "x" + std::to_string(s.height) + " frame of " +
                                   std::to_string(s.patch) + "-pixel patches");
    if (s.flags & ~(EVC_FLAG_ENTROPY_CODED | EVC_FLAG_ENTROPY_MIXED))
        throw input_error(src, "unknown flags " + std::to_string(s.flags));
    if ((s.flags & EVC_FLAG_ENTROPY_MIXED) && !(s.flags & EVC_FLAG_ENTROPY_CODED))
        throw input_error(src, "flags " + std::to_string(s.flags) + ": an entropy model (bit 1) without entropy coding (bit 0)");
    const bool entropy = s.flags & EVC_FLAG_ENTROPY_CODED;
    const uint64_t raw = (s.total_bits() + 7) / 8;
    if (!entropy && payload != raw)
        throw input_error(src, "payload is " + std::to_string(payload) + " bytes, the frame's codes take " + std::to_string(raw));
    // The coder's probabilities (both models) stop at 4065/4096 (entropy.cpp), so no code bit costs less
    // than log2(4096/4065) = 0.011 bit: a payload cannot expand more than 91 times. Checked with
    // margin before anything is allocated, or a 60-byte file claiming a 32768 x 32768 frame of
    // 4-pixel patches would make the reader allocate and decode 34 GB of codes.
    if (entropy && (payload < 5 || payload > 2 * raw + 64 || raw > EVC_MAX_EXPANSION * payload))
        throw input_error(src, "entropy-coded payload of " + std::to_string(payload) + " bytes is implausible for " +
                                   std::to_string(raw) + " bytes of codes (the coder expands at most " +
                                   std::to_string(EVC_MAX_EXPANSION) + " times)");
    if (b.size() != HEADER + payload + 4)
        throw input_error(src, std::string(b.size() < HEADER + payload + 4 ? "truncated" : "trailing data") + ": file is " +
                                   std::to_string(b.size()) + " bytes, the header says " + std::to_string(HEADER + payload + 4));
    const uint32_t stored = get32(&b[HEADER + payload]);
    const uint32_t actual = crc32(b.data(), HEADER + payload);
    if (stored != actual) throw input_error(src, "checksum mismatch: the bitstream is corrupted");
    if (entropy) {
        entropy_decode(std::vector<uint8_t>(b.begin() + HEADER, b.begin() + long(HEADER + payload)), s);
        return s;
    }
    s.codes.assign(b.begin() + HEADER, b.begin() + long(HEADER + payload));
    if (s.total_bits() % 8) {
        const uint8_t pad = uint8_t(s.codes.back() >> (s.total_bits() % 8));
        if (pad) throw input_error(src, "padding bits after the last code are not zero");
    }
    return s;
}

code_stream read_code_stream(const std::string& path) {
    return parse_code_stream(read_file(path, HEADER + 4 + (uint64_t(1) << 31), "bitstream"), path);
}

void write_code_stream(const std::string& path, const code_stream& s) { write_file(path, serialize_code_stream(s)); }

}  // namespace encvp

#include "bitstream/entropy.h"

namespace encvp {

namespace {

// Adaptive probability of a 0 bit, 12-bit precision, shift-based update.
struct bit_model {
    uint16_t p0 = 2048;
    void update(int bit) {
        if (bit) p0 = uint16_t(p0 - (p0 >> 5));
        else p0 = uint16_t(p0 + ((4096 - p0) >> 5));
    }
};

// Binary arithmetic coder on a 32-bit range with carry propagation through a cached byte (the
// scheme of the LZMA range coder). The stream starts with one 0 byte the decoder skips.
class encoder {
public:
    void encode(bit_model& m, int bit) {
        const uint32_t bound = (range_ >> 12) * m.p0;
        if (!bit) range_ = bound;
        else low_ += bound, range_ -= bound;
        m.update(bit);
        while (range_ < (1u << 24)) {
            range_ <<= 8;
            shift_low();
        }
    }
    std::vector<uint8_t> finish() {
        for (int i = 0; i < 5; ++i) shift_low();
        return out_;
    }

private:
    void shift_low() {
        if (uint32_t(low_) < 0xFF000000u || (low_ >> 32) != 0) {
            const uint8_t carry = uint8_t(low_ >> 32);
            uint8_t temp = cache_;
            do {
                out_.push_back(uint8_t(temp + carry));
                temp = 0xFF;
            } while (--cache_size_ != 0);
            cache_ = uint8_t(uint32_t(low_) >> 24);
        }
        ++cache_size_;
        low_ = uint64_t(uint32_t(low_) << 8);
    }
    uint64_t low_ = 0;
    uint32_t range_ = 0xFFFFFFFFu;
    uint8_t cache_ = 0;
    uint64_t cache_size_ = 1;
    std::vector<uint8_t> out_;
};

class decoder {
public:
    explicit decoder(const std::vector<uint8_t>& in) : in_(in) {
        for (int i = 0; i < 5; ++i) code_ = (code_ << 8) | next();  // the first byte is the encoder's 0
    }
    int decode(bit_model& m) {
        const uint32_t bound = (range_ >> 12) * m.p0;
        int bit;
        if (code_ < bound) {
            range_ = bound;
            bit = 0;
        } else {
            code_ -= bound, range_ -= bound;
            bit = 1;
        }
        m.update(bit);
        while (range_ < (1u << 24)) {
            range_ <<= 8;
            code_ = (code_ << 8) | next();
        }
        return bit;
    }

private:
    uint8_t next() { return pos_ < in_.size() ? in_[pos_++] : 0; }
    const std::vector<uint8_t>& in_;
    std::size_t pos_ = 0;
    uint32_t code_ = 0, range_ = 0xFFFFFFFFu;
};

// The frame's code tensor view: channel c, row y, column x over the whole frame. The bit index
// (patch row * cols + patch col) * bits_per_patch + (c * code_h + y % code_h) * code_w + x % code_w
// splits into a row term, a column term and a channel term, tabulated once per stream so that
// the five lookups per coded bit cost no division.
struct tensor_index {
    uint32_t th, tw;
    uint64_t plane;                          // code_h * code_w: one channel of one patch
    std::vector<uint64_t> row_off, col_off;  // per frame row y / column x

    explicit tensor_index(const code_stream& s)
        : th(s.rows() * s.code_h), tw(s.cols() * s.code_w), plane(uint64_t(s.code_h) * s.code_w), row_off(th), col_off(tw) {
        for (uint32_t y = 0; y < th; ++y)
            row_off[y] = uint64_t(y / s.code_h) * s.cols() * s.bits_per_patch() + uint64_t(y % s.code_h) * s.code_w;
        for (uint32_t x = 0; x < tw; ++x) col_off[x] = uint64_t(x / s.code_w) * s.bits_per_patch() + x % s.code_w;
    }
    uint64_t bit_of(unsigned c, uint32_t y, uint32_t x) const { return row_off[y] + col_off[x] + c * plane; }
};

template <class Fn>
void walk(const code_stream& s, Fn&& fn) {
    // Raster order over the frame tensor, channel by channel: every context bit is known before use.
    const tensor_index t(s);
    for (unsigned c = 0; c < s.code_c; ++c)
        for (uint32_t y = 0; y < t.th; ++y)
            for (uint32_t x = 0; x < t.tw; ++x) fn(t, c, y, x);
}

inline int get(const std::vector<uint8_t>& v, uint64_t i) { return (v[i >> 3] >> (i & 7)) & 1; }

unsigned context(const tensor_index& t, const std::vector<uint8_t>& bits, unsigned c, uint32_t y, uint32_t x) {
    const int left = x ? get(bits, t.bit_of(c, y, x - 1)) : 0;
    const int up = y ? get(bits, t.bit_of(c, y - 1, x)) : 0;
    const int upleft = (x && y) ? get(bits, t.bit_of(c, y - 1, x - 1)) : 0;
    const int below = c ? get(bits, t.bit_of(c - 1, y, x)) : 0;
    return ((c * 2 + unsigned(below)) * 2 + unsigned(left)) * 4 + unsigned(up) * 2 + unsigned(upleft);
}

}  // namespace

std::vector<uint8_t> entropy_encode(const code_stream& s) {
    std::vector<bit_model> models(std::size_t(s.code_c) * 16);
    encoder enc;
    walk(s, [&](const tensor_index& t, unsigned c, uint32_t y, uint32_t x) {
        enc.encode(models[context(t, s.codes, c, y, x)], get(s.codes, t.bit_of(c, y, x)));
    });
    return enc.finish();
}

void entropy_decode(const std::vector<uint8_t>& data, code_stream& s) {
    std::vector<bit_model> models(std::size_t(s.code_c) * 16);
    s.codes.assign((s.total_bits() + 7) / 8, 0);
    decoder dec(data);
    walk(s, [&](const tensor_index& t, unsigned c, uint32_t y, uint32_t x) {
        if (dec.decode(models[context(t, s.codes, c, y, x)])) {
            const uint64_t i = t.bit_of(c, y, x);
            s.codes[i >> 3] |= uint8_t(1u << (i & 7));
        }
    });
}

}  // namespace encvp

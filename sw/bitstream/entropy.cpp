#include "bitstream/entropy.h"

#include <algorithm>

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
        encode_fixed(m, bit);
        m.update(bit);
    }
    void encode_fixed(const bit_model& m, int bit) {
        const uint32_t bound = (range_ >> 12) * m.p0;
        if (!bit) range_ = bound;
        else low_ += bound, range_ -= bound;
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
        const int bit = decode_fixed(m);
        m.update(bit);
        return bit;
    }
    int decode_fixed(const bit_model& m) {
        const uint32_t bound = (range_ >> 12) * m.p0;
        int bit;
        if (code_ < bound) {
            range_ = bound;
            bit = 0;
        } else {
            code_ -= bound, range_ -= bound;
            bit = 1;
        }
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

// ---- model 2 (EVC_FLAG_ENTROPY_MIXED): three context models mixed in the logistic domain --------
// Integer arithmetic only, so a file decodes identically on every machine and compiler.

// squash(d) = 4096 / (1 + exp(-d / 256)), d the logit in 1/256, by linear interpolation between
// 33 points (d = -2048, -1920, ..., 2048); stretch is its inverse, tabulated from it.
constexpr int SQUASH_PTS[33] = {1,    2,    4,    6,    10,   17,   27,   45,   74,   120,  194,
                                311,  488,  747,  1102, 1546, 2048, 2550, 2994, 3349, 3608, 3785,
                                3902, 3976, 4022, 4051, 4069, 4079, 4086, 4090, 4092, 4094, 4095};
int squash(int d) {
    d = std::clamp(d, -2047, 2047);
    const int i = (d + 2048) >> 7, w = (d + 2048) & 127;
    return (SQUASH_PTS[i] * (128 - w) + SQUASH_PTS[i + 1] * w + 64) >> 7;
}
struct stretch_table {
    int16_t t[4096];
    stretch_table() {
        int p = 0;
        for (int d = -2047; d <= 2047; ++d)
            for (const int v = squash(d); p <= v && p < 4096; ++p) t[p] = int16_t(d);
        for (; p < 4096; ++p) t[p] = 2047;
    }
};
const stretch_table& stretch() {
    static const stretch_table table;
    return table;
}

// Probability of a 1 (1/65536) that adapts by 1/(n + 2) for its first updates, then by 1/32: a
// context seen a few times already predicts well, which lets the models afford many contexts.
constexpr int RATE_LIMIT = 32;
struct counter {
    uint16_t p = 32768;
    uint8_t n = 0;
    int p12() const { return p >> 4; }
    void update(int bit) {
        const uint32_t r = 65536u / uint32_t(n + 2);
        if (bit) p = uint16_t(p + (((65535u - p) * r) >> 16));
        else p = uint16_t(p - ((uint32_t(p) * r) >> 16));
        if (n < RATE_LIMIT - 2) ++n;
    }
};

// Rounds toward zero: the same result for either sign on every compiler.
inline int64_t shift_down(int64_t v, int s) { return v >= 0 ? (v >> s) : -((-v) >> s); }

// The frame's code tensor as plain bits, channel-major then row-major (index (c * th + y) * tw + x).
struct plain_tensor {
    uint32_t th, tw;
    std::vector<uint8_t> bits;
    explicit plain_tensor(const code_stream& s)
        : th(s.rows() * s.code_h), tw(s.cols() * s.code_w), bits((uint64_t(s.code_c) * th * tw + 7) / 8, 0) {}
    // 0 outside the tensor (channels below 0, rows and columns beyond the frame)
    int at(int c, int64_t y, int64_t x) const {
        if (c < 0 || y < 0 || x < 0 || y >= int64_t(th) || x >= int64_t(tw)) return 0;
        const uint64_t i = (uint64_t(c) * th + uint64_t(y)) * tw + uint64_t(x);
        return (bits[i >> 3] >> (i & 7)) & 1;
    }
    void set(unsigned c, uint32_t y, uint32_t x) {
        const uint64_t i = (uint64_t(c) * th + y) * tw + x;
        bits[i >> 3] |= uint8_t(1u << (i & 7));
    }
};

class mixing_model {
public:
    explicit mixing_model(unsigned channels)
        : a_(std::size_t(channels) << 11), b_(std::size_t(channels) << 10), c_(std::size_t(channels) << 9),
          w_(std::size_t(channels) * 16 * INPUTS, W_INIT) {}

    // P(bit = 1) in 1/4096 for the bit at (c, y, x), every bit before it in coding order known.
    int predict(const plain_tensor& t, int c, int64_t y, int64_t x) {
        const unsigned L = t.at(c, y, x - 1), U = t.at(c, y - 1, x);
        const unsigned sp = L | U << 1 | unsigned(t.at(c, y - 1, x - 1)) << 2 | unsigned(t.at(c, y - 1, x + 1)) << 3;
        unsigned prev = 0;  // the same position in the 7 channels below
        for (int j = 1; j <= 7; ++j) prev = prev * 2 + unsigned(t.at(c - j, y, x));
        const unsigned d1 = t.at(c - 1, y, x), d2 = t.at(c - 2, y, x);
        const unsigned d1r = t.at(c - 1, y, x + 1), d1d = t.at(c - 1, y + 1, x);  // channel c-1 is complete
        const unsigned sp6 = sp | unsigned(t.at(c, y, x - 2)) << 4 | unsigned(t.at(c, y - 2, x)) << 5;
        ca_ = &a_[(std::size_t(c) << 11) | (sp << 7 | prev)];
        cb_ = &b_[(std::size_t(c) << 10) | (sp6 << 4 | d1 | d2 << 1 | d1r << 2 | d1d << 3)];
        cc_ = &c_[(std::size_t(c) << 9) | (d1 | d1r << 1 | d1d << 2 | unsigned(t.at(c - 1, y, x - 1)) << 3 |
                                            unsigned(t.at(c - 1, y - 1, x)) << 4 | d2 << 5 | L << 6 | U << 7 |
                                            unsigned(t.at(c - 3, y, x)) << 8)];
        const stretch_table& st = stretch();
        in_[0] = st.t[ca_->p12()], in_[1] = st.t[cb_->p12()], in_[2] = st.t[cc_->p12()], in_[3] = BIAS_INPUT;
        w_set_ = &w_[(std::size_t(c) * 16 + sp) * INPUTS];
        int64_t dot = 0;
        for (int i = 0; i < INPUTS; ++i) dot += int64_t(w_set_[i]) * in_[i];
        // kept within the limits of model 1 (31/4096 .. 4065/4096): no bit costs less than 0.011 bit
        p_ = std::clamp(squash(int(shift_down(dot, 16))), 31, 4065);
        return p_;
    }
    void update(int bit) {
        const int64_t err = int64_t((bit << 12) - p_);
        for (int i = 0; i < INPUTS; ++i)
            w_set_[i] = int32_t(std::clamp<int64_t>(w_set_[i] + shift_down(int64_t(in_[i]) * err * LEARNING, 14),
                                                    -W_LIMIT, W_LIMIT));
        ca_->update(bit), cb_->update(bit), cc_->update(bit);
    }

private:
    static constexpr int INPUTS = 4, BIAS_INPUT = 77, LEARNING = 5;
    static constexpr int32_t W_INIT = 19661, W_LIMIT = 1 << 22;  // 0.3 and 64 in 1/65536
    std::vector<counter> a_, b_, c_;
    std::vector<int32_t> w_;
    counter *ca_ = nullptr, *cb_ = nullptr, *cc_ = nullptr;
    int32_t* w_set_ = nullptr;
    int in_[INPUTS] = {};
    int p_ = 2048;
};

// Model 2 codes in the same order as model 1 (walk): channel by channel, row by row over the frame.
std::vector<uint8_t> encode_mixed(const code_stream& s) {
    plain_tensor t(s);
    walk(s, [&](const tensor_index& ix, unsigned c, uint32_t y, uint32_t x) {
        if (get(s.codes, ix.bit_of(c, y, x))) t.set(c, y, x);
    });
    mixing_model m(s.code_c);
    encoder enc;
    walk(s, [&](const tensor_index&, unsigned c, uint32_t y, uint32_t x) {
        bit_model q;
        q.p0 = uint16_t(4096 - m.predict(t, int(c), y, x));
        const int bit = t.at(int(c), y, x);
        enc.encode_fixed(q, bit);
        m.update(bit);
    });
    return enc.finish();
}

void decode_mixed(const std::vector<uint8_t>& data, code_stream& s) {
    plain_tensor t(s);
    s.codes.assign((s.total_bits() + 7) / 8, 0);
    mixing_model m(s.code_c);
    decoder dec(data);
    walk(s, [&](const tensor_index& ix, unsigned c, uint32_t y, uint32_t x) {
        bit_model q;
        q.p0 = uint16_t(4096 - m.predict(t, int(c), y, x));
        const int bit = dec.decode_fixed(q);
        if (bit) {
            t.set(c, y, x);
            const uint64_t i = ix.bit_of(c, y, x);
            s.codes[i >> 3] |= uint8_t(1u << (i & 7));
        }
        m.update(bit);
    });
}

}  // namespace

std::vector<uint8_t> entropy_encode(const code_stream& s) {
    if (s.flags & EVC_FLAG_ENTROPY_MIXED) return encode_mixed(s);
    std::vector<bit_model> models(std::size_t(s.code_c) * 16);
    encoder enc;
    walk(s, [&](const tensor_index& t, unsigned c, uint32_t y, uint32_t x) {
        enc.encode(models[context(t, s.codes, c, y, x)], get(s.codes, t.bit_of(c, y, x)));
    });
    return enc.finish();
}

void entropy_decode(const std::vector<uint8_t>& data, code_stream& s) {
    if (s.flags & EVC_FLAG_ENTROPY_MIXED) return decode_mixed(data, s);
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

#include "decoder/edec.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <set>
#include <stdexcept>

#include "common/crc32.h"
#include "common/error.h"
#include "common/file.h"

namespace encvp {

namespace {

constexpr char MAGIC[8] = {'E', 'N', 'C', 'V', 'P', 'D', 'E', 'C'};
constexpr std::size_t HEADER = 24;  // magic, version, JSON length, payload length, CRC-32

uint32_t rd32(const uint8_t* p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24; }
void wr32(std::vector<uint8_t>& v, uint32_t x) {
    for (int i = 0; i < 4; ++i) v.push_back(uint8_t(x >> (8 * i)));
}
float rd_f32(const uint8_t* p) {
    const uint32_t u = rd32(p);
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}
void wr_f32(std::vector<uint8_t>& v, float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    wr32(v, u);
}

// Strict access to one JSON object: every problem names the object and the key; keys nobody asked
// for are errors (a typo must not be silently ignored).
class fields {
public:
    fields(const nlohmann::json& j, std::string where, const std::string& src) : j_(j), where_(std::move(where)), src_(src) {
        if (!j.is_object()) fail("must be a JSON object");
    }
    [[noreturn]] void fail(const std::string& what) const { throw input_error(src_, where_ + ": " + what); }
    const nlohmann::json& get(const std::string& key) {
        seen_.insert(key);
        auto it = j_.find(key);
        if (it == j_.end()) fail("missing field '" + key + "'");
        return *it;
    }
    bool has(const std::string& key) const { return j_.contains(key); }
    uint64_t uint(const std::string& key, uint64_t lo, uint64_t hi) {
        const nlohmann::json& v = get(key);
        if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0))
            fail("field '" + key + "' must be a non-negative integer");
        const uint64_t x = v.get<uint64_t>();
        if (x < lo || x > hi)
            fail("field '" + key + "' = " + std::to_string(x) + " is outside " + std::to_string(lo) + ".." + std::to_string(hi));
        return x;
    }
    std::string str(const std::string& key) {
        const nlohmann::json& v = get(key);
        if (!v.is_string()) fail("field '" + key + "' must be a string");
        return v.get<std::string>();
    }
    bool boolean(const std::string& key) {
        const nlohmann::json& v = get(key);
        if (!v.is_boolean()) fail("field '" + key + "' must be true or false");
        return v.get<bool>();
    }
    void no_unknown() const {
        for (auto it = j_.begin(); it != j_.end(); ++it)
            if (!seen_.count(it.key())) fail("unknown field '" + it.key() + "'");
    }

private:
    const nlohmann::json& j_;
    std::string where_;
    const std::string& src_;
    std::set<std::string> seen_;
};

edec_segment read_segment(fields& parent, const std::string& key, const std::string& where, const std::string& src) {
    fields f(parent.get(key), where + "." + key, src);
    edec_segment s;
    s.offset = f.uint("offset", 0, EDEC_MAX_PAYLOAD);
    s.bytes = f.uint("bytes", 0, EDEC_MAX_PAYLOAD);
    f.no_unknown();
    return s;
}

const struct {
    const char* name;
    edec_op_type type;
} OP_NAMES[] = {{"input_pm1", edec_op_type::input_pm1}, {"conv", edec_op_type::conv},
                {"mark", edec_op_type::mark},           {"add", edec_op_type::add},
                {"pixel_shuffle", edec_op_type::pixel_shuffle}, {"relu", edec_op_type::relu},
                {"output", edec_op_type::output}};

std::string op_where(std::size_t i, edec_op_type t) { return "op " + std::to_string(i) + " (" + edec_op_name(t) + ")"; }

// The structural walk shared by check_edec and analyze_edec. Returns "" or the first problem.
std::string walk(const edec_file& f, edec_graph_info* info) {
    if (f.code_channels < 1 || f.code_channels > EDEC_MAX_CHANNELS)
        return "header: code_channels = " + std::to_string(f.code_channels) + " is outside 1.." + std::to_string(EDEC_MAX_CHANNELS);
    if (f.ops.empty()) return "header: field 'ops' must be a non-empty array";
    if (f.ops.size() > EDEC_MAX_OPS)
        return "header: has " + std::to_string(f.ops.size()) + " ops, at most " + std::to_string(EDEC_MAX_OPS) + " are supported";
    if (f.ops[0].type != edec_op_type::input_pm1)
        return op_where(0, f.ops[0].type) + ": the graph must start with input_pm1";
    struct marked {
        unsigned channels, scale;
        std::size_t op;
    };
    std::vector<marked> stack;
    unsigned c = f.code_channels, scale = 1, maxc = c, maxr = 0, gap = 0;
    uint64_t macs = 0;
    std::vector<unsigned> scales(f.ops.size(), 1);
    std::vector<int> partner(f.ops.size(), -1);
    bool ended = false;
    for (std::size_t i = 0; i < f.ops.size(); ++i) {
        const edec_op& op = f.ops[i];
        const std::string w = op_where(i, op.type);
        if (ended) return w + ": ops follow the output op (output must be last)";
        switch (op.type) {
        case edec_op_type::input_pm1:
            if (i != 0) return w + ": input_pm1 may only be the first op";
            break;
        case edec_op_type::conv: {
            if (op.in < 1 || op.in > EDEC_MAX_CHANNELS) return w + ": field 'in' = " + std::to_string(op.in) + " is outside 1..1024";
            if (op.out < 1 || op.out > EDEC_MAX_CHANNELS)
                return w + ": field 'out' = " + std::to_string(op.out) + " is outside 1..1024";
            if (op.kernel < 1 || op.kernel > EDEC_MAX_KERNEL || op.kernel % 2 == 0)
                return w + ": field 'kernel' = " + std::to_string(op.kernel) + " must be odd, 1..7";
            if (op.in != c)
                return w + ": field 'in' = " + std::to_string(op.in) + " but the tensor it receives has " + std::to_string(c) +
                       " channels";
            const uint64_t nw = uint64_t(op.out) * op.in * op.kernel * op.kernel;
            if (op.weights.size() != nw)
                return w + ": has " + std::to_string(op.weights.size()) + " weights, [out][in][k][k] needs " + std::to_string(nw);
            if (op.bias.size() != op.out)
                return w + ": has " + std::to_string(op.bias.size()) + " biases, needs " + std::to_string(op.out);
            for (std::size_t k = 0; k < op.weights.size(); ++k)
                if (!std::isfinite(op.weights[k])) return w + ": weight " + std::to_string(k) + " is not a finite number";
            for (std::size_t k = 0; k < op.bias.size(); ++k)
                if (!std::isfinite(op.bias[k])) return w + ": bias " + std::to_string(k) + " is not a finite number";
            c = op.out;
            const unsigned r = op.kernel / 2;
            maxr = std::max(maxr, r);
            gap = std::max(gap, (r + scale - 1) / scale);
            macs += op.macs_per_pixel() * scale * scale;
            break;
        }
        case edec_op_type::mark:
            if (stack.size() >= EDEC_MAX_MARKS) return w + ": more than " + std::to_string(EDEC_MAX_MARKS) + " nested marks";
            stack.push_back({c, scale, i});
            break;
        case edec_op_type::add: {
            if (stack.empty()) return w + ": add without a matching mark (mark/add imbalance)";
            const marked m = stack.back();
            stack.pop_back();
            if (m.channels != c)
                return w + ": the tensor has " + std::to_string(c) + " channels but the one marked at op " + std::to_string(m.op) +
                       " has " + std::to_string(m.channels);
            if (m.scale != scale)
                return w + ": the tensor is at " + std::to_string(scale) + "x the code resolution but the one marked at op " +
                       std::to_string(m.op) + " is at " + std::to_string(m.scale) + "x";
            partner[i] = int(m.op);
            partner[m.op] = int(i);
            break;
        }
        case edec_op_type::pixel_shuffle:
            if (op.factor < 2 || op.factor > EDEC_MAX_FACTOR)
                return w + ": field 'factor' = " + std::to_string(op.factor) + " is outside 2..8";
            if (c % (op.factor * op.factor) != 0)
                return w + ": " + std::to_string(c) + " channels are not divisible by factor^2 = " +
                       std::to_string(op.factor * op.factor);
            c /= op.factor * op.factor;
            scale *= op.factor;
            if (scale > EDEC_MAX_UPSCALE)
                return w + ": the total upscale " + std::to_string(scale) + " exceeds " + std::to_string(EDEC_MAX_UPSCALE);
            break;
        case edec_op_type::relu:
            break;
        case edec_op_type::output:
            if (c != 3) return w + ": the output has " + std::to_string(c) + " channels, RGB needs 3";
            if (!stack.empty())
                return w + ": the mark at op " + std::to_string(stack.back().op) + " has no matching add (mark/add imbalance)";
            ended = true;
            break;
        }
        maxc = std::max(maxc, c);
        scales[i] = scale;
    }
    if (!ended) return "header: the graph does not end with an output op";
    if (scale != f.upscale)
        return "header: upscale = " + std::to_string(f.upscale) + " but the pixel_shuffle factors multiply to " + std::to_string(scale);
    if (info) {
        info->upscale = scale;
        info->max_channels = maxc;
        info->max_conv_radius = maxr;
        info->max_gap = gap;
        info->macs_per_code_pixel = macs;
        info->scale = scales;
        info->partner = partner;
        // Halo: propagate one output code pixel [0, 1) back through the ops (as the tiled decoder
        // does for every tile, without clipping to a frame).
        std::vector<std::pair<long, long>> mark_need(f.ops.size(), {0, 0});
        std::vector<bool> mark_has(f.ops.size(), false);
        long lo = 0, hi = long(scale);
        unsigned radius_px = 0;  // a conv of radius r at scale s widens the field by r * upscale / s output pixels
        for (std::size_t n = f.ops.size(); n-- > 1;) {
            const edec_op& op = f.ops[n];
            const long s = long(scales[n]);
            switch (op.type) {
            case edec_op_type::conv:
                lo -= long(op.kernel / 2);
                hi += long(op.kernel / 2);
                radius_px += (op.kernel / 2) * unsigned(long(scale) / s);
                break;
            case edec_op_type::pixel_shuffle: {
                const long fct = long(op.factor);
                lo = lo >= 0 ? lo / fct : -((-lo + fct - 1) / fct);
                hi = hi >= 0 ? (hi + fct - 1) / fct : -((-hi) / fct);
                break;
            }
            case edec_op_type::add:
                mark_need[std::size_t(partner[n])] = {lo, hi};
                mark_has[std::size_t(partner[n])] = true;
                break;
            case edec_op_type::mark:
                if (mark_has[n]) {
                    lo = std::min(lo, mark_need[n].first);
                    hi = std::max(hi, mark_need[n].second);
                }
                break;
            default:
                break;
            }
        }
        info->halo = unsigned(std::max(-lo, hi - 1));
        info->receptive_radius_px = radius_px;
    }
    return "";
}

}  // namespace

const char* edec_op_name(edec_op_type t) {
    for (const auto& o : OP_NAMES)
        if (o.type == t) return o.name;
    return "?";
}

std::string check_edec(const edec_file& f) { return walk(f, nullptr); }

edec_graph_info analyze_edec(const edec_file& f) {
    edec_graph_info info;
    const std::string err = walk(f, &info);
    if (!err.empty()) throw std::invalid_argument("decoder '" + f.name + "': " + err);
    return info;
}

edec_file read_edec_file(const std::string& path) {
    return parse_edec_file(read_file(path, HEADER + EDEC_MAX_JSON + EDEC_MAX_PAYLOAD, "decoder file"), path);
}

edec_file parse_edec_file(const std::vector<uint8_t>& bytes, const std::string& src) {
    if (bytes.size() < HEADER)
        throw input_error(src, "truncated: " + std::to_string(bytes.size()) + " bytes, the header alone is 24");
    if (std::memcmp(bytes.data(), MAGIC, 8) != 0) throw input_error(src, "not an encvp decoder file (bad magic; expected 'ENCVPDEC')");
    const uint32_t version = rd32(&bytes[8]);
    if (version != EDEC_VERSION)
        throw input_error(src, "unsupported decoder file version " + std::to_string(version) + " (this encvp reads version 1)");
    const uint64_t jlen = rd32(&bytes[12]), plen = rd32(&bytes[16]);
    const uint32_t crc = rd32(&bytes[20]);
    if (jlen == 0 || jlen > EDEC_MAX_JSON) throw input_error(src, "header length " + std::to_string(jlen) + " outside 1..1048576");
    if (plen > EDEC_MAX_PAYLOAD) throw input_error(src, "payload length " + std::to_string(plen) + " above the 64 MiB limit");
    if (bytes.size() != HEADER + jlen + plen)
        throw input_error(src, std::string(bytes.size() < HEADER + jlen + plen ? "truncated" : "trailing data") + ": file is " +
                                   std::to_string(bytes.size()) + " bytes, header says " + std::to_string(HEADER + jlen + plen));
    const uint32_t actual = crc32(bytes.data() + HEADER, bytes.size() - HEADER);
    if (actual != crc)
        throw input_error(src, "checksum mismatch (stored " + std::to_string(crc) + ", computed " + std::to_string(actual) +
                                   "): the file is corrupted");

    nlohmann::json j;
    try {
        j = nlohmann::json::parse(bytes.begin() + HEADER, bytes.begin() + long(HEADER + jlen));
    } catch (const nlohmann::json::exception& e) {
        throw input_error(src, std::string("JSON header is not valid JSON: ") + e.what());
    }
    const uint8_t* payload = bytes.data() + HEADER + jlen;

    edec_file f;
    f.crc = crc;
    fields top(j, "header", src);
    f.name = top.str("name");
    f.code_channels = unsigned(top.uint("code_channels", 1, EDEC_MAX_CHANNELS));
    f.upscale = unsigned(top.uint("upscale", 1, EDEC_MAX_UPSCALE));
    {
        fields e(top.get("encoder"), "header.encoder", src);
        f.encoder_name = e.str("name");
        f.encoder_crc = uint32_t(e.uint("crc32", 0, 0xFFFFFFFFu));
        e.no_unknown();
    }
    f.provenance = top.get("provenance");
    if (!f.provenance.is_object()) top.fail("field 'provenance' must be an object");
    const nlohmann::json& ops = top.get("ops");
    if (!ops.is_array() || ops.empty()) top.fail("field 'ops' must be a non-empty array");
    if (ops.size() > EDEC_MAX_OPS)
        top.fail("has " + std::to_string(ops.size()) + " ops, at most " + std::to_string(EDEC_MAX_OPS) + " are supported");
    top.no_unknown();

    std::vector<std::pair<uint64_t, uint64_t>> spans;
    for (std::size_t i = 0; i < ops.size(); ++i) {
        fields o(ops[i], "op " + std::to_string(i), src);
        const std::string type = o.str("op");
        edec_op op;
        bool known = false;
        for (const auto& n : OP_NAMES)
            if (type == n.name) op.type = n.type, known = true;
        if (!known)
            o.fail("unknown op '" + type + "' (expected input_pm1, conv, mark, add, pixel_shuffle, relu or output)");
        const std::string where = op_where(i, op.type);
        fields l(ops[i], where, src);
        l.get("op");
        if (op.type == edec_op_type::conv) {
            op.in = unsigned(l.uint("in", 1, EDEC_MAX_CHANNELS));
            op.out = unsigned(l.uint("out", 1, EDEC_MAX_CHANNELS));
            op.kernel = unsigned(l.uint("kernel", 1, EDEC_MAX_KERNEL));
            if (op.kernel % 2 == 0) l.fail("field 'kernel' = " + std::to_string(op.kernel) + " must be odd (zero padding kernel/2)");
            op.relu = l.boolean("relu");
            op.weights_seg = read_segment(l, "weights", where, src);
            op.bias_seg = read_segment(l, "bias", where, src);
            const uint64_t wbytes = uint64_t(op.out) * op.in * op.kernel * op.kernel * 4, bbytes = uint64_t(op.out) * 4;
            if (op.weights_seg.bytes != wbytes)
                l.fail("weights.bytes is " + std::to_string(op.weights_seg.bytes) + ", " + std::to_string(op.out) + "x" +
                       std::to_string(op.in) + "x" + std::to_string(op.kernel) + "x" + std::to_string(op.kernel) +
                       " float32 weights need " + std::to_string(wbytes));
            if (op.bias_seg.bytes != bbytes)
                l.fail("bias.bytes is " + std::to_string(op.bias_seg.bytes) + ", " + std::to_string(op.out) + " float32 biases need " +
                       std::to_string(bbytes));
            for (const auto& [key, s] : {std::pair<const char*, const edec_segment*>{"weights", &op.weights_seg},
                                         std::pair<const char*, const edec_segment*>{"bias", &op.bias_seg}}) {
                if (s->offset > plen || s->bytes > plen - s->offset)
                    l.fail(std::string(key) + " segment [" + std::to_string(s->offset) + ", " + std::to_string(s->offset + s->bytes) +
                           ") lies outside the " + std::to_string(plen) + "-byte payload");
                if (s->bytes) spans.emplace_back(s->offset, s->offset + s->bytes);
            }
            op.weights.resize(op.weights_seg.bytes / 4);
            for (std::size_t k = 0; k < op.weights.size(); ++k) {
                op.weights[k] = rd_f32(payload + op.weights_seg.offset + 4 * k);
                if (!std::isfinite(op.weights[k])) l.fail("weight " + std::to_string(k) + " is not a finite number");
            }
            op.bias.resize(op.out);
            for (std::size_t k = 0; k < op.bias.size(); ++k) {
                op.bias[k] = rd_f32(payload + op.bias_seg.offset + 4 * k);
                if (!std::isfinite(op.bias[k])) l.fail("bias " + std::to_string(k) + " is not a finite number");
            }
        } else if (op.type == edec_op_type::pixel_shuffle) {
            op.factor = unsigned(l.uint("factor", 2, EDEC_MAX_FACTOR));
        }
        l.no_unknown();
        f.ops.push_back(std::move(op));
    }
    std::sort(spans.begin(), spans.end());
    for (std::size_t i = 1; i < spans.size(); ++i)
        if (spans[i].first < spans[i - 1].second) throw input_error(src, "payload segments overlap at byte " + std::to_string(spans[i].first));
    const std::string err = check_edec(f);
    if (!err.empty()) throw input_error(src, err);
    return f;
}

std::vector<uint8_t> serialize_edec_file(const edec_file& f) {
    const std::string err = check_edec(f);
    if (!err.empty()) throw std::invalid_argument("cannot write decoder '" + f.name + "': " + err);
    std::vector<uint8_t> payload;
    nlohmann::json ops = nlohmann::json::array();
    for (const edec_op& op : f.ops) {
        nlohmann::json e;
        e["op"] = edec_op_name(op.type);
        if (op.type == edec_op_type::conv) {
            e["in"] = op.in;
            e["out"] = op.out;
            e["kernel"] = op.kernel;
            e["relu"] = op.relu;
            const uint64_t w0 = payload.size();
            for (float v : op.weights) wr_f32(payload, v);
            const uint64_t b0 = payload.size();
            for (float v : op.bias) wr_f32(payload, v);
            e["weights"] = {{"offset", w0}, {"bytes", b0 - w0}};
            e["bias"] = {{"offset", b0}, {"bytes", payload.size() - b0}};
        } else if (op.type == edec_op_type::pixel_shuffle) {
            e["factor"] = op.factor;
        }
        ops.push_back(e);
    }
    if (payload.size() > EDEC_MAX_PAYLOAD)
        throw std::invalid_argument("cannot write decoder '" + f.name + "': " + std::to_string(payload.size()) +
                                    " bytes of weights exceed the 64 MiB limit");
    nlohmann::json j;
    j["name"] = f.name;
    j["code_channels"] = f.code_channels;
    j["upscale"] = f.upscale;
    j["encoder"] = {{"name", f.encoder_name}, {"crc32", f.encoder_crc}};
    j["provenance"] = f.provenance;
    j["ops"] = ops;
    const std::string text = j.dump(1);
    if (text.size() > EDEC_MAX_JSON) throw std::invalid_argument("cannot write decoder '" + f.name + "': JSON header above 1 MiB");
    std::vector<uint8_t> out(MAGIC, MAGIC + 8);
    wr32(out, EDEC_VERSION);
    wr32(out, uint32_t(text.size()));
    wr32(out, uint32_t(payload.size()));
    wr32(out, 0);
    out.insert(out.end(), text.begin(), text.end());
    out.insert(out.end(), payload.begin(), payload.end());
    const uint32_t crc = crc32(out.data() + HEADER, out.size() - HEADER);
    for (int i = 0; i < 4; ++i) out[20 + i] = uint8_t(crc >> (8 * i));
    return out;
}

void write_edec_file(const std::string& path, const edec_file& f) { write_file(path, serialize_edec_file(f)); }

edec_file make_random_edec(const edec_random_spec& s, uint32_t seed, const std::string& name) {
    std::mt19937 rng(seed);
    edec_file f;
    f.name = name;
    f.code_channels = s.code_channels;
    f.upscale = 4;
    f.provenance = {{"tool", "make_random_edec"}, {"seed", seed}};
    f.encoder_name = "none";
    auto simple = [&](edec_op_type t) {
        edec_op op;
        op.type = t;
        f.ops.push_back(op);
    };
    auto conv = [&](unsigned in, unsigned out, bool relu, float gain, float bias0) {
        edec_op op;
        op.type = edec_op_type::conv;
        op.in = in, op.out = out, op.kernel = s.kernel, op.relu = relu;
        const float fan_in = float(in * s.kernel * s.kernel);
        std::uniform_real_distribution<float> wd(-gain * std::sqrt(3.0f / fan_in), gain * std::sqrt(3.0f / fan_in));
        std::uniform_real_distribution<float> bd(-0.05f, 0.05f);
        op.weights.resize(std::size_t(out) * in * s.kernel * s.kernel);
        for (float& w : op.weights) w = wd(rng);
        op.bias.resize(out);
        for (float& b : op.bias) b = bias0 + bd(rng);
        f.ops.push_back(std::move(op));
    };
    auto blocks = [&](unsigned n, unsigned w) {
        for (unsigned b = 0; b < n; ++b) {
            simple(edec_op_type::mark);
            conv(w, w, true, 1.4f, 0.0f);
            conv(w, w, false, 0.5f, 0.0f);
            simple(edec_op_type::add);
        }
    };
    auto shuffle = [&]() {
        edec_op op;
        op.type = edec_op_type::pixel_shuffle;
        op.factor = 2;
        f.ops.push_back(op);
    };
    simple(edec_op_type::input_pm1);
    conv(s.code_channels, s.w1, true, 1.4f, 0.0f);
    blocks(s.blocks1, s.w1);
    conv(s.w1, 4 * s.w2, false, 1.0f, 0.0f);
    shuffle();
    simple(edec_op_type::relu);
    blocks(s.blocks2, s.w2);
    conv(s.w2, 4 * s.w3, false, 1.0f, 0.0f);
    shuffle();
    simple(edec_op_type::relu);
    conv(s.w3, 3, false, 0.3f, 0.5f);
    simple(edec_op_type::output);
    return f;
}

}  // namespace encvp

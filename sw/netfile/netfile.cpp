#include "netfile/netfile.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "common/crc32.h"
#include "common/error.h"
#include "common/file.h"

namespace encvp {

namespace {

constexpr char MAGIC[8] = {'E', 'N', 'C', 'V', 'P', 'N', 'E', 'T'};
constexpr std::size_t HEADER = 24;

uint32_t rd32(const uint8_t* p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24; }
void wr32(std::vector<uint8_t>& v, uint32_t x) {
    for (int i = 0; i < 4; ++i) v.push_back(uint8_t(x >> (8 * i)));
}

// Strict JSON field access: every problem names the object and the key.
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

net_segment read_segment(fields& parent, const std::string& key, const std::string& where, const std::string& src) {
    fields f(parent.get(key), where + "." + key, src);
    net_segment s;
    s.offset = f.uint("offset", 0, NETFILE_MAX_PAYLOAD);
    s.bytes = f.uint("bytes", 0, NETFILE_MAX_PAYLOAD);
    f.no_unknown();
    return s;
}

}  // namespace

uint64_t network_file::weight_bits() const {
    uint64_t bits = 0;
    for (const net_layer& l : layers) bits += l.d.weight_bits() + l.d.bias_bits() + 5;
    return bits;
}

nx::network network_file::to_network() const {
    nx::network net;
    net.shape.in_c = in_c;
    net.shape.in_h = in_h;
    net.shape.in_w = in_w;
    net.shape.classify = classify();
    for (const net_layer& l : layers) {
        net.shape.layers.push_back(l.d);
        nx::layer_params p;
        p.d = l.d;
        p.weights.resize(l.d.n_weights());
        const uint8_t* w = payload.data() + l.weights.offset;
        for (uint64_t i = 0; i < p.weights.size(); ++i)
            p.weights[i] = int8_t(nx::decode_weight(nx::get_bits(w, i * l.d.w_bits, l.d.w_bits), l.d.w_bits));
        p.bias.resize(l.d.out_c);
        const uint8_t* b = payload.data() + l.bias.offset;
        for (unsigned c = 0; c < l.d.out_c; ++c)
            p.bias[c] = nx::sign_extend(nx::get_bits(b, uint64_t(c) * l.d.b_bits, l.d.b_bits), l.d.b_bits);
        net.layers.push_back(std::move(p));
    }
    return net;
}

network_file read_network_file(const std::string& path) {
    return parse_network_file(read_file(path, HEADER + NETFILE_MAX_JSON + NETFILE_MAX_PAYLOAD, "network file"), path);
}

network_file parse_network_file(const std::vector<uint8_t>& bytes, const std::string& src) {
    if (bytes.size() < HEADER) throw input_error(src, "truncated: " + std::to_string(bytes.size()) + " bytes, the header alone is 24");
    if (std::memcmp(bytes.data(), MAGIC, 8) != 0) throw input_error(src, "not an encvp network file (bad magic; expected 'ENCVPNET')");
    const uint32_t version = rd32(&bytes[8]);
    if (version != NETFILE_VERSION)
        throw input_error(src, "unsupported network file version " + std::to_string(version) + " (this encvp reads version 1)");
    const uint64_t jlen = rd32(&bytes[12]), plen = rd32(&bytes[16]);
    const uint32_t crc = rd32(&bytes[20]);
    if (jlen == 0 || jlen > NETFILE_MAX_JSON) throw input_error(src, "header length " + std::to_string(jlen) + " outside 1..1048576");
    if (plen > NETFILE_MAX_PAYLOAD) throw input_error(src, "payload length " + std::to_string(plen) + " above the 64 MiB limit");
    if (bytes.size() != HEADER + jlen + plen)
        throw input_error(src, std::string(bytes.size() < HEADER + jlen + plen ? "truncated" : "trailing data") + ": file is " +
                                   std::to_string(bytes.size()) + " bytes, header says " + std::to_string(HEADER + jlen + plen));
    const uint32_t actual = crc32(bytes.data() + HEADER, bytes.size() - HEADER);
    if (actual != crc)
        throw input_error(src, "checksum mismatch (stored " + std::to_string(crc) + ", computed " + std::to_string(actual) +
                                   "): the file is corrupted");

    nlohmann::json j;
    try {
        j = nlohmann::json::parse(bytes.begin() + HEADER, bytes.begin() + HEADER + long(jlen));
    } catch (const nlohmann::json::exception& e) {
        throw input_error(src, std::string("JSON header is not valid JSON: ") + e.what());
    }

    network_file f;
    f.crc = crc;
    f.payload.assign(bytes.begin() + HEADER + long(jlen), bytes.end());
    fields top(j, "header", src);
    f.name = top.str("name");
    f.task = top.str("task");
    if (f.task != "classify" && f.task != "compress") top.fail("field 'task' must be \"classify\" or \"compress\", got \"" + f.task + "\"");
    {
        fields in(top.get("input"), "header.input", src);
        f.in_c = unsigned(in.uint("channels", 1, 1024));
        f.in_h = unsigned(in.uint("height", 1, 1024));
        f.in_w = unsigned(in.uint("width", 1, 1024));
        if (in.uint("bits", 0, 64) != 8) in.fail("field 'bits' must be 8 (8-bit pixels)");
        in.no_unknown();
    }
    if (f.classify()) {
        const nlohmann::json& cl = top.get("classes");
        if (!cl.is_array()) top.fail("field 'classes' must be an array of strings");
        for (const auto& c : cl) {
            if (!c.is_string()) top.fail("field 'classes' must be an array of strings");
            f.classes.push_back(c.get<std::string>());
        }
    } else if (top.has("classes")) {
        top.get("classes");
        top.fail("field 'classes' is only allowed when task is classify");
    }
    if (top.has("provenance")) {
        f.provenance = top.get("provenance");
        if (!f.provenance.is_object()) top.fail("field 'provenance' must be an object");
    }
    const nlohmann::json& layers = top.get("layers");
    if (!layers.is_array() || layers.empty()) top.fail("field 'layers' must be a non-empty array");
    if (layers.size() > 32) top.fail("has " + std::to_string(layers.size()) + " layers, at most 32 are supported");
    top.no_unknown();

    unsigned c = f.in_c, h = f.in_h, w = f.in_w, bits = 8;
    std::vector<std::pair<uint64_t, uint64_t>> spans;
    for (std::size_t i = 0; i < layers.size(); ++i) {
        const std::string where = "layer " + std::to_string(i);
        fields l(layers[i], where, src);
        net_layer nl;
        const std::string type = l.str("type");
        nl.name = l.str("name");
        const std::string wh = where + " ('" + nl.name + "')";
        nx::layer_desc& d = nl.d;
        d.in_c = c;
        d.in_h = h;
        d.in_w = w;
        d.in_bits = bits;
        if (type == "conv") {
            d.type = nx::layer_type::conv;
            d.out_c = unsigned(l.uint("out_channels", 1, 1024));
            d.kernel = unsigned(l.uint("kernel", 1, 7));
            d.stride = unsigned(l.uint("stride", 1, 2));
            d.pad = unsigned(l.uint("padding", 0, 3));
            d.groups = unsigned(l.uint("groups", 1, 1024));
            d.a_bits = unsigned(l.uint("act_bits", 1, 3));
            d.shift = unsigned(l.uint("shift", 0, 24));
            d.pool = l.boolean("pool");
        } else if (type == "fc") {
            d.type = nx::layer_type::fc;
            d.out_c = unsigned(l.uint("out_features", 1, 1024));
        } else {
            l.fail("field 'type' must be \"conv\" or \"fc\", got \"" + type + "\"");
        }
        d.w_bits = unsigned(l.uint("weight_bits", 1, 3));
        d.b_bits = unsigned(l.uint("bias_bits", 2, 24));
        nl.weights = read_segment(l, "weights", wh, src);
        nl.bias = read_segment(l, "bias", wh, src);
        l.no_unknown();
        const std::string err = nx::check_layer(d, i == 0);
        if (!err.empty()) throw input_error(src, wh + ": " + err);
        const uint64_t wbytes = (d.n_weights() * d.w_bits + 7) / 8, bbytes = (d.bias_bits() + 7) / 8;
        if (nl.weights.bytes != wbytes)
            throw input_error(src, wh + ": weights.bytes is " + std::to_string(nl.weights.bytes) + ", the layer's " +
                                       std::to_string(d.n_weights()) + " weights at " + std::to_string(d.w_bits) + " bits need " +
                                       std::to_string(wbytes));
        if (nl.bias.bytes != bbytes)
            throw input_error(src, wh + ": bias.bytes is " + std::to_string(nl.bias.bytes) + ", " + std::to_string(d.out_c) +
                                       " biases at " + std::to_string(d.b_bits) + " bits need " + std::to_string(bbytes));
        for (const net_segment* s : {&nl.weights, &nl.bias}) {
            if (s->offset > f.payload.size() || s->bytes > f.payload.size() - s->offset)
                throw input_error(src, wh + ": segment [" + std::to_string(s->offset) + ", " + std::to_string(s->offset + s->bytes) +
                                           ") lies outside the " + std::to_string(f.payload.size()) + "-byte payload");
            if (s->bytes) spans.emplace_back(s->offset, s->offset + s->bytes);
        }
        // Every weight code must be a used code; padding bits must be zero.
        const uint8_t* wp = f.payload.data() + nl.weights.offset;
        for (uint64_t k = 0; k < d.n_weights(); ++k) {
            const unsigned code = nx::get_bits(wp, k * d.w_bits, d.w_bits);
            if (!nx::weight_code_valid(code, d.w_bits))
                throw input_error(src, wh + ": weight " + std::to_string(k) + " has the unused " + std::to_string(d.w_bits) +
                                           "-bit code " + std::to_string(code));
        }
        for (uint64_t b = d.n_weights() * d.w_bits; b < wbytes * 8; ++b)
            if (nx::get_bits(wp, b, 1)) throw input_error(src, wh + ": padding bits after the last weight are not zero");
        const uint8_t* bp = f.payload.data() + nl.bias.offset;
        for (uint64_t b = d.bias_bits(); b < bbytes * 8; ++b)
            if (nx::get_bits(bp, b, 1)) throw input_error(src, wh + ": padding bits after the last bias are not zero");
        if (d.type == nx::layer_type::fc && i + 1 != layers.size())
            throw input_error(src, wh + ": an fc layer must be the last layer");
        c = d.out_c;
        h = d.out_h();
        w = d.out_w();
        bits = d.a_bits;
        f.layers.push_back(std::move(nl));
    }
    std::sort(spans.begin(), spans.end());
    for (std::size_t i = 1; i < spans.size(); ++i)
        if (spans[i].first < spans[i - 1].second) throw input_error(src, "payload segments overlap at byte " + std::to_string(spans[i].first));

    nx::network_shape shape;
    shape.in_c = f.in_c;
    shape.in_h = f.in_h;
    shape.in_w = f.in_w;
    shape.classify = f.classify();
    for (const net_layer& l : f.layers) shape.layers.push_back(l.d);
    const std::string err = nx::check_network(shape);
    if (!err.empty()) throw input_error(src, err);
    if (f.classify() && f.classes.size() != f.layers.back().d.out_c)
        throw input_error(src, "header.classes has " + std::to_string(f.classes.size()) + " names but the fc layer has " +
                                   std::to_string(f.layers.back().d.out_c) + " outputs");
    return f;
}

network_file make_network_file(const nx::network& net, const std::string& name, const std::vector<std::string>& classes,
                               const nlohmann::json& provenance) {
    network_file f;
    f.name = name;
    f.task = net.shape.classify ? "classify" : "compress";
    f.in_c = net.shape.in_c;
    f.in_h = net.shape.in_h;
    f.in_w = net.shape.in_w;
    f.classes = classes;
    f.provenance = provenance;
    for (std::size_t i = 0; i < net.layers.size(); ++i) {
        const nx::layer_params& p = net.layers[i];
        net_layer l;
        l.name = (p.d.type == nx::layer_type::fc ? "fc" : "conv") + std::to_string(i);
        l.d = p.d;
        int64_t lo = 0, hi = 0;
        for (int32_t b : p.bias) lo = std::min<int64_t>(lo, b), hi = std::max<int64_t>(hi, b);
        l.d.b_bits = std::max({l.d.b_bits, nx::bits_for_signed(lo), nx::bits_for_signed(hi)});
        std::vector<uint8_t> wseg((p.weights.size() * l.d.w_bits + 7) / 8, 0);
        for (std::size_t k = 0; k < p.weights.size(); ++k)
            nx::put_bits(wseg.data(), k * l.d.w_bits, l.d.w_bits, nx::encode_weight(p.weights[k], l.d.w_bits));
        std::vector<uint8_t> bseg((p.bias.size() * l.d.b_bits + 7) / 8, 0);
        for (std::size_t c = 0; c < p.bias.size(); ++c)
            nx::put_bits(bseg.data(), c * l.d.b_bits, l.d.b_bits, uint32_t(p.bias[c]));
        l.weights = {f.payload.size(), wseg.size()};
        f.payload.insert(f.payload.end(), wseg.begin(), wseg.end());
        l.bias = {f.payload.size(), bseg.size()};
        f.payload.insert(f.payload.end(), bseg.begin(), bseg.end());
        f.layers.push_back(std::move(l));
    }
    return f;
}

std::vector<uint8_t> serialize_network_file(const network_file& f) {
    nlohmann::json j;
    j["name"] = f.name;
    j["task"] = f.task;
    j["input"] = {{"channels", f.in_c}, {"height", f.in_h}, {"width", f.in_w}, {"bits", 8}};
    if (f.classify()) j["classes"] = f.classes;
    j["provenance"] = f.provenance;
    nlohmann::json layers = nlohmann::json::array();
    for (const net_layer& l : f.layers) {
        nlohmann::json e;
        e["name"] = l.name;
        if (l.d.type == nx::layer_type::conv) {
            e["type"] = "conv";
            e["out_channels"] = l.d.out_c;
            e["kernel"] = l.d.kernel;
            e["stride"] = l.d.stride;
            e["padding"] = l.d.pad;
            e["groups"] = l.d.groups;
            e["act_bits"] = l.d.a_bits;
            e["shift"] = l.d.shift;
            e["pool"] = l.d.pool;
        } else {
            e["type"] = "fc";
            e["out_features"] = l.d.out_c;
        }
        e["weight_bits"] = l.d.w_bits;
        e["bias_bits"] = l.d.b_bits;
        e["weights"] = {{"offset", l.weights.offset}, {"bytes", l.weights.bytes}};
        e["bias"] = {{"offset", l.bias.offset}, {"bytes", l.bias.bytes}};
        layers.push_back(e);
    }
    j["layers"] = layers;
    const std::string text = j.dump(1);
    std::vector<uint8_t> out(MAGIC, MAGIC + 8);
    wr32(out, NETFILE_VERSION);
    wr32(out, uint32_t(text.size()));
    wr32(out, uint32_t(f.payload.size()));
    wr32(out, 0);
    out.insert(out.end(), text.begin(), text.end());
    out.insert(out.end(), f.payload.begin(), f.payload.end());
    const uint32_t crc = crc32(out.data() + HEADER, out.size() - HEADER);
    for (int i = 0; i < 4; ++i) out[20 + i] = uint8_t(crc >> (8 * i));
    return out;
}

void write_network_file(const std::string& path, const network_file& f) { write_file(path, serialize_network_file(f)); }

}  // namespace encvp

#include "numerics/network.h"

namespace encvp::nx {

std::vector<uint8_t> pack_values(const std::vector<uint8_t>& values, unsigned bits) {
    std::vector<uint8_t> out((values.size() * bits + 7) / 8, 0);
    for (std::size_t i = 0; i < values.size(); ++i) put_bits(out.data(), i * bits, bits, values[i]);
    return out;
}

namespace {

// in: CHW, out: CHW of the layer's output (after pool).
std::vector<uint8_t> conv_reference(const layer_params& p, const std::vector<uint8_t>& in, flags& f) {
    const layer_desc& l = p.d;
    const unsigned ho = l.conv_h(), wo = l.conv_w();
    const unsigned cig = l.in_c / l.groups, cog = l.out_c / l.groups;
    std::vector<uint8_t> y(std::size_t(l.out_c) * ho * wo);
    for (unsigned co = 0; co < l.out_c; ++co) {
        const unsigned g = co / cog;
        for (unsigned oy = 0; oy < ho; ++oy) {
            for (unsigned ox = 0; ox < wo; ++ox) {
                int64_t acc = 0;
                for (unsigned j = 0; j < cig; ++j) {
                    const unsigned ci = g * cig + j;
                    for (unsigned ky = 0; ky < l.kernel; ++ky) {
                        for (unsigned kx = 0; kx < l.kernel; ++kx) {
                            const int iy = int(oy * l.stride + ky) - int(l.pad);
                            const int ix = int(ox * l.stride + kx) - int(l.pad);
                            if (iy < 0 || ix < 0 || iy >= int(l.in_h) || ix >= int(l.in_w)) continue;
                            const int w = p.weights[((std::size_t(co) * cig + j) * l.kernel + ky) * l.kernel + kx];
                            acc += int64_t(w) * in[(std::size_t(ci) * l.in_h + unsigned(iy)) * l.in_w + unsigned(ix)];
                        }
                    }
                }
                y[(std::size_t(co) * ho + oy) * wo + ox] = requantize(acc + p.bias[co], l.shift, l.a_bits, f);
            }
        }
    }
    if (!l.pool) return y;
    const unsigned ph = ho / 2, pw = wo / 2;
    std::vector<uint8_t> out(std::size_t(l.out_c) * ph * pw);
    for (unsigned c = 0; c < l.out_c; ++c)
        for (unsigned oy = 0; oy < ph; ++oy)
            for (unsigned ox = 0; ox < pw; ++ox) {
                uint8_t m = 0;
                for (unsigned dy = 0; dy < 2; ++dy)
                    for (unsigned dx = 0; dx < 2; ++dx) {
                        const uint8_t v = y[(std::size_t(c) * ho + 2 * oy + dy) * wo + 2 * ox + dx];
                        if (v > m) m = v;
                    }
                out[(std::size_t(c) * ph + oy) * pw + ox] = m;
            }
    return out;
}

std::vector<int32_t> fc_reference(const layer_params& p, const std::vector<uint8_t>& in, flags& f) {
    const layer_desc& l = p.d;
    std::vector<int64_t> sum(l.in_c, 0);
    for (unsigned c = 0; c < l.in_c; ++c)
        for (unsigned i = 0; i < l.in_h * l.in_w; ++i) sum[c] += in[std::size_t(c) * l.in_h * l.in_w + i];
    std::vector<int32_t> logits(l.out_c);
    for (unsigned n = 0; n < l.out_c; ++n) {
        int64_t acc = 0;
        for (unsigned c = 0; c < l.in_c; ++c) acc += int64_t(p.weights[std::size_t(n) * l.in_c + c]) * sum[c];
        logits[n] = saturate24(acc + p.bias[n], f);
    }
    return logits;
}

}  // namespace

inference_result reference_run(const network& net, const uint8_t* input_chw) {
    inference_result r;
    std::vector<uint8_t> act(input_chw, input_chw + std::size_t(net.shape.in_c) * net.shape.in_h * net.shape.in_w);
    for (const layer_params& p : net.layers) {
        if (p.d.type == layer_type::fc) {
            r.logits = fc_reference(p, act, r.f);
            r.cls = argmax_lowest(r.logits);
            return r;
        }
        act = conv_reference(p, act, r.f);
    }
    r.output = std::move(act);
    return r;
}

}  // namespace encvp::nx

#include "numerics/engine.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace encvp::nx {

const char* engine::kernel_name() { return kernel_isa_name(select_kernel()); }

void engine::load(const network& net, kernel_isa isa) {
    const std::string err = check_network(net.shape);
    if (!err.empty()) throw std::invalid_argument(err);
    if (net.layers.size() != net.shape.layers.size())
        throw std::invalid_argument("network parameters do not match its shape");
    if (!kernel_supported(isa)) isa = kernel_isa::generic;
    isa_ = isa;
    shape_ = net.shape;
    convs_.clear();
    inputs_.clear();
    has_fc_ = false;
    std::size_t max_conv = 0;
    for (const layer_params& lp : net.layers) {
        const layer_desc& d = lp.d;
        if (lp.weights.size() != d.n_weights() || lp.bias.size() != d.out_c)
            throw std::invalid_argument("layer parameters have the wrong size");
        if (d.type == layer_type::fc) {
            has_fc_ = true;
            fc_ = d;
            fc_w_ = lp.weights;
            fc_b_ = lp.bias;
            sums_.assign(d.in_c, 0);
            continue;
        }
        convs_.push_back(make_conv_plan(d, lp.weights, lp.bias));
        const conv_plan& p = convs_.back();
        inputs_.emplace_back(std::size_t(p.in_hp) * p.in_wp * p.cstride, 0);  // border stays zero
        max_conv = std::max<std::size_t>(max_conv, std::size_t(p.ho) * p.wo * d.out_c);
    }
    const layer_desc& last = convs_.back().d;
    inputs_.emplace_back(std::size_t(last.out_h()) * last.out_w() * last.out_c, 0);  // final output, HWC
    conv_out_.assign(max_conv, 0);
}

void engine::emit(const conv_plan& p, const uint8_t* y, std::size_t next) {
    const layer_desc& d = p.d;
    const unsigned C = d.out_c, oh = d.out_h(), ow = d.out_w();
    uint8_t* dst = inputs_[next].data();
    // Destination layout: the next conv's padded input, or the plain final output.
    unsigned pad = 0, cstride = C, cig = C, cig_pad = C;
    std::size_t row_stride = std::size_t(ow) * C;
    if (next < convs_.size()) {
        const conv_plan& n = convs_[next];
        pad = n.d.pad, cstride = n.cstride, cig = n.cig, cig_pad = n.cig_pad;
        row_stride = std::size_t(n.in_wp) * cstride;
    }
    const bool identity = cig == cig_pad;  // channel order unchanged: copy whole pixels
    for (unsigned oy = 0; oy < oh; ++oy) {
        for (unsigned ox = 0; ox < ow; ++ox) {
            uint8_t* o = dst + std::size_t(oy + pad) * row_stride + std::size_t(ox + pad) * cstride;
            const uint8_t* src;
            uint8_t pooled[1024];
            if (d.pool) {
                const uint8_t* r0 = y + (std::size_t(2 * oy) * p.wo + 2 * ox) * C;
                const uint8_t* r1 = r0 + std::size_t(p.wo) * C;
                for (unsigned c = 0; c < C; ++c) pooled[c] = std::max(std::max(r0[c], r0[C + c]), std::max(r1[c], r1[C + c]));
                src = pooled;
            } else {
                src = y + (std::size_t(oy) * p.wo + ox) * C;
            }
            if (identity) std::memcpy(o, src, C);
            else
                for (unsigned c = 0; c < C; ++c) o[(c / cig) * cig_pad + c % cig] = src[c];
        }
    }
}

void engine::run(const uint8_t* input_chw, inference_result& r) {
    if (convs_.empty()) throw std::logic_error("engine::run before load");
    r.f = flags();
    r.cls = -1;
    r.logits.clear();
    r.output.clear();
    // CHW input -> first layer's padded HWC buffer.
    {
        const conv_plan& p = convs_.front();
        const unsigned C = shape_.in_c, H = shape_.in_h, W = shape_.in_w;
        uint8_t* dst = inputs_.front().data();
        for (unsigned c = 0; c < C; ++c) {
            const unsigned at = (c / p.cig) * p.cig_pad + c % p.cig;
            const uint8_t* plane = input_chw + std::size_t(c) * H * W;
            for (unsigned y = 0; y < H; ++y) {
                uint8_t* row = dst + (std::size_t(y + p.d.pad) * p.in_wp + p.d.pad) * p.cstride + at;
                for (unsigned x = 0; x < W; ++x) row[std::size_t(x) * p.cstride] = plane[std::size_t(y) * W + x];
            }
        }
    }
    for (std::size_t i = 0; i < convs_.size(); ++i) {
        conv_forward(isa_, convs_[i], inputs_[i].data(), conv_out_.data(), r.f);
        emit(convs_[i], conv_out_.data(), i + 1);
    }
    const uint8_t* final_hwc = inputs_.back().data();
    const layer_desc& last = convs_.back().d;
    const unsigned C = last.out_c, positions = last.out_h() * last.out_w();
    if (has_fc_) {
        std::fill(sums_.begin(), sums_.end(), 0);
        for (unsigned i = 0; i < positions; ++i)
            for (unsigned c = 0; c < C; ++c) sums_[c] += final_hwc[std::size_t(i) * C + c];
        r.logits.resize(fc_.out_c);
        for (unsigned n = 0; n < fc_.out_c; ++n) {
            int64_t a = 0;
            const int8_t* w = fc_w_.data() + std::size_t(n) * fc_.in_c;
            for (unsigned c = 0; c < fc_.in_c; ++c) a += int64_t(w[c]) * sums_[c];
            r.logits[n] = saturate24(a + fc_b_[n], r.f);
        }
        r.cls = argmax_lowest(r.logits);
        return;
    }
    r.output.resize(std::size_t(C) * positions);
    for (unsigned c = 0; c < C; ++c)
        for (unsigned i = 0; i < positions; ++i) r.output[std::size_t(c) * positions + i] = final_hwc[std::size_t(i) * C + c];
}

}  // namespace encvp::nx

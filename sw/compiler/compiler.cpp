#include "compiler/compiler.h"

#include <cstdio>
#include <sstream>

#include "common/error.h"
#include "encvp_netimg.h"
#include "encvp_regs.h"

namespace encvp {

namespace {

uint64_t align32(uint64_t bits) { return (bits + 31) / 32 * 32; }

void put32(std::vector<uint8_t>& v, std::size_t at, uint32_t x) {
    for (int i = 0; i < 4; ++i) v[at + i] = uint8_t(x >> (8 * i));
}

// Copies a bit-packed segment (bytes from the file) into the SRAM image at bit offset `at`.
void place(std::vector<uint8_t>& sram, uint64_t at_bits, const uint8_t* src, uint64_t bits) {
    for (uint64_t b = 0; b < bits; ++b) nx::put_bits(sram.data(), at_bits + b, 1, nx::get_bits(src, b, 1));
}

}  // namespace

std::string budget_table(const std::vector<layer_budget>& b, uint64_t capacity) {
    std::ostringstream os;
    char line[256];
    std::snprintf(line, sizeof line, "%-14s %12s %10s %7s %12s %12s\n", "layer", "weight_bits", "bias_bits", "shift", "total_bits",
                  "sram_bits");
    os << line;
    uint64_t tw = 0, tb = 0, ts = 0, tt = 0, tp = 0;
    for (const layer_budget& l : b) {
        std::snprintf(line, sizeof line, "%-14s %12llu %10llu %7llu %12llu %12llu\n", l.name.c_str(),
                      (unsigned long long)l.weight_bits, (unsigned long long)l.bias_bits, (unsigned long long)l.shift_bits,
                      (unsigned long long)l.total(), (unsigned long long)l.sram_bits);
        os << line;
        tw += l.weight_bits, tb += l.bias_bits, ts += l.shift_bits, tt += l.total(), tp += l.sram_bits;
    }
    std::snprintf(line, sizeof line, "%-14s %12llu %10llu %7llu %12llu %12llu\n", "total", (unsigned long long)tw,
                  (unsigned long long)tb, (unsigned long long)ts, (unsigned long long)tt, (unsigned long long)tp);
    os << line;
    std::snprintf(line, sizeof line, "%-14s %12s %10s %7s %12llu %12llu\n", "capacity", "", "", "", (unsigned long long)capacity,
                  (unsigned long long)capacity);
    os << line;
    return os.str();
}

compiled_network compile_network(const network_file& f, uint64_t capacity, const std::string& source) {
    compiled_network c;
    c.sram_capacity_bits = capacity;
    c.task = f.classify() ? ENCODER_TASK_CLASSIFY : ENCODER_TASK_COMPRESS;
    c.in_bytes = f.in_c * f.in_h * f.in_w;

    // Accumulator bound (numerics §3): refuse what could saturate.
    const nx::network net = f.to_network();
    for (std::size_t i = 0; i < f.layers.size(); ++i) {
        int64_t max_bias = 0;
        for (int32_t b : net.layers[i].bias) max_bias = std::max<int64_t>(max_bias, b < 0 ? -int64_t(b) : b);
        const int64_t worst = nx::worst_case_accumulator(f.layers[i].d, max_bias);
        if (worst > nx::ACC_MAX)
            throw input_error(source, "layer " + std::to_string(i) + " ('" + f.layers[i].name + "'): worst-case accumulator " +
                                          std::to_string(worst) + " exceeds the 24-bit accumulator (max " +
                                          std::to_string(nx::ACC_MAX) + ")");
    }

    // Layout: per layer, weights then biases, each on a 32-bit boundary.
    uint64_t at = 0;
    for (const net_layer& l : f.layers) {
        layer_budget b;
        b.name = l.name;
        b.weight_bits = l.d.weight_bits();
        b.bias_bits = l.d.bias_bits();
        b.w_addr = uint32_t(at / 32);
        at += align32(b.weight_bits);
        b.b_addr = uint32_t(at / 32);
        at += align32(b.bias_bits);
        b.sram_bits = align32(b.weight_bits) + align32(b.bias_bits);
        c.weight_bits += b.total();
        c.budget.push_back(b);
    }
    c.sram_bits = at;
    if (c.weight_bits > capacity || c.sram_bits > capacity) {
        std::ostringstream os;
        os << "network '" << f.name << "' does not fit the weight SRAM: it needs " << c.weight_bits << " bits ("
           << c.sram_bits << " bits with 32-bit segment alignment), the SRAM holds " << capacity << " bits\n"
           << budget_table(c.budget, capacity);
        throw budget_error((source.empty() ? "" : source + ": ") + os.str());
    }
    c.sram_image.assign(c.sram_bits / 8, 0);
    for (std::size_t i = 0; i < f.layers.size(); ++i) {
        const net_layer& l = f.layers[i];
        place(c.sram_image, uint64_t(c.budget[i].w_addr) * 32, f.payload.data() + l.weights.offset, l.d.weight_bits());
        place(c.sram_image, uint64_t(c.budget[i].b_addr) * 32, f.payload.data() + l.bias.offset, l.d.bias_bits());
        const nx::layer_desc& d = l.d;
        const bool fc = d.type == nx::layer_type::fc;
        c.descriptors.push_back(ENCVP_FIELD(ENCODER_LAYER_IN_DIM_H, d.in_h) | ENCVP_FIELD(ENCODER_LAYER_IN_DIM_W, d.in_w));
        c.descriptors.push_back(ENCVP_FIELD(ENCODER_LAYER_CHANNELS_IN, d.in_c) |
                                ENCVP_FIELD(ENCODER_LAYER_CHANNELS_OUT, d.out_c));
        c.descriptors.push_back(fc ? 0u
                                   : ENCVP_FIELD(ENCODER_LAYER_CONV_KERNEL, d.kernel) |
                                         ENCVP_FIELD(ENCODER_LAYER_CONV_STRIDE, d.stride) |
                                         ENCVP_FIELD(ENCODER_LAYER_CONV_PAD, d.pad) |
                                         ENCVP_FIELD(ENCODER_LAYER_CONV_GROUPS, d.groups) |
                                         ENCVP_FIELD(ENCODER_LAYER_CONV_POOL, d.pool ? 1 : 0));
        c.descriptors.push_back(ENCVP_FIELD(ENCODER_LAYER_PREC_TYPE, fc ? ENCODER_LTYPE_FC : ENCODER_LTYPE_CONV) |
                                ENCVP_FIELD(ENCODER_LAYER_PREC_WBITS, d.w_bits) |
                                ENCVP_FIELD(ENCODER_LAYER_PREC_INBITS, d.in_bits) |
                                ENCVP_FIELD(ENCODER_LAYER_PREC_ABITS, fc ? 0 : d.a_bits) |
                                ENCVP_FIELD(ENCODER_LAYER_PREC_BBITS, d.b_bits) |
                                ENCVP_FIELD(ENCODER_LAYER_PREC_SHIFT, fc ? 0 : d.shift));
        c.descriptors.push_back(c.budget[i].w_addr);
        c.descriptors.push_back(c.budget[i].b_addr);
    }
    const nx::layer_desc& last = f.layers.back().d;
    if (f.classify()) {
        c.num_classes = last.out_c;
        c.out_bytes = 4 * (last.out_c + 1);
    } else {
        c.code_bits = uint32_t(last.output_elements() * last.a_bits);
        c.out_bytes = (c.code_bits + 7) / 8;
    }

    // Network image: header, descriptors, then the SRAM image on a 64-byte boundary.
    const std::size_t desc_end = NETIMG_DESC + 4 * c.descriptors.size();
    const std::size_t sram_off = (desc_end + 63) / 64 * 64;
    c.netimg.assign(sram_off + c.sram_image.size(), 0);
    put32(c.netimg, NETIMG_MAGIC, NETIMG_MAGIC_VALUE);
    put32(c.netimg, NETIMG_VERSION, NETIMG_VERSION_VALUE);
    put32(c.netimg, NETIMG_TASK, c.task);
    put32(c.netimg, NETIMG_NUM_LAYERS, uint32_t(f.layers.size()));
    put32(c.netimg, NETIMG_IN_C, f.in_c);
    put32(c.netimg, NETIMG_IN_H, f.in_h);
    put32(c.netimg, NETIMG_IN_W, f.in_w);
    put32(c.netimg, NETIMG_OUT_BYTES, c.out_bytes);
    put32(c.netimg, NETIMG_NUM_CLASSES, c.num_classes);
    put32(c.netimg, NETIMG_SRAM_BYTES, uint32_t(c.sram_image.size()));
    put32(c.netimg, NETIMG_SRAM_OFFSET, uint32_t(sram_off));
    put32(c.netimg, NETIMG_CODE_BITS, c.code_bits);
    for (std::size_t i = 0; i < c.descriptors.size(); ++i) put32(c.netimg, NETIMG_DESC + 4 * i, c.descriptors[i]);
    std::copy(c.sram_image.begin(), c.sram_image.end(), c.netimg.begin() + long(sram_off));
    return c;
}

}  // namespace encvp

#include "encoder/timing_model.h"

#include <algorithm>

namespace encvp {

namespace {
uint64_t ceil_div(uint64_t a, uint64_t b) { return b ? (a + b - 1) / b : 0; }
}  // namespace

layer_estimate estimate_layer(const nx::layer_desc& l, bool first, bool last, const encoder_config& cfg,
                              const sram_port& sram) {
    layer_estimate e;
    const bool fc = l.type == nx::layer_type::fc;
    e.kind = fc ? "fc" : "conv" + std::to_string(l.kernel) + "x" + std::to_string(l.kernel) + "/s" +
                             std::to_string(l.stride) + (l.groups > 1 ? "/g" + std::to_string(l.groups) : "") +
                             (l.pool ? "+pool" : "");
    e.macs = l.macs();
    // Lanes multiply activations of up to act_bits_per_pass bits; wider inputs are bit-serial.
    e.passes = unsigned(ceil_div(l.in_bits, cfg.act_bits_per_pass));
    const uint64_t lane_rate = uint64_t(cfg.mac_lanes) * cfg.macs_per_lane[l.w_bits];
    e.compute_cycles = ceil_div(e.macs * e.passes, lane_rate);
    if (fc) e.compute_cycles += ceil_div(l.input_elements(), cfg.mac_lanes);  // the sum pool's additions

    e.weight_bits = l.weight_bits() + l.bias_bits();
    e.weight_read_cycles = ceil_div(e.weight_bits, uint64_t(sram.word_bits) * sram.banks);

    // Feature maps stream once through the activation buffer; line buffers give the k x k reuse.
    e.act_read_bits = l.input_elements() * l.in_bits;
    e.act_write_bits = fc ? uint64_t(l.out_c) * 32 : l.output_elements() * l.a_bits;
    e.act_cycles = ceil_div(e.act_read_bits + e.act_write_bits, uint64_t(cfg.act_ports) * cfg.act_port_bits);
    e.act_peak_bits = (first ? 0 : e.act_read_bits) + (last ? 0 : e.act_write_bits);

    e.setup_cycles = cfg.layer_setup_cycles;
    const uint64_t body = std::max({e.compute_cycles, e.weight_read_cycles, e.act_cycles});
    e.cycles = e.setup_cycles + body;
    e.stall_cycles = body - e.compute_cycles;
    e.utilization = e.cycles ? double(e.macs * e.passes) / double(lane_rate * e.cycles) : 0.0;

    const energy_config& en = cfg.energy;
    e.energy_mac_pj = double(e.macs) * (l.in_bits > cfg.act_bits_per_pass ? en.mac_wide_input_pj
                                                                         : en.mac_pj[l.w_bits]);
    e.energy_sram_pj = double(e.weight_bits) * en.sram_read_pj_per_bit;
    const double read_pj = first ? en.io_buffer_pj_per_bit : en.act_buffer_pj_per_bit;
    const double write_pj = last ? en.io_buffer_pj_per_bit : en.act_buffer_pj_per_bit;
    e.energy_act_pj = double(e.act_read_bits) * read_pj + double(e.act_write_bits) * write_pj;
    return e;
}

run_estimate estimate_run(const std::vector<nx::layer_desc>& layers, const encoder_config& cfg, const sram_port& sram) {
    run_estimate r;
    r.start_cycles = cfg.start_cycles;
    r.cycles = r.start_cycles;
    for (std::size_t i = 0; i < layers.size(); ++i) {
        layer_estimate e = estimate_layer(layers[i], i == 0, i + 1 == layers.size(), cfg, sram);
        r.cycles += e.cycles;
        r.macs += e.macs;
        r.act_peak_bits = std::max(r.act_peak_bits, e.act_peak_bits);
        r.dynamic_energy_pj += e.energy_pj();
        r.layers.push_back(std::move(e));
    }
    return r;
}

}  // namespace encvp

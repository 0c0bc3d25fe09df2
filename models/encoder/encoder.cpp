#include "encoder/encoder.h"

#include <cstring>
#include <sstream>

#include "common/report.h"
#include "common/timeline.h"
#include "encvp_regs.h"
#include "regs/encvp_regdefs.h"

namespace encvp {

namespace rd = regdefs::encoder;
namespace rl = regdefs::encoder::layer;

namespace {
uint32_t layer_offset(unsigned i, const regdefs::reg_def& r) { return rl::GROUP.offset + i * rl::GROUP.stride + r.offset; }
std::string layer_name(unsigned i, const regdefs::reg_def& r) { return "LAYER" + std::to_string(i) + "." + r.name; }
const char* error_name(uint32_t code) {
    switch (code) {
    case ENCODER_ERR_BUSY: return "ERR_BUSY";
    case ENCODER_ERR_NUM_LAYERS: return "ERR_NUM_LAYERS";
    case ENCODER_ERR_GEOMETRY: return "ERR_GEOMETRY";
    case ENCODER_ERR_PRECISION: return "ERR_PRECISION";
    case ENCODER_ERR_SRAM_RANGE: return "ERR_SRAM_RANGE";
    case ENCODER_ERR_IN_RANGE: return "ERR_IN_RANGE";
    case ENCODER_ERR_OUT_RANGE: return "ERR_OUT_RANGE";
    case ENCODER_ERR_ACT_BUFFER: return "ERR_ACT_BUFFER";
    case ENCODER_ERR_TASK: return "ERR_TASK";
    default: return "ERR_NONE";
    }
}

// One slice per run and one per layer (stream cycles as arguments) on the encoder's tracks.
void record_run(timeline& tl, const run_estimate& r, double t0, double period_s, bool classify) {
    const unsigned run_track = tl.track("encoder runs", 20), layer_track = tl.track("encoder layers", 21);
    tl.slice(run_track, classify ? "classify" : "compress", t0, t0 + double(r.cycles) * period_s,
             {{"cycles", double(r.cycles)}, {"macs", double(r.macs)}, {"dynamic_energy_pj", r.dynamic_energy_pj}});
    double t = t0 + double(r.start_cycles) * period_s;
    for (std::size_t i = 0; i < r.layers.size(); ++i) {
        const layer_estimate& e = r.layers[i];
        const double t1 = t + double(e.cycles) * period_s;
        tl.slice(layer_track, "L" + std::to_string(i) + " " + e.kind, t, t1,
                 {{"cycles", double(e.cycles)}, {"compute_cycles", double(e.compute_cycles)},
                  {"weight_read_cycles", double(e.weight_read_cycles)}, {"act_cycles", double(e.act_cycles)},
                  {"macs", double(e.macs)}, {"utilization", e.utilization}, {"energy_pj", e.energy_pj()}});
        t = t1;
    }
}
}  // namespace

encoder::layer_regs::layer_regs(unsigned i)
    : in_dim(rl::IN_DIM, layer_offset(i, rl::IN_DIM), layer_name(i, rl::IN_DIM)),
      channels(rl::CHANNELS, layer_offset(i, rl::CHANNELS), layer_name(i, rl::CHANNELS)),
      conv(rl::CONV, layer_offset(i, rl::CONV), layer_name(i, rl::CONV)),
      prec(rl::PREC, layer_offset(i, rl::PREC), layer_name(i, rl::PREC)),
      w_addr(rl::W_ADDR, layer_offset(i, rl::W_ADDR), layer_name(i, rl::W_ADDR)),
      b_addr(rl::B_ADDR, layer_offset(i, rl::B_ADDR), layer_name(i, rl::B_ADDR)) {}

encoder::encoder(const sc_core::sc_module_name& nm, const encoder_config& cfg, weight_sram& sram)
    : peripheral(nm, rd::BLOCK_SIZE),
      irq("irq"),
      busy("busy"),
      id(rd::ID),
      ctrl(rd::CTRL),
      status(rd::STATUS),
      task(rd::TASK),
      num_layers(rd::NUM_LAYERS),
      in_offset(rd::IN_OFFSET),
      out_offset(rd::OUT_OFFSET),
      result(rd::RESULT),
      out_bytes(rd::OUT_BYTES),
      cycles_lo(rd::CYCLES_LO),
      cycles_hi(rd::CYCLES_HI),
      caps(rd::CAPS),
      in_buf_bytes(rd::IN_BUF_BYTES),
      out_buf_bytes(rd::OUT_BUF_BYTES),
      cfg_(cfg),
      sram_(sram),
      in_buf_(rd::IN_BUF.size, 0),
      out_buf_(rd::OUT_BUF.size, 0) {
    if (cfg.mac_lanes == 0 || cfg.act_ports == 0 || cfg.act_port_bits == 0 || cfg.act_bits_per_pass == 0 ||
        cfg.macs_per_lane[1] == 0 || cfg.macs_per_lane[2] == 0 || cfg.macs_per_lane[3] == 0 || !(cfg.clock_hz > 0))
        throw std::invalid_argument(std::string(name()) + ": timing parameters must be positive");
    for (reg32* r : {&id, &ctrl, &status, &task, &num_layers, &in_offset, &out_offset, &result, &out_bytes,
                     &cycles_lo, &cycles_hi, &caps, &in_buf_bytes, &out_buf_bytes})
        add_register(*r);
    for (unsigned i = 0; i < MAX_LAYERS; ++i) {
        layers_.push_back(std::make_unique<layer_regs>(i));
        layer_regs& l = *layers_.back();
        for (reg32* r : {&l.in_dim, &l.channels, &l.conv, &l.prec, &l.w_addr, &l.b_addr}) add_register(*r);
    }
    add_window("in_buf", rd::IN_BUF.offset, rd::IN_BUF.size, in_buf_.data());
    add_window("out_buf", rd::OUT_BUF.offset, rd::OUT_BUF.size, out_buf_.data());

    ctrl.on_write([this](uint32_t now, uint32_t) { write_ctrl(now); });
    status.on_write([this](uint32_t, uint32_t) {
        if (!(status.get() & ENCODER_STATUS_ERR_MASK))
            status.clear_bits(ENCODER_STATUS_ERR_CODE_MASK | ENCODER_STATUS_ERR_LAYER_MASK);
        update_irq();
    });

    SC_THREAD(run_thread);
}

void encoder::update_irq() { update_interrupts(); }

void encoder::drive_interrupts() {
    irq.write((status.get() & (ENCODER_STATUS_DONE_MASK | ENCODER_STATUS_ERR_MASK)) &&
              (ctrl.get() & ENCODER_CTRL_IRQ_EN_MASK));
}

void encoder::fail(uint32_t code, uint32_t layer, const std::string& why) {
    ++errors_;
    status.set_bits(ENCODER_STATUS_ERR_MASK);
    status.set_field(ENCODER_STATUS_ERR_CODE_SHIFT, ENCODER_STATUS_ERR_CODE_WIDTH, code);
    status.set_field(ENCODER_STATUS_ERR_LAYER_SHIFT, ENCODER_STATUS_ERR_LAYER_WIDTH, layer);
    std::ostringstream os;
    os << error_name(code) << ": " << why << " (at " << time_string(sc_core::sc_time_stamp()) << ")";
    report_warning(name(), os.str());
    update_irq();
}

void encoder::write_ctrl(uint32_t now) {
    if (now & ENCODER_CTRL_SOFT_RESET_MASK) {
        ctrl.clear_bits(ENCODER_CTRL_SOFT_RESET_MASK);
        if (!(status.get() & ENCODER_STATUS_BUSY_MASK)) {
            status.set(0);
            result.set(0);
            out_bytes.set(0);
        }
    }
    if (now & ENCODER_CTRL_START_MASK) {
        ctrl.clear_bits(ENCODER_CTRL_START_MASK);
        if (status.get() & ENCODER_STATUS_BUSY_MASK) {
            ++errors_;
            status.set_bits(ENCODER_STATUS_ERR_MASK);
            status.set_field(ENCODER_STATUS_ERR_CODE_SHIFT, ENCODER_STATUS_ERR_CODE_WIDTH, ENCODER_ERR_BUSY);
            report_warning(name(), "ERR_BUSY: CTRL.START written while a run is in progress (ignored) at " +
                                       time_string(access_time()));
        } else {
            status.clear_bits(ENCODER_STATUS_DONE_MASK | ENCODER_STATUS_ERR_MASK | ENCODER_STATUS_ERR_CODE_MASK |
                              ENCODER_STATUS_ERR_LAYER_MASK);
            status.set_bits(ENCODER_STATUS_BUSY_MASK);
            start_.notify(access_time() - sc_core::sc_time_stamp());
        }
    }
    update_irq();
}

bool encoder::decode_descriptors(std::vector<nx::layer_desc>& out, uint32_t& code, uint32_t& bad) {
    const unsigned n = ENCVP_GET(ENCODER_NUM_LAYERS_COUNT, num_layers.get());
    const bool classify = ENCVP_GET(ENCODER_TASK_MODE, task.get()) == ENCODER_TASK_CLASSIFY;
    std::ostringstream why;
    if (n == 0 || n > MAX_LAYERS) {
        code = ENCODER_ERR_NUM_LAYERS;
        bad = 0;
        fail(code, bad, "NUM_LAYERS is " + std::to_string(n) + ", must be 1.." + std::to_string(MAX_LAYERS));
        return false;
    }
    out.clear();
    const uint64_t sram_bits = sram_.geom().size_bits;
    for (unsigned i = 0; i < n; ++i) {
        const layer_regs& r = *layers_[i];
        nx::layer_desc d;
        const uint32_t prec = r.prec.get(), conv = r.conv.get();
        const uint32_t type = ENCVP_GET(ENCODER_LAYER_PREC_TYPE, prec);
        d.type = type == ENCODER_LTYPE_FC ? nx::layer_type::fc : nx::layer_type::conv;
        d.in_h = ENCVP_GET(ENCODER_LAYER_IN_DIM_H, r.in_dim.get());
        d.in_w = ENCVP_GET(ENCODER_LAYER_IN_DIM_W, r.in_dim.get());
        d.in_c = ENCVP_GET(ENCODER_LAYER_CHANNELS_IN, r.channels.get());
        d.out_c = ENCVP_GET(ENCODER_LAYER_CHANNELS_OUT, r.channels.get());
        d.kernel = ENCVP_GET(ENCODER_LAYER_CONV_KERNEL, conv);
        d.stride = ENCVP_GET(ENCODER_LAYER_CONV_STRIDE, conv);
        d.pad = ENCVP_GET(ENCODER_LAYER_CONV_PAD, conv);
        d.groups = ENCVP_GET(ENCODER_LAYER_CONV_GROUPS, conv);
        d.pool = ENCVP_GET(ENCODER_LAYER_CONV_POOL, conv) != 0;
        d.w_bits = ENCVP_GET(ENCODER_LAYER_PREC_WBITS, prec);
        d.in_bits = ENCVP_GET(ENCODER_LAYER_PREC_INBITS, prec);
        d.a_bits = ENCVP_GET(ENCODER_LAYER_PREC_ABITS, prec);
        d.b_bits = ENCVP_GET(ENCODER_LAYER_PREC_BBITS, prec);
        d.shift = ENCVP_GET(ENCODER_LAYER_PREC_SHIFT, prec);
        if (d.type == nx::layer_type::fc) {
            d.kernel = 1, d.stride = 1, d.pad = 0, d.groups = 1, d.pool = false, d.a_bits = 1, d.shift = 0;
        }
        bad = i;
        const std::string where = "layer " + std::to_string(i) + ": ";
        if (type > ENCODER_LTYPE_FC) {
            fail(code = ENCODER_ERR_GEOMETRY, i, where + "PREC.TYPE " + std::to_string(type) + " is not a layer type");
            return false;
        }
        // Precision first, so that its errors are reported as such.
        const bool in_ok = (i == 0) ? d.in_bits == nx::INPUT_BITS : (d.in_bits >= 1 && d.in_bits <= 3);
        if (d.w_bits < 1 || d.w_bits > 3 || !in_ok || d.b_bits < nx::MIN_BIAS_BITS || d.b_bits > nx::MAX_BIAS_BITS ||
            (d.type == nx::layer_type::conv && (d.a_bits < 1 || d.a_bits > 3 || d.shift > nx::MAX_SHIFT))) {
            fail(code = ENCODER_ERR_PRECISION, i,
                 where + "unsupported precision (weights " + std::to_string(d.w_bits) + " bits, input " +
                     std::to_string(d.in_bits) + " bits, activations " + std::to_string(d.a_bits) + " bits, bias " +
                     std::to_string(d.b_bits) + " bits, shift " + std::to_string(d.shift) + ")");
            return false;
        }
        const std::string geom = nx::check_layer(d, i == 0);
        if (!geom.empty()) {
            fail(code = ENCODER_ERR_GEOMETRY, i, where + geom);
            return false;
        }
        if (i > 0) {
            const nx::layer_desc& p = out.back();
            if (d.in_c != p.out_c || d.in_h != p.out_h() || d.in_w != p.out_w() || d.in_bits != p.a_bits) {
                fail(code = ENCODER_ERR_GEOMETRY, i,
                     where + "input " + std::to_string(d.in_c) + "x" + std::to_string(d.in_h) + "x" +
                         std::to_string(d.in_w) + "@" + std::to_string(d.in_bits) + "b does not match layer " +
                         std::to_string(i - 1) + "'s output " + std::to_string(p.out_c) + "x" +
                         std::to_string(p.out_h()) + "x" + std::to_string(p.out_w()) + "@" + std::to_string(p.a_bits) + "b");
                return false;
            }
        }
        const bool last = i + 1 == n;
        if (d.type == nx::layer_type::fc && (!last || !classify || i == 0)) {
            fail(code = ENCODER_ERR_TASK, i, where + "an fc layer is only allowed last, after a conv layer, in a classification run");
            return false;
        }
        if (last && classify && d.type != nx::layer_type::fc) {
            fail(code = ENCODER_ERR_TASK, i, where + "TASK is classify but the last layer is not an fc head");
            return false;
        }
        const uint64_t w0 = uint64_t(r.w_addr.get()) * 32, b0 = uint64_t(r.b_addr.get()) * 32;
        if (w0 + d.weight_bits() > sram_bits || b0 + d.bias_bits() > sram_bits) {
            fail(code = ENCODER_ERR_SRAM_RANGE, i,
                 where + "weights [" + std::to_string(w0) + ", " + std::to_string(w0 + d.weight_bits()) +
                     ") or biases [" + std::to_string(b0) + ", " + std::to_string(b0 + d.bias_bits()) +
                     ") (bits) outside the " + std::to_string(sram_bits) + "-bit weight SRAM");
            return false;
        }
        out.push_back(d);
    }
    const nx::layer_desc& first = out.front();
    const uint64_t in_bytes = first.input_elements();
    if (in_offset.get() > in_buf_.size() || in_bytes > in_buf_.size() - in_offset.get()) {
        fail(code = ENCODER_ERR_IN_RANGE, bad = 0,
             "input tensor of " + std::to_string(in_bytes) + " bytes at IN_OFFSET " + std::to_string(in_offset.get()) +
                 " does not fit the " + std::to_string(in_buf_.size()) + "-byte input buffer");
        return false;
    }
    const nx::layer_desc& last = out.back();
    const uint64_t res_bytes = classify ? 4ull * (last.out_c + 1) : (last.output_elements() * last.a_bits + 7) / 8;
    if (out_offset.get() > out_buf_.size() || res_bytes > out_buf_.size() - out_offset.get()) {
        fail(code = ENCODER_ERR_OUT_RANGE, bad = n - 1,
             "result of " + std::to_string(res_bytes) + " bytes at OUT_OFFSET " + std::to_string(out_offset.get()) +
                 " does not fit the " + std::to_string(out_buf_.size()) + "-byte output buffer");
        return false;
    }
    const sram_port port{sram_.geom().word_bits, sram_.geom().banks};
    for (unsigned i = 0; i < n; ++i) {
        const layer_estimate e = estimate_layer(out[i], i == 0, i + 1 == n, cfg_, port);
        if (e.act_peak_bits > cfg_.act_buffer_bytes * 8) {
            fail(code = ENCODER_ERR_ACT_BUFFER, bad = i,
                 "layer " + std::to_string(i) + ": input and output feature maps need " +
                     std::to_string((e.act_peak_bits + 7) / 8) + " bytes, the activation buffer has " +
                     std::to_string(cfg_.act_buffer_bytes));
            return false;
        }
    }
    return true;
}

void encoder::prepare_network(const std::vector<nx::layer_desc>& layers) {
    // The decoded copy is a simulation shortcut: valid while descriptors and SRAM are unchanged.
    std::vector<uint32_t> key;
    key.push_back(task.get());
    for (std::size_t i = 0; i < layers.size(); ++i) {
        const layer_regs& r = *layers_[i];
        for (const reg32* x : {&r.in_dim, &r.channels, &r.conv, &r.prec, &r.w_addr, &r.b_addr}) key.push_back(x->get());
    }
    if (engine_.loaded() && key == cached_desc_ && cached_generation_ == sram_.generation()) return;

    ++weight_decodes_;
    nx::network net;
    net.shape.in_c = layers.front().in_c;
    net.shape.in_h = layers.front().in_h;
    net.shape.in_w = layers.front().in_w;
    net.shape.classify = layers.back().type == nx::layer_type::fc;
    net.shape.layers = layers;
    bool bad_code = false;
    const uint8_t* mem = sram_.contents();
    for (std::size_t i = 0; i < layers.size(); ++i) {
        const nx::layer_desc& d = layers[i];
        const layer_regs& r = *layers_[i];
        nx::layer_params p;
        p.d = d;
        p.weights.resize(d.n_weights());
        uint64_t bit = uint64_t(r.w_addr.get()) * 32;
        for (uint64_t k = 0; k < d.n_weights(); ++k, bit += d.w_bits)
            p.weights[k] = int8_t(nx::decode_weight(nx::get_bits(mem, bit, d.w_bits), d.w_bits, &bad_code));
        p.bias.resize(d.out_c);
        bit = uint64_t(r.b_addr.get()) * 32;
        for (unsigned c = 0; c < d.out_c; ++c, bit += d.b_bits)
            p.bias[c] = nx::sign_extend(nx::get_bits(mem, bit, d.b_bits), d.b_bits);
        net.layers.push_back(std::move(p));
    }
    engine_.load(net);
    cached_desc_ = std::move(key);
    cached_generation_ = sram_.generation();
    cached_wcode_error_ = bad_code;
    // sram.ecc: words whose errors the ECC detected but could not correct reach the arithmetic as read.
    cached_ecc_error_ = false;
    for (std::size_t i = 0; i < layers.size() && sram_.rel().ecc; ++i) {
        const uint64_t w0 = uint64_t(layers_[i]->w_addr.get()) * 32, b0 = uint64_t(layers_[i]->b_addr.get()) * 32;
        const uint64_t bad = sram_.uncorrectable_words(w0, w0 + layers[i].weight_bits()) +
                             sram_.uncorrectable_words(b0, b0 + layers[i].bias_bits());
        if (bad == 0) continue;
        cached_ecc_error_ = true;
        report_warning(name(), "layer " + std::to_string(i) + ": weights or biases in " + std::to_string(bad) +
                                   " weight-SRAM word(s) with an uncorrectable ECC error (STATUS.ECC_ERR) at " +
                                   time_string(sc_core::sc_time_stamp()));
    }
}

void encoder::run_thread() {
    const sc_core::sc_time period(1.0 / cfg_.clock_hz, sc_core::SC_SEC);
    const sram_port port{sram_.geom().word_bits, sram_.geom().banks};
    std::vector<nx::layer_desc> layers;
    for (;;) {
        sc_core::wait(start_);
        busy.write(true);
        uint32_t code = 0, bad = 0;
        if (!decode_descriptors(layers, code, bad)) {
            status.clear_bits(ENCODER_STATUS_BUSY_MASK);
            busy.write(false);
            update_irq();
            continue;
        }
        const bool classify = layers.back().type == nx::layer_type::fc;
        // Offsets are latched at START: firmware may reprogram them for the next run meanwhile.
        const uint32_t out_off = out_offset.get(), in_off = in_offset.get();
        staged_.clear();
        nx::flags f;
        uint32_t cls = 0;
        if (!cfg_.timing_only) {
            prepare_network(layers);
            engine_.run(in_buf_.data() + in_off, result_);
            f = result_.f;
            f.weight_code_error |= cached_wcode_error_;
            if (classify) {
                staged_.resize(4 * (result_.logits.size() + 1));
                for (std::size_t i = 0; i < result_.logits.size(); ++i) {
                    const uint32_t v = uint32_t(result_.logits[i]);
                    std::memcpy(&staged_[4 * i], &v, 4);
                }
                cls = uint32_t(result_.cls);
                std::memcpy(&staged_[4 * result_.logits.size()], &cls, 4);
            } else {
                staged_ = nx::pack_values(result_.output, layers.back().a_bits);
            }
        } else {
            const nx::layer_desc& last = layers.back();
            staged_.assign(classify ? 4 * (last.out_c + 1) : (last.output_elements() * last.a_bits + 7) / 8, 0);
        }
        last_ = estimate_run(layers, cfg_, port);
        uint64_t sram_bits = 0;
        for (const layer_estimate& e : last_.layers) sram_bits += e.weight_bits;
        sram_.account_read_bits(sram_bits);
        if (timeline* tl = timeline::active())
            record_run(*tl, last_, sc_core::sc_time_stamp().to_seconds(), period.to_seconds(), classify);

        sc_core::wait(period * double(last_.cycles));

        std::memcpy(out_buf_.data() + out_off, staged_.data(), staged_.size());
        result.set(cls);
        out_bytes.set(uint32_t(staged_.size()));
        cycles_lo.set(uint32_t(last_.cycles));
        cycles_hi.set(uint32_t(last_.cycles >> 32));
        if (f.weight_code_error) status.set_bits(ENCODER_STATUS_WCODE_ERR_MASK);
        if (cached_ecc_error_ && !cfg_.timing_only) status.set_bits(ENCODER_STATUS_ECC_ERR_MASK);
        if (f.acc_saturated) status.set_bits(ENCODER_STATUS_ACC_SAT_MASK);
        status.clear_bits(ENCODER_STATUS_BUSY_MASK);
        status.set_bits(ENCODER_STATUS_DONE_MASK);
        ++runs_;
        total_cycles_ += last_.cycles;
        total_macs_ += last_.macs;
        total_energy_pj_ += last_.dynamic_energy_pj;
        busy.write(false);
        update_irq();
    }
}

void encoder::stats(nlohmann::json& out) const {
    peripheral::stats(out);
    out["runs"] = runs_;
    out["errors"] = errors_;
    out["cycles"] = total_cycles_;
    out["macs"] = total_macs_;
    out["weight_decodes"] = weight_decodes_;
    out["dynamic_energy_pj"] = total_energy_pj_;
}

void encoder::reset() {
    peripheral::reset();
    update_irq();
}

}  // namespace encvp

// The mixed-precision CNN encoder: layer-descriptor table, input/output buffers on the bus,
// weights read packed from the weight SRAM, arithmetic from the numerics library, time from the
// timing model. Programming errors set STATUS.ERR with a code and raise the interrupt; they never
// stop the simulation.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/peripheral.h"
#include "encoder/encoder_config.h"
#include "encoder/timing_model.h"
#include "memory/weight_sram.h"
#include "numerics/engine.h"

namespace encvp {

class encoder : public peripheral {
public:
    static constexpr unsigned MAX_LAYERS = 32;

    sc_core::sc_out<bool> irq;
    sc_core::sc_signal<bool> busy;  // for waveforms

    reg32 id;             // block identification
    reg32 ctrl;           // start, interrupt enable, soft reset
    reg32 status;         // busy, done, error, sticky flags, error code and layer
    reg32 task;           // classify or compress
    reg32 num_layers;     // valid descriptors
    reg32 in_offset;      // input tensor offset in the input buffer
    reg32 out_offset;     // result offset in the output buffer
    reg32 result;         // class index of the last run
    reg32 out_bytes;      // bytes written by the last run
    reg32 cycles_lo;      // cycles of the last run, low
    reg32 cycles_hi;      // cycles of the last run, high
    reg32 caps;           // capabilities
    reg32 in_buf_bytes;   // input buffer size
    reg32 out_buf_bytes;  // output buffer size

    struct layer_regs {
        explicit layer_regs(unsigned index);
        reg32 in_dim;    // input height and width
        reg32 channels;  // input and output channels
        reg32 conv;      // kernel, stride, padding, groups, pool
        reg32 prec;      // type, weight/input/activation/bias bits, shift
        reg32 w_addr;    // weight segment (32-bit words)
        reg32 b_addr;    // bias segment (32-bit words)
    };

    SC_HAS_PROCESS(encoder);
    encoder(const sc_core::sc_module_name& nm, const encoder_config& cfg, weight_sram& sram);

    const encoder_config& cfg() const { return cfg_; }
    // Estimates of the last completed run, one per layer.
    const run_estimate& last_run() const { return last_; }
    uint64_t runs() const { return runs_; }

    void stats(nlohmann::json& out) const override;
    void reset() override;

private:
    void write_ctrl(uint32_t now);
    void run_thread();
    // Decodes and checks the descriptors; on error sets *err_code/*err_layer and returns false.
    bool decode_descriptors(std::vector<nx::layer_desc>& out, uint32_t& err_code, uint32_t& err_layer);
    void prepare_network(const std::vector<nx::layer_desc>& layers);
    void fail(uint32_t code, uint32_t layer, const std::string& why);
    void update_irq();
    void drive_interrupts() override;

    encoder_config cfg_;
    weight_sram& sram_;
    std::vector<std::unique_ptr<layer_regs>> layers_;
    std::vector<uint8_t> in_buf_, out_buf_;
    sc_core::sc_event start_;
    sc_core::sc_time start_offset_;

    // Decoded network cache: valid while the descriptors and the SRAM contents are unchanged.
    std::vector<uint32_t> cached_desc_;
    uint64_t cached_generation_ = ~uint64_t(0);
    bool cached_wcode_error_ = false;
    bool cached_ecc_error_ = false;  // the weights came from SRAM words the ECC could not correct
    nx::engine engine_;
    nx::inference_result result_;
    std::vector<uint8_t> staged_;

    run_estimate last_;
    uint64_t runs_ = 0, errors_ = 0, total_cycles_ = 0, total_macs_ = 0, weight_decodes_ = 0;
    double total_energy_pj_ = 0;
};

}  // namespace encvp

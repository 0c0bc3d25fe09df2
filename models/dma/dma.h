// DMA engine: independent channels, each moving a 2-D region (ROWS x ROW_BYTES, with source and
// destination strides) over the system bus in bursts. Done and error interrupts per channel; a bus
// error ends the transfer with an error status and the failing address.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <tlm_utils/simple_initiator_socket.h>

#include "common/peripheral.h"

namespace encvp {

class dma : public peripheral {
public:
    static constexpr unsigned MAX_CHANNELS = 4;

    tlm_utils::simple_initiator_socket<dma> bus;      // data path to the system bus
    sc_core::sc_vector<sc_core::sc_out<bool>> irq;     // one line per channel
    sc_core::sc_vector<sc_core::sc_signal<bool>> busy;  // per channel, for waveforms

    struct config {
        unsigned channels = 2;
        unsigned burst_bytes = 64;
        sc_core::sc_time sync_quantum = sc_core::sc_time(1, sc_core::SC_US);
    };

    reg32 info;        // channel count and burst size
    reg32 irq_status;  // per-channel interrupt requests

    struct channel {
        explicit channel(unsigned index);
        unsigned index;
        reg32 src;         // source address
        reg32 dst;         // destination address
        reg32 row_bytes;   // bytes per row
        reg32 rows;        // number of rows
        reg32 src_stride;  // source step between rows
        reg32 dst_stride;  // destination step between rows
        reg32 ctrl;        // start, interrupt enable
        reg32 status;      // busy, done, error, error code
        reg32 err_addr;    // failing address
        reg32 bytes_done;  // bytes moved by the last transfer
        sc_core::sc_event start;
        uint64_t transfers = 0, bytes = 0, bursts = 0, errors = 0;
        sc_core::sc_time busy_time;
    };

    SC_HAS_PROCESS(dma);
    dma(const sc_core::sc_module_name& nm, const config& cfg);

    unsigned channels() const { return unsigned(ch_.size()); }
    const channel& chan(unsigned i) const { return *ch_[i]; }
    void stats(nlohmann::json& out) const override;
    void reset() override;

private:
    void write_ctrl(channel& c, uint32_t now);
    void write_status(channel& c);
    void run_channel(unsigned i);
    struct outcome {
        uint32_t err_code;
        uint64_t err_addr;
    };
    outcome transfer(channel& c, sc_core::sc_time& local);
    void finish(channel& c, uint32_t err_code, uint64_t err_addr);
    void fail_command(channel& c, uint32_t err_code, const std::string& why);
    void update_irq(channel& c);
    void drive_interrupts() override;

    config cfg_;
    std::vector<std::unique_ptr<channel>> ch_;
};

}  // namespace encvp

// Base of every register-programmed block: one TLM target socket, a register bank built from the
// generated definitions, optional memory windows (buffers inside the block), per-socket tracing
// and access counters.
#pragma once

#include <cstdint>
#include <string>
#include <deque>
#include <vector>

#include <nlohmann/json.hpp>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include "common/register.h"

namespace encvp {

class peripheral : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<peripheral> in;

    SC_HAS_PROCESS(peripheral);
    peripheral(const sc_core::sc_module_name& nm, uint64_t block_size);

    uint64_t block_size() const { return block_size_; }
    void set_access_latency(const sc_core::sc_time& t) { latency_ = t; }
    void set_trace(bool on) { trace_ = on; }
    bool tracing() const { return trace_; }

    // Counters for the run report; subclasses add their own.
    virtual void stats(nlohmann::json& out) const;
    // Back to the reset state (registers and model state).
    virtual void reset();

    const register_bank& bank() const { return regs_; }

protected:
    // Simulated time of the access being decoded (global time plus the initiator's annotated
    // offset): register hooks use it so temporally decoupled initiators see consistent counters.
    sc_core::sc_time access_time() const { return access_time_; }

    struct window {
        std::string name;
        uint64_t offset;
        uint64_t size;
        uint8_t* data;
        uint64_t bytes_read = 0;
        uint64_t bytes_written = 0;
    };

    void add_register(reg32& r) { regs_.add(r); }
    // Adds a byte-addressed buffer at [offset, offset + size) of the block.
    window& add_window(const std::string& name, uint64_t offset, uint64_t size, uint8_t* storage);
    // Interrupt outputs are written by one process only (drive_interrupts, run as a method): code
    // that may change a request level calls update_interrupts().
    void update_interrupts() { irq_event_.notify(sc_core::SC_ZERO_TIME); }
    virtual void drive_interrupts() {}

    // Called after a bus write into a window (e.g. to invalidate cached data).
    virtual void window_written(window& w, uint64_t offset, unsigned len) {
        (void)w; (void)offset; (void)len;
    }

    register_bank regs_;

private:
    void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
    unsigned transport_dbg(tlm::tlm_generic_payload& tx);
    window* find_window(uint64_t offset, uint64_t span);

    uint64_t block_size_;
    sc_core::sc_time latency_;
    bool trace_ = false;
    sc_core::sc_time access_time_;
    sc_core::sc_event irq_event_;
    std::deque<window> windows_;  // deque: add_window hands out stable references
    uint64_t reg_reads_ = 0;
    uint64_t reg_writes_ = 0;
};

}  // namespace encvp

// CPU stub: runs firmware natively in an SC_THREAD. The firmware's HAL (hal_vp.cpp) turns every
// register and memory access into a TLM transaction on the system bus, with temporal decoupling
// (tlm_quantumkeeper) and DMI for memories. "Wait for interrupt" sleeps until the interrupt line
// rises; a registered handler runs when the line is high, like an interrupt on a real core.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

namespace encvp {

class cpu_stub : public sc_core::sc_module {
public:
    tlm_utils::simple_initiator_socket<cpu_stub> bus;
    sc_core::sc_in<bool> irq;

    // Exit codes the stub itself produces (firmware uses 0..127).
    static constexpr int EXIT_WFI_TIMEOUT = 250;
    static constexpr int EXIT_IRQ_STORM = 251;
    static constexpr int EXIT_BUS_FAULT = 254;

    struct config {
        sc_core::sc_time clock_period = sc_core::sc_time(2, sc_core::SC_NS);  // 500 MHz
        unsigned access_cycles = 2;          // core-side cost of one load/store
        sc_core::sc_time quantum = sc_core::sc_time(1, sc_core::SC_US);
        sc_core::sc_time wfi_timeout = sc_core::sc_time(1, sc_core::SC_SEC);
        std::size_t stack_bytes = 1 << 20;   // firmware runs on this SystemC thread stack
        bool use_dmi = true;
        bool stop_on_bus_error = true;       // a real core traps on a bus error
        unsigned irq_storm_limit = 100000;   // handler entries without the line ever dropping
    };

    using firmware_entry = std::function<int(uint32_t boot_arg)>;

    SC_HAS_PROCESS(cpu_stub);
    cpu_stub(const sc_core::sc_module_name& nm, const config& cfg);

    // What the core runs after reset, and the value it finds in its argument register.
    void set_firmware(firmware_entry entry, uint32_t boot_arg);
    // Called by the platform when firmware ended the simulation (EXIT register, watchdog):
    // the core stops at its next bus access.
    void request_halt() { halt_requested_ = true; }
    void set_trace(bool on) { trace_ = on; }
    // Names the interrupt sources behind a high line (e.g. "pending lines 8"), for the storm message.
    void set_irq_describer(std::function<std::string()> f) { irq_describer_ = std::move(f); }

    bool finished() const { return finished_; }
    int exit_code() const { return exit_code_; }
    const std::string& fault() const { return fault_; }

    // HAL back end (called from firmware running on this thread).
    uint32_t read(uint32_t addr, unsigned size);
    void write(uint32_t addr, uint32_t value, unsigned size);
    void wait_for_interrupt();
    uint64_t cycles();
    void delay_cycles(uint64_t n);
    void set_irq_handler(void (*handler)(void)) { handler_ = handler; }
    void irq_enable(bool on);

    // The stub whose thread is running (firmware calls have no other context).
    static cpu_stub* current();

    void stats(nlohmann::json& out) const;

private:
    void run();
    void access(tlm::tlm_command cmd, uint32_t addr, uint8_t* data, unsigned size);
    bool dmi_access(tlm::tlm_command cmd, uint32_t addr, uint8_t* data, unsigned size);
    void after_access();
    void deliver_interrupt();
    [[noreturn]] void halt(int code, const std::string& why);

    config cfg_;
    firmware_entry entry_;
    uint32_t boot_arg_ = 0;
    tlm_utils::tlm_quantumkeeper qk_;
    tlm::tlm_generic_payload tx_;
    std::vector<tlm::tlm_dmi> dmi_;
    void (*handler_)(void) = nullptr;
    bool irq_enabled_ = false;
    bool in_handler_ = false;
    bool halt_requested_ = false;
    bool trace_ = false;
    bool finished_ = false;
    int exit_code_ = 0;
    std::string fault_;
    sc_core::sc_event never_;
    unsigned storm_count_ = 0;
    std::function<std::string()> irq_describer_;

    uint64_t reads_ = 0, writes_ = 0, dmi_accesses_ = 0, bus_errors_ = 0, wfis_ = 0, irqs_taken_ = 0,
             delay_cycles_ = 0;
    sc_core::sc_time wfi_time_;
    sc_core::sc_time busy_since_;  // end of the last wait for interrupt (timeline)

    tlm::tlm_dmi* find_dmi(uint64_t addr, unsigned size, tlm::tlm_command cmd);
    void invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end);
};

}  // namespace encvp

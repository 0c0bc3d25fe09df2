// The SoC: CPU stub, system bus, DRAM, weight SRAM, DMA, interrupt controller, system controller
// and the encoder, wired by the address map of the platform configuration.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <systemc>

#include "bus/system_bus.h"
#include "config.h"
#include "cpu/cpu_stub.h"
#include "dma/dma.h"
#include "common/protocol_checker.h"
#include "encoder/encoder.h"
#include "fault/bus_fault.h"
#include "fault/irq_fault.h"
#include "irq/intc.h"
#include "memory/dram.h"
#include "memory/weight_sram.h"
#include "sysctrl/sysctrl.h"

namespace encvp {

class soc : public sc_core::sc_module {
public:
    explicit soc(const sc_core::sc_module_name& nm, const platform_config& cfg);

    const platform_config& config() const { return cfg_; }

    cpu_stub cpu;
    system_bus bus;
    dram mem;
    weight_sram sram;
    dma dma0;
    intc irqc;
    sysctrl sys;
    encoder enc;

    struct region {
        std::string name;
        uint64_t base;
        uint64_t size;
    };
    std::vector<region> memory_map() const;

    // Host side: bus address -> DRAM backdoor (throws if the range is not in DRAM).
    void dram_write(uint64_t bus_addr, const void* src, uint64_t len);
    void dram_read(uint64_t bus_addr, void* dst, uint64_t len) const;
    void dram_write32(uint64_t bus_addr, uint32_t v);
    uint32_t dram_read32(uint64_t bus_addr) const;

    // Writes the boot block at bus address `at` pointing to the job block at `job`.
    void write_boot_block(uint64_t at, uint64_t job);

    // Waveforms of the interrupt lines and busy signals.
    void trace_signals(sc_core::sc_trace_file* tf);

    nlohmann::json stats() const;

    // TLM-2.0 base-protocol violations seen by the checkers (bus.protocol_check; 0 when off).
    uint64_t protocol_violations() const;

private:
    platform_config cfg_;
    sc_core::sc_signal<bool, sc_core::SC_MANY_WRITERS> cpu_irq_;  // written from several processes
    sc_core::sc_vector<sc_core::sc_signal<bool, sc_core::SC_MANY_WRITERS>> irq_lines_;
    // Optional pass-throughs: protocol checkers on every socket binding, fault injectors.
    std::vector<std::unique_ptr<protocol_checker>> checkers_;
    std::unique_ptr<bus_fault> dma_fault_;
    std::unique_ptr<irq_fault> irq_fault_;
    sc_core::sc_vector<sc_core::sc_signal<bool>> irq_to_intc_;  // irq_fault -> intc
};

}  // namespace encvp

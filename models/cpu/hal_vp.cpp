// The firmware HAL's virtual-platform port: every call lands in the CPU stub whose SystemC thread
// is running the firmware.
#include "hal.h"

#include <stdexcept>

#include "cpu/cpu_stub.h"

namespace {
encvp::cpu_stub& core() {
    encvp::cpu_stub* c = encvp::cpu_stub::current();
    if (c == nullptr) throw std::logic_error("firmware HAL called outside the CPU stub's thread");
    return *c;
}
}  // namespace

extern "C" {

uint32_t hal_read32(uint32_t addr) { return core().read(addr, 4); }
void hal_write32(uint32_t addr, uint32_t value) { core().write(addr, value, 4); }
uint8_t hal_read8(uint32_t addr) { return uint8_t(core().read(addr, 1)); }
void hal_write8(uint32_t addr, uint8_t value) { core().write(addr, value, 1); }
void hal_wait_for_interrupt(void) { core().wait_for_interrupt(); }
void hal_irq_set_handler(hal_irq_handler handler) { core().set_irq_handler(handler); }
void hal_irq_enable(void) { core().irq_enable(true); }
void hal_irq_disable(void) { core().irq_enable(false); }
uint64_t hal_cycles(void) { return core().cycles(); }
void hal_delay_cycles(uint32_t cycles) { core().delay_cycles(cycles); }

}  // extern "C"

/* The firmware HAL on a bare-metal RV32 core (machine mode): volatile MMIO, wfi, the cycle CSR,
 * and the machine external interrupt routed to the registered handler (see start.S). */
#include "hal.h"

static hal_irq_handler g_handler;

uint32_t hal_read32(uint32_t addr) { return *(volatile uint32_t*)(uintptr_t)addr; }
void hal_write32(uint32_t addr, uint32_t value) { *(volatile uint32_t*)(uintptr_t)addr = value; }
uint8_t hal_read8(uint32_t addr) { return *(volatile uint8_t*)(uintptr_t)addr; }
void hal_write8(uint32_t addr, uint8_t value) { *(volatile uint8_t*)(uintptr_t)addr = value; }

void hal_wait_for_interrupt(void) { __asm__ volatile("wfi"); }

void hal_irq_set_handler(hal_irq_handler handler) { g_handler = handler; }

void hal_irq_enable(void) {
    const uint32_t meie = 1u << 11, mie = 1u << 3;
    __asm__ volatile("csrs mie, %0" ::"r"(meie));
    __asm__ volatile("csrs mstatus, %0" ::"r"(mie));
}

void hal_irq_disable(void) {
    const uint32_t mie = 1u << 3;
    __asm__ volatile("csrc mstatus, %0" ::"r"(mie));
}

uint64_t hal_cycles(void) {
    uint32_t hi, lo, hi2;
    do {
        __asm__ volatile("rdcycleh %0" : "=r"(hi));
        __asm__ volatile("rdcycle %0" : "=r"(lo));
        __asm__ volatile("rdcycleh %0" : "=r"(hi2));
    } while (hi != hi2);
    return ((uint64_t)hi << 32) | lo;
}

void hal_delay_cycles(uint32_t cycles) {
    const uint64_t end = hal_cycles() + cycles;
    while (hal_cycles() < end) {
    }
}

/* Called from the trap entry in start.S for machine external interrupts. */
void hal_riscv_external_interrupt(void) {
    if (g_handler) g_handler();
}

/* encvp firmware hardware abstraction layer.
 *
 * The only way firmware touches the SoC. Drivers and apps include this header and nothing
 * platform-specific; a port implements it per environment:
 *   port/vp/     the virtual platform's CPU stub (every access becomes a TLM transaction)
 *   port/riscv/  a bare-metal RISC-V core (volatile MMIO, wfi, the cycle CSR)
 * Addresses are 32-bit bus addresses. No allocation, no stdio. */
#ifndef ENCVP_HAL_H
#define ENCVP_HAL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

uint32_t hal_read32(uint32_t addr);
void hal_write32(uint32_t addr, uint32_t value);
uint8_t hal_read8(uint32_t addr);
void hal_write8(uint32_t addr, uint8_t value);

/* Sleep until the CPU's interrupt line is high (returns at once if it already is). */
void hal_wait_for_interrupt(void);

/* Interrupt delivery: the handler runs when the line is high and interrupts are enabled, with
 * further interrupts masked until it returns. */
typedef void (*hal_irq_handler)(void);
void hal_irq_set_handler(hal_irq_handler handler);
void hal_irq_enable(void);
void hal_irq_disable(void);

/* The CPU's own cycle counter (time as the core sees it). */
uint64_t hal_cycles(void);

/* Accounts for firmware computation that does not touch the bus (models CPU time). */
void hal_delay_cycles(uint32_t cycles);

#ifdef __cplusplus
}
#endif

#endif /* ENCVP_HAL_H */

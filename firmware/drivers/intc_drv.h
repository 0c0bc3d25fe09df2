/* Interrupt controller driver: per-line handlers and the CPU's interrupt entry point. */
#ifndef ENCVP_INTC_DRV_H
#define ENCVP_INTC_DRV_H

#include <stdint.h>

#include "encvp_regs.h"

typedef void (*intc_handler)(void* ctx);

typedef struct {
    uint32_t base;
    intc_handler handlers[INTC_NUM_LINES];
    void* ctx[INTC_NUM_LINES];
    uint32_t spurious; /* entries with no active line */
} intc_dev;

/* Masks every line, clears pending, installs intc_dispatch as the CPU's interrupt handler and
 * enables interrupts at the core. One instance per system (the core has one interrupt line). */
void intc_init(intc_dev* dev, uint32_t base);
void intc_attach(intc_dev* dev, unsigned line, intc_handler fn, void* ctx);
void intc_enable(intc_dev* dev, unsigned line);
void intc_disable(intc_dev* dev, unsigned line);
uint32_t intc_pending(const intc_dev* dev);
/* The CPU interrupt handler: runs the handler of each active line, then acknowledges it. */
void intc_dispatch(void);

#endif

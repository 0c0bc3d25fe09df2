#include "intc_drv.h"

#include "hal.h"

static intc_dev* g_intc; /* the one controller wired to the core's interrupt input */

void intc_init(intc_dev* dev, uint32_t base) {
    unsigned i;
    dev->base = base;
    dev->spurious = 0u;
    for (i = 0; i < INTC_NUM_LINES; ++i) {
        dev->handlers[i] = 0;
        dev->ctx[i] = 0;
    }
    hal_write32(base + INTC_ENABLE, 0u);
    hal_write32(base + INTC_ACK, 0xFFFFFFFFu);
    g_intc = dev;
    hal_irq_set_handler(intc_dispatch);
    hal_irq_enable();
}

void intc_attach(intc_dev* dev, unsigned line, intc_handler fn, void* ctx) {
    if (line >= INTC_NUM_LINES) return;
    dev->handlers[line] = fn;
    dev->ctx[line] = ctx;
}

void intc_enable(intc_dev* dev, unsigned line) {
    if (line >= INTC_NUM_LINES) return;
    hal_write32(dev->base + INTC_ENABLE, hal_read32(dev->base + INTC_ENABLE) | (1u << line));
}

void intc_disable(intc_dev* dev, unsigned line) {
    if (line >= INTC_NUM_LINES) return;
    hal_write32(dev->base + INTC_ENABLE, hal_read32(dev->base + INTC_ENABLE) & ~(1u << line));
}

uint32_t intc_pending(const intc_dev* dev) { return hal_read32(dev->base + INTC_PENDING); }

void intc_dispatch(void) {
    intc_dev* dev = g_intc;
    uint32_t active;
    unsigned line;
    if (dev == 0) return;
    active = hal_read32(dev->base + INTC_ACTIVE);
    if (active == 0u) {
        dev->spurious++;
        return;
    }
    for (line = 0; line < INTC_NUM_LINES; ++line) {
        if (!(active & (1u << line))) continue;
        /* The handler clears the cause at the peripheral, which drops the (level) line; the
         * acknowledge clears a software-forced bit. */
        if (dev->handlers[line]) dev->handlers[line](dev->ctx[line]);
        hal_write32(dev->base + INTC_ACK, 1u << line);
    }
}

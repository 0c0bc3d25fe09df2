/* DMA driver: 1-D and 2-D transfers on independent channels, completion by interrupt. */
#ifndef ENCVP_DMA_DRV_H
#define ENCVP_DMA_DRV_H

#include <stdint.h>

#include "intc_drv.h"

#define DMA_DRV_MAX_CHANNELS 4

typedef struct {
    uint32_t src, dst;
    uint32_t row_bytes, rows;
    uint32_t src_stride, dst_stride;
} dma_xfer;

typedef struct dma_dev dma_dev;

typedef struct {
    dma_dev* dev;
    unsigned index;
    volatile uint32_t done;   /* set by the interrupt handler */
    volatile uint32_t status; /* STATUS register captured by the handler */
} dma_channel;

struct dma_dev {
    uint32_t base;
    unsigned channels;
    uint32_t burst_bytes;
    dma_channel ch[DMA_DRV_MAX_CHANNELS];
};

/* Reads the DMA's INFO register; attaches the channel interrupts to the controller when intc is
 * non-null (completion by interrupt), else channels are polled. Returns -1 if INFO looks wrong. */
int dma_init(dma_dev* dev, uint32_t base, intc_dev* intc);
/* Programs and starts a transfer; returns 0, or -1 if the channel does not exist or is busy. */
int dma_start(dma_dev* dev, unsigned ch, const dma_xfer* x);
/* Waits for the channel to finish (sleeping until interrupts); returns 0 on success, else the
 * channel's error code (DMA_ERR_*). */
int dma_wait(dma_dev* dev, unsigned ch);
/* Non-blocking: 1 if the last transfer on ch has ended. */
int dma_done(dma_dev* dev, unsigned ch);
/* Convenience: start + wait. */
int dma_copy(dma_dev* dev, unsigned ch, const dma_xfer* x);
uint32_t dma_error_address(const dma_dev* dev, unsigned ch);

#endif

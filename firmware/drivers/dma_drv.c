#include "dma_drv.h"

#include "encvp_regs.h"
#include "hal.h"

static void dma_isr(void* ctx) {
    dma_channel* c = (dma_channel*)ctx;
    uint32_t reg = c->dev->base + DMA_CH_STATUS(c->index);
    uint32_t st = hal_read32(reg);
    if (!(st & (DMA_CH_STATUS_DONE_MASK | DMA_CH_STATUS_ERR_MASK))) return; /* not this channel's cause */
    c->status = st;
    c->done = 1u;
    /* Clearing DONE/ERR drops the channel's interrupt request. */
    hal_write32(reg, st & (DMA_CH_STATUS_DONE_MASK | DMA_CH_STATUS_ERR_MASK));
}

int dma_init(dma_dev* dev, uint32_t base, intc_dev* intc) {
    uint32_t info = hal_read32(base + DMA_INFO);
    unsigned i;
    dev->base = base;
    dev->channels = ENCVP_GET(DMA_INFO_CHANNELS, info);
    dev->burst_bytes = ENCVP_GET(DMA_INFO_BURST_BYTES, info);
    if (dev->channels == 0u || dev->channels > DMA_DRV_MAX_CHANNELS) return -1;
    for (i = 0; i < dev->channels; ++i) {
        dma_channel* c = &dev->ch[i];
        c->dev = dev;
        c->index = i;
        c->done = 0u;
        c->status = 0u;
        hal_write32(base + DMA_CH_STATUS(i), DMA_CH_STATUS_DONE_MASK | DMA_CH_STATUS_ERR_MASK);
        if (intc) {
            intc_attach(intc, INTC_IRQ_DMA_CH0 + i, dma_isr, c);
            intc_enable(intc, INTC_IRQ_DMA_CH0 + i);
            hal_write32(base + DMA_CH_CTRL(i), DMA_CH_CTRL_IRQ_EN_MASK);
        } else {
            hal_write32(base + DMA_CH_CTRL(i), 0u);
        }
    }
    return 0;
}

int dma_start(dma_dev* dev, unsigned ch, const dma_xfer* x) {
    uint32_t b = dev->base, ctrl;
    if (ch >= dev->channels) return -1;
    if (hal_read32(b + DMA_CH_STATUS(ch)) & DMA_CH_STATUS_BUSY_MASK) return -1;
    dev->ch[ch].done = 0u;
    dev->ch[ch].status = 0u;
    hal_write32(b + DMA_CH_SRC(ch), x->src);
    hal_write32(b + DMA_CH_DST(ch), x->dst);
    hal_write32(b + DMA_CH_ROW_BYTES(ch), x->row_bytes);
    hal_write32(b + DMA_CH_ROWS(ch), x->rows);
    hal_write32(b + DMA_CH_SRC_STRIDE(ch), x->src_stride);
    hal_write32(b + DMA_CH_DST_STRIDE(ch), x->dst_stride);
    ctrl = hal_read32(b + DMA_CH_CTRL(ch)) & DMA_CH_CTRL_IRQ_EN_MASK;
    hal_write32(b + DMA_CH_CTRL(ch), ctrl | DMA_CH_CTRL_START_MASK);
    return 0;
}

int dma_done(dma_dev* dev, unsigned ch) {
    uint32_t b = dev->base, st;
    if (ch >= dev->channels) return 1;
    if (hal_read32(b + DMA_CH_CTRL(ch)) & DMA_CH_CTRL_IRQ_EN_MASK) return dev->ch[ch].done != 0u;
    st = hal_read32(b + DMA_CH_STATUS(ch));
    if (st & (DMA_CH_STATUS_DONE_MASK | DMA_CH_STATUS_ERR_MASK)) {
        dev->ch[ch].status = st;
        dev->ch[ch].done = 1u;
        hal_write32(b + DMA_CH_STATUS(ch), st & (DMA_CH_STATUS_DONE_MASK | DMA_CH_STATUS_ERR_MASK));
        return 1;
    }
    return 0;
}

int dma_wait(dma_dev* dev, unsigned ch) {
    uint32_t st;
    if (ch >= dev->channels) return (int)DMA_ERR_CONFIG;
    if (hal_read32(dev->base + DMA_CH_CTRL(ch)) & DMA_CH_CTRL_IRQ_EN_MASK) {
        while (!dev->ch[ch].done) hal_wait_for_interrupt();
    } else {
        while (!dma_done(dev, ch)) {
        }
    }
    st = dev->ch[ch].status;
    if (st & DMA_CH_STATUS_ERR_MASK) return (int)ENCVP_GET(DMA_CH_STATUS_ERR_CODE, st);
    return 0;
}

int dma_copy(dma_dev* dev, unsigned ch, const dma_xfer* x) {
    if (dma_start(dev, ch, x) != 0) return (int)DMA_ERR_BUSY;
    return dma_wait(dev, ch);
}

uint32_t dma_error_address(const dma_dev* dev, unsigned ch) {
    return hal_read32(dev->base + DMA_CH_ERR_ADDR(ch));
}

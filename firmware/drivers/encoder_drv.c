#include "encoder_drv.h"

#include "encvp_netimg.h"
#include "encvp_regs.h"
#include "hal.h"

static void encoder_isr(void* ctx) {
    encoder_dev* dev = (encoder_dev*)ctx;
    uint32_t st = hal_read32(dev->base + ENCODER_STATUS);
    if (!(st & (ENCODER_STATUS_DONE_MASK | ENCODER_STATUS_ERR_MASK))) return; /* no cause: spurious */
    dev->status = st;
    dev->done = 1u;
    hal_write32(dev->base + ENCODER_STATUS, st & (ENCODER_STATUS_DONE_MASK | ENCODER_STATUS_ERR_MASK));
}

int encoder_init(encoder_dev* dev, uint32_t base, intc_dev* intc) {
    dev->base = base;
    dev->done = 0u;
    dev->status = 0u;
    dev->task = dev->num_layers = dev->in_bytes = dev->out_bytes = dev->num_classes = dev->code_bits = 0u;
    if (hal_read32(base + ENCODER_ID) != ENCODER_ID_RESET) return ENC_E_ID;
    hal_write32(base + ENCODER_CTRL, ENCODER_CTRL_SOFT_RESET_MASK);
    intc_attach(intc, INTC_IRQ_ENCODER, encoder_isr, dev);
    intc_enable(intc, INTC_IRQ_ENCODER);
    hal_write32(base + ENCODER_CTRL, ENCODER_CTRL_IRQ_EN_MASK);
    return ENC_OK;
}

int encoder_load(encoder_dev* dev, dma_dev* dma, unsigned ch, uint32_t img, uint32_t sram_base,
                 uint32_t sram_bytes) {
    uint32_t caps = hal_read32(dev->base + ENCODER_CAPS);
    uint32_t n, sram_len, i;
    dma_xfer x;
    if (hal_read32(img + NETIMG_MAGIC) != NETIMG_MAGIC_VALUE ||
        hal_read32(img + NETIMG_VERSION) != NETIMG_VERSION_VALUE)
        return ENC_E_IMAGE;
    n = hal_read32(img + NETIMG_NUM_LAYERS);
    if (n == 0u || n > ENCVP_GET(ENCODER_CAPS_MAX_LAYERS, caps)) return ENC_E_CAPS;
    sram_len = hal_read32(img + NETIMG_SRAM_BYTES);
    if (sram_len > sram_bytes) return ENC_E_SRAM;

    /* Check every layer's precision against what this encoder instance supports. */
    for (i = 0; i < n; ++i) {
        uint32_t prec = hal_read32(img + NETIMG_DESC + 4u * (i * NETIMG_DESC_WORDS + NETIMG_DESC_PREC));
        uint32_t wb = ENCVP_GET(ENCODER_LAYER_PREC_WBITS, prec);
        uint32_t ab = ENCVP_GET(ENCODER_LAYER_PREC_ABITS, prec);
        uint32_t type = ENCVP_GET(ENCODER_LAYER_PREC_TYPE, prec);
        if (wb == 0u || !(ENCVP_GET(ENCODER_CAPS_WBITS, caps) & (1u << (wb - 1u)))) return ENC_E_CAPS;
        if (type == ENCODER_LTYPE_CONV && (ab == 0u || !(ENCVP_GET(ENCODER_CAPS_ABITS, caps) & (1u << ab))))
            return ENC_E_CAPS;
    }

    /* Weights: one 1-D DMA transfer of the packed weight image into the SRAM. */
    if (sram_len > 0u) {
        x.src = img + hal_read32(img + NETIMG_SRAM_OFFSET);
        x.dst = sram_base;
        x.row_bytes = sram_len;
        x.rows = 1u;
        x.src_stride = x.dst_stride = 0u;
        if (dma_copy(dma, ch, &x) != 0) return ENC_E_DMA;
    }

    /* Descriptors: this is where precision is reconfigured, layer by layer. */
    for (i = 0; i < n; ++i) {
        uint32_t d = img + NETIMG_DESC + 4u * i * NETIMG_DESC_WORDS;
        hal_write32(dev->base + ENCODER_LAYER_IN_DIM(i), hal_read32(d + 4u * NETIMG_DESC_IN_DIM));
        hal_write32(dev->base + ENCODER_LAYER_CHANNELS(i), hal_read32(d + 4u * NETIMG_DESC_CHANNELS));
        hal_write32(dev->base + ENCODER_LAYER_CONV(i), hal_read32(d + 4u * NETIMG_DESC_CONV));
        hal_write32(dev->base + ENCODER_LAYER_PREC(i), hal_read32(d + 4u * NETIMG_DESC_PREC));
        hal_write32(dev->base + ENCODER_LAYER_W_ADDR(i), hal_read32(d + 4u * NETIMG_DESC_W_ADDR));
        hal_write32(dev->base + ENCODER_LAYER_B_ADDR(i), hal_read32(d + 4u * NETIMG_DESC_B_ADDR));
    }
    dev->task = hal_read32(img + NETIMG_TASK);
    dev->num_layers = n;
    dev->in_bytes = hal_read32(img + NETIMG_IN_C) * hal_read32(img + NETIMG_IN_H) * hal_read32(img + NETIMG_IN_W);
    dev->out_bytes = hal_read32(img + NETIMG_OUT_BYTES);
    dev->num_classes = hal_read32(img + NETIMG_NUM_CLASSES);
    dev->code_bits = hal_read32(img + NETIMG_CODE_BITS);
    hal_write32(dev->base + ENCODER_TASK, dev->task);
    hal_write32(dev->base + ENCODER_NUM_LAYERS, n);
    return ENC_OK;
}

void encoder_start(encoder_dev* dev, uint32_t in_offset, uint32_t out_offset) {
    dev->done = 0u;
    dev->status = 0u;
    hal_write32(dev->base + ENCODER_IN_OFFSET, in_offset);
    hal_write32(dev->base + ENCODER_OUT_OFFSET, out_offset);
    hal_write32(dev->base + ENCODER_CTRL, ENCODER_CTRL_IRQ_EN_MASK | ENCODER_CTRL_START_MASK);
}

int encoder_wait(encoder_dev* dev) {
    while (!dev->done) hal_wait_for_interrupt();
    return (dev->status & ENCODER_STATUS_ERR_MASK) ? ENC_E_RUN : ENC_OK;
}

uint32_t encoder_class(const encoder_dev* dev) { return hal_read32(dev->base + ENCODER_RESULT); }
uint32_t encoder_cycles(const encoder_dev* dev) { return hal_read32(dev->base + ENCODER_CYCLES_LO); }
uint32_t encoder_error_code(const encoder_dev* dev) { return ENCVP_GET(ENCODER_STATUS_ERR_CODE, dev->status); }
uint32_t encoder_error_layer(const encoder_dev* dev) { return ENCVP_GET(ENCODER_STATUS_ERR_LAYER, dev->status); }
uint32_t encoder_flags(const encoder_dev* dev) {
    return hal_read32(dev->base + ENCODER_STATUS) &
           (ENCODER_STATUS_WCODE_ERR_MASK | ENCODER_STATUS_ACC_SAT_MASK | ENCODER_STATUS_ECC_ERR_MASK);
}
uint32_t encoder_in_buffer(const encoder_dev* dev) { return dev->base + ENCODER_IN_BUF; }
uint32_t encoder_out_buffer(const encoder_dev* dev) { return dev->base + ENCODER_OUT_BUF; }

/* Batch inference job (classification, verification): load the network, then stream inputs through
 * the encoder, double-buffered:
 * while the encoder classifies image i from one half of its input buffer, DMA channel 0 brings
 * image i+1 into the other half; DMA channel 1 copies each result out to DRAM. */
#include "encvp_boot.h"
#include "encvp_regs.h"
#include "firmware.h"
#include "hal.h"

#define CH_IN 0u
#define CH_OUT 1u

static void put_error(const sysctrl_dev* con, const char* what, uint32_t code) {
    sysctrl_puts(con, "infer: ");
    sysctrl_puts(con, what);
    sysctrl_puts(con, " (");
    sysctrl_put_u32(con, code);
    sysctrl_puts(con, ")\n");
}

static int fetch_image(fw_system* sys, uint32_t src, uint32_t slot_addr, uint32_t bytes) {
    dma_xfer x;
    x.src = src;
    x.dst = slot_addr;
    x.row_bytes = bytes;
    x.rows = 1u;
    x.src_stride = x.dst_stride = 0u;
    return dma_start(&sys->dma, CH_IN, &x);
}

/* Classifies `count` images of the current batch; returns JOB_OK or an error. */
static uint32_t infer_batch(fw_system* sys, uint32_t count, uint32_t* total) {
    encoder_dev* enc = &sys->enc;
    const sysctrl_dev* con = &sys->sys;
    const uint32_t images = job_get(sys, INFER_INPUTS);
    const uint32_t istride = job_get(sys, INFER_INPUT_STRIDE);
    const uint32_t results = job_get(sys, INFER_RESULTS);
    const uint32_t rstride = job_get(sys, INFER_RESULT_STRIDE);
    const uint32_t in_buf = encoder_in_buffer(enc), out_buf = encoder_out_buffer(enc);
    const uint32_t in_slot = (hal_read32(enc->base + ENCODER_IN_BUF_BYTES) / 2u) & ~63u;
    const uint32_t out_slot = (hal_read32(enc->base + ENCODER_OUT_BUF_BYTES) / 2u) & ~63u;
    uint32_t i, cur = 0u;
    int err;

    if (count == 0u) return JOB_OK;
    if (enc->in_bytes > in_slot || enc->out_bytes > out_slot || rstride < RESULT_OUTPUT + enc->out_bytes) {
        put_error(con, "image or result does not fit its buffer slot", enc->in_bytes);
        return JOB_ERR_PARAMS;
    }
    if (fetch_image(sys, images, in_buf, enc->in_bytes) != 0 || dma_wait(&sys->dma, CH_IN) != 0) {
        put_error(con, "input DMA failed", dma_error_address(&sys->dma, CH_IN));
        return JOB_ERR_DMA;
    }
    for (i = 0; i < count; ++i) {
        const uint32_t rec = results + i * rstride;
        encoder_start(enc, cur * in_slot, cur * out_slot);
        /* Overlap: bring the next image in while this one is classified. */
        if (i + 1u < count && fetch_image(sys, images + (i + 1u) * istride, in_buf + (1u - cur) * in_slot,
                                          enc->in_bytes) != 0) {
            put_error(con, "input DMA busy", i + 1u);
            return JOB_ERR_DMA;
        }
        err = encoder_wait(enc);
        if (err != ENC_OK) {
            hal_write32(rec + RESULT_STATUS, encoder_error_code(enc) | (encoder_error_layer(enc) << 8));
            put_error(con, "encoder reported an error, code", encoder_error_code(enc));
            job_set(sys, JOB_DETAIL, *total + i);
            return JOB_ERR_ENCODER;
        }
        hal_write32(rec + RESULT_STATUS, 0u);
        hal_write32(rec + RESULT_CYCLES, encoder_cycles(enc));
        {
            dma_xfer x;
            x.src = out_buf + cur * out_slot;
            x.dst = rec + RESULT_OUTPUT;
            x.row_bytes = enc->out_bytes;
            x.rows = 1u;
            x.src_stride = x.dst_stride = 0u;
            if (dma_copy(&sys->dma, CH_OUT, &x) != 0) {
                put_error(con, "result DMA failed", dma_error_address(&sys->dma, CH_OUT));
                return JOB_ERR_DMA;
            }
        }
        if (i + 1u < count && dma_wait(&sys->dma, CH_IN) != 0) {
            put_error(con, "input DMA failed", dma_error_address(&sys->dma, CH_IN));
            return JOB_ERR_DMA;
        }
        cur = 1u - cur;
    }
    *total += count;
    return JOB_OK;
}

uint32_t app_infer(fw_system* sys) {
    const sysctrl_dev* con = &sys->sys;
    uint32_t count = job_get(sys, INFER_BATCH_COUNT), total = 0u, status;
    int err;

    err = encoder_init(&sys->enc, sys->encoder_base, &sys->intc);
    if (err != ENC_OK) {
        put_error(con, "encoder not found", (uint32_t)-err);
        return JOB_ERR_ENCODER;
    }
    err = encoder_load(&sys->enc, &sys->dma, CH_IN, job_get(sys, INFER_NETIMG), sys->sram_base, sys->sram_bytes);
    if (err != ENC_OK) {
        put_error(con, "network load failed", (uint32_t)-err);
        job_set(sys, JOB_DETAIL, (uint32_t)-err);
        return JOB_ERR_ENCODER;
    }
    for (;;) {
        status = infer_batch(sys, count, &total);
        job_set(sys, INFER_DONE, total);
        if (status != JOB_OK) return status;
        count = fw_host_call(sys, HOST_REQ_BATCH_DONE);
        if (count == 0u) break;
    }
    return JOB_OK;
}

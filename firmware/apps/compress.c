/* Compression job: walk the frame band by band; cut each 16x16 (P x P) patch out of the planar
 * band with 2-D DMA (one transfer per colour plane) into one half of the encoder's input buffer
 * while the encoder encodes the previous patch from the other half; DMA each code out. */
#include "encvp_boot.h"
#include "encvp_regs.h"
#include "firmware.h"
#include "hal.h"

#define CH_IN 0u
#define CH_OUT 1u
#define PLANES 3u

static void put_error(const sysctrl_dev* con, const char* what, uint32_t code) {
    sysctrl_puts(con, "compress: ");
    sysctrl_puts(con, what);
    sysctrl_puts(con, " (");
    sysctrl_put_u32(con, code);
    sysctrl_puts(con, ")\n");
}

/* Copies patch `col` of the band into the input buffer at `dst`: one 2-D transfer per plane. */
static int fetch_patch(fw_system* sys, uint32_t band, uint32_t width, uint32_t p, uint32_t col, uint32_t dst) {
    uint32_t c;
    for (c = 0; c < PLANES; ++c) {
        dma_xfer x;
        x.src = band + c * p * width + col * p;
        x.dst = dst + c * p * p;
        x.row_bytes = p;
        x.rows = p;
        x.src_stride = width;
        x.dst_stride = p;
        if (dma_copy(&sys->dma, CH_IN, &x) != 0) return -1;
    }
    return 0;
}

static uint32_t compress_band(fw_system* sys, uint32_t* done) {
    encoder_dev* enc = &sys->enc;
    const sysctrl_dev* con = &sys->sys;
    const uint32_t band = job_get(sys, COMPRESS_BAND), width = job_get(sys, COMPRESS_WIDTH);
    const uint32_t p = job_get(sys, COMPRESS_PATCH);
    const uint32_t codes = job_get(sys, COMPRESS_CODES), stride = job_get(sys, COMPRESS_CODE_STRIDE);
    const uint32_t in_buf = encoder_in_buffer(enc), out_buf = encoder_out_buffer(enc);
    const uint32_t in_slot = (hal_read32(enc->base + ENCODER_IN_BUF_BYTES) / 2u) & ~63u;
    const uint32_t out_slot = (hal_read32(enc->base + ENCODER_OUT_BUF_BYTES) / 2u) & ~63u;
    const uint32_t cols = p ? width / p : 0u;
    uint32_t j, cur = 0u;

    if (p == 0u || width % p != 0u || PLANES * p * p != enc->in_bytes || enc->in_bytes > in_slot ||
        enc->out_bytes > out_slot || stride < enc->out_bytes) {
        put_error(con, "band geometry does not match the network", p);
        return JOB_ERR_PARAMS;
    }
    if (fetch_patch(sys, band, width, p, 0u, in_buf) != 0) {
        put_error(con, "patch DMA failed at", dma_error_address(&sys->dma, CH_IN));
        return JOB_ERR_DMA;
    }
    for (j = 0; j < cols; ++j) {
        dma_xfer x;
        encoder_start(enc, cur * in_slot, cur * out_slot);
        /* The next patch moves while this one is encoded. */
        if (j + 1u < cols && fetch_patch(sys, band, width, p, j + 1u, in_buf + (1u - cur) * in_slot) != 0) {
            put_error(con, "patch DMA failed at", dma_error_address(&sys->dma, CH_IN));
            return JOB_ERR_DMA;
        }
        if (encoder_wait(enc) != ENC_OK) {
            put_error(con, "encoder reported an error, code", encoder_error_code(enc));
            job_set(sys, JOB_DETAIL, encoder_error_code(enc) | (encoder_error_layer(enc) << 8));
            return JOB_ERR_ENCODER;
        }
        x.src = out_buf + cur * out_slot;
        x.dst = codes + j * stride;
        x.row_bytes = enc->out_bytes;
        x.rows = 1u;
        x.src_stride = x.dst_stride = 0u;
        if (dma_copy(&sys->dma, CH_OUT, &x) != 0) {
            put_error(con, "code DMA failed at", dma_error_address(&sys->dma, CH_OUT));
            return JOB_ERR_DMA;
        }
        cur = 1u - cur;
    }
    *done += cols;
    job_set(sys, COMPRESS_ENC_CYCLES, encoder_cycles(enc));
    return JOB_OK;
}

uint32_t app_compress(fw_system* sys) {
    const sysctrl_dev* con = &sys->sys;
    uint32_t done = 0u, status;
    int err = encoder_init(&sys->enc, sys->encoder_base, &sys->intc);
    if (err != ENC_OK) {
        put_error(con, "encoder not found", (uint32_t)-err);
        return JOB_ERR_ENCODER;
    }
    err = encoder_load(&sys->enc, &sys->dma, CH_IN, job_get(sys, COMPRESS_NETIMG), sys->sram_base, sys->sram_bytes);
    if (err != ENC_OK) {
        put_error(con, "network load failed", (uint32_t)-err);
        job_set(sys, JOB_DETAIL, (uint32_t)-err);
        return JOB_ERR_ENCODER;
    }
    if (sys->enc.task != ENCODER_TASK_COMPRESS) {
        put_error(con, "the network image is not a compression network, task", sys->enc.task);
        return JOB_ERR_PARAMS;
    }
    for (;;) {
        status = compress_band(sys, &done);
        job_set(sys, COMPRESS_PATCHES_DONE, done);
        if (status != JOB_OK) return status;
        if (fw_host_call(sys, HOST_REQ_BATCH_DONE) == 0u) break;
    }
    return JOB_OK;
}

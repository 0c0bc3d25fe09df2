/* Demo job: cut a 2-D region out of a frame in DRAM with one strided DMA transfer, wait for the
 * completion interrupt, check every byte against the source with CPU reads, report. */
#include "encvp_boot.h"
#include "encvp_regs.h"
#include "firmware.h"
#include "hal.h"

uint32_t app_demo(fw_system* sys) {
    const sysctrl_dev* con = &sys->sys;
    uint32_t frame = job_get(sys, DEMO_FRAME);
    uint32_t pitch = job_get(sys, DEMO_PITCH);
    uint32_t x = job_get(sys, DEMO_X), y = job_get(sys, DEMO_Y);
    uint32_t w = job_get(sys, DEMO_WIDTH), h = job_get(sys, DEMO_HEIGHT);
    uint32_t dst = job_get(sys, DEMO_DST);
    dma_xfer xf;
    uint64_t t0, t1;
    uint32_t r, c, sum = 0u, mismatches = 0u;
    int err;

    sysctrl_puts(con, "demo: copying a ");
    sysctrl_put_u32(con, w);
    sysctrl_putc(con, 'x');
    sysctrl_put_u32(con, h);
    sysctrl_puts(con, " region at (");
    sysctrl_put_u32(con, x);
    sysctrl_puts(con, ", ");
    sysctrl_put_u32(con, y);
    sysctrl_puts(con, ") by 2-D DMA\n");

    xf.src = frame + y * pitch + x;
    xf.dst = dst;
    xf.row_bytes = w;
    xf.rows = h;
    xf.src_stride = pitch;
    xf.dst_stride = w;
    t0 = sysctrl_cycles(con);
    err = dma_copy(&sys->dma, 0, &xf);
    t1 = sysctrl_cycles(con);
    if (err != 0) {
        sysctrl_puts(con, "demo: DMA failed with error ");
        sysctrl_put_u32(con, (uint32_t)err);
        sysctrl_puts(con, " at ");
        sysctrl_put_hex(con, dma_error_address(&sys->dma, 0));
        sysctrl_putc(con, '\n');
        job_set(sys, JOB_DETAIL, (uint32_t)err);
        return JOB_ERR_DMA;
    }

    for (r = 0; r < h; ++r) {
        for (c = 0; c < w; ++c) {
            uint8_t a = hal_read8(frame + (y + r) * pitch + x + c);
            uint8_t b = hal_read8(dst + r * w + c);
            sum += b;
            if (a != b) mismatches++;
        }
    }
    job_set(sys, DEMO_CHECKSUM, sum);
    job_set(sys, DEMO_CYCLES, (uint32_t)(t1 - t0));
    sysctrl_puts(con, "demo: transfer took ");
    sysctrl_put_u32(con, (uint32_t)(t1 - t0));
    sysctrl_puts(con, " cycles, checksum ");
    sysctrl_put_u32(con, sum);
    sysctrl_puts(con, mismatches ? ", MISMATCH\n" : ", verified\n");
    if (mismatches) {
        job_set(sys, JOB_DETAIL, mismatches);
        return JOB_ERR_VERIFY;
    }
    return JOB_OK;
}

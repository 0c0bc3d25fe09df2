/* Firmware main: validate the boot block, bring up the drivers, run the job, exit. */
#include "firmware.h"

#include "encvp_boot.h"
#include "encvp_regs.h"
#include "hal.h"

static fw_system g_sys; /* static: a real core's .bss, not the (small) stack */

uint32_t job_get(const fw_system* sys, uint32_t offset) { return hal_read32(sys->job + offset); }

void job_set(const fw_system* sys, uint32_t offset, uint32_t value) { hal_write32(sys->job + offset, value); }

static void host_isr(void* ctx) {
    fw_system* sys = (fw_system*)ctx;
    if (!(hal_read32(sys->sys.base + SYSCTRL_HOST_STATUS) & SYSCTRL_HOST_STATUS_ANSWERED_MASK)) return;
    sys->host_answer = hal_read32(sys->sys.base + SYSCTRL_HOST_ACK);
    sys->host_answered = 1u;
    hal_write32(sys->sys.base + SYSCTRL_HOST_STATUS, SYSCTRL_HOST_STATUS_ANSWERED_MASK);
}

uint32_t fw_host_call(fw_system* sys, uint32_t request) {
    sys->host_answered = 0u;
    hal_write32(sys->sys.base + SYSCTRL_HOST_REQ, request);
    while (!sys->host_answered) hal_wait_for_interrupt();
    return sys->host_answer;
}

int encvp_firmware_main(uint32_t boot_block) {
    fw_system* sys = &g_sys;
    uint32_t status, command;

    if (hal_read32(boot_block + BOOT_MAGIC) != ENCVP_BOOT_MAGIC ||
        hal_read32(boot_block + BOOT_VERSION) != ENCVP_BOOT_VERSION)
        return (int)JOB_ERR_BAD_BOOT; /* nothing to report to: no console known yet */

    sys->boot = boot_block;
    sys->job = hal_read32(boot_block + BOOT_JOB);
    sys->encoder_base = hal_read32(boot_block + BOOT_ENCODER_BASE);
    sys->sram_base = hal_read32(boot_block + BOOT_SRAM_BASE);
    sys->sram_bytes = hal_read32(boot_block + BOOT_SRAM_BYTES);
    sys->dram_base = hal_read32(boot_block + BOOT_DRAM_BASE);
    sys->dram_bytes = hal_read32(boot_block + BOOT_DRAM_BYTES);

    if (sysctrl_init(&sys->sys, hal_read32(boot_block + BOOT_SYSCTRL_BASE)) != 0)
        return (int)JOB_ERR_BAD_BOOT;
    intc_init(&sys->intc, hal_read32(boot_block + BOOT_INTC_BASE));
    if (dma_init(&sys->dma, hal_read32(boot_block + BOOT_DMA_BASE), &sys->intc) != 0) {
        sysctrl_puts(&sys->sys, "fw: DMA INFO register is invalid\n");
        sysctrl_exit(&sys->sys, JOB_ERR_BAD_BOOT);
    }
    sys->host_answered = 0u;
    intc_attach(&sys->intc, INTC_IRQ_HOST, host_isr, sys);
    intc_enable(&sys->intc, INTC_IRQ_HOST);

    /* Jobs run until the host has no more: one platform run can switch between tasks (the
     * network, i.e. weights and descriptors, is reloaded by each job). */
    for (;;) {
        command = job_get(sys, JOB_COMMAND);
        switch (command) {
        case JOB_CMD_DEMO: status = app_demo(sys); break;
        case JOB_CMD_INFER: status = app_infer(sys); break;
        case JOB_CMD_COMPRESS: status = app_compress(sys); break;
        default:
            sysctrl_puts(&sys->sys, "fw: unknown job command ");
            sysctrl_put_u32(&sys->sys, command);
            sysctrl_putc(&sys->sys, '\n');
            status = JOB_ERR_BAD_COMMAND;
            break;
        }
        job_set(sys, JOB_STATUS, status);
        if (status != JOB_OK || fw_host_call(sys, HOST_REQ_JOB_DONE) == 0u) break;
    }
    sysctrl_exit(&sys->sys, status);
    return (int)status;
}

/* The firmware image's entry point and the shared state its apps use. */
#ifndef ENCVP_FIRMWARE_H
#define ENCVP_FIRMWARE_H

#include <stdint.h>

#include "dma_drv.h"
#include "encoder_drv.h"
#include "intc_drv.h"
#include "sysctrl_drv.h"

typedef struct {
    uint32_t boot;      /* boot block address */
    uint32_t job;       /* job block address */
    sysctrl_dev sys;
    intc_dev intc;
    dma_dev dma;
    encoder_dev enc;
    uint32_t encoder_base;
    volatile uint32_t host_answered;
    volatile uint32_t host_answer;
    uint32_t sram_base, sram_bytes;
    uint32_t dram_base, dram_bytes;
} fw_system;

/* Reset entry: boot_block is the bus address of the boot block (docs/architecture.md). Returns
 * the exit code, but normally ends the simulation through the system controller's EXIT register. */
int encvp_firmware_main(uint32_t boot_block);

/* Apps: each returns JOB_OK or a JOB_ERR_* code and has written its results to the job block. */
uint32_t app_demo(fw_system* sys);
uint32_t app_infer(fw_system* sys);
uint32_t app_compress(fw_system* sys);

/* Hands a request to the host program and sleeps until it answers; returns the answer. */
uint32_t fw_host_call(fw_system* sys, uint32_t request);

/* Helpers for the job block. */
uint32_t job_get(const fw_system* sys, uint32_t offset);
void job_set(const fw_system* sys, uint32_t offset, uint32_t value);

#endif

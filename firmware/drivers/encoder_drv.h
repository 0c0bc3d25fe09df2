/* Encoder driver: loads a network image (weights by DMA into the weight SRAM, descriptors into
 * the encoder), reconfigures precision per layer through those descriptors, starts runs and
 * waits for them by interrupt. */
#ifndef ENCVP_ENCODER_DRV_H
#define ENCVP_ENCODER_DRV_H

#include <stdint.h>

#include "dma_drv.h"
#include "intc_drv.h"

typedef struct {
    uint32_t base;
    volatile uint32_t done;   /* set by the interrupt handler */
    volatile uint32_t status; /* STATUS captured by the handler */
    uint32_t task, num_layers, in_bytes, out_bytes, num_classes, code_bits;
} encoder_dev;

#define ENC_OK 0
#define ENC_E_ID (-1)        /* the block does not identify as the encoder */
#define ENC_E_IMAGE (-2)     /* network image header invalid */
#define ENC_E_SRAM (-3)      /* weight image larger than the SRAM */
#define ENC_E_DMA (-4)       /* the weight DMA failed */
#define ENC_E_CAPS (-5)      /* a layer needs a precision or layer count the hardware lacks */
#define ENC_E_RUN (-6)       /* the run ended with STATUS.ERR (see encoder_error_code) */

int encoder_init(encoder_dev* dev, uint32_t base, intc_dev* intc);
/* Loads the network image at netimg (DRAM) using DMA channel ch. */
int encoder_load(encoder_dev* dev, dma_dev* dma, unsigned ch, uint32_t netimg, uint32_t sram_base,
                 uint32_t sram_bytes);
/* Starts a run on the input at in_offset of the input buffer, result at out_offset. */
void encoder_start(encoder_dev* dev, uint32_t in_offset, uint32_t out_offset);
/* Sleeps until the run ends; ENC_OK or ENC_E_RUN. */
int encoder_wait(encoder_dev* dev);
uint32_t encoder_class(const encoder_dev* dev);
uint32_t encoder_cycles(const encoder_dev* dev);
uint32_t encoder_error_code(const encoder_dev* dev); /* ENCODER_ERR_* of the last run */
uint32_t encoder_error_layer(const encoder_dev* dev);
uint32_t encoder_flags(const encoder_dev* dev);      /* sticky WCODE_ERR/ACC_SAT/ECC_ERR bits of STATUS */
uint32_t encoder_in_buffer(const encoder_dev* dev);  /* bus address of the input buffer */
uint32_t encoder_out_buffer(const encoder_dev* dev); /* bus address of the output buffer */

#endif

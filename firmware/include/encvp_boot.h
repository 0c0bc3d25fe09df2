/* Host <-> firmware interface: the boot block and the job blocks the host places in DRAM.
 *
 * At reset the core finds the bus address of the boot block in its argument register (the VP's
 * CPU stub passes it to the firmware entry point, as a boot ROM would in a0). Blocks are arrays
 * of little-endian 32-bit words; the names below are byte offsets, read with hal_read32(), so
 * host and firmware never depend on a compiler's struct layout. */
#ifndef ENCVP_BOOT_H
#define ENCVP_BOOT_H

#define ENCVP_BOOT_MAGIC 0x544F4F42u /* "BOOT" */
#define ENCVP_BOOT_VERSION 1u

/* Boot block: where each block of the SoC is (the address map is configurable). */
#define BOOT_MAGIC 0x00u
#define BOOT_VERSION 0x04u
#define BOOT_SYSCTRL_BASE 0x08u
#define BOOT_INTC_BASE 0x0Cu
#define BOOT_DMA_BASE 0x10u
#define BOOT_ENCODER_BASE 0x14u
#define BOOT_SRAM_BASE 0x18u
#define BOOT_SRAM_BYTES 0x1Cu
#define BOOT_DRAM_BASE 0x20u
#define BOOT_DRAM_BYTES 0x24u
#define BOOT_JOB 0x28u /* bus address of the job block */
#define BOOT_BLOCK_BYTES 0x40u

/* Job block: common header. */
#define JOB_COMMAND 0x00u
#define JOB_STATUS 0x04u   /* written by firmware: JOB_OK or an error code */
#define JOB_DETAIL 0x08u   /* written by firmware: which item/step failed */
#define JOB_PARAMS 0x10u   /* command-specific words follow */

#define JOB_CMD_DEMO 1u
#define JOB_CMD_INFER 2u /* batch inference: classification, verification */
#define JOB_CMD_COMPRESS 3u

#define JOB_OK 0u
#define JOB_ERR_BAD_BOOT 1u
#define JOB_ERR_BAD_COMMAND 2u
#define JOB_ERR_DMA 3u
#define JOB_ERR_VERIFY 4u
#define JOB_ERR_ENCODER 5u
#define JOB_ERR_PARAMS 6u

/* JOB_CMD_DEMO: copy a 2-D region of a frame through the DMA, check it, report. */
#define DEMO_FRAME 0x10u      /* frame address (bytes, row-major) */
#define DEMO_PITCH 0x14u      /* bytes per frame row */
#define DEMO_X 0x18u          /* region origin, bytes */
#define DEMO_Y 0x1Cu          /* region origin, rows */
#define DEMO_WIDTH 0x20u      /* region width, bytes */
#define DEMO_HEIGHT 0x24u     /* region height, rows */
#define DEMO_DST 0x28u        /* destination of the packed region */
#define DEMO_CHECKSUM 0x2Cu   /* written by firmware: sum of the copied bytes */
#define DEMO_CYCLES 0x30u     /* written by firmware: cycles the transfer took */
#define DEMO_JOB_BYTES 0x40u

/* JOB_CMD_INFER: run the loaded network on inputs streamed in batches (classification images, or
 * any input tensor of the network's geometry).
 * The host puts a batch of BATCH_COUNT images (8-bit CHW, IMAGE_STRIDE bytes apart) at IMAGES and
 * starts the firmware; after each batch the firmware writes one result record per input at
 * RESULTS (RESULT_STRIDE bytes apart) and calls the host (HOST_REQ_BATCH_DONE); the host answers
 * with the number of images in the next batch, 0 when there are no more. */
#define INFER_NETIMG 0x10u          /* network image address */
#define INFER_INPUTS 0x14u        /* first image of the batch */
#define INFER_INPUT_STRIDE 0x18u
#define INFER_BATCH_COUNT 0x1Cu   /* images in the first batch */
#define INFER_RESULTS 0x20u
#define INFER_RESULT_STRIDE 0x24u
#define INFER_DONE 0x28u   /* written by firmware: total images classified */
#define INFER_JOB_BYTES 0x40u

/* JOB_CMD_COMPRESS: encode a frame patch by patch, one band (a row of patches) at a time.
 * The host places band 0 (P rows of the padded frame, planar: 3 planes of P x WIDTH bytes) at BAND
 * and starts the firmware; for each band the firmware cuts the patches out with 2-D DMA (one
 * transfer per colour plane, double-buffered against the encoder), runs the encoder, DMAs each
 * patch's code to CODES (CODE_STRIDE bytes apart) and calls the host (HOST_REQ_BATCH_DONE); the
 * host reads the codes, places the next band and answers 1, or answers 0 after the last band. */
#define COMPRESS_NETIMG 0x10u
#define COMPRESS_BAND 0x14u
#define COMPRESS_WIDTH 0x18u         /* padded frame width, a multiple of PATCH */
#define COMPRESS_PATCH 0x1Cu         /* patch size P (the network's input height and width) */
#define COMPRESS_CODES 0x20u
#define COMPRESS_CODE_STRIDE 0x24u
#define COMPRESS_PATCHES_DONE 0x28u  /* written by firmware */
#define COMPRESS_ENC_CYCLES 0x2Cu    /* written by firmware: encoder cycles of the last patch */
#define COMPRESS_JOB_BYTES 0x40u

/* One result record: the status word, the encoder's cycle count, then the encoder's output
 * buffer (classification: int32 logits then the class index; compression: the packed code). */
#define RESULT_STATUS 0x00u  /* 0, or ENCODER_ERR_* | layer << 8 */
#define RESULT_CYCLES 0x04u
#define RESULT_OUTPUT 0x08u

/* Host mailbox requests (sysctrl HOST_REQ). */
#define HOST_REQ_BATCH_DONE 1u /* answer: inputs in the next batch, 0 = no more */
#define HOST_REQ_JOB_DONE 2u   /* JOB_STATUS is written; answer: 1 = a new job is in the job block, 0 = exit */

#endif /* ENCVP_BOOT_H */

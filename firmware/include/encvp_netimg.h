/* The network image: what the host-side network compiler (sw/compiler) produces for the
 * firmware. The host places it in DRAM; the encoder driver DMAs the weight image into the weight
 * SRAM and copies the layer descriptors into the encoder's descriptor table.
 * Little-endian 32-bit words; names are byte offsets from the start of the image. */
#ifndef ENCVP_NETIMG_H
#define ENCVP_NETIMG_H

#define NETIMG_MAGIC_VALUE 0x4D494E45u /* "ENIM" */
#define NETIMG_VERSION_VALUE 1u

#define NETIMG_MAGIC 0x00u
#define NETIMG_VERSION 0x04u
#define NETIMG_TASK 0x08u          /* ENCODER_TASK_CLASSIFY or ENCODER_TASK_COMPRESS */
#define NETIMG_NUM_LAYERS 0x0Cu
#define NETIMG_IN_C 0x10u
#define NETIMG_IN_H 0x14u
#define NETIMG_IN_W 0x18u
#define NETIMG_OUT_BYTES 0x1Cu     /* bytes the encoder writes per run */
#define NETIMG_NUM_CLASSES 0x20u   /* classification: fc outputs */
#define NETIMG_SRAM_BYTES 0x24u    /* size of the weight image */
#define NETIMG_SRAM_OFFSET 0x28u   /* offset of the weight image from the start of this image */
#define NETIMG_CODE_BITS 0x2Cu     /* compression: code bits per run */
#define NETIMG_DESC 0x40u          /* NUM_LAYERS x NETIMG_DESC_WORDS words */

/* Per layer, the encoder's LAYER[n] registers in order. */
#define NETIMG_DESC_WORDS 6u
#define NETIMG_DESC_IN_DIM 0u
#define NETIMG_DESC_CHANNELS 1u
#define NETIMG_DESC_CONV 2u
#define NETIMG_DESC_PREC 3u
#define NETIMG_DESC_W_ADDR 4u
#define NETIMG_DESC_B_ADDR 5u

#endif /* ENCVP_NETIMG_H */

"""encvp_train: quantization-aware training of the encvp mixed-precision encoder.

Modules
-------
data      CIFAR-10 loading (JPEG tar copy and official binary batches), cache, split, augmentation
quant     weight quantizers (binary/ternary/quinary, levels equalization), STE helpers
model     the fake-quantized network whose eval mode computes the integer contract exactly
config    experiment configuration files (JSON or TOML)
budget    weight-memory budget arithmetic (docs/numerics.md section 5)
enet      `.enet` network file writer and reader (docs/network-format.md)
integer   NumPy integer-only inference of an `.enet` file
train     training CLI;  export: checkpoint -> .enet CLI;  evaluate: accuracy CLI

Compression codec (docs/compression.md)
codec           quantized patch encoder + full-frame float decoder, patch split/reassembly
photos          training photos: cache, seeded hold-out, multi-scale augmented crops
edec            `.edec` decoder file writer/reader and the NumPy reference decoder
train_compress  codec training CLI;  export_compress: checkpoint -> .enet + .edec;
eval_compress   rate-distortion of the files (or a checkpoint) on a folder of images
"""

__version__ = "1"
TOOL_NAME = "encvp-train 1"

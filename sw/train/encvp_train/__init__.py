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
"""

__version__ = "1"
TOOL_NAME = "encvp-train 1"

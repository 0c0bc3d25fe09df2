#!/bin/sh
# Compiles and links the firmware for a bare-metal RV32IMAC core with Debian's
# gcc-riscv64-unknown-elf, proving the sources are portable (the test suite runs this).
# usage: firmware/port/riscv/build.sh OUTPUT_DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
fw=$(cd "$here/../.." && pwd)
out=${1:-/tmp/encvp-fw-riscv}
mkdir -p "$out"
CC=${RISCV_CC:-riscv64-unknown-elf-gcc}
CFLAGS="-march=rv32imac_zicsr -mabi=ilp32 -std=c11 -Os -ffreestanding -fno-builtin -nostdlib -Wall -Wextra -Wpedantic -Werror -Wno-unused-parameter"
INC="-I$fw/include -I$fw/hal -I$fw/drivers -I$fw/apps"
objs=""
for src in "$fw"/drivers/*.c "$fw"/apps/*.c "$here"/hal_riscv.c; do
  obj="$out/$(basename "$src" .c).o"
  $CC $CFLAGS $INC -c "$src" -o "$obj"
  objs="$objs $obj"
done
$CC $CFLAGS -c "$here/start.S" -o "$out/start.o"
$CC $CFLAGS -Wl,--no-warn-rwx-segments -T "$here/link.ld" -o "$out/encvp-firmware.elf" "$out/start.o" $objs -lgcc
riscv64-unknown-elf-size "$out/encvp-firmware.elf"

#!/bin/sh
# Installs every Debian 12 package encvp needs to build, test, train and evaluate.
# Idempotent: packages already present are skipped by apt. Must run as root (or via sudo).
set -eu

PACKAGES="
  build-essential cmake pkg-config git
  libsystemc-dev
  libboost-program-options-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev
  libpng-dev libjpeg-dev libopenjp2-7-dev libopenjp2-tools libwebp-dev webp
  gcc-riscv64-unknown-elf
  clang libclang-rt-14-dev
  python3 python3-numpy python3-pil python3-matplotlib python3-torch python3-torchvision
  xz-utils time
"

missing=""
for p in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done

if [ -z "$missing" ]; then
  echo "install-deps: all packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-deps: need root to install:$missing" >&2; exit 1; fi
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing

#!/usr/bin/env bash
#===- install-deps.sh - Install everything Weft needs, idempotently -------===#
#
# The one place that knows Weft's system dependencies. `make demo`, `make test`
# and CI all call it. It only uses apt-get (Debian's packages are the only
# source reachable), installs nothing that is already present, and runs
# `apt-get update` only when something is missing.
#
#===----------------------------------------------------------------------===#
set -euo pipefail

packages=(
  # Compiler: LLVM/MLIR 22 (shared libMLIR), TableGen, lit/FileCheck.
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
  clang-22 libclang-rt-22-dev lld-22 libomp-22-dev
  # Frontend generators and the build.
  flex bison cmake ninja-build ccache make
  # Runtime and unit tests.
  zlib1g-dev libpng-dev libjpeg-dev libgtest-dev nlohmann-json3-dev
  # Numerical reference and demo data.
  python3 python3-torch python3-numpy python3-pil dataset-fashion-mnist
  # PyTorch measured at its best (Debian's reference BLAS is far slower).
  libopenblas0-pthread
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"

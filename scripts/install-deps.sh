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
  # AArch64: the cross toolchain, the runtime's libraries for arm64
  # (multiarch, under /usr/lib/aarch64-linux-gnu) and qemu to run the result.
  gcc-aarch64-linux-gnu g++-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
  zlib1g-dev:arm64 libpng-dev:arm64 libjpeg-dev:arm64 libstdc++6:arm64
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

# The arm64 packages above need arm64 as a foreign architecture.
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "install-deps: adding arm64 as a foreign architecture"
  $SUDO dpkg --add-architecture arm64
fi

# LLVM's OpenMP runtime for arm64. Debian's libomp5-19:arm64 cannot be
# installed next to the amd64 one (both own /usr/lib/llvm-19/lib/libomp.so.5,
# with different contents), so its library is taken out of the package and
# put where the cross linker and qemu look: /usr/lib/aarch64-linux-gnu.
install_arm64_libomp() {
  local dir=/usr/lib/aarch64-linux-gnu
  if [ -e "$dir/libomp.so.5" ] && [ -e "$dir/libomp.so" ]; then return 0; fi
  echo "install-deps: unpacking libomp5-19:arm64 into $dir"
  local tmp
  tmp=$(mktemp -d)
  # apt-get download writes as the _apt user where that user may.
  if id _apt >/dev/null 2>&1; then $SUDO chown _apt "$tmp"; fi
  (cd "$tmp" && $SUDO apt-get download -q libomp5-19:arm64 ||
     { $SUDO apt-get update -q && $SUDO apt-get download -q libomp5-19:arm64; })
  $SUDO dpkg-deb -x "$tmp"/libomp5-19_*_arm64.deb "$tmp/root"
  $SUDO install -D -m 644 "$tmp/root/usr/lib/llvm-19/lib/libomp.so.5" \
    "$dir/libomp.so.5"
  $SUDO ln -sf libomp.so.5 "$dir/libomp.so"
  $SUDO rm -rf "$tmp"
}

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
else
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
install_arm64_libomp

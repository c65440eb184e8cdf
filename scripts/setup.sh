#!/usr/bin/env bash
# Installs every Debian package that building ffc, its tests and the main job need.
# Idempotent: packages already present are skipped. Run as root (or with sudo).
set -euo pipefail

PACKAGES=(
  # build
  cmake ninja-build ccache g++ pkg-config
  # the linker ffc runs on the CPU kernels it generates
  binutils
  # MLIR / LLVM 22 (compiler, lit, FileCheck)
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
  # artifacts and the ONNX frontend
  flatbuffers-compiler libflatbuffers-dev
  libonnx-dev libprotobuf-dev protobuf-compiler zlib1g-dev python3-onnx
  # runtime: contractions (oneDNN for the convolutions, BLAS for the rest)
  libopenblas-dev libdnnl-dev
  # runtime unit tests
  libgtest-dev
  # data for the main job
  dataset-fashion-mnist
)
# PyTorch is only used by the importer tests (exports of torchvision models) and the
# benchmarks; it is installed without its recommends to stay small.
PY_PACKAGES=(python3-torch python3-torchvision)

missing=()
for p in "${PACKAGES[@]}" "${PY_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} + ${#PY_PACKAGES[@]} packages already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: done"

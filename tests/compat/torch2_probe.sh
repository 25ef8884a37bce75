#!/bin/sh
# Checks Lorafit's LibTorch 2.x code against a PyPI torch wheel on a machine
# whose own LibTorch is older (Debian's 1.13), without installing anything:
# downloads the wheel and the CUDA headers it needs (PyPI's nvidia-* wheels)
# into build/torchwheel, then
#   1. compiles engine/core/torchcompat.cpp with its CUDA branch and the engine
#      files with version- or CUDA-specific code, C++20, -Werror, syntax only;
#   2. links tests/compat/torch2_probe.cpp against the wheel's libtorch_cpu and
#      runs it (torchcompat's 2.x side on the CPU);
#   3. shows that the wheel's headers refuse C++17 (2.13 and newer).
# Usage: sh tests/compat/torch2_probe.sh [TORCH_VERSION] [CUDA_TOOLKIT_VERSION]
set -eu
version=${1:-2.15.0}
toolkit=${2:-13.2.2}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
dir=build/torchwheel
mkdir -p "$dir/deps"
[ -f "$dir/torch/include/ATen/ATen.h" ] || {
    python3 -m pip download "torch==$version" --no-deps -d "$dir"
    unzip -q -o "$dir"/torch-"$version"-*.whl 'torch/include/*' 'torch/lib/*' -d "$dir"
}
nv="$root/$dir/nv/nvidia/cu13"
[ -f "$nv/include/cublas_v2.h" ] || {
    python3 -m pip download "cuda-toolkit[cudart,cupti,crt,cublas,cusparse,cusolver,cccl]==$toolkit" -d "$dir/deps"
    for w in "$dir"/deps/nvidia_*.whl; do unzip -q -o "$w" -d "$dir/nv"; done
}
W="$dir/torch"
flags="-Wall -Wextra -Wpedantic -Wshadow=local -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual -Wnull-dereference
  -Wimplicit-fallthrough -Werror -D_GLIBCXX_USE_CXX11_ABI=1 -I. -isystem $W/include -isystem $W/include/torch/csrc/api/include"
echo "1. torchcompat.cpp with LORAFIT_TORCH_CUDA, C++20"
g++ -std=c++20 -fsyntax-only $flags -DLORAFIT_TORCH_CUDA -isystem "$nv/include" engine/core/torchcompat.cpp
echo "   the engine's version- and CUDA-specific files, C++20"
unity=$(mktemp --suffix=.cpp)
for f in engine/model/attention.cpp engine/model/linear.cpp engine/train/computeprecision.cpp \
         engine/train/outofmemory.cpp engine/quant/basequantization.cpp engine/bench/trainbench.cpp \
         engine/bench/sgemmrate.cpp tools/gpucheck/gpucheck.cpp; do
    echo "#include \"$root/$f\"" >> "$unity"
done
g++ -std=c++20 -fsyntax-only $flags "$unity"
rm -f "$unity"
echo "2. tests/compat/torch2_probe.cpp against libtorch_cpu $version"
g++ -std=c++20 -O1 $flags tests/compat/torch2_probe.cpp engine/core/torchcompat.cpp -L"$W/lib" -L"$nv/lib" \
    -Wl,-rpath-link,"$nv/lib" -ltorch_cpu -lc10 -o "$dir/torch2_probe"
LD_LIBRARY_PATH="$root/$W/lib:$nv/lib" "$dir/torch2_probe"
echo "3. C++17 against $version (2.13+ must refuse)"
if g++ -std=c++17 -fsyntax-only $flags engine/core/torchcompat.cpp 2>&1 | grep -m1 "C++20 or later"; then :; else
    echo "   (accepted: this version still builds as C++17)"; fi

#!/bin/sh
# The prepared GPU check: for a session that gets a CUDA machine for a few
# minutes (PyTorch with LibTorch, CUDA, cmake and ninja there; no Qt). It
#   1. configures the Qt-free part (LORAFIT_ENGINE_ONLY: the engine and
#      tools/lorafit-gpucheck) against the python3 torch
#      (LORAFIT_TORCH_FROM_PYTHON; GPU_CHECK_TORCH_PREFIX=<libtorch> instead
#      takes a LibTorch folder) and builds it; SQLite, PCRE2, utf8proc and
#      nlohmann-json come from build/gpudeps (tests/bench/gpu_deps.sh collects
#      them on a Debian machine; carried along) when that folder exists, else
#      from the system;
#   2. if the build fails or runs out of time, falls back to a lorafit-gpucheck
#      built elsewhere against the same torch version ($GPU_CHECK_PREBUILT,
#      default build/gpu-carry/lorafit-gpucheck), run with the python torch's
#      libraries on LD_LIBRARY_PATH; summary.txt says which binary ran;
#   3. runs lorafit-gpucheck info, attention (CUDA attention vs the CPU
#      kernel) and losses (CUDA bf16 training vs the CPU's f32 within 5 %);
#   4. the PEFT cross-check on CUDA when build/gpu-carry/peft holds adapters
#      prepared by `peft_crosscheck.py --prepare-only` on a machine with
#      lorafit-cli: lorafit-gpucheck eval on CUDA against transformers + PEFT on
#      CUDA, f32, 1e-4 relative;
#   5. tests/bench/compare.sh --cuda (Lorafit's bench vs the transformers +
#      PEFT peer at B 4 x T 256 and B 16 x T 1024, base weights in f32 and in
#      bf16 on both sides) when transformers and peft import, else Lorafit's
#      bench alone;
# and writes every figure under $OUT (default gpu-check-out): one JSON per
# check, the compare text, the logs and summary.txt. Every stage has its own
# time limit and the whole script a deadline (GPU_CHECK_SECONDS, default 560),
# so a slow stage still leaves the earlier figures.
# Without CUDA it builds and runs the same steps, and the checks say "skipped".
# Usage: OUT=/path sh tests/bench/gpu_check.sh [SHAPE] [STEPS] [ROUNDS]
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${OUT:-gpu-check-out}
shape=${1:-gpt2-124m}
steps=${2:-10}
rounds=${3:-1}
python=${PYTHON:-python3}
build=${GPU_CHECK_BUILD:-$root/build/gpu-check}
carry=$root/build/gpu-carry
prebuilt=${GPU_CHECK_PREBUILT:-$carry/lorafit-gpucheck}
deps=${GPU_CHECK_DEPS:-$root/build/gpudeps}
jobs=$(nproc 2>/dev/null || echo 4)
deadline=$(( $(date +%s) + ${GPU_CHECK_SECONDS:-560} ))
mkdir -p "$out"
summary="$out/summary.txt"
: > "$summary"
note() { echo "$*" | tee -a "$summary"; }
stage() { # stage NAME SECONDS COMMAND...: runs with min(SECONDS, time left), records the exit status
    name=$1 limit=$2
    shift 2
    left=$(( deadline - $(date +%s) ))
    [ "$left" -lt "$limit" ] && limit=$left
    if [ "$limit" -le 5 ]; then
        note "$name: not run (deadline reached)"
        return 124
    fi
    start=$(date +%s)
    timeout "$limit" "$@"
    status=$?
    note "$name: exit $status after $(( $(date +%s) - start )) s (limit $limit s)"
    return $status
}

note "gpu_check.sh $(date -u +%FT%TZ) on $(hostname), $jobs cores"
nvidia-smi --query-gpu=name,memory.total,driver_version,compute_cap,clocks.sm,clocks.max.sm --format=csv,noheader \
    >> "$summary" 2>&1 || note "nvidia-smi: not available"
"$python" -c 'import torch; print("python torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())' \
    >> "$summary" 2>&1 || note "python3 has no torch (hint: PYTHON=/path/to/python)"
"$python" -c 'import transformers, peft; print("transformers", transformers.__version__, "peft", peft.__version__)' \
    >> "$summary" 2>&1 || note "transformers / peft: not importable"
if ! command -v nvcc > /dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ]; then
    PATH="$PATH:/usr/local/cuda/bin"
    export PATH
fi
{ nvcc --version | tail -1; cmake --version | head -1; c++ --version | head -1; } >> "$summary" 2>&1

# --- build --------------------------------------------------------------------------------------
arch=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d ' ')
set -- -DCMAKE_BUILD_TYPE=Release -DLORAFIT_ENGINE_ONLY=ON -DLORAFIT_BUILD_TESTS=OFF -DLORAFIT_UNITY_BUILD=ON
if [ -n "${GPU_CHECK_TORCH_PREFIX:-}" ]; then
    set -- "$@" -DCMAKE_PREFIX_PATH="$GPU_CHECK_TORCH_PREFIX"
else
    set -- "$@" -DLORAFIT_TORCH_FROM_PYTHON=ON -DLORAFIT_PYTHON="$(command -v "$python")"
fi
[ -n "$arch" ] && set -- "$@" -DTORCH_CUDA_ARCH_LIST="$arch"
if [ -d "$deps" ]; then
    # The collected prefix first, and no pkg-config, so the same files are used on every machine.
    prefixes="$deps${GPU_CHECK_TORCH_PREFIX:+;$GPU_CHECK_TORCH_PREFIX}"
    set -- "$@" -DCMAKE_PREFIX_PATH="$prefixes" -DCMAKE_DISABLE_FIND_PACKAGE_PkgConfig=ON \
        -DSQLite3_INCLUDE_DIR="$deps/include" -DSQLite3_LIBRARY="$deps/lib/libsqlite3.a" \
        -DCMAKE_CXX_STANDARD_LIBRARIES="-lm -ldl -lpthread"
fi
check=""
if stage configure 120 cmake -S "$root" -B "$build" -G Ninja "$@" > "$out/configure.log" 2>&1; then
    note "configure: $(grep -m1 'Lorafit: LibTorch' "$out/configure.log" || echo 'no Lorafit line')"
    if stage build 300 cmake --build "$build" --target lorafit-gpucheck -j "$jobs" > "$out/build.log" 2>&1; then
        check="$build/tools/lorafit-gpucheck"
        note "binary: built here ($check)"
    else
        tail -30 "$out/build.log" >> "$summary"
    fi
else
    tail -30 "$out/configure.log" >> "$summary"
fi
if [ -z "$check" ] && [ -x "$prebuilt" ]; then
    torchlib=$("$python" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))' 2>/dev/null)
    nvlibs=$("$python" -c 'import glob, os, torch; d = os.path.dirname(os.path.dirname(torch.__file__)); print(":".join(sorted(glob.glob(os.path.join(d, "nvidia", "*", "lib")) + glob.glob(os.path.join(d, "nvidia", "*", "*", "lib")))))' 2>/dev/null)
    LD_LIBRARY_PATH="$torchlib:$nvlibs:/usr/local/cuda/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    export LD_LIBRARY_PATH
    check=$prebuilt
    note "binary: the prebuilt $check (the build here failed), LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
fi
[ -n "$check" ] || { note "no lorafit-gpucheck to run"; exit 1; }

# --- correctness --------------------------------------------------------------------------------
stage info 30 "$check" info > "$out/info.json"
stage attention 60 "$check" attention > "$out/attention.json"
stage losses 90 "$check" losses > "$out/losses.json"
cat "$out/info.json" "$out/attention.json" "$out/losses.json" >> "$summary" 2>/dev/null
if [ -d "$carry/peft" ]; then
    stage peft-cuda 120 "$python" "$root/tests/reference/peft_crosscheck.py" --from-prepared "$carry/peft" \
        --eval-tool "$check" --device cuda > "$out/peft-cuda.txt" 2>&1
    cat "$out/peft-cuda.txt" >> "$summary"
else
    note "peft-cuda: no prepared adapters in $carry/peft (hint: peft_crosscheck.py --prepare-only)"
fi

# --- speed and memory ---------------------------------------------------------------------------
if "$python" -c 'import transformers, peft' 2>/dev/null; then
    stage compare 400 env COMPARE_OUT="$out/compare" COMPARE_BASES="f32 bf16" PYTHON="$python" \
        sh "$here/compare.sh" --cuda "$build" "$shape" "$steps" "$rounds" "$check" > "$out/compare.txt" 2>&1
    cat "$out/compare.txt" >> "$summary"
    # With the time left: the cost of the per-matrix update norms (the δ plots), and grouped-query heads.
    stage "bench no-metrics" 60 "$check" bench --shape "$shape" --device cuda --batch 16 --length 1024 \
        --steps "$steps" --no-metrics > "$out/bench.no-metrics.json" && cat "$out/bench.no-metrics.json" >> "$summary"
    stage "bench llama-160m" 60 "$check" bench --shape llama-160m --device cuda --batch 16 --length 1024 \
        --steps "$steps" > "$out/bench.llama.json" && cat "$out/bench.llama.json" >> "$summary"
    stage "peer llama-160m" 60 "$python" "$here/peer_hf.py" --shape llama-160m --device cuda --batch 16 \
        --length 1024 --steps "$steps" --base-dtype bf16 > "$out/peer.llama.json" && cat "$out/peer.llama.json" >> "$summary"
else
    note "transformers or peft not importable by $python: the peer is skipped, Lorafit's bench runs alone"
    for size in "4 256" "16 1024"; do
        set -- $size
        stage "bench $1x$2" 120 "$check" bench --shape "$shape" --device cuda --batch "$1" --length "$2" \
            --steps "$steps" > "$out/bench.$1x$2.json"
        cat "$out/bench.$1x$2.json" >> "$summary"
    done
fi
note "done $(date -u +%FT%TZ)"

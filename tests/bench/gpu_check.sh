#!/bin/sh
# The prepared GPU check: for a session that gets a CUDA machine for a few
# minutes (PyTorch with LibTorch, CUDA, cmake and ninja there; no Qt). It
#   1. configures the Qt-free part (LORAFIT_ENGINE_ONLY: the engine and
#      tools/lorafit-gpucheck) against the python3 torch
#      (LORAFIT_TORCH_FROM_PYTHON) and builds it; if that configure fails for
#      want of SQLite / PCRE2 / utf8proc / nlohmann-json, it retries with the
#      prefix tests/bench/gpu_deps.sh collected on a Debian machine
#      (build/gpudeps, carried along);
#   2. runs lorafit-gpucheck info, attention (CUDA attention vs the CPU
#      kernel) and losses (CUDA bf16 training vs the CPU's f32 within 5 %);
#   3. runs tests/bench/compare.sh --cuda (Lorafit's bench vs the
#      transformers + PEFT peer at B 4 x T 256 and B 16 x T 1024) when
#      transformers and peft import, else Lorafit's bench alone;
# and writes every figure under $OUT (default gpu-check-out): one JSON per
# check, the compare text, the build log and summary.txt. Each stage has its
# own time limit, so a slow stage still leaves the earlier figures.
# Without CUDA it builds and runs the same steps, and the checks say "skipped".
# The build folder stays between calls on the device machine, so a call that
# ran out of time in the build continues there the next time.
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
jobs=$(nproc 2>/dev/null || echo 4)
mkdir -p "$out"
summary="$out/summary.txt"
: > "$summary"
note() { echo "$*" | tee -a "$summary"; }
stage() { # stage NAME SECONDS COMMAND...: runs, records the exit status
    name=$1 limit=$2
    shift 2
    start=$(date +%s)
    timeout "$limit" "$@"
    status=$?
    note "$name: exit $status after $(( $(date +%s) - start )) s"
    return $status
}

note "gpu_check.sh $(date -u +%FT%TZ) on $(hostname)"
nvidia-smi --query-gpu=name,memory.total,driver_version,compute_cap --format=csv,noheader >> "$summary" 2>&1 \
    || note "nvidia-smi: not available"
"$python" -c 'import torch; print("python torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())' \
    >> "$summary" 2>&1 || note "python3 has no torch (hint: PYTHON=/path/to/python)"

configure() {
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLORAFIT_ENGINE_ONLY=ON \
        -DLORAFIT_BUILD_TESTS=OFF -DLORAFIT_UNITY_BUILD=ON -DLORAFIT_TORCH_FROM_PYTHON=ON \
        -DLORAFIT_PYTHON="$(command -v "$python")" "$@"
}
deps="$root/build/gpudeps"
{
    configure || {
        echo "gpu_check.sh: configure failed; retrying with the collected dependencies in $deps"
        rm -rf "$build"
        [ -d "$deps" ] && configure -DCMAKE_PREFIX_PATH="$deps" -DSQLite3_INCLUDE_DIR="$deps/include" \
            -DSQLite3_LIBRARY="$deps/lib/libsqlite3.a" -DCMAKE_CXX_STANDARD_LIBRARIES="-lm -ldl -lpthread"
    }
} > "$out/configure.log" 2>&1
note "configure: exit $? ($(grep -m1 'Lorafit: LibTorch' "$out/configure.log" || echo 'no Lorafit line'))"
stage build 330 cmake --build "$build" --target lorafit-gpucheck -j "$jobs" > "$out/build.log" 2>&1 \
    || { tail -40 "$out/build.log" >> "$summary"; exit 1; }
check="$build/tools/lorafit-gpucheck"

stage info 30 "$check" info > "$out/info.json"
stage attention 60 "$check" attention > "$out/attention.json"
stage losses 90 "$check" losses > "$out/losses.json"
cat "$out/info.json" "$out/attention.json" "$out/losses.json" >> "$summary" 2>/dev/null

if "$python" -c 'import transformers, peft' 2>/dev/null; then
    stage compare 300 env COMPARE_OUT="$out/compare" PYTHON="$python" \
        sh "$here/compare.sh" --cuda "$build" "$shape" "$steps" "$rounds" > "$out/compare.txt" 2>&1
    cat "$out/compare.txt" >> "$summary"
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

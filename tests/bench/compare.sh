#!/bin/sh
# Runs `lorafit-cli bench` and the PyTorch peer (tests/bench/peer_pytorch.py)
# alternately on the same shape with the same thread count, ROUNDS times each,
# and prints every run plus the ratios Lorafit/peer of the best tokens/s and of
# the lowest peak RSS, and of tokens per CPU second (user + system), which
# stays meaningful when other processes share the cores. Alternating spreads drifting machine load over both.
# The peer runs twice a round: on the BLAS the system selects (Debian's default: OpenBLAS with its own
# pthreads, what a Python user gets) and, when installed, on the OpenMP build of OpenBLAS that Lorafit
# loads (cmake/LorafitBlas.cmake), so the ratio against a peer on the same BLAS is printed too.
# Usage: sh tests/bench/compare.sh [BUILD_DIR] [SHAPE] [THREADS] [STEPS] [ROUNDS]
#   e.g. sh tests/bench/compare.sh build/ci gpt2-124m 2 10 2
#
# CUDA mode: sh tests/bench/compare.sh --cuda [BUILD_DIR] [SHAPE] [STEPS] [ROUNDS] [BENCH]
# alternates Lorafit's bench (`lorafit-cli bench`, or tools/lorafit-gpucheck
# bench in a build without Qt, or the lorafit-gpucheck named by BENCH) and the
# transformers + PEFT peer (tests/bench/peer_hf.py, run by $PYTHON, default
# python3) on the GPU at B 4 x T 256 and B 16 x T 1024, once per base-weight
# type in $COMPARE_BASES (default "f32 bf16": the frozen weights held in f32 on
# both sides, then in bf16 on both sides), and prints each run and, per size
# and base type, the ratios of the best tokens/s and of the lowest peak GPU
# memory (targets: >= 1.2x tokens/s, <= 0.8x memory), plus Lorafit's default
# (bf16 base on a bf16 GPU) against the peer's default (f32 as loaded). Both
# sides: bf16 autocast, LoRA r = 16 on all linear layers, LoRA+ AdamW,
# clipping at 1.0, random token batches.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ "${1:-}" = "--cuda" ]; then
    build=${2:-build/ci}
    shape=${3:-gpt2-124m}
    steps=${4:-10}
    rounds=${5:-2}
    python=${PYTHON:-python3}
    bases=${COMPARE_BASES:-f32 bf16}
    if [ -n "${6:-}" ]; then
        bench="$6 bench"
    elif [ -x "$build/app/cli/lorafit-cli" ]; then
        bench="$build/app/cli/lorafit-cli bench --json"
    elif [ -x "$build/tools/lorafit-gpucheck" ]; then
        bench="$build/tools/lorafit-gpucheck bench"
    else
        echo "compare.sh: neither $build/app/cli/lorafit-cli nor $build/tools/lorafit-gpucheck (hint: build first)" >&2
        exit 1
    fi
    out=${COMPARE_OUT:-$(mktemp -d)}
    mkdir -p "$out"
    for size in "4 256" "16 1024"; do
        set -- $size
        for base in $bases; do
            i=1
            while [ "$i" -le "$rounds" ]; do
                $bench --shape "$shape" --device cuda --batch "$1" --length "$2" --steps "$steps" \
                    --base-weights "$base" > "$out/lorafit.$1x$2.$base.$i.json" || true
                "$python" "$here/peer_hf.py" --shape "$shape" --device cuda --batch "$1" --length "$2" \
                    --steps "$steps" --base-dtype "$base" > "$out/peer.$1x$2.$base.$i.json" || true
                i=$((i + 1))
            done
        done
    done
    "$python" - "$out" "$rounds" "$bases" <<'PY'
import json, os, sys
out, rounds, bases = sys.argv[1], int(sys.argv[2]), sys.argv[3].split()

def load(kind, size, base):
    runs = []
    for i in range(1, rounds + 1):
        path = f"{out}/{kind}.{size}.{base}.{i}.json"
        try:
            run = json.load(open(path))
        except (OSError, ValueError) as error:
            print(f"{kind:8} {size:7} base {base}: no result ({path}: {error})")
            continue
        if "tokens_per_second" not in run:
            print(f"{kind:8} {size:7} base {base}: {run.get('error', run)}")
            continue
        runs.append(run)
    return runs

for size in ("4x256", "16x1024"):
    runs = {(k, b): load(k, size, b) for k in ("lorafit", "peer") for b in bases}
    for (k, b), rs in runs.items():
        for r in rs:
            print(f"{k:8} {r['shape']:11} B {r['batch_size']:2} x T {r['sequence_length']:4}  base {b:4}  "
                  f"{r['tokens_per_second']:10.1f} tok/s  {r['ms_per_step']:8.2f} ms/step  "
                  f"peak GPU {r['peak_gpu_mib']:8.1f} MiB" + (f"  MFU {100 * r['mfu']:.1f} %" if r.get("mfu") else ""))
    pairs = [(b, b) for b in bases] + ([("bf16", "f32")] if {"bf16", "f32"} <= set(bases) else [])
    for ours, theirs in pairs:
        mine, peer = runs[("lorafit", ours)], runs[("peer", theirs)]
        if not mine or not peer:
            continue
        tps = max(r["tokens_per_second"] for r in mine) / max(r["tokens_per_second"] for r in peer)
        mem = min(r["peak_gpu_bytes"] for r in mine) / min(r["peak_gpu_bytes"] for r in peer)
        print(f"ratio lorafit ({ours} base) / peer ({theirs} base) at {size}: tokens/s {tps:.2f}x (target >= 1.2), "
              f"peak GPU memory {mem:.2f}x (target <= 0.8)")
PY
    exit 0
fi
build=${1:-build/ci}
shape=${2:-tiny}
threads=${3:-2}
steps=${4:-10}
rounds=${5:-2}
cli="$build/app/cli/lorafit-cli"
[ -x "$cli" ] || { echo "compare.sh: $cli not found (hint: build first: cmake --build --preset ci)" >&2; exit 1; }
omp=/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)/openblas-openmp
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
i=1
while [ "$i" -le "$rounds" ]; do
    "$cli" bench --shape "$shape" --steps "$steps" --threads "$threads" --json > "$out/lorafit.$i.json"
    # The peer gets the OpenBLAS kernels Lorafit runs (Lorafit replaces a choice OpenBLAS 0.3.21 gets
    # wrong on CPUs newer than itself, engine/core/runtime.cpp), so both multiply on the same code.
    core=$(/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get("blas_core", ""))' \
        "$out/lorafit.$i.json")
    if [ -n "$core" ] && [ -z "${OPENBLAS_CORETYPE:-}" ]; then export OPENBLAS_CORETYPE="$core"; fi
    /usr/bin/python3 "$here/peer_pytorch.py" --shape "$shape" --steps "$steps" --threads "$threads" > "$out/peer.$i.json"
    if [ -f "$omp/libopenblas.so.0" ]; then
        LD_LIBRARY_PATH="$omp" /usr/bin/python3 "$here/peer_pytorch.py" --shape "$shape" --steps "$steps" \
            --threads "$threads" > "$out/peer-omp.$i.json"
    fi
    i=$((i + 1))
done
/usr/bin/python3 - "$out" "$rounds" <<'PY'
import json, sys
out, rounds = sys.argv[1], int(sys.argv[2])
import os
kinds = [k for k in ("lorafit", "peer", "peer-omp") if os.path.exists(f"{out}/{k}.1.json")]
runs = {k: [json.load(open(f"{out}/{k}.{i}.json")) for i in range(1, rounds + 1)] for k in kinds}
for k, rs in runs.items():
    for r in rs:
        extra = f"  MFU {100 * r['mfu']:.1f} %" if "mfu" in r else ""
        print(f"{k:8} {r['shape']:11} {r['threads']} threads  {r['tokens_per_second']:9.1f} tok/s  "
              f"{r['ms_per_step']:9.1f} ms/step  peak RSS {r['peak_rss_mib']:8.1f} MiB  "
              f"sys {r['system_seconds']:.2f} s  {r.get('blas_core', '')} kernels{extra}")
best = lambda k, f, pick: pick(r[f] for r in runs[k])
cpu = lambda r: r["steps"] * r["batch_size"] * r["sequence_length"] / (r["user_seconds"] + r["system_seconds"])
for peer, what in (("peer", "the system's BLAS"), ("peer-omp", "OpenMP OpenBLAS, as Lorafit")):
    if peer not in runs:
        continue
    tps = best("lorafit", "tokens_per_second", max) / best(peer, "tokens_per_second", max)
    rss = best("lorafit", "peak_rss_bytes", min) / best(peer, "peak_rss_bytes", min)
    cpu_ratio = max(cpu(r) for r in runs["lorafit"]) / max(cpu(r) for r in runs[peer])
    print(f"ratio lorafit/{peer} ({what}): tokens/s {tps:.2f}x (target >= 1.5), peak RSS {rss:.2f}x "
          f"(target <= 0.7), tokens per CPU second {cpu_ratio:.2f}x (robust when the machine is shared)")
PY

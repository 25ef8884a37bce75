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
set -eu
here=$(cd "$(dirname "$0")" && pwd)
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

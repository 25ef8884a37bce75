#!/bin/sh
# Data parallelism on one machine: `lorafit-cli bench` with N processes of
# T/N threads against one process of T threads, same shape and global batch,
# alternated ROUNDS times (this machine's speed drifts). Prints each run and
# the ratio of the best tokens/s (target >= 0.9) and the all-reduce share of
# the step of the N-process runs (target <= 2 %).
# Usage: sh tests/bench/dist_compare.sh [BUILD_DIR] [SHAPE] [PROCESSES] [THREADS] [STEPS] [ROUNDS]
#   e.g. sh tests/bench/dist_compare.sh build/ci gpt2-124m 2 2 5 3
set -eu
build=${1:-build/ci}
shape=${2:-tiny}
processes=${3:-2}
threads=${4:-2}
steps=${5:-5}
rounds=${6:-2}
cli="$build/app/cli/lorafit-cli"
[ -x "$cli" ] || { echo "dist_compare.sh: $cli not found (hint: build first: cmake --build --preset ci)" >&2; exit 1; }
per=$((threads / processes))
[ "$per" -ge 1 ] || { echo "dist_compare.sh: $threads threads cannot be shared by $processes processes" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
i=1
while [ "$i" -le "$rounds" ]; do
    "$cli" bench --shape "$shape" --steps "$steps" --threads "$threads" --json > "$out/one.$i.json"
    "$cli" bench --shape "$shape" --steps "$steps" --threads "$per" --nproc "$processes" --json > "$out/many.$i.json"
    i=$((i + 1))
done
/usr/bin/python3 - "$out" "$rounds" "$processes" <<'PY'
import json, sys
out, rounds, processes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
runs = {k: [json.load(open(f"{out}/{k}.{i}.json")) for i in range(1, rounds + 1)] for k in ("one", "many")}
for k, rs in runs.items():
    for r in rs:
        print(f"{r['ranks']} process(es) x {r['threads']} threads  {r['shape']:11} batch {r['batch_size']}x"
              f"{r['sequence_length']}  {r['tokens_per_second']:9.1f} tok/s  {r['ms_per_step']:9.1f} ms/step  "
              f"all-reduce {100 * r['allreduce_share']:.2f} % of the step  loss {r['first_loss']:.4f} -> {r['last_loss']:.4f}")
ratio = max(r["tokens_per_second"] for r in runs["many"]) / max(r["tokens_per_second"] for r in runs["one"])
share = max(r["allreduce_share"] for r in runs["many"])
print(f"ratio {processes} processes / 1 process: tokens/s {ratio:.2f}x (target >= 0.9); "
      f"all-reduce at most {100 * share:.2f} % of the step (target <= 2 %)")
PY

#!/bin/bash
# The frozen base in f32 against 4-bit NF4 (QLoRA), all else equal: trains the
# settings document CONFIG twice with lorafit-cli (--set
# training.base_weights=...) and prints, for each run, the wall time, the peak
# RSS of the process, the base projections' size as logged by the trainer,
# and the validation losses (first, final, and the difference between runs).
#   tests/bench/nf4_compare.sh CONFIG.json [LORAFIT_CLI] [extra train options...]
set -euo pipefail
config=${1:?usage: nf4_compare.sh CONFIG.json [LORAFIT_CLI] [train options...]}
cli=${2:-build/ci/app/cli/lorafit-cli}
shift $(( $# >= 2 ? 2 : 1 ))
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for weights in f32 nf4; do
  /usr/bin/time -f "%e %M" -o "$work/time-$weights" \
    "$cli" train "$config" --out "$work/run-$weights" --metrics "$work/$weights.jsonl" \
      --set training.base_weights=$weights "$@" > "$work/log-$weights" 2>&1
done

/usr/bin/python3 - "$work" <<'PY'
import json, re, sys
work = sys.argv[1]
evals = {}
for weights in ("f32", "nf4"):
    seconds, kib = open(f"{work}/time-{weights}").read().split()
    steps = [json.loads(l) for l in open(f"{work}/{weights}.jsonl") if '"event":"step"' in l]
    evals[weights] = [(s["step"], s["eval_loss"]) for s in steps if s.get("eval_loss") is not None]
    log = open(f"{work}/log-{weights}").read()
    stored = re.search(r"stored \d+ base projections as NF4: .*", log)
    print(f"{weights}: {float(seconds):.1f} s wall, peak RSS {int(kib) / 1024:.1f} MiB, "
          f"validation loss {evals[weights][0][1]:.4f} -> {evals[weights][-1][1]:.4f}"
          + (f"; {stored.group(0)}" if stored else ""))
diff = [b - a for (_, a), (_, b) in zip(evals["f32"], evals["nf4"])]
print(f"NF4 minus f32 validation loss: at step 0 {diff[0]:+.4f}, final {diff[-1]:+.4f}, "
      f"largest |difference| {max(abs(d) for d in diff):.4f}")
PY

#!/bin/bash
# LoRA (λ = 1) against LoRA+ (λ = 16), all else equal: trains the settings
# document CONFIG twice with lorafit-cli and prints how many steps each run
# needs to reach the same validation loss (the plain-LoRA run's final eval
# loss) and the same smoothed training loss.
#   tests/bench/loraplus_compare.sh CONFIG.json [LORAFIT_CLI] [extra train options...]
set -euo pipefail
config=${1:?usage: loraplus_compare.sh CONFIG.json [LORAFIT_CLI] [train options...]}
cli=${2:-build/ci/app/cli/lorafit-cli}
shift $(( $# >= 2 ? 2 : 1 ))
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for ratio in 1 16; do
  start=$(date +%s)
  "$cli" train "$config" --out "$work/run-$ratio" --metrics "$work/lambda-$ratio.jsonl" -q \
    --set optimizer.lora_plus_ratio=$ratio "$@" > /dev/null
  echo "λ = $ratio: $(( $(date +%s) - start )) s"
done

/usr/bin/python3 - "$work/lambda-1.jsonl" "$work/lambda-16.jsonl" <<'PY'
import json, math, sys

def load(path):
    steps = [json.loads(l) for l in open(path) if '"event":"step"' in l]
    train, smoothed, evals = [], None, []
    for s in steps:
        if s.get("eval_loss") is not None:
            evals.append((s["step"], s["eval_loss"]))
        if s["step"] > 0 and s.get("loss") is not None and not s.get("skipped"):
            smoothed = s["loss"] if smoothed is None else 0.9 * smoothed + 0.1 * s["loss"]
            train.append((s["step"], smoothed))
    return train, evals

def first_reaching(series, target):
    return next((step for step, value in series if value <= target), None)

lora, plus = load(sys.argv[1]), load(sys.argv[2])
fmt = lambda v: "not reached" if v is None else str(v)
for name, index in (("validation loss", 1), ("smoothed training loss", 0)):
    if not lora[index] or not plus[index]:
        continue
    target = lora[index][-1][1]
    a, b = first_reaching(lora[index], target), first_reaching(plus[index], target)
    print(f"{name}: target {target:.4f} (plain LoRA's final value)")
    print(f"  LoRA  (λ = 1):  step {fmt(a)}   final {lora[index][-1][1]:.4f}")
    print(f"  LoRA+ (λ = 16): step {fmt(b)}   final {plus[index][-1][1]:.4f}")
    if a and b:
        print(f"  LoRA+ needs {b / a:.2f}× the steps of LoRA ({a / b:.2f}× faster)")
PY

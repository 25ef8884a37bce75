#!/bin/bash
# Fixed λ against the automatic λ and the Riemannian optimizer, on three tasks
# of the demo model (issue [auto-lambda]): the style set (rewrite), the chat
# set (answers) and the sections set (a label: which part of the Bible a
# verse is from). Every run is `lorafit-cli train` on the demo settings with
# only the named settings changed; the table gives, per task and learning
# rate, each setting's final and best validation loss, the steps it needs to
# reach plain LoRA's (λ = 1) final validation loss, and its wall time.
#   tests/bench/autolambda_compare.sh [LORAFIT_CLI] [OUT_DIR]
# Environment (defaults: the issue's grid):
#   TASKS="style chat sections"  LRS="3e-4 1e-3"  RATIOS="1 2 4 8 16 32 64 auto auto-module"
#   RIEMANNIAN_LRS="1e-4 3e-4 1e-3"  RIEMANNIAN_DAMPINGS="1e-6 1e-2"  STEPS=240  THREADS=2
set -euo pipefail
cd "$(dirname "$0")/../.."
cli=${1:-build/ci/app/cli/lorafit-cli}
out=${2:-$(mktemp -d)}
mkdir -p "$out"
TASKS=${TASKS:-style chat sections}
LRS=${LRS:-3e-4 1e-3}
RATIOS=${RATIOS:-1 2 4 8 16 32 64 auto auto-module}
RIEMANNIAN_LRS=${RIEMANNIAN_LRS:-1e-4 3e-4 1e-3}
RIEMANNIAN_DAMPINGS=${RIEMANNIAN_DAMPINGS:-1e-6 1e-2}
STEPS=${STEPS:-240}
THREADS=${THREADS:-2}
here=$(pwd)

task_settings() {
  case $1 in
    style) ;;
    chat) echo "--set dataset.train_path=data/chat_train.jsonl --set dataset.validation_path=data/chat_validation.jsonl
                --set dataset.shape=messages --set dataset.loss_on=auto" ;;
    sections) echo "--set dataset.train_path=$here/tests/bench/data/sections_train.jsonl
                    --set dataset.validation_path=$here/tests/bench/data/sections_validation.jsonl" ;;
    *) echo "unknown task '$1' (style, chat, sections)" >&2; exit 2 ;;
  esac
}

train() { # NAME TASK SETTINGS...
  local name=$1 task=$2; shift 2
  [ -s "$out/$name.jsonl" ] && grep -q '"event":"end"\|"eval_loss"' "$out/$name.jsonl" && [ -f "$out/$name.time" ] && return
  local start=$(date +%s)
  # shellcheck disable=SC2046
  "$cli" train resources/demo/demo.json --out "$out/run-$name" --metrics "$out/$name.jsonl" -q --threads "$THREADS" \
    --max-steps "$STEPS" --set training.checkpoint_every=0 --set training.probe_every=10 $(task_settings "$task") "$@" \
    > "$out/$name.log" 2>&1 || { echo "$name failed: $(tail -1 "$out/$name.log")"; return; }
  echo $(( $(date +%s) - start )) > "$out/$name.time"
  rm -rf "$out/run-$name"
  echo "$name: $(cat "$out/$name.time") s"
}

for task in $TASKS; do
  for lr in $LRS; do
    for ratio in $RATIOS; do
      if [ "$ratio" = auto-module ]; then # one λ per module type
        train "$task-lr$lr-ratio$ratio" "$task" --set optimizer.learning_rate="$lr" --set optimizer.loraplus_ratio=auto \
          --set optimizer.loraplus_ratio_scope=module
      else
        train "$task-lr$lr-ratio$ratio" "$task" --set optimizer.learning_rate="$lr" --set optimizer.loraplus_ratio="$ratio"
      fi
    done
  done
  for lr in $RIEMANNIAN_LRS; do
    for damping in $RIEMANNIAN_DAMPINGS; do # the paper's ε, and PEFT's default
      suffix=$([ "$damping" = 1e-6 ] || echo "-d$damping")
      train "$task-lr$lr-riemannian$suffix" "$task" --set optimizer.learning_rate="$lr" --set optimizer.name=riemannian \
        --set optimizer.riemannian_damping="$damping"
    done
  done
done

/usr/bin/python3 - "$out" $TASKS <<'PY'
import json, math, re, sys
from pathlib import Path

out, tasks = Path(sys.argv[1]), sys.argv[2:]

def load(path):
    evals, ratios = [], []
    for line in open(path):
        s = json.loads(line)
        if s.get("event") != "step":
            continue
        if s.get("eval_loss") is not None:
            evals.append((s["step"], s["eval_loss"]))
        per_key = [v for k, v in s.items() if k.startswith("loraplus_ratio") and v is not None]
        if per_key: # one λ, or the geometric mean of the per-type ones
            ratios.append(math.exp(sum(math.log(v) for v in per_key) / len(per_key)))
    return evals, ratios

for task in tasks:
    runs = {}
    for path in sorted(out.glob(f"{task}-lr*.jsonl")):
        match = re.fullmatch(r"lr(.+?)-(ratio.+|riemannian.*)", path.stem[len(task) + 1:])
        if not match:
            continue
        lr, setting = match.groups()
        evals, ratios = load(path)
        if evals:
            time = (out / f"{path.stem}.time")
            runs[(lr, setting)] = (evals, ratios, int(time.read_text()) if time.exists() else None)
    print(f"\n### {task}\n")
    print("| lr | setting | final eval loss | best eval loss | steps to λ = 1's final | final λ | time (s) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for lr in sorted({k[0] for k in runs}, key=float):
        plain = runs.get((lr, "ratio1"))
        target = plain[0][-1][1] if plain else None
        best_fixed = min((v[0][-1][1] for k, v in runs.items() if k[0] == lr and k[1].startswith("ratio")
                          and not k[1].startswith("ratioauto")), default=None)
        def order(k):
            s = k[1]
            if s.startswith("ratioauto"):
                return (1, s)
            return (0, float(s[5:])) if s.startswith("ratio") else (2, s)
        for key in sorted((k for k in runs if k[0] == lr), key=order):
            evals, ratios, time = runs[key]
            final, best = evals[-1][1], min(v for _, v in evals)
            reach = next((step for step, v in evals if target is not None and v <= target), None)
            label = {"ratioauto": "λ auto", "ratioauto-module": "λ auto per module type",
                     "riemannian": "riemannian (ε 1e-6)"}.get(key[1], "λ = " + key[1][5:])
            if key[1].startswith("riemannian-d"):
                label = f"riemannian (ε {key[1][12:]})"
            mark = ""
            if key[1].startswith("ratioauto") and best_fixed:
                mark = f" ({100 * (final / best_fixed - 1):+.2f} % vs best fixed)"
            lam = f"{ratios[-1]:.1f}" if ratios else "—"
            steps = reach if reach is not None else "—"
            print(f"| {lr} | {label} | {final:.4f}{mark} | {best:.4f} | {steps} | {lam} | {time if time is not None else '—'} |")
PY

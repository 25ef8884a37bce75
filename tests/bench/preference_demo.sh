#!/usr/bin/env bash
# Preference tuning on the demo, with the commands a user runs: DPO (and ORPO)
# from the demo base model on resources/demo's preference pairs (modern answer
# chosen, archaic answer rejected), DPO from the SFT demo adapter, then greedy
# continuations of held-out prompts by the base model and each adapter, counted
# for archaic forms (thou, thee, ye, thy, hath, unto, shalt, saith, …, -eth verbs)
# and words (an adapter that has stopped writing has no archaic forms either).
# Prints the held-out preference accuracy before and after each run (from the
# --metrics files) and the archaic-form counts.
#   tests/bench/preference_demo.sh [OUT]     (default: a temporary folder; BUILD=build/ci)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD:-build/ci}
cli=$build/app/cli/lorafit-cli
out=${1:-$(mktemp -d)}
mkdir -p "$out"
demo=resources/demo
prompts=20

run() { # $1 name, then lorafit-cli train arguments
    local name=$1; shift
    local started=$SECONDS
    "$cli" train "$@" --out "$out/$name" --metrics "$out/$name.jsonl" --quiet
    echo "$name: $((SECONDS - started)) s"
}
run dpo "$demo/dpo.json"
run orpo "$demo/dpo.json" --set training.objective=orpo
run sft "$demo/demo.json"
run dpo-after-sft "$demo/dpo.json" --init-adapter "$out/sft/checkpoint-240"

python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
print("\n| run | eval accuracy before | after | eval margin after | eval loss before | after |")
print("|---|---|---|---|---|---|")
for name in ("dpo", "orpo", "dpo-after-sft"):
    evals = [json.loads(l) for l in open(f"{out}/{name}.jsonl")]
    evals = [e for e in evals if e.get("event") == "step" and "eval_preference_accuracy" in e]
    first, last = evals[0], evals[-1]
    print(f"| {name} | {100*first['eval_preference_accuracy']:.1f} % | {100*last['eval_preference_accuracy']:.1f} % "
          f"| {last['eval_reward_margin']:.3f} | {first['eval_loss']:.4f} | {last['eval_loss']:.4f} |")
PY

python3 - "$cli" "$out" "$demo" "$prompts" <<'PY'
import glob, json, re, subprocess, sys
cli, out, demo, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
archaic = re.compile(r"\b(thou|thee|thy|thine|ye|hath|hast|doth|dost|unto|shalt|shall|saith|spake|art|wilt|"
                     r"wherefore|[a-z]+eth)\b", re.IGNORECASE)
prompts = [json.loads(line)["prompt"] for line in open(f"{demo}/data/style_preference_validation.jsonl")][:count]

def forms(adapter):
    total = words = 0
    for prompt in prompts:
        args = [cli, "generate", "--model", f"{demo}/model", "--prompt", prompt, "--temperature", "0",
                "--max-new-tokens", "48", "--stop", "\n"]
        if adapter:
            args += ["--adapter", adapter]
        text = subprocess.run(args, capture_output=True, text=True, check=True).stdout
        total += len(archaic.findall(text))
        words += len(text.split())
    return f"{total} archaic forms in {words} words"  # few words: the adapter has stopped writing

print(f"\ngreedy continuations (48 tokens at most) of {count} held-out prompts:")
print(f"  base model:          {forms(None)}")
for name in ("sft", "dpo", "orpo", "dpo-after-sft"):
    last = max(glob.glob(f"{out}/{name}/checkpoint-*"), key=lambda p: int(p.rsplit("-", 1)[1]))
    print(f"  {name + ':':20} {forms(last)}")
PY

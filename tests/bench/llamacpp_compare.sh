#!/usr/bin/env bash
# lorafit-cli against the real llama.cpp on one checkpoint, with the commands a
# user runs: `lorafit-cli export --format gguf-model` (merged) and
# `--format gguf-model,gguf --base-only` (base + GGUF LoRA), then
# `lorafit-cli eval --token-losses` on a text and llama.cpp's log-probabilities
# of the same tokens (tests/fixtures/llamacpp/llamacpp_eval.mjs, node-llama-cpp
# as installed by the llamacpp_fixtures test), in the windows lorafit-cli eval
# uses (the model's context, at most 2048 tokens; consecutive windows share one
# token, so every token after the first is predicted once). Prints per-token and mean
# differences and the perplexities for each dtype.
#   tests/bench/llamacpp_compare.sh CHECKPOINT TEXT_FILE [DTYPE...]   (default dtypes: f32 f16 bf16 q8_0)
# BUILD (default build/ci) names the build folder.
set -euo pipefail
cd "$(dirname "$0")/../.."
checkpoint=$1 text=$2; shift 2
dtypes=${*:-f32 f16 bf16 q8_0}
build=${BUILD:-build/ci}
cli=$build/app/cli/lorafit-cli
modules=$build/tests/fixtures/llamacpp/npm/node_modules
[ -d "$modules/node-llama-cpp" ] || { echo "node-llama-cpp missing: ctest --test-dir $build -R llamacpp_fixtures" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

base=$("$cli" export "$checkpoint" --format gguf-model --dtype f32 --out "$work/probe" 2>/dev/null | sed -n 's/^Base model: //p')
"$cli" eval --model "$base" --adapter "$checkpoint" --text "$text" --token-losses "$work/lorafit.tsv" >/dev/null
"$cli" tokenize --model "$base" --file "$text" --special > "$work/ids.json"

compare() { # $1 label, $2 model.gguf, $3 adapter.gguf or ""
    python3 - "$work" "$2" "$3" "$base" > "$work/request.json" <<'PY'
import json, sys
work, model, lora, base = sys.argv[1:5]
config = json.load(open(f"{base}/config.json"))
window = min(config.get("max_position_embeddings", config.get("n_positions", 2048)), 2048)
ids = json.load(open(f"{work}/ids.json"))
windows = [ids[begin:begin + window] for begin in range(0, max(1, len(ids) - 1), window - 1)]
print(json.dumps({"model": model, "lora": lora or None, "contextSize": window, "logprobs": windows}))
PY
    node tests/fixtures/llamacpp/llamacpp_eval.mjs "$modules" "$work/request.json" > "$work/llamacpp.json"
    python3 - "$1" "$work" <<'PY'
import json, math, sys
label, work = sys.argv[1:3]
ours = [float(line.split("\t")[3]) for line in open(f"{work}/lorafit.tsv").read().splitlines()[1:]]
theirs = [-x for window in json.load(open(f"{work}/llamacpp.json"))["logprobs"] for x in window]
assert len(ours) == len(theirs), (len(ours), len(theirs))
worst = max(abs(a - b) / max(1.0, abs(b)) for a, b in zip(theirs, ours))
mo, mt = sum(ours) / len(ours), sum(theirs) / len(theirs)
print(f"{label:28s} tokens {len(ours):4d}  worst per-token |Δ|/max(1,loss) {worst:.2e}  "
      f"mean loss {mt:.6f} (llama.cpp) vs {mo:.6f} (lorafit-cli eval)  rel {abs(mt - mo) / mo:.2e}  "
      f"ppl {math.exp(mt):.4f} vs {math.exp(mo):.4f} ({100 * (math.exp(mt) - math.exp(mo)) / math.exp(mo):+.3f} %)")
PY
}

for dtype in $dtypes; do
    "$cli" export "$checkpoint" --format gguf-model --dtype "$dtype" --out "$work/merged-$dtype" >/dev/null 2>&1
    compare "merged $dtype" "$(ls "$work/merged-$dtype"/*.gguf)" ""
done
"$cli" export "$checkpoint" --format gguf-model,gguf --base-only --dtype f32 --out "$work/split" >/dev/null 2>&1
compare "base + LoRA f32" "$(ls "$work/split/gguf-model"/*.gguf)" "$(ls "$work/split/gguf"/*.gguf)"

#!/bin/sh
# Tokenizer throughput, Lorafit vs the npm tokenizers package, side by side on
# the same ~10 MB of mixed text, single thread, GPT-2 and Llama-3 tokenizers.
#   sh tests/bench/bench_tokenizer/run_bench_tokenizer.sh <build dir> [megabytes]
set -eu
build=$(cd "$1" && pwd)
megabytes=${2:-10}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
fixtures="$build/tests/fixtures/tokenizer"
sh "$root/tests/fixtures/make_tokenizer_fixtures.sh" "$root/tests/fixtures" "$root/tests/data/tokenizer/corpus.txt" "$fixtures"
if [ -f "$fixtures/SKIPPED" ]; then echo "npm fixtures unavailable: $(cat "$fixtures/SKIPPED")"; exit 1; fi
text="$build/bench/tokenizer_bench_text.txt"
node "$here/bench_tokenizer.mjs" --make-text "$root/tests/data/tokenizer/corpus.txt" "$text" "$megabytes"
export RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false LORAFIT_THREADS=1
for model in gpt2-json llama3 qwen3 llama2; do
    echo "== $model"
    "$build/bench/bench_tokenizer" "$fixtures/models/$model" "$text" 3
    node "$here/bench_tokenizer.mjs" "$fixtures/npm/node_modules" "$fixtures/models/$model/tokenizer.json" "$text" 3
done

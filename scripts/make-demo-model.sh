#!/bin/sh
# Rebuilds Lorafit's demo: the pretraining corpus, the base model in
# resources/demo/model/ and the datasets in resources/demo/data/.
#
#   scripts/make-demo-model.sh [BUILD_DIR] [MINUTES]
#
# BUILD_DIR holds app/cli/lorafit-cli (default build/ci, from `cmake --build --preset ci`;
# the LORAFIT_CLI environment variable may name the executable instead);
# MINUTES is the pretraining budget (default 25). Needs the public-domain texts
# from Debian, which are build-time inputs of the demo only (not runtime deps):
#   apt-get install bible-kjv bible-kjv-text jargon-text
# and /usr/bin/python3 (standard library only). The run is reproducible up to
# the number of steps that fit in the time budget (printed in the model card).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/ci}
minutes=${2:-25}
cli=${LORAFIT_CLI:-$build/app/cli/lorafit-cli}
[ -x "$cli" ] || { echo "make-demo-model: $cli not found (hint: cmake --build --preset ci --target lorafit-cli)" >&2; exit 1; }
command -v bible >/dev/null 2>&1 && [ -f /usr/share/doc/jargon-text/jargon.txt.gz ] || {
    echo "make-demo-model: the corpus packages are missing (hint: apt-get install bible-kjv bible-kjv-text jargon-text)" >&2
    exit 1
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 "$root/scripts/demo/make_demo_corpus.py" "$work/corpus"

demo="$root/resources/demo"
mkdir -p "$demo"
"$cli" pretrain --corpus "$work/corpus" --out "$demo/model" --overwrite \
    --vocab 4096 --layers 4 --hidden 192 --heads 4 --kv-heads 4 --intermediate 512 --context 256 \
    --minutes "$minutes" --batch 8 --lr 3e-3 --seed 42 --validation-fraction 0.02 \
    | tee "$work/pretrain.log"
grep -q '^Wrote ' "$work/pretrain.log" || { echo "make-demo-model: pretraining failed" >&2; exit 1; }
cp "$work/pretrain.log" "$demo/model/pretrain.log"
/usr/bin/python3 "$root/scripts/demo/write_model_card.py" "$demo/model" "$minutes" "$work/corpus"

/usr/bin/python3 "$root/scripts/demo/make_demo_datasets.py" "$work/corpus" "$demo/data"
du -sh "$demo"

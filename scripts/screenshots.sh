#!/bin/sh
# Renders every page of the desktop app into docs/screenshots/*.png: the GUI
# flow test builds a tiny model and dataset, trains for a few seconds and
# saves the Model, Data, Adapter, Training, adapter-update and Runs pages;
# the export dialog, playground and sweep dialog tests (when built) add
# export.png, playground.png and sweep-*.png.
# Uses Xvfb when xvfb-run is installed (real X11 rendering), else Qt's
# offscreen platform. Build first: cmake --build --preset ci --target test_trainingflow
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-"$root/build/ci"}
out="$root/docs/screenshots"
test_binary="$build/tests/test_trainingflow"
if [ ! -x "$test_binary" ]; then
    echo "screenshots.sh: $test_binary not found (hint: cmake --build --preset ci --target test_trainingflow)" >&2
    exit 1
fi
mkdir -p "$out"
export LORAFIT_SCREENSHOTS="$out" LORAFIT_THREADS=2
run() {
    if command -v xvfb-run >/dev/null 2>&1; then
        xvfb-run -a -s "-screen 0 1600x1000x24" "$1"
    else
        QT_QPA_PLATFORM=offscreen "$1"
    fi
}
run "$test_binary"
for extra in test_exportdialog test_playground test_sweepdialog; do
    if [ -x "$build/tests/$extra" ]; then run "$build/tests/$extra"; fi
done
ls -1 "$out"/*.png

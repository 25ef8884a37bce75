#!/usr/bin/env bash
# Installs dependencies, builds the release preset and starts Lorafit. On the
# first start (no project opened before) the app opens the demo project: press
# Start. Without a display, it trains the demo headless instead and writes the
# plots as PNG files into build/demo (extra arguments go to the app, e.g.
# `--max-steps 20`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/install-deps.sh
cmake --preset release
cmake --build --preset release
app=build/release/app/gui/lorafit
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  exec "$app" "$@"
fi
echo "run: no display; training the demo headless in build/demo"
exec "$app" --demo-headless build/demo "$@"

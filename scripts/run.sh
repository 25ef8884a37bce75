#!/usr/bin/env bash
# Installs dependencies, builds the release preset and starts Lorafit.
# Without a display, it renders the main window to build/lorafit-main.png.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/install-deps.sh
cmake --preset release
cmake --build --preset release
app=build/release/app/gui/lorafit
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  exec "$app" "$@"
fi
echo "run: no display; writing the main window to build/lorafit-main.png"
"$app" --screenshot build/lorafit-main.png
echo "run: wrote build/lorafit-main.png"

#!/usr/bin/env bash
# Installs dependencies, builds with the 'ci' preset and runs the test suite
# (everything but the 'slow' and 'fuzz' labels). Extra arguments go to ctest,
# e.g. `scripts/test.sh -L unit`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/install-deps.sh
cmake --preset ci
cmake --build --preset ci
ctest --preset ci "$@"

#!/usr/bin/env bash
# Creates (or reuses) the Python virtual environment of the PEFT/transformers
# reference test: transformers, PEFT and their dependencies at the versions of
# tests/reference/requirements.txt, from PyPI, on top of the system's
# python3-torch and python3-numpy (--system-site-packages). Never installs into
# the system Python.
#   scripts/reference-venv.sh [DIR]     (default: build/ci/refvenv)
# Idempotent: an environment whose stamp matches the requirements file is kept.
# If the environment cannot be made (no python3-venv, no torch, PyPI out of
# reach) it writes DIR/SKIPPED with the reason and exits 0, so the test that
# needs it skips with that message; DIR/READY marks a usable environment.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${1:-$root/build/ci/refvenv}
requirements=$root/tests/reference/requirements.txt
python=/usr/bin/python3

skip() {
    mkdir -p "$venv"
    rm -f "$venv/READY"
    printf '%s\n' "$1" > "$venv/SKIPPED"
    echo "reference-venv: skipped: $1" >&2
    exit 0
}

stamp=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ -f "$venv/READY" ] && [ "$(cat "$venv/READY")" = "$stamp" ] && [ -x "$venv/bin/python" ]; then
    echo "reference-venv: $venv is up to date"
    exit 0
fi

[ -x "$python" ] || skip "$python is missing (hint: apt-get install python3 python3-venv python3-torch)"
"$python" -c 'import torch, numpy' 2>/dev/null \
    || skip "$python has no torch or numpy (hint: apt-get install python3-torch python3-numpy)"
"$python" -c 'import venv, ensurepip' 2>/dev/null || skip "$python has no venv module (hint: apt-get install python3-venv)"

rm -rf "$venv"
mkdir -p "$venv"
log=$venv.log
started=$(date +%s)
if ! "$python" -m venv --system-site-packages "$venv" >"$log" 2>&1; then
    skip "python3 -m venv failed; see $log"
fi
# --no-deps: the file lists every dependency; pip must not replace the
# system's torch (its version 1.13.0a0 reads as older than the 1.13.0 PEFT asks for).
# A bounded wait (--timeout, --retries) so a machine without PyPI skips well within the test's timeout.
if ! "$venv/bin/python" -m pip install --no-deps --only-binary=:all: --no-compile --disable-pip-version-check \
        --no-input --timeout 30 --retries 2 -r "$requirements" >>"$log" 2>&1; then
    skip "pip install -r $requirements failed (PyPI out of reach?); see $log"
fi
if ! "$venv/bin/python" -c 'import torch, transformers, peft' >>"$log" 2>&1; then
    skip "the environment in $venv cannot import torch, transformers and peft; see $log"
fi
rm -f "$venv/SKIPPED"
printf '%s\n' "$stamp" > "$venv/READY"
echo "reference-venv: $venv ready in $(( $(date +%s) - started )) s" \
    "($("$venv/bin/python" -c 'import torch, transformers, peft; print("torch", torch.__version__, "transformers", transformers.__version__, "peft", peft.__version__)'))"

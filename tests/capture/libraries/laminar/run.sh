#!/bin/bash
# Regenerates this capture. Python 3.11 venv with requirements-lmnr.txt; sink venv with ../tools-b/requirements-sink.txt.
set -eu
cd "$(dirname "$0")"
PY=${PY:-/tmp/i19b/venv-lmnr/bin/python}
[ -x "$PY" ] || { python3.11 -m venv /tmp/i19b/venv-lmnr && /tmp/i19b/venv-lmnr/bin/pip install -q -r requirements-lmnr.txt; }
../tools-b/run_capture.sh . 120 "$PY" "$PWD/program.py"

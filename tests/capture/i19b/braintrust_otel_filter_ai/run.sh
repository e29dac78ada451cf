#!/bin/bash
# Regenerates this capture. Same program as ../braintrust_otel with BT_FILTER_AI=1 (filter_ai_spans=True).
# Python 3.11 venv with requirements-braintrust.txt; the sink's venv with ../tools/requirements-sink.txt.
set -eu
cd "$(dirname "$0")"
PY=${PY:-/tmp/i19b/venv-bt/bin/python}
[ -x "$PY" ] || { python3.11 -m venv /tmp/i19b/venv-bt && /tmp/i19b/venv-bt/bin/pip install -q -r ../braintrust_otel/requirements-braintrust.txt; }
export BRAINTRUST_APP_URL=http://127.0.0.1:9/   # never the vendor, even if something tried to log in
BT_FILTER_AI=1 ../tools/run_capture.sh . 120 "$PY" "$PWD/../braintrust_otel/program.py"

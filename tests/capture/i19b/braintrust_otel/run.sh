#!/bin/bash
# Regenerates this capture. BT_FILTER_AI=1 (see ../braintrust_otel_filter_ai/run.sh) turns on filter_ai_spans.
# Python 3.11 venv with requirements-braintrust.txt; the sink's venv with ../tools/requirements-sink.txt.
set -eu
cd "$(dirname "$0")"
PY=${PY:-/tmp/i19b/venv-bt/bin/python}
[ -x "$PY" ] || { python3.11 -m venv /tmp/i19b/venv-bt && /tmp/i19b/venv-bt/bin/pip install -q -r requirements-braintrust.txt; }
export BRAINTRUST_APP_URL=http://127.0.0.1:9/   # never the vendor, even if something tried to log in
../tools/run_capture.sh . 120 "$PY" "$PWD/program.py"

#!/bin/bash
# Regenerates this capture. Python 3.11 venv with requirements-weave.txt; sink venv with ../tools/requirements-sink.txt.
set -eu
cd "$(dirname "$0")"
PY=${PY:-/tmp/i19b/venv-weave/bin/python}
[ -x "$PY" ] || { python3.11 -m venv /tmp/i19b/venv-weave && /tmp/i19b/venv-weave/bin/pip install -q -r requirements-weave.txt; }
export WANDB_API_KEY=0000000000000000000000000000000000000000   # dummy
export WANDB_ERROR_REPORTING=false WANDB_SILENT=true WEAVE_PRINT_CALL_LINK=false
export WEAVE_USE_OTEL_V2=true OPENAI_AGENTS_DISABLE_TRACING=0
export HOME=${CAPTURE_HOME:-/tmp/i19b/weave-home}; mkdir -p "$HOME"
# WF_TRACE_SERVER_URL and WANDB_BASE_URL must be the sink (it answers /server_info and the two GraphQL queries)
../tools/run_capture.sh . 240 bash -c 'WF_TRACE_SERVER_URL=$SINK_URL WANDB_BASE_URL=$SINK_URL exec "$0" "$1"' "$PY" "$PWD/program.py"

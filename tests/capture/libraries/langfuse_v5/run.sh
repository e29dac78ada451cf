#!/bin/bash
# Regenerates this capture. Needs python3.11; builds the venv from requirements-langfuse.txt if missing.
# Langfuse DEFAULT settings; LANGFUSE_HOST points at the local sink, which accepts /api/public/otel/v1/traces.
set -u
cd "$(dirname "$0")"
V=${V:-/tmp/i19a/venv-lf5}
[ -x $V/bin/python ] || { python3.11 -m venv $V && $V/bin/pip install -q -r requirements-langfuse.txt; }
export V LANGFUSE_PUBLIC_KEY=pk-lf-fake-local LANGFUSE_SECRET_KEY=sk-lf-fake-local
../tools-a/run_capture.sh . 180 bash -c 'LANGFUSE_HOST=$SINK_URL LANGFUSE_BASE_URL=$SINK_URL exec $V/bin/python ../langfuse_v3/program.py'

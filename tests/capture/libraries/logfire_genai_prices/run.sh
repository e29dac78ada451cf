#!/bin/bash
# Regenerates this capture. Needs python3.11; builds the venv from requirements-logfire.txt if missing.
# Logfire defaults + the optional genai-prices package installed (Logfire then adds operation.cost), send_to_logfire=False,
# OTEL_EXPORTER_OTLP_ENDPOINT -> local sink (OTLP/HTTP protobuf, Logfire's exporter default).
set -u
cd "$(dirname "$0")"
V=/tmp/i19a/venv-logfire-gp
[ -x $V/bin/python ] || { python3.11 -m venv $V && $V/bin/pip install -q -r requirements-logfire.txt; }
export V LOGFIRE_SEND_TO_LOGFIRE=false OTEL_METRIC_EXPORT_INTERVAL=1000
export LOGFIRE_SEMCONV_VERSION=${LOGFIRE_SEMCONV_VERSION:-}
../tools-a/run_capture.sh . 180 bash -c 'OTEL_EXPORTER_OTLP_ENDPOINT=$SINK_URL exec $V/bin/python ../logfire_default/program.py'

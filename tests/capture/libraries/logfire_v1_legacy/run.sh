#!/bin/bash
# Regenerates this capture. Needs python3.11; builds the venv from ../logfire_default/requirements-logfire.txt if missing.
# Logfire LEGACY attribute format: version=1 passed to instrument_openai()/instrument_anthropic(), send_to_logfire=False,
# OTEL_EXPORTER_OTLP_ENDPOINT -> local sink (OTLP/HTTP protobuf, Logfire's exporter default).
set -u
cd "$(dirname "$0")"
V=/tmp/i19a/venv-logfire
[ -x $V/bin/python ] || { python3.11 -m venv $V && $V/bin/pip install -q -r ../logfire_default/requirements-logfire.txt; }
export V LOGFIRE_SEND_TO_LOGFIRE=false OTEL_METRIC_EXPORT_INTERVAL=1000
export LOGFIRE_SEMCONV_VERSION=1   # instrument_openai(version=1), instrument_anthropic(version=1): legacy request_data/response_data
../tools-a/run_capture.sh . 180 bash -c 'OTEL_EXPORTER_OTLP_ENDPOINT=$SINK_URL exec $V/bin/python ../logfire_default/program.py'

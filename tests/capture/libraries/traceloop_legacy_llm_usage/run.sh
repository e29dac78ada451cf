#!/bin/bash
# Regenerates this capture. Needs python3.11; builds the venv from requirements-traceloop.txt if missing.
# traceloop-sdk 0.16.9 defaults; TRACELOOP_BASE_URL -> local sink (OTLP/HTTP protobuf traces + metrics),
# TRACELOOP_TELEMETRY=false (no posthog). openai 1.30.5 / anthropic 0.28.1 / httpx 0.27.2 are period versions.
set -u
cd "$(dirname "$0")"
V=/tmp/i19a/venv-tl
[ -x $V/bin/python ] || { python3.11 -m venv $V && $V/bin/pip install -q -r requirements-traceloop.txt; }
export V TRACELOOP_TELEMETRY=false OTEL_METRIC_EXPORT_INTERVAL=1000
../tools-a/run_capture.sh . 180 bash -c 'TRACELOOP_BASE_URL=$SINK_URL exec $V/bin/python program.py'

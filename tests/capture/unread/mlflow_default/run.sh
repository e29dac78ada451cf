#!/bin/bash
# Regenerates this capture. Needs python3.11; builds the venv from requirements-mlflow.txt if missing.
# MLflow DEFAULT settings; only the standard OTLP env vars are set (mlflow's default OTLP protocol is
# grpc; http/protobuf is chosen so the stock sink takes it). No MLflow tracking server.
set -u
cd "$(dirname "$0")"
V=/tmp/i19a/venv-mlflow
[ -x $V/bin/python ] || { python3.11 -m venv $V && $V/bin/pip install -q -r requirements-mlflow.txt; }
export V MLFLOW_DISABLE_TELEMETRY=true OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf OTEL_SERVICE_NAME=i19a-mlflow-default
../tools/run_capture.sh . 180 bash -c 'OTEL_EXPORTER_OTLP_ENDPOINT=$SINK_URL exec $V/bin/python program.py'
rm -rf mlruns mlruns.db

#!/usr/bin/env bash
# Regenerate this capture (paths relative to the staging dir ..). The sink writes routed requests to
# sink/route=<route>/, as `otelcost listen --save` lays them out; they are copied to route=route-a/ and
# route=route-b/ here.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/harness.sh
V=${VENV_OAI:-/tmp/i21-oai}
make_venv "$V" same_data_two_routes/requirements.txt
PY=$V/bin/python
D=same_data_two_routes
start_servers $D 18424 18524
trap stop_servers EXIT
OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=SPAN_AND_EVENT "$PY" $D/program.py
stop_servers; trap - EXIT
for r in route-a route-b; do
  rm -rf "$D/route=$r"; mkdir -p "$D/route=$r"
  cp "$D/sink/route=$r/"*.jsonl "$D/route=$r/"
  cp "$D/sink/route=$r/requests.log" "$D/route=$r/"
done
rm -rf $D/sink

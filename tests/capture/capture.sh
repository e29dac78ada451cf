#!/usr/bin/env bash
# Regenerates one capture: tests/capture/capture.sh SCENARIO PYTHON OTELCOST
#   SCENARIO  g_strands | h_google_adk | i_openlit | i_openlit_console
#             (NAME_console runs NAME.py with no OTLP endpoint and keeps its stdout: the
#             console exporters' output between the program's own prints)
#   PYTHON    an interpreter with tests/capture/requirements-SCENARIO.txt installed
#   OTELCOST  an otelcost binary (its `run --save` is the OTLP sink)
# The fake LLM server and the emitter run on loopback only; the results overwrite the
# scenario's files in testdata/ and tests/ (see finalize.py).
set -euo pipefail
scenario=$1 python=$2 otelcost=$3
kit=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$kit/../.." && pwd)
run=$(mktemp -d)
trap 'kill "$fake_pid" 2>/dev/null || true' EXIT

"$python" "$kit/fake_llm.py" --log "$run/fake_llm_log.jsonl" > "$run/fake_llm.url" &
fake_pid=$!
until [ -s "$run/fake_llm.url" ]; do sleep 0.1; done

export FAKE_LLM=$(cat "$run/fake_llm.url") FAKE_LLM_LOG="$run/fake_llm_log.jsonl"
if [[ $scenario == *_console ]]; then
  (cd "$kit" && "$python" "$kit/${scenario%_console}.py" "$run/calls.json" > "$run/stdout.txt")
else
  OTEL_SERVICE_NAME="scenario-$scenario" \
    "$otelcost" run -q --save "$run/otlp" --save-format proto --flush 5s -- "$python" "$kit/$scenario.py" "$run/calls.json"
fi
"$python" "$kit/finalize.py" "$scenario" "$run" "$repo"
echo "capture in $run; test data written under $repo"

#!/usr/bin/env bash
# Regenerates the i_spring_ai capture: tests/capture/spring_ai/capture.sh PYTHON OTELCOST
#   PYTHON    an interpreter with opentelemetry-proto (the test venv of tests/requirements.txt)
#   OTELCOST  an otelcost binary (its `listen --save` is the OTLP sink)
# Builds the app with Maven (Java 17), runs it against the fake OpenAI server, all on
# loopback; the results overwrite i_spring_ai's files in testdata/ and tests/ (finalize.py).
set -euo pipefail
python=$1 otelcost=$2
kit=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$kit/../../.." && pwd)
run=$(mktemp -d)
trap 'kill "$fake_pid" "$listen_pid" 2>/dev/null || true' EXIT

(cd "$kit" && mvn -q -B -DskipTests package)
"$python" "$kit/../fake_llm.py" --log "$run/fake_llm_log.jsonl" > "$run/fake_llm.url" &
fake_pid=$!
"$otelcost" listen -q --http 127.0.0.1:0 --no-grpc --save "$run/otlp" --save-format proto \
  > "$run/listen.out" 2> "$run/listen.err" &
listen_pid=$!
until [ -s "$run/fake_llm.url" ] && grep -q 'OTLP/HTTP on' "$run/listen.err"; do sleep 0.1; done
endpoint=$(grep -o 'http://127.0.0.1:[0-9]*' "$run/listen.err" | head -n 1)

FAKE_LLM=$(cat "$run/fake_llm.url") OTLP_ENDPOINT=$endpoint OTEL_SERVICE_NAME=scenario-spring-ai \
  java -jar "$kit/target/spring-ai-capture.jar" > "$run/emitter.stdout" 2> "$run/emitter.stderr"
kill -TERM "$listen_pid" && wait "$listen_pid" || true
# One fake request per call, in the order App.java makes them.
cat > "$run/calls.json" <<'CALLS'
[
  {"label": "plain call", "fake_requests": [1]},
  {"label": "long system prompt, first use (cache write on the fake server, no read)", "fake_requests": [2]},
  {"label": "same system prompt again (cache read)", "fake_requests": [3]},
  {"label": "streamed (Spring AI asks for stream_options.include_usage: the usage arrives in the last chunk)", "fake_requests": [4]}
]
CALLS
"$python" "$kit/../finalize.py" i_spring_ai "$run" "$repo"
echo "capture in $run; test data written under $repo"

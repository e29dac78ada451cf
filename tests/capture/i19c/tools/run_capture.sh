#!/bin/bash
# usage: tools/run_capture.sh OUTDIR TIMEOUT_S cmd args...   (run from the staging dir)
# Starts the OTLP sink (OTLP/HTTP on 127.0.0.1:$SINK_PORT) and the fake LLM API
# (127.0.0.1:$FAKE_PORT), runs the program with a time limit, then stops both by their PIDs.
# The program gets FAKE_URL, OTLP_ENDPOINT and FAKE_LLM_LOG in its environment.
set -u
OUT=$1; TMO=$2; shift 2
HERE=$(cd "$(dirname "$0")" && pwd)
SINK_PORT=${SINK_PORT:-24318}; FAKE_PORT=${FAKE_PORT:-28089}
SINK_PY=${SINK_PY:-/tmp/i19c/sink/bin/python}
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
rm -rf "$OUT/raw" "$OUT"/traces.* "$OUT"/metrics.* "$OUT"/logs.* "$OUT/requests.log" "$OUT/fake_llm_log.jsonl"
$SINK_PY "$HERE/otlp_sink.py" --out "$OUT" --port "$SINK_PORT" --max-seconds 900 2>"$OUT/sink.stderr" &
SINK=$!
python3 "$HERE/fake_llm.py" --port "$FAKE_PORT" --log "$OUT/fake_llm_log.jsonl" --max-seconds 900 >/dev/null 2>"$OUT/fake_llm.stderr" &
FAKE=$!
for i in $(seq 1 50); do
  (echo > /dev/tcp/127.0.0.1/$SINK_PORT) 2>/dev/null && (echo > /dev/tcp/127.0.0.1/$FAKE_PORT) 2>/dev/null && break
  sleep 0.2
done
export FAKE_URL=http://127.0.0.1:$FAKE_PORT OTLP_ENDPOINT=http://127.0.0.1:$SINK_PORT FAKE_LLM_LOG=$OUT/fake_llm_log.jsonl
# keep libraries from phoning home (there is no internet here anyway)
export LITELLM_LOCAL_MODEL_COST_MAP=True TRACELOOP_TELEMETRY=false HAYSTACK_TELEMETRY_ENABLED=False \
  DSP_CACHEBOOL=false DO_NOT_TRACK=1 HF_HUB_OFFLINE=1 MASTRA_TELEMETRY_DISABLED=1 ANONYMIZED_TELEMETRY=False
timeout "$TMO" "$@" > "$OUT/program.stdout" 2> "$OUT/program.stderr"
RC=$?
echo "program rc=$RC"
sleep 2
kill "$SINK" "$FAKE" 2>/dev/null
wait "$SINK" "$FAKE" 2>/dev/null
tail -5 "$OUT/program.stderr"
awk '{print $2, $3, $4}' "$OUT/requests.log" 2>/dev/null | sort | uniq -c
echo "fake LLM answers: $(wc -l < "$OUT/fake_llm_log.jsonl" 2>/dev/null || echo 0)"

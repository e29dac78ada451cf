#!/bin/bash
# usage: tools/run_capture.sh OUTDIR TIMEOUT_S CMD [ARGS...]
# Starts this dir's copy of the OTLP sink (HTTP + gRPC) and the fake LLM API on free 127.0.0.1 ports,
# exports  SINK_URL=http://127.0.0.1:<http port>  SINK_GRPC=127.0.0.1:<grpc port>
#          FAKE_URL=http://127.0.0.1:<fake port>  FAKE_LLM_LOG=OUTDIR/fake_llm_log.jsonl
# runs CMD inside OUTDIR with a time limit, then stops both servers by their own PIDs.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(mkdir -p "$1" && cd "$1" && pwd); TMO=$2; shift 2
SINK_PY=${SINK_PY:-/tmp/i19b/venv-sink/bin/python}
[ -x "$SINK_PY" ] || { python3.11 -m venv /tmp/i19b/venv-sink && /tmp/i19b/venv-sink/bin/pip install -q -r "$HERE/requirements-sink.txt"; }
rm -rf "$OUT"/{traces,metrics,logs}.{jsonl,pb} "$OUT"/raw "$OUT"/requests.log "$OUT"/paths.log "$OUT"/fake_llm_log.jsonl "$OUT"/*.stderr "$OUT"/*.stdout
read SP GP FP < <(python3 -c 'import socket
s=[socket.socket() for _ in range(3)]
[x.bind(("127.0.0.1",0)) for x in s]
print(*[x.getsockname()[1] for x in s])')
"$SINK_PY" "$HERE/otlp_sink.py" --out "$OUT" --port "$SP" --grpc-port "$GP" --max-seconds 900 2>"$OUT/sink.stderr" &
SINK=$!
python3 "$HERE/fake_llm.py" --port "$FP" --log "$OUT/fake_llm_log.jsonl" >/dev/null 2>"$OUT/fake_llm.stderr" &
FAKE=$!
for i in $(seq 1 50); do
  (echo > /dev/tcp/127.0.0.1/$SP) 2>/dev/null && (echo > /dev/tcp/127.0.0.1/$GP) 2>/dev/null && (echo > /dev/tcp/127.0.0.1/$FP) 2>/dev/null && break
  sleep 0.2
done
export SINK_URL=http://127.0.0.1:$SP SINK_GRPC=127.0.0.1:$GP FAKE_URL=http://127.0.0.1:$FP FAKE_LLM_LOG=$OUT/fake_llm_log.jsonl
export PYTHONPATH=$HERE DO_NOT_TRACK=1
(cd "$OUT" && timeout "$TMO" "$@" > "$OUT/program.stdout" 2> "$OUT/program.stderr")
RC=$?
echo "program rc=$RC"
sleep 2
kill "$SINK" "$FAKE" 2>/dev/null
wait "$SINK" "$FAKE" 2>/dev/null
rm -rf "$OUT/raw"
tail -3 "$OUT/program.stderr"
awk '{print $2, $3, $4}' "$OUT/requests.log" 2>/dev/null | sort | uniq -c
echo "fake answers: $(wc -l < "$OUT/fake_llm_log.jsonl" 2>/dev/null)"

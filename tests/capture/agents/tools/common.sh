# sourced by the run.sh scripts: starts/stops the OTLP sink and the fake LLM API.
# Needs: STAGE (the i20b staging dir), VENV (python venv with opentelemetry-proto protobuf zstandard)
VENV=${VENV:-/tmp/i20b-venv}
ensure_venv() {
  if [ ! -x "$VENV/bin/python" ]; then
    python3.11 -m venv "$VENV"
    "$VENV/bin/pip" install -q -r "$STAGE/tools/requirements-tools.txt"
  fi
}
# start_servers OUTDIR SINKPORT APIPORT [fake args...]
start_servers() {
  local out=$1 sp=$2 ap=$3; shift 3
  mkdir -p "$out/sink" "$out/fake"
  "$VENV/bin/python" "$STAGE/tools/otlp_sink.py" --out "$out/sink" --port "$sp" --max-seconds 900 > "$out/sink.log" 2>&1 &
  SINKPID=$!
  "$VENV/bin/python" "$STAGE/tools/fake_agents.py" "$out/fake" --port "$ap" --max-seconds 900 "$@" > "$out/fake.log" 2>&1 &
  APIPID=$!
  for i in $(seq 50); do
    (exec 3<>/dev/tcp/127.0.0.1/$sp) 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/$ap) 2>/dev/null && break
    sleep 0.2
  done
}
stop_servers() {
  kill "$SINKPID" "$APIPID" 2>/dev/null
  wait "$SINKPID" "$APIPID" 2>/dev/null
}
# collect OUTDIR DEST: copy the signal files and the fake log into DEST
collect() {
  local out=$1 dest=$2
  mkdir -p "$dest"
  for s in traces metrics logs; do
    [ -s "$out/sink/$s.jsonl" ] && cp "$out/sink/$s.jsonl" "$dest/$s.jsonl"
  done
  cp "$out/fake/fake_llm_log.jsonl" "$dest/fake_llm_log.jsonl" 2>/dev/null
  for f in "$dest"/*.jsonl; do
    if [ "$(stat -c %s "$f")" -gt 1000000 ]; then zstd -q -19 --rm -f "$f"; fi
  done
}

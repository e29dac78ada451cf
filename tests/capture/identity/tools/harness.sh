# Shared by the run.sh scripts of captures/i21 (source it from the staging dir).
# make_venv DIR REQUIREMENTS  : python3.11 venv from a pinned requirements file, if missing
# start_servers OUT FAKEPORT SINKPORT [fake_llm.py args...] : fake LLM API + OTLP sink on 127.0.0.1
# stop_servers                : stops exactly the two processes started here (by pid)
make_venv() {
  if [ ! -x "$1/bin/python" ]; then
    python3.11 -m venv "$1" && "$1/bin/pip" install -q -r "$2"
  fi
}
start_servers() {
  local out=$1 fport=$2 sport=$3; shift 3
  mkdir -p "$out"
  rm -rf "$out/sink" "$out/fake_llm_log.jsonl"
  "$PY" tools/fake_llm.py --port "$fport" --log "$out/fake_llm_log.jsonl" "$@" > /dev/null &
  FAKE_PID=$!
  "$PY" tools/otlp_sink.py --out "$out/sink" --port "$sport" --max-seconds 1200 2> "$out/sink.stderr" &
  SINK_PID=$!
  export FAKE=http://127.0.0.1:$fport SINK=http://127.0.0.1:$sport
  for _ in $(seq 50); do
    (exec 3<>/dev/tcp/127.0.0.1/$fport) 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/$sport) 2>/dev/null && return 0
    sleep 0.2
  done
  echo "servers did not come up" >&2; return 1
}
stop_servers() {
  sleep 1
  kill "$FAKE_PID" "$SINK_PID" 2>/dev/null
  wait "$FAKE_PID" "$SINK_PID" 2>/dev/null
  return 0
}

#!/usr/bin/env bash
# Regenerate the Cline CLI capture (cline 3.0.65, pinned in package.json/package-lock.json).
# Needs: node >= 20, npm, python3, root (unshare -n: the whole run lives in a private network
# namespace whose only interface is loopback, so nothing can leave the machine; Cline's own
# telemetry, on by default, would otherwise post to its vendor's OTLP endpoint).
# usage: bash run.sh            (writes into the directory of this script)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOOLS=$HERE/../tools
NPMDIR=${NPMDIR:-/tmp/i20a-npm-cline}
VENV=${VENV:-/tmp/i20a-venv}

if [ -z "${IN_NETNS:-}" ]; then
  if [ ! -x "$NPMDIR/node_modules/.bin/cline" ]; then
    mkdir -p "$NPMDIR"; cp "$HERE/package.json" "$HERE/package-lock.json" "$NPMDIR/"
    (cd "$NPMDIR" && npm ci --no-audit --no-fund)
  fi
  if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"; "$VENV/bin/pip" install -q -r "$TOOLS/requirements-otlp_sink.txt"
  fi
  exec env IN_NETNS=1 unshare -n bash "$0" "$@"
fi

ip link set lo up
CLINE="$NPMDIR/node_modules/.bin/cline"
WORK=$(mktemp -d /tmp/i20a-cline-run.XXXXXX)
OUT=$HERE
rm -rf "$OUT/state" "$OUT/fake" "$OUT/sink" "$OUT"/stdout_*.jsonl "$OUT"/stderr_*.txt
mkdir -p "$WORK/ws" "$WORK/home"
printf 'Project notes\nlaunch: moved to Thursday\nbudget: 42 units\n' > "$WORK/ws/notes.txt"

# fake LLM API (Anthropic + OpenAI chat completions), 2 tool turns per session -> 3 calls per session
python3 "$TOOLS/fake_llm_multi.py" "$WORK/fake" --port 18211 --max-seconds 600 \
  --tool read_files --tool-args "{\"files\":[{\"path\":\"$WORK/ws/notes.txt\"}]}" --tool-turns 2 --thinking \
  > "$WORK/fake.out" 2>&1 &
FAKE=$!
# OTLP sink, only to show that nothing arrives when OTEL_* point at it
"$VENV/bin/python" "$TOOLS/otlp_sink.py" --out "$WORK/sink" --port 14328 --max-seconds 600 > "$WORK/sink.out" 2>&1 &
SINK=$!
trap 'kill $FAKE $SINK 2>/dev/null || true' EXIT
sleep 1.5

export HOME=$WORK/home                 # nothing touches the real home
export CLINE_DIR=$WORK/home/.cline      # state root (default ~/.cline); data dir = $CLINE_DIR/data
export CLINE_SESSION_BACKEND_MODE=local # run in-process, no background hub daemon
export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:14328 OTEL_EXPORTER_OTLP_PROTOCOL=http/json \
       OTEL_METRIC_EXPORT_INTERVAL=1000 OTEL_TRACES_EXPORTER=otlp OTEL_LOGS_EXPORTER=otlp OTEL_METRICS_EXPORTER=otlp
cd "$WORK/ws"

# provider setup: `cline auth` accepts --baseurl only for openai/openai-compatible, so the
# Anthropic base URL is added to providers.json by hand (settings.baseUrl).
"$CLINE" auth anthropic -k fake-anthropic-key -m claude-sonnet-4-5 > /dev/null
"$CLINE" auth openai-compatible -k fake-openai-key -m o4-mini -b http://127.0.0.1:18211/v1 > /dev/null
python3 - "$CLINE_DIR/data/settings/providers.json" <<'EOF'
import json, sys
p = sys.argv[1]; d = json.load(open(p))
d["providers"]["anthropic"]["settings"]["baseUrl"] = "http://127.0.0.1:18211"
json.dump(d, open(p, "w"), indent=2)
EOF

# session A: Anthropic, extended thinking requested
timeout 180 "$CLINE" --json -P anthropic -m claude-sonnet-4-5 --thinking low \
  "Read notes.txt and tell me what it says." > "$OUT/stdout_A_anthropic.jsonl" 2> "$OUT/stderr_A_anthropic.txt"
# session B: OpenAI-compatible (chat completions), reasoning model
timeout 180 "$CLINE" --json -P openai-compatible -m o4-mini \
  "Read notes.txt and tell me what it says." > "$OUT/stdout_B_openai.jsonl" 2> "$OUT/stderr_B_openai.txt"
sleep 2

# collect
mkdir -p "$OUT/state" "$OUT/fake"
(cd "$CLINE_DIR" && find . -type f | sort) > "$OUT/state/FILES.txt"
cp "$CLINE_DIR/data/logs/cline.log" "$OUT/cline.log"
cp -r "$CLINE_DIR/data/sessions" "$OUT/state/sessions"
cp "$CLINE_DIR/data/settings/providers.json" "$OUT/state/providers.json"
python3 - "$CLINE_DIR/data/db/sessions.db" "$OUT/state/sessions_db_sessions.json" <<'EOF'
import json, sqlite3, sys
c = sqlite3.connect(sys.argv[1]); c.row_factory = sqlite3.Row
json.dump([dict(r) for r in c.execute("select * from sessions order by started_at")], open(sys.argv[2], "w"), indent=1)
EOF
cp "$WORK/fake/fake_usage.jsonl" "$OUT/fake_llm_log.jsonl"
cp "$WORK/fake/requests.jsonl" "$OUT/fake/requests.jsonl"
[ -f "$WORK/fake/fake_unhandled.jsonl" ] && cp "$WORK/fake/fake_unhandled.jsonl" "$OUT/fake/"
if ls "$WORK/sink"/*.jsonl > /dev/null 2>&1; then cp -r "$WORK/sink" "$OUT/sink"; else echo "no OTLP request reached the sink" > "$OUT/sink_EMPTY.txt"; fi
(cd "$HOME" && find . -type f | sort) > "$OUT/state/HOME_FILES.txt"
kill $FAKE $SINK 2>/dev/null || true
wait $FAKE $SINK 2>/dev/null || true

# ---- session C: the default hub backend (a background daemon runs the session). Separate state
# dir and fake, to show that task.tokens then reaches no log file.
rm -rf "$OUT/hub_mode"; mkdir -p "$OUT/hub_mode/state"
python3 "$TOOLS/fake_llm_multi.py" "$WORK/fake_hub" --port 18212 --max-seconds 300 \
  --tool read_files --tool-args "{\"files\":[{\"path\":\"$WORK/ws/notes.txt\"}]}" --tool-turns 2 --usage-offset 4 \
  > "$WORK/fake_hub.out" 2>&1 &
FAKE=$!
trap 'kill $FAKE 2>/dev/null || true' EXIT
sleep 1.5
export CLINE_DIR=$WORK/home/.cline-hub
unset CLINE_SESSION_BACKEND_MODE
"$CLINE" auth openai-compatible -k fake-openai-key -m o4-mini -b http://127.0.0.1:18212/v1 > /dev/null
CLINE_SESSION_BACKEND_MODE=hub timeout 180 "$CLINE" --json "Read notes.txt and tell me what it says." \
  > "$OUT/hub_mode/stdout_C_openai_hub.jsonl" 2> "$OUT/hub_mode/stderr_C_openai_hub.txt"
sleep 2
HUBPID=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['pid'])" "$CLINE_DIR/data/locks/hub/production.json" 2>/dev/null || true)
if [ -n "$HUBPID" ]; then kill "$HUBPID" 2>/dev/null || true; fi
sleep 1
(cd "$CLINE_DIR" && find . -type f | sort) > "$OUT/hub_mode/state/FILES.txt"
cp "$CLINE_DIR/data/logs/cline.log" "$OUT/hub_mode/cline.log"
cp "$CLINE_DIR/data/logs/hub-daemon.log" "$OUT/hub_mode/hub-daemon.log" 2>/dev/null || true
cp -r "$CLINE_DIR/data/sessions" "$OUT/hub_mode/state/sessions"
python3 - "$CLINE_DIR/data/db/hub-events-hub-production.db" "$OUT/hub_mode/state/hub_events_usage.jsonl" <<'PYEOF'
import json, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
with open(sys.argv[2], "w") as f:
    for seq, ev, sid, env, ts in c.execute("select sequence,event,session_id,envelope_json,created_at from hub_events order by sequence"):
        if ev in ("usage.updated", "agent.done"):
            f.write(json.dumps({"sequence": seq, "event": ev, "session_id": sid, "created_at": ts,
                                "envelope": json.loads(env)}) + "\n")
PYEOF
cp "$WORK/fake_hub/fake_usage.jsonl" "$OUT/hub_mode/fake_llm_log.jsonl"
kill $FAKE 2>/dev/null || true
wait $FAKE 2>/dev/null || true
echo "work dir: $WORK"

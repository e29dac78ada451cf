#!/usr/bin/env bash
# Regenerate the Kilo Code CLI capture (@kilocode/cli 7.7.7, pinned in package.json/package-lock.json;
# 7.8.1 is not installable here, see NOTES.md). Needs node/npm, python3, root (unshare -n: private
# network namespace with loopback only; Kilo's product telemetry is on by default).
# usage: bash run.sh            (writes into the directory of this script)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOOLS=$HERE/../tools
NPMDIR=${NPMDIR:-/tmp/i20a-npm-kilo}
VENV=${VENV:-/tmp/i20a-venv}

if [ -z "${IN_NETNS:-}" ]; then
  if [ ! -x "$NPMDIR/node_modules/.bin/kilo" ]; then
    mkdir -p "$NPMDIR"; cp "$HERE/package.json" "$HERE/package-lock.json" "$NPMDIR/"
    (cd "$NPMDIR" && npm ci --no-audit --no-fund)
  fi
  if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"; "$VENV/bin/pip" install -q -r "$TOOLS/requirements-otlp_sink.txt"
  fi
  exec env IN_NETNS=1 unshare -n bash "$0" "$@"
fi

ip link set lo up
KILO="$NPMDIR/node_modules/.bin/kilo"
WORK=$(mktemp -d /tmp/i20a-kilo-run.XXXXXX)
OUT=$HERE
rm -rf "$OUT/state" "$OUT/fake" "$OUT/sink" "$OUT"/*.jsonl "$OUT"/*.jsonl.zst "$OUT"/stdout_* "$OUT"/stderr_* "$OUT"/kilo_*.txt "$OUT"/kilo_*.json
mkdir -p "$WORK/ws" "$WORK/home"
printf 'Project notes\nlaunch: moved to Thursday\nbudget: 42 units\n' > "$WORK/ws/notes.txt"

python3 "$TOOLS/fake_llm_multi.py" "$WORK/fake" --port 18231 --max-seconds 600 \
  --tool read --tool-args "{\"filePath\":\"$WORK/ws/notes.txt\"}" --tool-turns 2 --thinking \
  > "$WORK/fake.out" 2>&1 &
FAKE=$!
"$VENV/bin/python" "$TOOLS/otlp_sink.py" --out "$WORK/sink" --port 14338 --max-seconds 600 > "$WORK/sink.out" 2>&1 &
SINK=$!
trap 'kill $FAKE $SINK 2>/dev/null || true' EXIT
sleep 1.5

export HOME=$WORK/home   # data: $HOME/.local/share/kilo (XDG_DATA_HOME), config: $HOME/.config/kilo, state: $HOME/.local/state
export KILO_CONFIG=$WORK/kilo.json          # extra config file (merged over global/project config)
export KILO_DISABLE_MODELS_FETCH=1 KILO_DISABLE_AUTOUPDATE=1 KILO_DISABLE_SHARE=1 KILO_DISABLE_LSP_DOWNLOAD=1
export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:14338   # Kilo's Effect tracer/logger: OTLP/HTTP JSON to <endpoint>/v1/{traces,logs}
export OTEL_BSP_SCHEDULE_DELAY=200
cat > "$KILO_CONFIG" <<'EOF'
{
  "$schema": "https://app.kilo.ai/config.json",
  "provider": {
    "anthropic": { "options": { "baseURL": "http://127.0.0.1:18231/v1", "apiKey": "fake-anthropic-key" } },
    "fakeoai": {
      "npm": "@ai-sdk/openai-compatible",
      "name": "Fake OpenAI-compatible",
      "options": { "baseURL": "http://127.0.0.1:18231/v1", "apiKey": "fake-openai-key" },
      "models": {
        "o4-mini": { "name": "o4-mini", "reasoning": true, "tool_call": true,
                     "cost": { "input": 1.1, "output": 4.4, "cache_read": 0.275 } }
      }
    }
  }
}
EOF
cd "$WORK/ws"
# session A: Anthropic; session B: OpenAI-compatible chat completions. 3 calls each (2 tool turns).
timeout 180 "$KILO" run --auto --format json -m anthropic/claude-sonnet-4-5 \
  "Read notes.txt and tell me what it says." > "$OUT/stdout_A_anthropic.jsonl" 2> "$OUT/stderr_A_anthropic.txt"
timeout 180 "$KILO" run --auto --format json -m fakeoai/o4-mini \
  "Read notes.txt and tell me what it says." > "$OUT/stdout_B_openai.jsonl" 2> "$OUT/stderr_B_openai.txt"
sleep 3
# what a user can read back with the CLI itself
timeout 120 "$KILO" stats --models > "$OUT/kilo_stats.txt" 2>&1 || true
timeout 120 "$KILO" session list --all --format json > "$OUT/kilo_session_list.json" 2> /dev/null || true
mkdir -p "$OUT/state"
for s in $(python3 -c "
import sqlite3,sys; c=sqlite3.connect(sys.argv[1])
print(' '.join(r[0] for r in c.execute('select id from session order by time_created')))" "$HOME/.local/share/kilo/kilo.db"); do
  timeout 120 "$KILO" export "$s" > "$OUT/state/export_$s.json" 2> /dev/null || true
done
sleep 1

(cd "$HOME" && find . -type f | sort) > "$OUT/state/HOME_FILES.txt"
cp -r "$HOME/.local/share/kilo/log" "$OUT/state/log"
python3 - "$HOME/.local/share/kilo/kilo.db" "$OUT/state" <<'PYEOF'
import json, sqlite3, sys, os
c = sqlite3.connect(sys.argv[1]); c.row_factory = sqlite3.Row
out = sys.argv[2]
rows = [dict(r) for r in c.execute("select * from session order by time_created")]
json.dump(rows, open(os.path.join(out, "db_session.json"), "w"), indent=1)
with open(os.path.join(out, "db_message.jsonl"), "w") as f:
    for r in c.execute("select id, session_id, time_created, data from message order by time_created"):
        d = dict(r); d["data"] = json.loads(d["data"]); f.write(json.dumps(d) + "\n")
with open(os.path.join(out, "db_part_step_finish.jsonl"), "w") as f:
    for r in c.execute("select id, message_id, session_id, time_created, data from part order by time_created"):
        d = dict(r); d["data"] = json.loads(d["data"])
        if d["data"].get("type") == "step-finish":
            f.write(json.dumps(d) + "\n")
PYEOF
mkdir -p "$OUT/fake"
cp "$WORK/fake/fake_usage.jsonl" "$OUT/fake_llm_log.jsonl"
zstd -q -19 "$WORK/fake/requests.jsonl" -o "$OUT/fake/requests.jsonl.zst"
[ -f "$WORK/fake/fake_unhandled.jsonl" ] && cp "$WORK/fake/fake_unhandled.jsonl" "$OUT/fake/"
kill $SINK 2>/dev/null || true; wait $SINK 2>/dev/null || true
for sig in traces metrics logs; do
  f="$WORK/sink/$sig.jsonl"
  [ -f "$f" ] || continue
  if [ "$(stat -c %s "$f")" -gt 1000000 ]; then zstd -q -19 "$f" -o "$OUT/$sig.jsonl.zst"; else cp "$f" "$OUT/$sig.jsonl"; fi
done
cp "$WORK/sink/requests.log" "$OUT/sink_requests.log" 2>/dev/null || true
kill $FAKE 2>/dev/null || true
wait $FAKE 2>/dev/null || true
echo "work dir: $WORK"

#!/usr/bin/env bash
# Regenerate the pi coding agent capture (@mariozechner/pi-coding-agent 0.73.1, pinned in
# package.json/package-lock.json). Needs node >= 20.6, npm, python3, root (unshare -n: private network
# namespace with loopback only).
# usage: bash run.sh            (writes into the directory of this script)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOOLS=$HERE/../tools
NPMDIR=${NPMDIR:-/tmp/i20a-npm-pi}

if [ -z "${IN_NETNS:-}" ]; then
  if [ ! -x "$NPMDIR/node_modules/.bin/pi" ]; then
    mkdir -p "$NPMDIR"; cp "$HERE/package.json" "$HERE/package-lock.json" "$NPMDIR/"
    (cd "$NPMDIR" && npm ci --no-audit --no-fund)
  fi
  exec env IN_NETNS=1 unshare -n bash "$0" "$@"
fi

ip link set lo up
PI="$NPMDIR/node_modules/.bin/pi"
WORK=$(mktemp -d /tmp/i20a-pi-run.XXXXXX)
OUT=$HERE
rm -rf "$OUT/state" "$OUT/fake" "$OUT"/stdout_*.jsonl "$OUT"/stderr_*.txt
mkdir -p "$WORK/ws" "$WORK/home"
printf 'Project notes\nlaunch: moved to Thursday\nbudget: 42 units\n' > "$WORK/ws/notes.txt"

python3 "$TOOLS/fake_llm_multi.py" "$WORK/fake" --port 18221 --max-seconds 600 \
  --tool read --tool-args "{\"path\":\"$WORK/ws/notes.txt\"}" --tool-turns 2 --thinking \
  > "$WORK/fake.out" 2>&1 &
FAKE=$!
trap 'kill $FAKE 2>/dev/null || true' EXIT
sleep 1.5

export HOME=$WORK/home                          # nothing touches the real home
export PI_CODING_AGENT_DIR=$WORK/home/pi-agent  # config dir (default ~/.pi/agent); sessions go to <dir>/sessions
export PI_OFFLINE=1                             # no startup network operations (version check, package updates)
export PI_TELEMETRY=0                           # no install telemetry
mkdir -p "$PI_CODING_AGENT_DIR"
# base URLs: override the built-in anthropic provider, and add an OpenAI-compatible provider
# (api openai-completions) with a custom model and its prices (USD per Mtok).
cat > "$PI_CODING_AGENT_DIR/models.json" <<'EOF'
{
  "providers": {
    "anthropic": { "baseUrl": "http://127.0.0.1:18221", "apiKey": "fake-anthropic-key" },
    "fakeoai": {
      "baseUrl": "http://127.0.0.1:18221/v1",
      "api": "openai-completions",
      "apiKey": "fake-openai-key",
      "models": [
        { "id": "o4-mini", "reasoning": true,
          "cost": { "input": 1.1, "output": 4.4, "cacheRead": 0.275, "cacheWrite": 0 } }
      ]
    }
  }
}
EOF
cd "$WORK/ws"
# session A: Anthropic (built-in model + built-in prices); 3 calls (2 tool turns)
timeout 180 "$PI" -p --mode json --provider anthropic --model claude-sonnet-4-5 \
  "Read notes.txt and tell me what it says." > "$OUT/stdout_A_anthropic.jsonl" 2> "$OUT/stderr_A_anthropic.txt"
# session A continued (-c): one more call appended to the SAME session file
timeout 180 "$PI" -p -c --mode json --provider anthropic --model claude-sonnet-4-5 \
  "Now say it in one line." > "$OUT/stdout_A2_anthropic_continue.jsonl" 2> "$OUT/stderr_A2_anthropic_continue.txt"
# session B: OpenAI-compatible chat completions, reasoning model; 3 calls
timeout 180 "$PI" -p --mode json --provider fakeoai --model o4-mini \
  "Read notes.txt and tell me what it says." > "$OUT/stdout_B_openai.jsonl" 2> "$OUT/stderr_B_openai.txt"

mkdir -p "$OUT/state" "$OUT/fake"
(cd "$HOME" && find . -type f | sort) > "$OUT/state/HOME_FILES.txt"
cp -r "$PI_CODING_AGENT_DIR/sessions" "$OUT/state/sessions"
cp "$PI_CODING_AGENT_DIR/models.json" "$OUT/state/models.json"
cp "$WORK/fake/fake_usage.jsonl" "$OUT/fake_llm_log.jsonl"
cp "$WORK/fake/requests.jsonl" "$OUT/fake/requests.jsonl"
[ -f "$WORK/fake/fake_unhandled.jsonl" ] && cp "$WORK/fake/fake_unhandled.jsonl" "$OUT/fake/"
kill $FAKE 2>/dev/null || true
wait $FAKE 2>/dev/null || true
echo "work dir: $WORK"

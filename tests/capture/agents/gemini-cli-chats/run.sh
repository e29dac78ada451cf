#!/bin/bash
# Gemini CLI 0.61.0 (pinned in ../package-lock.json; .ci/run installs it in target/ci-agents) against the fake Gemini API on
# loopback: a session with tool calls and a subagent, its telemetry to an outfile AND its chat recording
# (~/.gemini/tmp/<project>/chats/session-*.jsonl) kept. usage: run.sh [NODE_MODULES]
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
NM=${1:-$HERE/../../../../target/ci-agents/node_modules}
W=$(mktemp -d /tmp/i20c-gemini.XXXX); mkdir -p "$W/work" "$W/home/.gemini"
echo "The launch moved to Thursday." > "$W/work/notes.txt"
echo '{"security":{"auth":{"selectedType":"gemini-api-key"}}}' > "$W/home/.gemini/settings.json"
python3 "$HERE/../fake_llm_agents.py" "$W/fake" --max-seconds 300 --script '[["list_directory", {"dir_path": "."}], ["read_file", {"file_path": "notes.txt"}], ["invoke_agent", {"agent_name": "generalist", "prompt": "Read notes.txt and say what it says."}], ["read_file", {"file_path": "notes.txt"}]]' > "$W/fake.url" &
FP=$!; sleep 1; URL=$(head -1 "$W/fake.url")
( cd "$W/work" && for v in $(env | grep -oE "^(GEMINI|GOOGLE|OTEL)_[A-Z_]*"); do unset "$v"; done; env HOME="$W/home" GEMINI_API_KEY=fake GOOGLE_GEMINI_BASE_URL="$URL" GEMINI_CLI_TRUST_WORKSPACE=true \
  GEMINI_TELEMETRY_ENABLED=true GEMINI_TELEMETRY_TARGET=local GEMINI_TELEMETRY_OUTFILE="$W/telemetry.log" GEMINI_TELEMETRY_LOG_PROMPTS=false \
  timeout 120 "$NM/.bin/gemini" -p "List the files here, read notes.txt, then ask a subagent to read it again, and say what it says." \
  -m gemini-2.5-flash --yolo > "$W/stdout.txt" 2> "$W/stderr.txt" ) || echo "gemini rc=$?"
kill $FP
cp "$W/fake/usage.jsonl" "$HERE/fake_llm_log.jsonl"; cp "$W/telemetry.log" "$HERE/telemetry-outfile.log"
rm -rf "$HERE/chats"; mkdir -p "$HERE/chats"
find "$W/home/.gemini/tmp" -path '*chats*' -type f -exec cp {} "$HERE/chats/" \;
find "$W/home/.gemini" -type f | sed "s#$W#\$W#" > "$HERE/gemini-files.txt"
cp "$W/stdout.txt" "$W/stderr.txt" "$HERE/"
rm -rf "$W"
# Into testdata/agent-files/ (the run's temporary folder named /tmp/w there):
#   chats/session-*.jsonl -> gemini-cli-0.61.0-chat-session.jsonl
#   chats/<subagent>.jsonl -> gemini-cli-0.61.0-chat-subagent.jsonl
#   telemetry-outfile.log  -> gemini-cli-0.61.0-chat-outfile.log.zst (zstd -19)

#!/bin/bash
# Qwen Code 0.24.4 (pinned in ../package-lock.json; .ci/run installs it in target/ci-agents) against the fake OpenAI API on
# loopback, with its telemetry to an outfile; keeps what it writes under ~/.qwen. usage: run.sh [NODE_MODULES]
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
NM=${1:-$HERE/../../../../target/ci-agents/node_modules}
W=$(mktemp -d /tmp/i20c-qwen.XXXX); mkdir -p "$W/work" "$W/home"
echo "The launch moved to Thursday." > "$W/work/notes.txt"
python3 "$HERE/../fake_llm_agents.py" "$W/fake" --max-seconds 300 --script "[[\"glob\", {\"pattern\": \"*\"}], [\"read_file\", {\"file_path\": \"$W/work/notes.txt\"}], [\"agent\", {\"description\": \"Read the notes\", \"prompt\": \"Read notes.txt and say what it says.\", \"subagent_type\": \"general-purpose\"}], [\"read_file\", {\"file_path\": \"$W/work/notes.txt\"}]]" > "$W/fake.url" &
FP=$!; sleep 1; URL=$(head -1 "$W/fake.url")
( cd "$W/work" && for v in $(env | grep -oE "^(QWEN|OPENAI|GEMINI|GOOGLE|OTEL)_[A-Z_]*"); do unset "$v"; done; env HOME="$W/home" OPENAI_API_KEY=fake OPENAI_BASE_URL="$URL/v1" OPENAI_MODEL=gpt-4.1 \
  QWEN_TELEMETRY_ENABLED=true QWEN_TELEMETRY_TARGET=local QWEN_TELEMETRY_OUTFILE="$W/telemetry.log" QWEN_TELEMETRY_LOG_PROMPTS=false \
  timeout 120 "$NM/.bin/qwen" --auth-type openai -p "List the files here, read notes.txt, then ask a subagent to read it again, and say what it says." \
  --yolo > "$W/stdout.txt" 2> "$W/stderr.txt" ) || echo "qwen rc=$?"
kill $FP
cp "$W/fake/usage.jsonl" "$HERE/fake_llm_log.jsonl"; cp "$W/telemetry.log" "$HERE/telemetry-outfile.log" || true
rm -rf "$HERE/qwen-home"; mkdir -p "$HERE/qwen-home"; cp -r "$W/home/." "$HERE/qwen-home/"
find "$W/home" -type f | sed "s#$W#\$W#" > "$HERE/qwen-files.txt"
cp "$W/stdout.txt" "$W/stderr.txt" "$HERE/"
echo "W=$W"; rm -rf "$W"
# Into testdata/agent-files/ (the run's temporary folder named /tmp/w there):
#   qwen-home/.qwen/projects/*/chats/<session>.jsonl           -> qwen-code-0.24.4-chat-session.jsonl
#   qwen-home/.qwen/projects/*/subagents/<session>/agent-*.jsonl -> qwen-code-0.24.4-chat-subagent.jsonl
#   qwen-home/.qwen/usage/token-usage-<month>.jsonl              -> qwen-code-0.24.4-usage-ledger.jsonl
#   telemetry-outfile.log                                         -> qwen-code-0.24.4-chat-outfile.log.zst (zstd -19)

#!/bin/bash
# Claude Code (@anthropic-ai/claude-code, native binary from @anthropic-ai/claude-code-linux-x64) `claude -p` against
# the fake Anthropic Messages API (ANTHROPIC_BASE_URL), with CLAUDE_CODE_ENABLE_TELEMETRY=1 + OTLP to the sink AND its
# local transcript ~/.claude/projects/**/*.jsonl of the SAME session.
# usage: claude/run.sh [VARIANT ...]   default: default traces
#   default  metrics + logs, OTLP/HTTP protobuf, default (delta) temporality
#   traces   + CLAUDE_CODE_ENHANCED_TELEMETRY_BETA=1 OTEL_TRACES_EXPORTER=otlp (beta spans), fake sends a thinking block
# Everything runs on 127.0.0.1 with a temporary HOME.
set -u
HERE=$(cd "$(dirname "$0")" && pwd); STAGE=$(dirname "$HERE")
. "$STAGE/tools/common.sh"
ensure_venv
NPMDIR=${NPMDIR:-/tmp/i20b-npm/claude}
if [ ! -x "$NPMDIR/node_modules/@anthropic-ai/claude-code-linux-x64/claude" ]; then
  # node here is 20 (< engines 22) and npm does not run the postinstall; the platform package's native binary is run directly
  mkdir -p "$NPMDIR" && cp "$HERE/package.json" "$HERE/package-lock.json" "$NPMDIR/" && (cd "$NPMDIR" && npm ci --no-audit --no-fund)
fi
CLAUDE="$NPMDIR/node_modules/@anthropic-ai/claude-code-linux-x64/claude"
SINKPORT=${SINKPORT:-14761}; APIPORT=${APIPORT:-18761}
MODEL=${MODEL:-}   # empty: Claude Code's default model
PROMPT="Read the file notes.txt with the Read tool and summarize it in one sentence. TOOLTEST2"

run_variant() {
  local v=$1
  local RUN; RUN=$(mktemp -d /tmp/i20b-claude-$v.XXXX)
  mkdir -p "$RUN/home" "$RUN/work"
  printf 'launch moved to Thursday\nbudget: 42 units\n' > "$RUN/work/notes.txt"
  local extra=()
  [ "$v" = traces ] && extra=(--thinking)
  start_servers "$RUN" "$SINKPORT" "$APIPORT" --tool-spec "{\"Read\": {\"file_path\": \"$RUN/work/notes.txt\"}}" "${extra[@]}"
  (
    cd "$RUN/work"
    export HOME="$RUN/home"
    export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
    unset ANTHROPIC_AUTH_TOKEN CLAUDE_CODE_OAUTH_TOKEN
    export ANTHROPIC_BASE_URL=http://127.0.0.1:$APIPORT
    export ANTHROPIC_API_KEY=sk-ant-api03-dummy-not-a-real-key
    export CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_AUTOUPDATER=1
    export CLAUDE_CODE_ENABLE_TELEMETRY=1
    export OTEL_METRICS_EXPORTER=otlp OTEL_LOGS_EXPORTER=otlp
    export OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf
    export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$SINKPORT
    export OTEL_METRIC_EXPORT_INTERVAL=1000 OTEL_LOGS_EXPORT_INTERVAL=1000
    export OTEL_RESOURCE_ATTRIBUTES="team=platform,cost_center=cc-123"
    if [ "$v" = traces ]; then
      export CLAUDE_CODE_ENHANCED_TELEMETRY_BETA=1 OTEL_TRACES_EXPORTER=otlp OTEL_TRACES_EXPORT_INTERVAL=1000
    fi
    env | grep -E '^(ANTHROPIC_BASE_URL|CLAUDE_CODE_|OTEL_|DISABLE_|HOME=)' | sed "s#$RUN#\$RUN#g" | sort > "$RUN/env.txt"
    margs=(); [ -n "$MODEL" ] && margs=(--model "$MODEL")
    timeout 180 "$CLAUDE" -p "$PROMPT" "${margs[@]}" --allowedTools Read \
      > "$RUN/claude_stdout.txt" 2> "$RUN/claude_stderr.txt" < /dev/null
    echo "rc=$?" >> "$RUN/claude_stdout.txt"
  )
  sleep 3
  stop_servers
  rm -rf "$HERE/$v"
  collect "$RUN" "$HERE/$v"
  cp "$RUN/env.txt" "$RUN/claude_stdout.txt" "$RUN/claude_stderr.txt" "$HERE/$v/"
  mkdir -p "$HERE/$v/transcripts"
  find "$RUN/home/.claude/projects" -name '*.jsonl' | while read -r f; do
    rel=${f#"$RUN/home/.claude/projects/"}; rel="project/${rel#*/}"   # project dir = slug of the temp cwd
    mkdir -p "$HERE/$v/transcripts/$(dirname -- "$rel")"; cp "$f" "$HERE/$v/transcripts/$rel"
  done
  find "$HERE/$v/transcripts" -name '*.jsonl' -exec sed -i "s#$RUN#\$RUN#g" {} \;
  echo "$v: run dir $RUN"
}

for v in ${@:-default traces}; do run_variant "$v"; done

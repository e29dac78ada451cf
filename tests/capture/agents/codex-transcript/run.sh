#!/bin/bash
# Codex CLI (@openai/codex) `codex exec` against the fake OpenAI Responses API (custom model provider), OTLP from the
# [otel] section of $CODEX_HOME/config.toml to the sink, plus Codex's own session transcripts
# ($CODEX_HOME/sessions/**/rollout-*.jsonl) of the SAME session.
# usage: codex/run.sh [VARIANT ...]   default: binary json envonly
#   binary   [otel] otlp-http protocol="binary" for logs, traces, metrics
#   json     [otel] otlp-http protocol="json" for logs and metrics, trace_exporter="none"
#   envonly  NO [otel] section; only OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_*_EXPORTER env vars (expect: nothing exported)
# Everything runs on 127.0.0.1 with a temporary HOME/CODEX_HOME.
set -u
HERE=$(cd "$(dirname "$0")" && pwd); STAGE=$(dirname "$HERE")
. "$STAGE/tools/common.sh"
ensure_venv
NPMDIR=${NPMDIR:-/tmp/i20b-npm/codex}
if [ ! -d "$NPMDIR/node_modules/@openai/codex-linux-x64" ]; then
  mkdir -p "$NPMDIR" && cp "$HERE/package.json" "$HERE/package-lock.json" "$NPMDIR/" && (cd "$NPMDIR" && npm ci --no-audit --no-fund)
fi
CODEX="$NPMDIR/node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex"
SINKPORT=${SINKPORT:-14751}; APIPORT=${APIPORT:-18751}
MODEL=${MODEL:-gpt-5.5}
PROMPT="Show me the contents of notes.txt (use the shell) and summarize it in one sentence. TOOLTEST2"

run_variant() {
  local v=$1
  local RUN; RUN=$(mktemp -d /tmp/i20b-codex-$v.XXXX)
  mkdir -p "$RUN/home/.codex" "$RUN/work"
  printf 'launch moved to Thursday\nbudget: 42 units\n' > "$RUN/work/notes.txt"
  local EP=http://127.0.0.1:$SINKPORT
  {
    cat <<TOML
model_provider = "fakeopenai"
model = "$MODEL"
check_for_update_on_startup = false

[model_providers.fakeopenai]
name = "FakeOpenAI"
base_url = "http://127.0.0.1:$APIPORT/v1"
env_key = "FAKE_OPENAI_API_KEY"
wire_api = "responses"
request_max_retries = 0
stream_max_retries = 0

[analytics]
enabled = false

[feedback]
enabled = false
TOML
    case "$v" in
      binary) cat <<TOML

[otel]
environment = "capture"
log_user_prompt = false
exporter = { otlp-http = { endpoint = "$EP/v1/logs", protocol = "binary" } }
trace_exporter = { otlp-http = { endpoint = "$EP/v1/traces", protocol = "binary" } }
metrics_exporter = { otlp-http = { endpoint = "$EP/v1/metrics", protocol = "binary" } }
TOML
      ;;
      json) cat <<TOML

[otel]
environment = "capture"
log_user_prompt = false
exporter = { otlp-http = { endpoint = "$EP/v1/logs", protocol = "json" } }
trace_exporter = "none"
metrics_exporter = { otlp-http = { endpoint = "$EP/v1/metrics", protocol = "json" } }
TOML
      ;;
    esac
  } > "$RUN/home/.codex/config.toml"
  start_servers "$RUN" "$SINKPORT" "$APIPORT" \
    --tool-spec '{"exec_command": {"cmd": "cat notes.txt"}, "shell_command": {"command": "cat notes.txt"}, "shell": {"command": ["cat", "notes.txt"]}}'
  (
    cd "$RUN/work"
    export HOME="$RUN/home" CODEX_HOME="$RUN/home/.codex"
    export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
    unset OPENAI_BASE_URL OPENAI_API_KEY CODEX_API_KEY
    export FAKE_OPENAI_API_KEY=sk-fake-dummy
    export OTEL_RESOURCE_ATTRIBUTES="team=platform,cost_center=cc-123"
    if [ "$v" = envonly ]; then
      export OTEL_EXPORTER_OTLP_ENDPOINT=$EP OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf
      export OTEL_TRACES_EXPORTER=otlp OTEL_METRICS_EXPORTER=otlp OTEL_LOGS_EXPORTER=otlp
    fi
    env | grep -E '^(OTEL_|CODEX_|FAKE_|HOME=)' | sed "s#$RUN#\$RUN#g" | sort > "$RUN/env.txt"
    timeout 180 "$CODEX" exec --skip-git-repo-check -s danger-full-access "$PROMPT" \
      > "$RUN/codex_stdout.txt" 2> "$RUN/codex_stderr.txt" < /dev/null
    echo "rc=$?" >> "$RUN/codex_stdout.txt"
  )
  sleep 3
  stop_servers
  rm -rf "$HERE/$v"
  collect "$RUN" "$HERE/$v"
  cp "$RUN/home/.codex/config.toml" "$RUN/env.txt" "$RUN/codex_stdout.txt" "$RUN/codex_stderr.txt" "$HERE/$v/"
  sed -i "s#$RUN#\$RUN#g" "$HERE/$v/config.toml" "$HERE/$v/codex_stderr.txt"
  mkdir -p "$HERE/$v/sessions"
  find "$RUN/home/.codex/sessions" -name '*.jsonl' -exec cp {} "$HERE/$v/sessions/" \; 2>/dev/null
  sed -i "s#$RUN#\$RUN#g" "$HERE/$v"/sessions/*.jsonl 2>/dev/null
  echo "$v: run dir $RUN"
}

for v in ${@:-binary json envonly}; do run_variant "$v"; done

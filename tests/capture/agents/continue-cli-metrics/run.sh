#!/bin/bash
# Continue CLI (@continuedev/cli, command cn) headless against the fake LLM API, OTLP metrics to the sink.
# usage: continue/run.sh [openai|anthropic|openai-delta ...]   (default: openai anthropic openai-delta)
# Everything runs on 127.0.0.1 with a temporary HOME; nothing of the real user is touched.
set -u
HERE=$(cd "$(dirname "$0")" && pwd); STAGE=$(dirname "$HERE")
. "$STAGE/tools/common.sh"
ensure_venv
NPMDIR=${NPMDIR:-/tmp/i20b-npm/continue}
if [ ! -x "$NPMDIR/node_modules/.bin/cn" ]; then
  mkdir -p "$NPMDIR" && cp "$HERE/package.json" "$HERE/package-lock.json" "$NPMDIR/" && (cd "$NPMDIR" && npm ci --no-audit --no-fund)
fi
CN="$NPMDIR/node_modules/.bin/cn"
SINKPORT=${SINKPORT:-14731}; APIPORT=${APIPORT:-18731}
PROMPT="Read the file notes.txt with the Read tool and summarize it in one sentence. TOOLTEST2"

run_backend() {
  local be=$1 prov=${1%-delta}
  local RUN; RUN=$(mktemp -d /tmp/i20b-continue-$be.XXXX)
  mkdir -p "$RUN/home/.continue" "$RUN/work"
  printf 'launch moved to Thursday\nbudget: 42 units\n' > "$RUN/work/notes.txt"
  if [ "$prov" = openai ]; then
    cat > "$RUN/home/.continue/config.yaml" <<YAML
name: capture-openai
version: 1.0.0
schema: v1
models:
  - name: fake-gpt
    provider: openai
    model: gpt-4.1
    apiBase: http://127.0.0.1:$APIPORT/v1
    apiKey: sk-fake-dummy
    roles: [chat, edit, apply]
YAML
  else
    cat > "$RUN/home/.continue/config.yaml" <<YAML
name: capture-anthropic
version: 1.0.0
schema: v1
models:
  - name: fake-claude
    provider: anthropic
    model: claude-sonnet-4-5
    apiBase: http://127.0.0.1:$APIPORT/v1/
    apiKey: sk-ant-fake-dummy
    roles: [chat, edit, apply]
YAML
  fi
  start_servers "$RUN" "$SINKPORT" "$APIPORT" --tool-spec '{"Read": {"filepath": "notes.txt"}}'
  (
    cd "$RUN/work"
    export HOME="$RUN/home" CONTINUE_GLOBAL_DIR="$RUN/home/.continue"
    export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
    unset OPENAI_API_KEY ANTHROPIC_API_KEY
    export OTEL_METRICS_EXPORTER=otlp
    export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$SINKPORT
    export OTEL_METRIC_EXPORT_INTERVAL=1000
    case "$be" in *-delta) export OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=delta;; esac
    env | grep -E '^(OTEL_|CONTINUE_|HOME=)' | sed "s#$RUN#\$RUN#g" | sort > "$RUN/env.txt"
    timeout 180 "$CN" -p "$PROMPT" --config "$RUN/home/.continue/config.yaml" --allow Read \
      > "$RUN/cn_stdout.txt" 2> "$RUN/cn_stderr.txt" < /dev/null
    echo "rc=$?" >> "$RUN/cn_stdout.txt"
  )
  sleep 2
  stop_servers
  collect "$RUN" "$HERE/$be"
  cp "$RUN/home/.continue/config.yaml" "$HERE/$be/config.yaml"
  sed -i "s#$RUN#\$RUN#g" "$HERE/$be/config.yaml"
  cp "$RUN/env.txt" "$RUN/cn_stdout.txt" "$RUN/cn_stderr.txt" "$HERE/$be/"
  # Continue's own session file (per-call usage in history[].message.usage)
  cp "$RUN"/home/.continue/sessions/*-*.json "$HERE/$be/session.json" 2>/dev/null
  sed -i "s#$RUN#\$RUN#g" "$HERE/$be/session.json"
  echo "$be: run dir $RUN"
}

for be in "${@:-openai anthropic openai-delta}"; do
  for b in $be; do run_backend "$b"; done
done

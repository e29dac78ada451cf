#!/bin/bash
# Factory Droid (`droid exec`, binary from @factory/cli-linux-x64) headless against the fake LLM API with a
# BYOK custom model (~/.factory/settings.json customModels), customer OTel to the sink.
# usage: droid/run.sh [VARIANT ...]   VARIANT = <format>-<provider>[-flag]
#   format   legacy | genai            (OTEL_TELEMETRY_FORMAT)
#   provider openai (BYOK provider "generic-chat-completion-api", chat completions) | anthropic (BYOK "anthropic")
#   -flag    also FACTORY_FEATURE_FLAGS_OVERRIDES='{"sensitive_customer_otel":true}'
# default: legacy-openai genai-openai genai-anthropic
# Everything runs on 127.0.0.1 with a temporary HOME. Factory's own OTLP leg (OTEL_CUSTOMER_ENDPOINT) goes to a
# second loopback sink (kept in <variant>/factory_leg/); Factory API / telemetry-ingest base URLs point at a dead
# loopback port, so no request leaves the machine.
set -u
HERE=$(cd "$(dirname "$0")" && pwd); STAGE=$(dirname "$HERE")
. "$STAGE/tools/common.sh"
ensure_venv
NPMDIR=${NPMDIR:-/tmp/i20b-npm/droid}
if [ ! -x "$NPMDIR/node_modules/@factory/cli-linux-x64/bin/droid" ]; then
  mkdir -p "$NPMDIR" && cp "$HERE/package.json" "$HERE/package-lock.json" "$NPMDIR/" && (cd "$NPMDIR" && npm ci --no-audit --no-fund)
fi
DROID="$NPMDIR/node_modules/@factory/cli-linux-x64/bin/droid"
SINKPORT=${SINKPORT:-14741}; FSINKPORT=${FSINKPORT:-14742}; APIPORT=${APIPORT:-18741}; DEADPORT=${DEADPORT:-18749}

run_variant() {
  local v=$1 fmt prov flag=0
  fmt=${v%%-*}; prov=${v#*-}; prov=${prov%%-*}
  case "$v" in *-flag) flag=1;; esac
  local RUN; RUN=$(mktemp -d /tmp/i20b-droid-$v.XXXX)
  mkdir -p "$RUN/home/.factory" "$RUN/work"
  printf 'launch moved to Thursday\nbudget: 42 units\n' > "$RUN/work/notes.txt"
  local model bprov base
  if [ "$prov" = openai ]; then
    model=gpt-4.1; bprov=generic-chat-completion-api; base="http://127.0.0.1:$APIPORT/v1"
  else
    model=claude-sonnet-4-5; bprov=anthropic; base="http://127.0.0.1:$APIPORT"
  fi
  cat > "$RUN/home/.factory/settings.json" <<JSON
{
  "customModels": [
    {"model": "$model", "displayName": "Fake", "provider": "$bprov", "baseUrl": "$base",
     "apiKey": "sk-fake-dummy", "maxOutputTokens": 4096}
  ]
}
JSON
  "$VENV/bin/python" "$STAGE/tools/otlp_sink.py" --out "$RUN/factory_leg" --port "$FSINKPORT" --max-seconds 900 > "$RUN/factory_leg.log" 2>&1 &
  local FSINKPID=$!
  start_servers "$RUN" "$SINKPORT" "$APIPORT" --tool-spec "{\"Read\": {\"file_path\": \"$RUN/work/notes.txt\"}}"
  (
    cd "$RUN/work"
    export HOME="$RUN/home"
    export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
    unset OPENAI_API_KEY ANTHROPIC_API_KEY FACTORY_API_KEY
    export FACTORY_API_BASE_URL=http://127.0.0.1:$DEADPORT FACTORY_TELEMETRY_INGEST_BASE_URL=http://127.0.0.1:$DEADPORT
    export FACTORY_DROID_AUTO_UPDATE_ENABLED=false
    export OTEL_CUSTOMER_ENABLED=true
    export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$SINKPORT
    export OTEL_CUSTOMER_ENDPOINT=http://127.0.0.1:$FSINKPORT
    export OTEL_TELEMETRY_FORMAT=$fmt
    export OTEL_METRIC_EXPORT_INTERVAL=1000
    export OTEL_RESOURCE_ATTRIBUTES="team=platform,cost_center=cc-123"
    [ "$flag" = 1 ] && export FACTORY_FEATURE_FLAGS_OVERRIDES='{"sensitive_customer_otel":true}'
    env | grep -E '^(OTEL_|FACTORY_|HOME=)' | sed "s#$RUN#\$RUN#g" | sort > "$RUN/env.txt"
    timeout 180 "$DROID" exec -m custom:Fake-0 --auto low \
      "Read the file notes.txt with the Read tool and summarize it in one sentence. TOOLTEST2" \
      > "$RUN/droid_stdout.txt" 2> "$RUN/droid_stderr.txt" < /dev/null
    echo "rc=$?" >> "$RUN/droid_stdout.txt"
  )
  sleep 2
  stop_servers
  kill "$FSINKPID" 2>/dev/null; wait "$FSINKPID" 2>/dev/null
  rm -rf "$HERE/$v"
  collect "$RUN" "$HERE/$v"
  if ls "$RUN"/factory_leg/*.jsonl >/dev/null 2>&1; then
    mkdir -p "$HERE/$v/factory_leg"
    for s in traces metrics logs; do [ -s "$RUN/factory_leg/$s.jsonl" ] && cp "$RUN/factory_leg/$s.jsonl" "$HERE/$v/factory_leg/"; done
  fi
  cp "$RUN/home/.factory/settings.json" "$RUN/env.txt" "$RUN/droid_stdout.txt" "$RUN/droid_stderr.txt" "$HERE/$v/"
  sed -i "s#$RUN#\$RUN#g" "$HERE/$v/settings.json"
  # droid's own session transcript (not OTel): ~/.factory/sessions/**/*.jsonl (+ settings json)
  mkdir -p "$HERE/$v/factory_sessions"
  find "$RUN/home/.factory/sessions" -type f \( -name '*.jsonl' -o -name '*.json' \) -exec cp {} "$HERE/$v/factory_sessions/" \; 2>/dev/null
  sed -i "s#$RUN#\$RUN#g" "$HERE/$v"/factory_sessions/* 2>/dev/null
  grep -h "CustomerOtel\|initCustomerTelemetry" "$RUN"/home/.factory/logs/*.log 2>/dev/null | sed -E 's/ \| Context: .*//' | sed "s#$RUN#\$RUN#g" > "$HERE/$v/droid_otel_log.txt"
  echo "$v: run dir $RUN"
}

for v in ${@:-legacy-openai genai-openai genai-anthropic}; do run_variant "$v"; done

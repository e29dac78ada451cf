#!/usr/bin/env bash
# Regenerate this capture. Paths are relative to the staging dir (..). Three runs:
#   .                          default: LangchainInstrumentor + AnthropicInstrumentor, anthropic SDK's
#                              own tracing as shipped (on)
#   variants/sdk_otel_off      same, ANTHROPIC_OPEN_TELEMETRY=false
#   variants/no_langchain_instr only AnthropicInstrumentor (+ the SDK's own tracing)
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/harness.sh
V=${VENV_LC:-/tmp/i21-lc}
make_venv "$V" langchain_openllmetry_anthropic/requirements.txt
PY=$V/bin/python
D=langchain_openllmetry_anthropic
run_one() {  # OUTDIR, then env assignments
  local out=$1; shift
  start_servers "$out" 18421 18521
  trap stop_servers EXIT
  env "$@" STEPS_OUT=$out/steps.json "$PY" $D/program.py
  stop_servers; trap - EXIT
  cp "$out"/sink/*.jsonl "$out"/sink/requests.log "$out"/
  rm -rf "$out"/sink
}
run_one $D INSTRUMENTORS=langchain,anthropic
run_one $D/variants/sdk_otel_off INSTRUMENTORS=langchain,anthropic ANTHROPIC_OPEN_TELEMETRY=false
run_one $D/variants/no_langchain_instr INSTRUMENTORS=anthropic

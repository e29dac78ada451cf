#!/bin/bash
# Regenerate the LangChain JS + Traceloop captures (paths relative to the staging dir). Node >= 20.
# The npm project is installed outside the staging dir (/tmp/i19c/node-lcjs) from package-lock.json.
set -eu
cd "$(dirname "$0")/.."
[ -x /tmp/i19c/sink/bin/python ] || { python3.11 -m venv /tmp/i19c/sink; /tmp/i19c/sink/bin/pip install -q opentelemetry-proto protobuf; }
W=/tmp/i19c/node-lcjs; mkdir -p $W
cp langchainjs_traceloop/package.json langchainjs_traceloop/package-lock.json langchainjs_traceloop/program.mjs $W/
[ -d $W/node_modules ] || (cd $W && npm ci --ignore-scripts --no-audit --no-fund)
./tools/run_capture.sh langchainjs_traceloop/default 180 node $W/program.mjs
TL_MODE=openai ./tools/run_capture.sh langchainjs_traceloop/with_openai_module 180 node $W/program.mjs
rm -rf langchainjs_traceloop/*/raw

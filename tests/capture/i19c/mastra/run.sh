#!/bin/bash
# Regenerate the Mastra capture (paths relative to the staging dir). Node >= 20 (Mastra declares >= 22 but ran on 20).
# The npm project is installed outside the staging dir (/tmp/i19c/node-mastra) from package-lock.json.
set -eu
cd "$(dirname "$0")/.."
[ -x /tmp/i19c/sink/bin/python ] || { python3.11 -m venv /tmp/i19c/sink; /tmp/i19c/sink/bin/pip install -q opentelemetry-proto protobuf; }
W=/tmp/i19c/node-mastra; mkdir -p $W
cp mastra/package.json mastra/package-lock.json mastra/program.mjs $W/
[ -d $W/node_modules ] || (cd $W && npm ci --ignore-scripts --no-audit --no-fund)
./tools/run_capture.sh mastra/capture 180 node $W/program.mjs
rm -rf mastra/capture/raw

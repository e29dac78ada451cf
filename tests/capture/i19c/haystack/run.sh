#!/bin/bash
# Regenerate the Haystack captures. Run from anywhere; paths are relative to the staging dir (..).
# Needs python3.11. Creates venvs under /tmp/i19c (sink + haystack). Ports: sink 24318, fake 28089.
set -eu
cd "$(dirname "$0")/.."
[ -x /tmp/i19c/sink/bin/python ] || { python3.11 -m venv /tmp/i19c/sink; /tmp/i19c/sink/bin/pip install -q opentelemetry-proto protobuf; }
[ -x /tmp/i19c/hay/bin/python ] || { python3.11 -m venv /tmp/i19c/hay; /tmp/i19c/hay/bin/pip install -q -r haystack/requirements-haystack.txt; }
./tools/run_capture.sh haystack/default 180 /tmp/i19c/hay/bin/python haystack/program.py
HAYSTACK_CONTENT_TRACING_ENABLED=true ./tools/run_capture.sh haystack/content_tracing 180 /tmp/i19c/hay/bin/python haystack/program.py
rm -rf haystack/*/raw

#!/bin/bash
# Regenerate the DSPy captures (paths relative to the staging dir). Needs python3.11; venvs in /tmp/i19c.
set -eu
cd "$(dirname "$0")/.."
[ -x /tmp/i19c/sink/bin/python ] || { python3.11 -m venv /tmp/i19c/sink; /tmp/i19c/sink/bin/pip install -q opentelemetry-proto protobuf; }
[ -x /tmp/i19c/dspy/bin/python ] || { python3.11 -m venv /tmp/i19c/dspy; /tmp/i19c/dspy/bin/pip install -q -r dspy/requirements-dspy.txt; }
./tools/run_capture.sh dspy/default 180 /tmp/i19c/dspy/bin/python dspy/program.py
DSPY_ENGINE=litellm ./tools/run_capture.sh dspy/engine_litellm 180 /tmp/i19c/dspy/bin/python dspy/program.py
rm -rf dspy/*/raw

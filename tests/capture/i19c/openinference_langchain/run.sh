#!/bin/bash
# Regenerate the OpenInference LangChain capture (paths relative to the staging dir). python3.11; venvs in /tmp/i19c.
set -eu
cd "$(dirname "$0")/.."
[ -x /tmp/i19c/sink/bin/python ] || { python3.11 -m venv /tmp/i19c/sink; /tmp/i19c/sink/bin/pip install -q opentelemetry-proto protobuf; }
[ -x /tmp/i19c/lc/bin/python ] || { python3.11 -m venv /tmp/i19c/lc; /tmp/i19c/lc/bin/pip install -q -r openinference_langchain/requirements-langchain.txt; }
./tools/run_capture.sh openinference_langchain/capture 180 /tmp/i19c/lc/bin/python openinference_langchain/program.py
rm -rf openinference_langchain/capture/raw

#!/bin/bash
# Regenerate the OpenInference Bedrock capture (paths relative to the staging dir). python3.11; venvs in /tmp/i19c.
set -eu
cd "$(dirname "$0")/.."
[ -x /tmp/i19c/sink/bin/python ] || { python3.11 -m venv /tmp/i19c/sink; /tmp/i19c/sink/bin/pip install -q opentelemetry-proto protobuf; }
[ -x /tmp/i19c/bedrock/bin/python ] || { python3.11 -m venv /tmp/i19c/bedrock; /tmp/i19c/bedrock/bin/pip install -q -r openinference_bedrock/requirements-bedrock.txt; }
./tools/run_capture.sh openinference_bedrock/capture 180 /tmp/i19c/bedrock/bin/python openinference_bedrock/program.py
rm -rf openinference_bedrock/capture/raw

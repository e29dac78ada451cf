#!/usr/bin/env bash
# Regenerate this capture (paths relative to the staging dir ..).
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/harness.sh
V=${VENV_OAI:-/tmp/i21-oai}
make_venv "$V" two_services_one_process/requirements.txt
PY=$V/bin/python
D=two_services_one_process
start_servers $D 18423 18523
trap stop_servers EXIT
BLOCKS_OUT=$D/blocks.json "$PY" $D/program.py
stop_servers; trap - EXIT
cp $D/sink/*.jsonl $D/sink/requests.log $D/
rm -rf $D/sink

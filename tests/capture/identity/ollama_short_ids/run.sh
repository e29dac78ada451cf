#!/usr/bin/env bash
# Regenerate this capture (paths relative to the staging dir ..).
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/harness.sh
V=${VENV_OAI:-/tmp/i21-oai}
make_venv "$V" ollama_short_ids/requirements.txt
PY=$V/bin/python
D=ollama_short_ids
start_servers $D 18422 18522 --id-style ollama --seed 21
trap stop_servers EXIT
PLAN_OUT=$D/plan.json "$PY" $D/program.py
stop_servers; trap - EXIT
rm -f $D/*.zst
for f in $D/sink/traces.jsonl $D/sink/metrics.jsonl; do zstd -q -19 "$f" -o $D/$(basename "$f").zst; done
zstd -q -19 --rm $D/fake_llm_log.jsonl -o $D/fake_llm_log.jsonl.zst
zstd -q -19 --rm $D/plan.json -o $D/plan.json.zst
rm -rf $D/sink   # raw bodies are large; the .zst files above are the capture

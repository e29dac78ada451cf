#!/bin/bash
# Regenerates this capture. Python 3.11 venv with requirements-crewai.txt; sink venv with ../tools/requirements-sink.txt.
set -eu
cd "$(dirname "$0")"
PY=${PY:-/tmp/i19b/venv-crew/bin/python}
[ -x "$PY" ] || { python3.11 -m venv /tmp/i19b/venv-crew && /tmp/i19b/venv-crew/bin/pip install -q -r requirements-crewai.txt; }
export CREWAI_DISABLE_TELEMETRY=true CREWAI_TRACING_ENABLED=false CREWAI_TESTING=false
export HOME=${CAPTURE_HOME:-/tmp/i19b/crew-home}; mkdir -p "$HOME"   # CrewAI writes ~/.local/share/crewai* state
../tools/run_capture.sh . 240 "$PY" "$PWD/program.py"

#!/bin/bash
# Regenerates this capture (diagnostics + sensitive diagnostics on). ../semantic_kernel_default runs the same
# program with SK's defaults (diagnostics off). Python 3.11 venv with requirements-sk.txt.
set -eu
cd "$(dirname "$0")"
PY=${PY:-/tmp/i19b/venv-sk/bin/python}
[ -x "$PY" ] || { python3.11 -m venv /tmp/i19b/venv-sk && /tmp/i19b/venv-sk/bin/pip install -q -r requirements-sk.txt; }
export SEMANTICKERNEL_EXPERIMENTAL_GENAI_ENABLE_OTEL_DIAGNOSTICS=true
export SEMANTICKERNEL_EXPERIMENTAL_GENAI_ENABLE_OTEL_DIAGNOSTICS_SENSITIVE=true
../tools-b/run_capture.sh . 180 "$PY" "$PWD/program.py"

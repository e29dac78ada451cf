#!/bin/bash
# Same program as ../semantic_kernel with Semantic Kernel's DEFAULT settings (OTel model diagnostics off).
set -eu
cd "$(dirname "$0")"
PY=${PY:-/tmp/i19b/venv-sk/bin/python}
[ -x "$PY" ] || { python3.11 -m venv /tmp/i19b/venv-sk && /tmp/i19b/venv-sk/bin/pip install -q -r requirements-sk.txt; }
unset SEMANTICKERNEL_EXPERIMENTAL_GENAI_ENABLE_OTEL_DIAGNOSTICS SEMANTICKERNEL_EXPERIMENTAL_GENAI_ENABLE_OTEL_DIAGNOSTICS_SENSITIVE
../tools/run_capture.sh . 180 "$PY" "$PWD/program.py"

"""MLflow tracing autolog (mlflow-skinny 3.x) for openai + anthropic, exported over OTLP/HTTP
to the local sink (endpoint from OTEL_EXPORTER_OTLP_ENDPOINT, set by run.sh). Fake LLM API only."""
import os
import sys

import anthropic
import mlflow
import openai

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__))))
from scenario_calls import FAKE_URL, anthropic_calls, openai_calls, save_calls  # noqa: E402

mlflow.openai.autolog()
mlflow.anthropic.autolog()

oa = openai.OpenAI(base_url=FAKE_URL + "/v1", api_key="sk-fake-local", max_retries=0)
an = anthropic.Anthropic(base_url=FAKE_URL, api_key="sk-ant-fake-local", max_retries=0)

# OpenAI calls: each autologged call is its own trace (no parent span)
openai_calls(oa)


# Anthropic calls under one parent span of the program's own (span_type AGENT)
@mlflow.trace(name="anthropic_session", span_type="AGENT")
def session():
    anthropic_calls(an)


session()
mlflow.flush_trace_async_logging() if hasattr(mlflow, "flush_trace_async_logging") else None
from opentelemetry import trace as _t  # noqa: E402
from mlflow.tracing.provider import provider as _p  # noqa: E402
try:
    _p.get().force_flush()
except Exception as e:
    print("force_flush:", e)
save_calls(mlflow_version=mlflow.__version__, genai_semconv=os.environ.get("MLFLOW_ENABLE_OTEL_GENAI_SEMCONV", ""))
print("done")

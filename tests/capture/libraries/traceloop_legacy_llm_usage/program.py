"""OpenLLMetry / traceloop-sdk 0.16.9 (the last release whose instrumentations emit the legacy
`llm.usage.*` attribute names: opentelemetry-semantic-conventions-ai 0.1.1), with its bundled
opentelemetry-instrumentation-openai / -anthropic 0.16.9 and period openai / anthropic SDKs.
Exports OTLP/HTTP to TRACELOOP_BASE_URL (= the local sink, set by run.sh). Fake LLM API only."""
import os
import sys

from traceloop.sdk import Traceloop
from traceloop.sdk.decorators import workflow
from traceloop.sdk.instruments import Instruments

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import scenario_calls as sc  # noqa: E402

# instruments= limits init to the two instrumentations used (the full set would import many more libraries)
Traceloop.init(app_name="i19a-traceloop-legacy", instruments={Instruments.OPENAI, Instruments.ANTHROPIC})

import anthropic  # noqa: E402
import openai  # noqa: E402

oa = openai.OpenAI(base_url=sc.FAKE_URL + "/v1", api_key="sk-fake-local", max_retries=0)
an = anthropic.Anthropic(base_url=sc.FAKE_URL, api_key="sk-ant-fake-local", max_retries=0)

sc.openai_calls(oa)  # no decorator: each call its own trace


@workflow(name="anthropic_session")
def anthropic_session():
    sc.anthropic_calls(an)


anthropic_session()

from opentelemetry import metrics, trace  # noqa: E402
trace.get_tracer_provider().force_flush()
mp = metrics.get_meter_provider()
if hasattr(mp, "force_flush"):
    mp.force_flush()
from importlib.metadata import version  # noqa: E402
sc.save_calls(**{p: version(p) for p in ("traceloop-sdk", "opentelemetry-instrumentation-openai",
                                         "opentelemetry-instrumentation-anthropic",
                                         "opentelemetry-semantic-conventions-ai", "openai", "anthropic")})
print("done")

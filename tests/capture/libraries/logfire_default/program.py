"""Pydantic Logfire: logfire.instrument_openai() + logfire.instrument_anthropic(), nothing sent to Logfire
(send_to_logfire=False); the standard OTEL_EXPORTER_OTLP_ENDPOINT env var (set by run.sh) makes Logfire add
OTLP/HTTP exporters for traces, metrics and logs to the local sink. Fake LLM API only.
LOGFIRE_SEMCONV_VERSION (this program's own switch) = the `version=` argument of instrument_* ("2" = default)."""
import os
import sys

import anthropic
import logfire
import openai

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import scenario_calls as sc  # noqa: E402

v = os.environ.get("LOGFIRE_SEMCONV_VERSION", "")
kw = {} if not v else {"version": [int(x) if x.isdigit() else x for x in v.split(",")] if "," in v else
                       (int(v) if v.isdigit() else v)}
logfire.configure(send_to_logfire=False, service_name="i19a-logfire")
logfire.instrument_openai(**kw)
logfire.instrument_anthropic(**kw)

oa = openai.OpenAI(base_url=sc.FAKE_URL + "/v1", api_key="sk-fake-local", max_retries=0)
an = anthropic.Anthropic(base_url=sc.FAKE_URL, api_key="sk-ant-fake-local", max_retries=0)

sc.openai_calls(oa)  # each call its own trace
with logfire.span("anthropic_session"):  # a parent span of the program's own
    sc.anthropic_calls(an)

logfire.force_flush()
sc.save_calls(logfire_version=logfire.VERSION, instrument_kwargs=kw)
logfire.shutdown() if hasattr(logfire, "shutdown") else None
print("done")

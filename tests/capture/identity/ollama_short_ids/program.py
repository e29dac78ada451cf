"""2,000 chat calls through the real openai client, instrumented by opentelemetry-instrumentation-openai-v2
(OpenTelemetry Python contrib), against a fake Ollama-style OpenAI-compatible API whose response ids are
`chatcmpl-<0..998>` (so many distinct calls share an id). OTel SDK: BatchSpanProcessor (default
settings) + OTLP/HTTP protobuf traces; a MeterProvider exporting once at shutdown (cumulative).

The usage of each call is picked here (seeded) and sent to the fake as the `x-fake-usage` header; the
fake answers it and logs it (fake_llm_log.jsonl is the truth). About a third of the calls reuse one of a
small pool of (prompt, completion) pairs, so distinct calls with the same model often have identical
usage, and some even share the response id too."""
import json
import os
import random
import threading
from concurrent.futures import ThreadPoolExecutor

from opentelemetry import metrics, trace
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

SINK, FAKE = os.environ["SINK"], os.environ["FAKE"]
N_CALLS = int(os.environ.get("N_CALLS", "2000"))
resource = Resource.create({"service.name": "ollama-agent"})
tp = TracerProvider(resource=resource)
tp.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=SINK + "/v1/traces")))
trace.set_tracer_provider(tp)
mp = MeterProvider(resource=resource, metric_readers=[PeriodicExportingMetricReader(
    OTLPMetricExporter(endpoint=SINK + "/v1/metrics"), export_interval_millis=3_600_000)])
metrics.set_meter_provider(mp)

from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

OpenAIInstrumentor().instrument()

import openai

client = openai.OpenAI(base_url=FAKE + "/v1", api_key="ollama", max_retries=0)
tracer = trace.get_tracer("ollama-session")
MODELS = ["llama3.2:3b", "qwen2.5:7b-instruct", "gemma3:4b", "mistral:7b"]
TOOL = {"type": "function", "function": {"name": "get_weather", "description": "Weather for a city",
                                         "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}
rng = random.Random(2121)
POOL = [(rng.randint(30, 600), rng.randint(5, 120)) for _ in range(12)]  # common (prompt, completion) pairs


def plan():
    calls = []
    while len(calls) < N_CALLS:
        turn = len(calls)
        for _ in range(rng.randint(1, 30)):  # one agent turn (one trace) = 1..30 model calls
            model = rng.choices(MODELS, weights=[5, 3, 2, 1])[0]
            if rng.random() < 0.35:
                p, c = rng.choice(POOL)
            else:
                p, c = rng.randint(20, 6000), rng.randint(1, 900)
            calls.append({"i": len(calls), "turn": turn, "model": model, "prompt_tokens": p,
                          "completion_tokens": c, "stream": rng.random() < 0.4, "tools": rng.random() < 0.15})
    return calls[:N_CALLS]


CALLS = plan()
turns = {}
for c in CALLS:
    turns.setdefault(c["turn"], []).append(c)


def do_call(c):
    kw = dict(model=c["model"], messages=[{"role": "user", "content": f"step {c['i']}"}],
              extra_headers={"x-fake-usage": json.dumps({"prompt_tokens": c["prompt_tokens"],
                                                         "completion_tokens": c["completion_tokens"]})})
    if c["tools"]:
        kw["tools"] = [TOOL]
    if c["stream"]:
        for _ in client.chat.completions.create(stream=True, stream_options={"include_usage": True}, **kw):
            pass
    else:
        client.chat.completions.create(**kw)


def do_turn(calls):
    with tracer.start_as_current_span("agent_turn", attributes={"turn": calls[0]["turn"]}):
        for c in calls:
            do_call(c)


with ThreadPoolExecutor(4) as ex:  # 4 agent turns in flight at a time
    list(ex.map(do_turn, turns.values()))
tp.shutdown()   # BatchSpanProcessor flushes what is queued
mp.shutdown()   # the one metric export
with open(os.environ.get("PLAN_OUT", "plan.json"), "w") as f:
    json.dump(CALLS, f)
print("done", len(CALLS), "calls in", len(turns), "turns")

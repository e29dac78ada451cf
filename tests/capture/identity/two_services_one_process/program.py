"""One Python process, two OTel services sharing one service.instance.id:
  * service A "svc-a-chat":  TracerProvider (BatchSpanProcessor, OTLP/HTTP traces) - gen_ai spans with usage
                             from opentelemetry-instrumentation-openai-v2; no metrics (no-op MeterProvider).
  * service B "svc-b-batch": MeterProvider (PeriodicExportingMetricReader every 2 s, cumulative, OTLP/HTTP
                             metrics) - gen_ai.client.token.usage from the same instrumentation; its
                             TracerProvider samples nothing (ALWAYS_OFF), so B sends no spans.
Both resources come from Resource.create() with only service.name given: the Python SDK (1.45.2) adds a
service.instance.id that is one random UUID per process, so A and B carry the SAME service.instance.id by
default (checked below; nothing set explicitly).
OpenAIInstrumentor is a singleton that patches the openai module globally, so the program alternates:
instrument for A, make A's calls, uninstrument, instrument for B, make B's calls, ... (blocks A1 B1 A2 B2).
Every B call has the same model and the SAME usage as the A call at the same position of the same block
(forced with the fake's x-fake-usage header), so B's metric points are indistinguishable by content from A's
spans; all 24 calls are distinct."""
import json
import os
import time

from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

SINK, FAKE = os.environ["SINK"], os.environ["FAKE"]
res_a = Resource.create({"service.name": "svc-a-chat"})
res_b = Resource.create({"service.name": "svc-b-batch"})
ia, ib = res_a.attributes.get("service.instance.id"), res_b.attributes.get("service.instance.id")
print("service.instance.id A =", ia, "B =", ib, "equal:", ia == ib)
if os.environ.get("FORCE_INSTANCE_ID"):  # not used by run.sh: the SDK default already makes them equal
    res_a = res_a.merge(Resource({"service.instance.id": os.environ["FORCE_INSTANCE_ID"]}))
    res_b = res_b.merge(Resource({"service.instance.id": os.environ["FORCE_INSTANCE_ID"]}))

tp_a = TracerProvider(resource=res_a)
tp_a.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=SINK + "/v1/traces")))
mp_a = NoOpMeterProvider()
tp_b = TracerProvider(resource=res_b, sampler=ALWAYS_OFF)
mp_b = MeterProvider(resource=res_b, metric_readers=[PeriodicExportingMetricReader(
    OTLPMetricExporter(endpoint=SINK + "/v1/metrics"), export_interval_millis=2000)])

from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

import openai

client = openai.OpenAI(base_url=FAKE + "/v1", api_key="sk-fake-local", max_retries=0)
BIG_SYSTEM = ("You are a meticulous travel assistant who double-checks opening hours and prices. " * 8).strip()
TOOL = {"type": "function", "function": {"name": "get_weather", "description": "Weather for a city",
                                         "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}


def usage(p, c, cached=0, reasoning=0):
    return {"extra_headers": {"x-fake-usage": json.dumps(
        {"prompt_tokens": p, "completion_tokens": c, "cached": cached, "reasoning": reasoning})}}


def block(b):
    """Six calls; usage depends on the block number b only (the same for A and B)."""
    d = 7 * b
    client.chat.completions.create(model="gpt-4o-mini", **usage(1800 + d, 60 + d),
                                   messages=[{"role": "system", "content": BIG_SYSTEM},
                                             {"role": "user", "content": "Best month for Lisbon?"}])
    client.chat.completions.create(model="gpt-4o-mini", **usage(1850 + d, 42 + d, cached=1536),
                                   messages=[{"role": "system", "content": BIG_SYSTEM},
                                             {"role": "user", "content": "Best month for Porto?"}])
    for _ in client.chat.completions.create(model="gpt-4o-mini", stream=True, stream_options={"include_usage": True},
                                            **usage(1900 + d, 75 + d, cached=1536),
                                            messages=[{"role": "system", "content": BIG_SYSTEM},
                                                      {"role": "user", "content": "Best month for Faro?"}]):
        pass
    client.chat.completions.create(model="o4-mini", **usage(300 + d, 500 + d, reasoning=384),
                                   messages=[{"role": "user", "content": "Is 1001 prime?"}])
    msgs = [{"role": "user", "content": "Weather in Paris?"}]
    r = client.chat.completions.create(model="gpt-4.1-mini", tools=[TOOL], messages=msgs, **usage(420 + d, 18 + d))
    call = r.choices[0].message.tool_calls[0]
    msgs += [r.choices[0].message.model_dump(exclude_none=True),
             {"role": "tool", "tool_call_id": call.id, "content": "Sunny, 24C"}]
    client.chat.completions.create(model="gpt-4.1-mini", tools=[TOOL], messages=msgs, **usage(470 + d, 33 + d))


inst = OpenAIInstrumentor()
blocks = []
for b in (1, 2):
    for svc, tp, mp in (("A", tp_a, mp_a), ("B", tp_b, mp_b)):
        inst.instrument(tracer_provider=tp, meter_provider=mp)
        blocks.append({"service": svc, "block": b, "t0": time.time()})
        block(b)
        blocks[-1]["t1"] = time.time()
        inst.uninstrument()
        time.sleep(2.5)
tp_a.shutdown()
mp_b.shutdown()
with open(os.environ.get("BLOCKS_OUT", "blocks.json"), "w") as f:
    json.dump({"instance_id_a": ia, "instance_id_b": ib, "blocks": blocks}, f, indent=1)
print("done")

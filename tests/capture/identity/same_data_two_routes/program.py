"""One agent's telemetry sent TWICE, to two OTLP/HTTP routes of one receiver: every provider has two
exporters, one to SINK/route-a/v1/<signal>, one to SINK/route-b/v1/<signal> (otelcost route syntax:
the route is the path before /v1/...). Signals: traces, logs and metrics from
opentelemetry-instrumentation-openai-v2 (with util-genai), content capture on
(OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=SPAN_AND_EVENT set by run.sh, which also turns on the
gen_ai.client.inference.operation.details log events), and the gen_ai.client.* metrics.
  traces : TracerProvider + 2 x BatchSpanProcessor(OTLPSpanExporter)
  logs   : LoggerProvider + 2 x BatchLogRecordProcessor(OTLPLogExporter)
  metrics: MeterProvider with 2 x PeriodicExportingMetricReader(OTLPMetricExporter) (each reader has its
           own aggregation of the same measurements; one cumulative export each at shutdown)"""
import os
import time

from opentelemetry import _logs, metrics, trace
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

SINK, FAKE = os.environ["SINK"], os.environ["FAKE"]
ROUTES = ["route-a", "route-b"]
resource = Resource.create({"service.name": "travel-agent"})
tp = TracerProvider(resource=resource)
lp = LoggerProvider(resource=resource)
readers = []
for r in ROUTES:
    tp.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{SINK}/{r}/v1/traces")))
    lp.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter(endpoint=f"{SINK}/{r}/v1/logs")))
    readers.append(PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=f"{SINK}/{r}/v1/metrics"),
                                                 export_interval_millis=3_600_000))
mp = MeterProvider(resource=resource, metric_readers=readers)
trace.set_tracer_provider(tp)
_logs.set_logger_provider(lp)
metrics.set_meter_provider(mp)

from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

OpenAIInstrumentor().instrument()

import openai

client = openai.OpenAI(base_url=FAKE + "/v1", api_key="sk-fake-local", max_retries=0)
tracer = trace.get_tracer("travel-agent")
BIG_SYSTEM = ("You are a meticulous travel assistant who double-checks opening hours and prices. " * 8).strip()
TOOL = {"type": "function", "function": {"name": "get_weather", "description": "Weather for a city",
                                         "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}
sys_msg = {"role": "system", "content": BIG_SYSTEM}

with tracer.start_as_current_span("invoke_agent travel-agent"):
    # 1 big system prompt, first use: no cache
    client.chat.completions.create(model="gpt-4o-mini", messages=[sys_msg, {"role": "user", "content": "Lisbon in May?"}])
    # 2 same system prompt: cache read
    client.chat.completions.create(model="gpt-4o-mini", messages=[sys_msg, {"role": "user", "content": "Porto in May?"}])
    # 3 streamed with usage, cache read
    for _ in client.chat.completions.create(model="gpt-4o-mini", stream=True, stream_options={"include_usage": True},
                                            messages=[sys_msg, {"role": "user", "content": "Faro in May?"}]):
        pass
    # 4 reasoning model, not streamed
    client.chat.completions.create(model="o4-mini", messages=[{"role": "user", "content": "Is 1001 prime?"}])
    # 5 reasoning model, streamed with usage
    for _ in client.chat.completions.create(model="o4-mini", stream=True, stream_options={"include_usage": True},
                                            messages=[{"role": "user", "content": "Is 1003 prime?"}]):
        pass
    # 6-7 tool call round trip
    msgs = [{"role": "user", "content": "Weather in Paris?"}]
    r = client.chat.completions.create(model="gpt-4.1-mini", tools=[TOOL], messages=msgs)
    call = r.choices[0].message.tool_calls[0]
    with tracer.start_as_current_span("execute_tool get_weather"):
        result = "Sunny, 24C"
    msgs += [r.choices[0].message.model_dump(exclude_none=True),
             {"role": "tool", "tool_call_id": call.id, "content": result}]
    client.chat.completions.create(model="gpt-4.1-mini", tools=[TOOL], messages=msgs)

time.sleep(0.5)
tp.shutdown()
lp.shutdown()
mp.shutdown()
print("done")

"""LangChain (langchain-anthropic ChatAnthropic) instrumented by OpenLLMetry's
opentelemetry-instrumentation-langchain AND opentelemetry-instrumentation-anthropic at the same
time, against the fake Anthropic API on loopback. Plain OTel SDK, OTLP/HTTP protobuf to the sink.
Default settings of both instrumentors (no arguments); the anthropic SDK's own built-in tracing is
left as the SDK ships it (unless ANTHROPIC_OPEN_TELEMETRY is set by run.sh). INSTRUMENTORS (env,
default "langchain,anthropic") picks which OpenLLMetry instrumentors are turned on (variants)."""
import json
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

SINK = os.environ["SINK"]          # http://127.0.0.1:PORT
FAKE = os.environ["FAKE"]          # http://127.0.0.1:PORT
resource = Resource.create({"service.name": "lc-openllmetry-anthropic"})
tp = TracerProvider(resource=resource)
tp.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=SINK + "/v1/traces")))
trace.set_tracer_provider(tp)
mp = MeterProvider(resource=resource, metric_readers=[
    PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=SINK + "/v1/metrics"), export_interval_millis=60000)])
metrics.set_meter_provider(mp)
lp = LoggerProvider(resource=resource)
lp.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter(endpoint=SINK + "/v1/logs")))
_logs.set_logger_provider(lp)

from opentelemetry.instrumentation.anthropic import AnthropicInstrumentor
from opentelemetry.instrumentation.langchain import LangchainInstrumentor

INSTRUMENTORS = os.environ.get("INSTRUMENTORS", "langchain,anthropic").split(",")
if "langchain" in INSTRUMENTORS:
    LangchainInstrumentor().instrument()
if "anthropic" in INSTRUMENTORS:
    AnthropicInstrumentor().instrument()

from langchain_anthropic import ChatAnthropic
from langchain_core.messages import HumanMessage, SystemMessage, ToolMessage
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.tools import tool

BIG_SYSTEM = ("You are a meticulous travel assistant who double-checks opening hours and prices. " * 8).strip()
assert len(BIG_SYSTEM) > 400


@tool
def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"Sunny in {city}, 24C"


sonnet = ChatAnthropic(model="claude-sonnet-4-5-20250929", base_url=FAKE, api_key="sk-ant-fake-local",
                       max_retries=0, max_tokens=512)
haiku = ChatAnthropic(model="claude-haiku-4-5", base_url=FAKE, api_key="sk-ant-fake-local",
                      max_retries=0, max_tokens=256)
steps = []


def step(label):
    steps.append({"label": label, "t": time.time()})


# 1. chain (prompt | model), not streamed, big system: first use -> cache write
prompt = ChatPromptTemplate.from_messages([("system", BIG_SYSTEM), ("human", "{q}")])
chain = prompt | sonnet
step("1 chain.invoke sonnet, big system (cache write)")
chain.invoke({"q": "Best month to visit Lisbon?"})
# 2. same chain, not streamed -> cache read
step("2 chain.invoke sonnet, big system (cache read)")
chain.invoke({"q": "Best month to visit Porto?"})
# 3. same chain streamed -> cache read
step("3 chain.stream sonnet, big system (cache read, streamed)")
for _ in chain.stream({"q": "Best month to visit Faro?"}):
    pass
# 4-5. tool call: model with tools, not streamed, big system (cache read) -> tool_use; then tool; then
#      the final answer streamed (cache read)
with_tools = sonnet.bind_tools([get_weather])
msgs = [SystemMessage(BIG_SYSTEM), HumanMessage("What's the weather in Paris?")]
step("4 bind_tools invoke sonnet, big system (cache read) -> tool_use")
ai = with_tools.invoke(msgs)
tc = ai.tool_calls[0]
msgs += [ai, ToolMessage(get_weather.invoke(tc["args"]), tool_call_id=tc["id"])]
step("5 bind_tools stream sonnet with tool result, big system (cache read, streamed)")
final = None
for chunk in with_tools.stream(msgs):
    final = chunk if final is None else final + chunk
# 6. haiku streamed tool call, small prompt (no cache) -> tool_use
step("6 haiku bind_tools stream (no cache, streamed) -> tool_use")
h_tools = haiku.bind_tools([get_weather])
for _ in h_tools.stream([HumanMessage("Weather in Rome?")]):
    pass
# 7. haiku plain invoke, small prompt
step("7 haiku invoke (no cache)")
haiku.invoke("Say hi in French.")

time.sleep(1)
tp.force_flush()
mp.force_flush()
lp.force_flush()
tp.shutdown()
mp.shutdown()
lp.shutdown()
with open(os.environ.get("STEPS_OUT", "steps.json"), "w") as f:
    json.dump(steps, f, indent=1)
print("done")

"""Semantic Kernel (Python) with its OTel model diagnostics, exporting OTLP/HTTP (traces, metrics, logs) to the
local sink, set up as in SK's telemetry sample: LoggingHandler on the root logger filtered to "semantic_kernel",
a View keeping only semantic_kernel* instruments. The diagnostics switches come from the environment (run.sh):
SEMANTICKERNEL_EXPERIMENTAL_GENAI_ENABLE_OTEL_DIAGNOSTICS[_SENSITIVE]."""
import asyncio
import logging
import os
from typing import Annotated

from openai import AsyncOpenAI
from opentelemetry import trace
from opentelemetry._logs import set_logger_provider
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.metrics import set_meter_provider
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.metrics.view import DropAggregation, View
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

SINK = os.environ["SINK_URL"]
resource = Resource.create({"service.name": "otelcost-capture-semantic-kernel"})

lp = LoggerProvider(resource=resource)
lp.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter(endpoint=SINK + "/v1/logs")))
set_logger_provider(lp)
handler = LoggingHandler()
handler.addFilter(logging.Filter("semantic_kernel"))
logging.getLogger().addHandler(handler)
logging.getLogger().setLevel(logging.INFO)

tp = TracerProvider(resource=resource)
tp.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=SINK + "/v1/traces")))
trace.set_tracer_provider(tp)

mp = MeterProvider(resource=resource, metric_readers=[PeriodicExportingMetricReader(
    OTLPMetricExporter(endpoint=SINK + "/v1/metrics"), export_interval_millis=5000)],
    views=[View(instrument_name="*", aggregation=DropAggregation()), View(instrument_name="semantic_kernel*")])
set_meter_provider(mp)

# import SK only after the providers exist (its meters/tracers are module-level)
from semantic_kernel import Kernel  # noqa: E402
from semantic_kernel.connectors.ai.function_choice_behavior import FunctionChoiceBehavior  # noqa: E402
from semantic_kernel.connectors.ai.open_ai import (  # noqa: E402
    OpenAIChatCompletion, OpenAIChatPromptExecutionSettings)
from semantic_kernel.contents import ChatHistory  # noqa: E402
from semantic_kernel.functions import kernel_function  # noqa: E402

from scenario_calls import BIG_SYSTEM  # noqa: E402


class WeatherPlugin:
    @kernel_function(name="get_weather", description="Current weather for a city")
    def get_weather(self, city: Annotated[str, "the city"]) -> str:
        return '{"temp_c": 18, "sky": "clear"}'


async def main():
    client = AsyncOpenAI(base_url=os.environ["FAKE_URL"] + "/v1", api_key="sk-fake-not-a-key", max_retries=0)
    kernel = Kernel()
    chat = OpenAIChatCompletion(ai_model_id="gpt-4o-mini", async_client=client, service_id="mini")
    reasoner = OpenAIChatCompletion(ai_model_id="o4-mini", async_client=client, service_id="o4")
    kernel.add_service(chat)
    kernel.add_service(reasoner)
    kernel.add_plugin(WeatherPlugin(), plugin_name="weather")
    out = []
    tracer = trace.get_tracer("otelcost.capture")
    with tracer.start_as_current_span("agent_run"):
        # 1: big system prompt, non-streamed
        h = ChatHistory(system_message=BIG_SYSTEM)
        h.add_user_message("Best month to visit Lisbon?")
        r = await chat.get_chat_message_content(h, OpenAIChatPromptExecutionSettings())
        out.append(str(r))
        # 2: same system prompt (cache read), streamed (SK asks for include_usage itself)
        h = ChatHistory(system_message=BIG_SYSTEM)
        h.add_user_message("And for Porto?")
        parts = [str(c) async for c in chat.get_streaming_chat_message_content(h, OpenAIChatPromptExecutionSettings())]
        out.append("".join(parts))
        # 3+4: auto function calling through the kernel (tool call, then the answer)
        r = await kernel.invoke_prompt("What is the weather in Paris?", arguments=None,
                                       settings=OpenAIChatPromptExecutionSettings(
                                           service_id="mini", function_choice_behavior=FunctionChoiceBehavior.Auto()))
        out.append(str(r))
        # 5: reasoning model
        h = ChatHistory()
        h.add_user_message("Is 1001 prime? Think.")
        r = await reasoner.get_chat_message_content(h, OpenAIChatPromptExecutionSettings(reasoning_effort="low"))
        out.append(str(r))
    print(out)


asyncio.run(main())
tp.force_flush(); mp.force_flush(); lp.force_flush()
tp.shutdown(); mp.shutdown(); lp.shutdown()

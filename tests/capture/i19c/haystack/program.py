"""Haystack (haystack-ai) + OpenTelemetry tracer (opentelemetry-haystack integration) -> OTLP/HTTP sink.
OpenAIChatGenerator talks to the fake OpenAI API on loopback (FAKE_URL). Run by ../tools/run_capture.sh.
Calls: pipeline (big system, cache miss), pipeline (same system, cache hit), o4-mini (reasoning),
stream with include_usage, stream with haystack defaults (no include_usage), Agent with a tool (2 calls)."""
import os

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

tp = TracerProvider(resource=Resource.create({"service.name": "haystack-capture"}))
tp.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=os.environ["OTLP_ENDPOINT"] + "/v1/traces")))
trace.set_tracer_provider(tp)

from haystack import Pipeline, tracing
from haystack.components.agents import Agent
from haystack.components.builders import ChatPromptBuilder
from haystack.components.generators.chat import OpenAIChatGenerator
from haystack.dataclasses import ChatMessage
from haystack.tools import Tool
from haystack.utils import Secret
from haystack_integrations.tracing.opentelemetry import OpenTelemetryTracer

tracing.enable_tracing(OpenTelemetryTracer(tp.get_tracer("haystack")))

BASE = os.environ["FAKE_URL"] + "/v1"
KEY = Secret.from_token("sk-fake-local")
BIG_SYSTEM = ("You are a helpful cooking assistant that converts all units to metric. " * 8).strip()


def gen(model, **kw):
    return OpenAIChatGenerator(model=model, api_key=KEY, api_base_url=BASE, max_retries=0, **kw)


# 1+2: a pipeline (prompt builder -> generator), run twice with the same long system prompt
pipe = Pipeline()
pipe.add_component("prompt_builder", ChatPromptBuilder(required_variables=["q"]))
pipe.add_component("llm", gen("gpt-4o-mini"))
pipe.connect("prompt_builder.prompt", "llm.messages")
template = [ChatMessage.from_system(BIG_SYSTEM), ChatMessage.from_user("{{q}}")]
for q in ("Convert 2 cups of flour.", "Convert 350F."):
    out = pipe.run({"prompt_builder": {"template": template, "template_variables": {"q": q}}})
    print("pipeline:", out["llm"]["replies"][0].text, out["llm"]["replies"][0].meta.get("usage"))

# 3: reasoning model in a one-component pipeline
p3 = Pipeline()
p3.add_component("reasoner", gen("o4-mini"))
out = p3.run({"reasoner": {"messages": [ChatMessage.from_user("Is 97 prime?")]}})
print("o4-mini:", out["reasoner"]["replies"][0].meta.get("usage"))

# 4: streaming, usage requested (stream_options.include_usage)
p4 = Pipeline()
p4.add_component("streamer", gen("gpt-4.1-mini", streaming_callback=lambda c: None,
                                 generation_kwargs={"stream_options": {"include_usage": True}}))
out = p4.run({"streamer": {"messages": [ChatMessage.from_user("A pun about bread.")]}})
print("stream+usage:", out["streamer"]["replies"][0].meta.get("usage"))

# 5: streaming with haystack defaults (no include_usage: the API sends no usage to the client)
p5 = Pipeline()
p5.add_component("streamer_default", gen("gpt-4.1-mini", streaming_callback=lambda c: None))
out = p5.run({"streamer_default": {"messages": [ChatMessage.from_user("Another pun about bread.")]}})
print("stream default:", out["streamer_default"]["replies"][0].meta.get("usage"))


# 6+7: an Agent with one tool -> tool call, then final answer (2 LLM calls)
def get_weather(city: str) -> str:
    return f"Rain, 7C in {city}"


weather = Tool(name="get_weather", description="weather for a city", function=get_weather,
               parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]})
agent = Agent(chat_generator=gen("gpt-4o-mini"), tools=[weather], system_prompt="You answer weather questions.")
p6 = Pipeline()
p6.add_component("agent", agent)
out = p6.run({"agent": {"messages": [ChatMessage.from_user("Weather in Oslo?")]}})
for m in out["agent"]["messages"]:
    print("agent msg:", m.role, m.text, m.meta.get("usage"))

tp.force_flush()
tp.shutdown()
print("done")

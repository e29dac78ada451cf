"""DSPy + OpenInference (openinference-instrumentation-dspy + -litellm) -> OTLP/HTTP sink.
dspy.LM("openai/...", api_base=<fake>/v1). DSPY_ENGINE selects dspy.LM(engine=...): unset = DSPy default ("auto").
Calls: Predict with a long signature docstring twice (cache miss, hit), o4-mini (reasoning), streamify (stream),
native function calling (tool call) + follow-up answer."""
import asyncio
import os

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

tp = TracerProvider(resource=Resource.create({"service.name": "dspy-capture"}))
tp.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=os.environ["OTLP_ENDPOINT"] + "/v1/traces")))
trace.set_tracer_provider(tp)

from openinference.instrumentation.dspy import DSPyInstrumentor
from openinference.instrumentation.litellm import LiteLLMInstrumentor

DSPyInstrumentor().instrument(tracer_provider=tp)
LiteLLMInstrumentor().instrument(tracer_provider=tp)

import dspy

BASE = os.environ["FAKE_URL"] + "/v1"
extra = {"engine": os.environ["DSPY_ENGINE"]} if os.environ.get("DSPY_ENGINE") else {}
lm = dspy.LM("openai/gpt-4o-mini", api_base=BASE, api_key="sk-fake-local", cache=False, num_retries=0, **extra)
lm_o4 = dspy.LM("openai/o4-mini", api_base=BASE, api_key="sk-fake-local", cache=False, num_retries=0,
                temperature=1.0, max_tokens=16000, **extra)
dspy.configure(lm=lm)


class Convert(dspy.Signature):
    __doc__ = ("You are a helpful cooking assistant that converts all units to metric. " * 8).strip()
    question: str = dspy.InputField()
    answer: str = dspy.OutputField()


convert = dspy.Predict(Convert)
for q in ("Convert 2 cups of flour.", "Convert 350F."):
    print("predict:", convert(question=q).answer)

with dspy.context(lm=lm_o4):
    print("o4-mini:", dspy.Predict("question -> answer")(question="Is 97 prime?").answer)


async def stream_once():
    prog = dspy.streamify(dspy.Predict("question -> answer"),
                          stream_listeners=[dspy.streaming.StreamListener(signature_field_name="answer")])
    final = None
    async for chunk in prog(question="A pun about bread."):
        if isinstance(chunk, dspy.Prediction):
            final = chunk
    return final


print("stream:", asyncio.run(stream_once()))


def get_weather(city: str) -> str:
    """weather for a city"""
    return f"Rain, 7C in {city}"


class ToolSig(dspy.Signature):
    """Answer weather questions using the tools."""
    question: str = dspy.InputField()
    tools: list[dspy.Tool] = dspy.InputField()
    outputs: dspy.ToolCalls = dspy.OutputField()


tool = dspy.Tool(get_weather)
with dspy.context(adapter=dspy.ChatAdapter(use_native_function_calling=True)):
    pred = dspy.Predict(ToolSig)(question="Weather in Oslo?", tools=[tool])
print("tool calls:", pred.outputs)
results = [call.execute(functions=[tool]) for call in pred.outputs.tool_calls]
print("final:", dspy.Predict("question, observation -> answer")(question="Weather in Oslo?",
                                                                 observation=str(results)).answer)
print("lm history usage:", [h.get("usage") for h in lm.history])

tp.force_flush()
tp.shutdown()
print("done")

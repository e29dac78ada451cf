"""OpenInference LangChain instrumentation + langchain-openai + langchain-anthropic -> OTLP/HTTP sink.
Both chat models point at the fake API on loopback (FAKE_URL). Calls:
OpenAI: LCEL chain (prompt | model) with a long system prompt twice (cache miss, hit), o4-mini (reasoning),
        stream (default: no usage), stream with stream_usage=True, bind_tools round trip (tool call + answer).
Anthropic: long system prompt twice (cache write, then read), stream, bind_tools round trip."""
import os

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

tp = TracerProvider(resource=Resource.create({"service.name": "openinference-langchain-capture"}))
tp.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=os.environ["OTLP_ENDPOINT"] + "/v1/traces")))
trace.set_tracer_provider(tp)

from openinference.instrumentation.langchain import LangChainInstrumentor

LangChainInstrumentor().instrument(tracer_provider=tp)

from langchain_anthropic import ChatAnthropic
from langchain_core.messages import HumanMessage, SystemMessage, ToolMessage
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI

FAKE = os.environ["FAKE_URL"]
BIG_SYSTEM = ("You are a helpful cooking assistant that converts all units to metric. " * 8).strip()


@tool
def get_weather(city: str) -> str:
    """weather for a city"""
    return f"Rain, 7C in {city}"


def tool_round_trip(model, label):
    llm = model.bind_tools([get_weather])
    msgs = [HumanMessage("Weather in Oslo?")]
    ai = llm.invoke(msgs)
    print(label, "tool call:", ai.tool_calls, ai.usage_metadata)
    msgs += [ai] + [ToolMessage(get_weather.invoke(tc["args"]), tool_call_id=tc["id"]) for tc in ai.tool_calls]
    ai2 = llm.invoke(msgs)
    print(label, "answer:", ai2.content, ai2.usage_metadata)


# ---- OpenAI
oa = ChatOpenAI(model="gpt-4o-mini", base_url=FAKE + "/v1", api_key="sk-fake-local", max_retries=0)
chain = ChatPromptTemplate.from_messages([("system", BIG_SYSTEM), ("human", "{q}")]) | oa
for q in ("Convert 2 cups of flour.", "Convert 350F."):
    r = chain.invoke({"q": q})
    print("openai chain:", r.content, r.usage_metadata)
r = ChatOpenAI(model="o4-mini", base_url=FAKE + "/v1", api_key="sk-fake-local", max_retries=0).invoke("Is 97 prime?")
print("o4-mini:", r.usage_metadata)
acc = None
for chunk in ChatOpenAI(model="gpt-4.1-mini", base_url=FAKE + "/v1", api_key="sk-fake-local",
                        max_retries=0).stream("A pun about bread."):
    acc = chunk if acc is None else acc + chunk
print("openai stream (langchain default: no stream_usage with a custom base_url):", acc.content, acc.usage_metadata)
acc = None
for chunk in ChatOpenAI(model="gpt-4.1-mini", base_url=FAKE + "/v1", api_key="sk-fake-local", max_retries=0,
                        stream_usage=True).stream("Another pun about bread."):
    acc = chunk if acc is None else acc + chunk
print("openai stream (stream_usage=True):", acc.content, acc.usage_metadata)
tool_round_trip(oa, "openai")

# ---- Anthropic
an = ChatAnthropic(model="claude-sonnet-4-5", base_url=FAKE, api_key="sk-ant-fake-local", max_retries=0,
                   max_tokens=512)
for q in ("Convert 2 cups of flour.", "Convert 350F."):
    r = an.invoke([SystemMessage(BIG_SYSTEM), HumanMessage(q)])
    print("anthropic:", r.content, r.usage_metadata)
acc = None
for chunk in an.stream("A pun about bread."):
    acc = chunk if acc is None else acc + chunk
print("anthropic stream:", acc.content, acc.usage_metadata)
tool_round_trip(an, "anthropic")

tp.force_flush()
tp.shutdown()
print("done")

"""Scenario g: Strands Agents with its own OpenTelemetry (StrandsTelemetry: traces and
metrics over OTLP/HTTP), OpenAIModel pointed at the fake OpenAI server ($FAKE_LLM).

Calls (one line each in calls.json):
  1. weather_agent (gpt-4.1-mini, big system prompt, a tool): the model asks for the tool,
     then answers: two chat calls, the second reads the system prompt from cache.
  2. the same agent object again: one chat call (the history already holds the tool
     result); Strands' invoke_agent span carries the usage of BOTH invocations.
  3. reasoner (o4-mini): one chat call with reasoning tokens.
"""
import os
import sys

from calls import Calls
from opentelemetry import metrics
from strands import Agent, tool
from strands.models.openai import OpenAIModel
from strands.telemetry import StrandsTelemetry

telemetry = StrandsTelemetry()
telemetry.setup_otlp_exporter()
telemetry.setup_meter(enable_otlp_exporter=True)

BIG_SYSTEM = ("You are a travel weather assistant. Always answer with the temperature in Celsius "
              "and one practical tip for the traveller. ") * 5


def model(model_id):
    client = {"base_url": os.environ["FAKE_LLM"] + "/v1", "api_key": "sk-fake-local", "max_retries": 0}
    return OpenAIModel(client_args=client, model_id=model_id)


@tool
def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"Sunny in {city}, 22C"


def user(name, session):
    return {"user.id": name, "session.id": session}


weather_agent = Agent(name="weather_agent", model=model("gpt-4.1-mini"), system_prompt=BIG_SYSTEM,
                      tools=[get_weather], trace_attributes=user("user-quinn", "sess-quinn-1"),
                      callback_handler=None)
reasoner = Agent(name="reasoner", model=model("o4-mini"), system_prompt="Answer in one sentence.",
                 trace_attributes=user("user-rosa", "sess-rosa-1"), callback_handler=None)

calls = Calls()
calls.record("weather_agent: tool call, then answer (2 chat calls; 2nd reads the cache)",
             lambda: weather_agent("What's the weather in Paris?"))
calls.record("weather_agent again, same agent object (1 chat call, cache read)",
             lambda: weather_agent("And tomorrow?"))
calls.record("reasoner o4-mini (1 chat call with reasoning tokens)",
             lambda: reasoner("Which is warmer in July, Oslo or Rome?"))

telemetry.tracer_provider.force_flush()
metrics.get_meter_provider().force_flush()
calls.save(sys.argv[1])

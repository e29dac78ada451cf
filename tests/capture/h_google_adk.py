"""Scenario h: Google ADK with its own OpenTelemetry setup (maybe_set_otel_providers: traces,
metrics and logs over OTLP/HTTP from the OTEL_* environment), run three times, one process
each: ADK 2 in its default telemetry schema (2, semconv-aligned `generate_content` spans),
ADK 2 in the legacy schema (ADK_TELEMETRY_SCHEMA_VERSION_OPT_IN=1: `call_llm` spans with
gen_ai.system=gcp.vertex.agent), and the last ADK 1 release (its `call_llm` spans) from the
interpreter in $ADK1_PYTHON.

Each run makes the same calls:
  1. forecaster: Gemini (gemini-2.5-flash through google-genai, base_url = the fake Gemini
     API) with a big system instruction and a tool: a function call, then the answer; the
     model thinks (thoughtsTokenCount) and the second call reads the system prompt from cache.
  2. librarian: LiteLlm("openai/o4-mini") against the fake OpenAI API, same shape: two
     chat calls with reasoning tokens, the second with cached_tokens.
"""
import asyncio
import json
import os
import subprocess
import sys

# (name, ADK_TELEMETRY_SCHEMA_VERSION_OPT_IN, interpreter)
RUNS = [("adk2-semconv", "2", sys.executable), ("adk2-legacy", "1", sys.executable),
        ("adk1", "", os.environ["ADK1_PYTHON"])]


def run(name, calls_path):
    from calls import Calls
    from google.adk.agents import LlmAgent
    from google.adk.models.google_llm import Gemini
    from google.adk.models.lite_llm import LiteLlm
    from google.adk.runners import InMemoryRunner
    from google.adk.telemetry.setup import maybe_set_otel_providers
    from google.genai import types
    from opentelemetry import metrics, trace
    from opentelemetry._logs import get_logger_provider

    maybe_set_otel_providers()
    fake = os.environ["FAKE_LLM"]
    instruction = ("You are a travel weather assistant. Always call get_weather first, then answer with "
                   "the temperature in Celsius and one practical tip for the traveller. ") * 4

    def get_weather(city: str) -> str:
        """Get the current weather for a city."""
        return f"Sunny in {city}, 22C"

    agents = {
        "forecaster": LlmAgent(name="forecaster", model=Gemini(model="gemini-2.5-flash", base_url=fake),
                               instruction=instruction, tools=[get_weather]),
        "librarian": LlmAgent(name="librarian", model=LiteLlm(model="openai/o4-mini", api_base=fake + "/v1",
                                                              api_key="sk-fake-local"),
                              instruction=instruction, tools=[get_weather]),
    }

    async def ask(agent, user):
        runner = InMemoryRunner(agent=agent, app_name="scenario_h")
        session = await runner.session_service.create_session(app_name="scenario_h", user_id=user)
        message = types.Content(role="user", parts=[types.Part(text="What's the weather in Paris?")])
        async for _ in runner.run_async(user_id=user, session_id=session.id, new_message=message):
            pass

    calls = Calls()
    calls.record(f"[{name}] forecaster gemini-2.5-flash: function call, then answer (2 calls; thinking; "
                 "2nd reads the cache)", lambda: asyncio.run(ask(agents["forecaster"], "user-sam")))
    calls.record(f"[{name}] librarian LiteLlm openai/o4-mini: tool call, then answer (2 calls; reasoning; "
                 "2nd reads the cache)", lambda: asyncio.run(ask(agents["librarian"], "user-tess")))
    for provider in (trace.get_tracer_provider(), metrics.get_meter_provider(), get_logger_provider()):
        provider.force_flush()
    calls.save(calls_path)


def main():
    out = sys.argv[1]
    if len(sys.argv) > 2:
        run(sys.argv[2], out)
        return
    made = []
    for name, schema, python in RUNS:
        # LITELLM_LOCAL_MODEL_COST_MAP: no fetch of LiteLLM's price list (no network here);
        # one metric export at the end keeps the capture small.
        env = dict(os.environ, ADK_TELEMETRY_SCHEMA_VERSION_OPT_IN=schema, OTEL_SERVICE_NAME=f"scenario-{name}",
                   GOOGLE_API_KEY="fake-local-key", LITELLM_LOCAL_MODEL_COST_MAP="True",
                   OTEL_METRIC_EXPORT_INTERVAL="60000")
        subprocess.run([python, __file__, f"{out}.{name}", name], env=env, check=True)
        made.extend(json.load(open(f"{out}.{name}")))
    with open(out, "w") as f:
        json.dump(made, f, indent=2)


if __name__ == "__main__":
    main()

"""Scenario i: OpenLIT (openlit.init, its own OpenTelemetry setup) around the OpenAI and
Anthropic Python SDKs pointed at the fake server ($FAKE_LLM). Over OTLP when
OTEL_EXPORTER_OTLP_ENDPOINT is set (`otelcost run`), else OpenLIT's default: the Python
SDK's console exporters on stdout, between this program's own prints.

Calls (one line each in calls.json):
  1. OpenAI chat, gpt-4o-mini, big system prompt (first use: nothing cached).
  2. the same again (the system prompt is read from cache).
  3. OpenAI chat streamed with include_usage, o4-mini (reasoning tokens).
  4. Anthropic messages, claude-sonnet-4-5, big system prompt (a cache write).
  5. the same streamed (a cache read).
"""
import os
import sys

import anthropic
import openai
import openlit
from calls import Calls

openlit.init(application_name="scenario-i_openlit", disable_batch=True)

BIG_SYSTEM = ("You are a travel weather assistant. Always answer with the temperature in Celsius "
              "and one practical tip for the traveller. ") * 5
base = os.environ["FAKE_LLM"]
oai = openai.OpenAI(base_url=base + "/v1", api_key="sk-fake-local", max_retries=0)
claude = anthropic.Anthropic(base_url=base, api_key="sk-ant-fake-local", max_retries=0)
calls = Calls()


def chat(model, stream=False):
    messages = [{"role": "system", "content": BIG_SYSTEM}, {"role": "user", "content": "Weather in Paris?"}]
    if not stream:
        return oai.chat.completions.create(model=model, messages=messages)
    for _ in oai.chat.completions.create(model=model, messages=messages, stream=True,
                                         stream_options={"include_usage": True}):
        pass


def message(stream=False):
    args = dict(model="claude-sonnet-4-5", max_tokens=256, system=BIG_SYSTEM,
                messages=[{"role": "user", "content": "Weather in Rome?"}])
    if not stream:
        return claude.messages.create(**args)
    with claude.messages.stream(**args) as s:
        for _ in s.text_stream:
            pass


print("starting the scenario")
calls.record("openai chat gpt-4o-mini", lambda: chat("gpt-4o-mini"))
print("first answer received {")
calls.record("openai chat gpt-4o-mini again (cached)", lambda: chat("gpt-4o-mini"))
calls.record("openai chat o4-mini streamed", lambda: chat("o4-mini", stream=True))
print("now Anthropic")
calls.record("anthropic messages claude-sonnet-4-5", lambda: message())
calls.record("anthropic messages claude-sonnet-4-5 streamed", lambda: message(stream=True))
print("done: 5 calls")
calls.save(sys.argv[1])

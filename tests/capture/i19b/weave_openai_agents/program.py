"""W&B Weave's OTel path: weave.init() with WEAVE_USE_OTEL_V2 (the default in 0.54) installs a global TracerProvider
that exports OTLP/HTTP protobuf to {WF_TRACE_SERVER_URL}/agents/otel/v1/traces; Weave's OpenAI Agents integration
then emits GenAI spans through it. Here WF_TRACE_SERVER_URL is the local sink (which answers GET /server_info).
A direct openai.chat.completions call is made too: Weave records that one with its own call protocol, not OTLP."""
import asyncio
import os
import sys

import weave

weave.init("otelcost/capture")

from agents import Agent, ModelSettings, Runner, function_tool, set_default_openai_client  # noqa: E402
from agents.tracing import get_trace_provider, set_trace_processors  # noqa: E402
from openai import AsyncOpenAI, OpenAI  # noqa: E402
from openai.types.shared import Reasoning  # noqa: E402

from scenario_calls import BIG_SYSTEM  # noqa: E402

# keep only Weave's processor: drop the Agents SDK's default exporter to the vendor's trace ingest
procs = list(get_trace_provider()._multi_processor._processors)
print("agents trace processors:", [type(p).__name__ for p in procs])
set_trace_processors([p for p in procs if "Weave" in type(p).__name__])

base = os.environ["FAKE_URL"] + "/v1"
aclient = AsyncOpenAI(base_url=base, api_key="sk-fake-not-a-key", max_retries=0)
set_default_openai_client(aclient, use_for_tracing=False)


@function_tool
def get_weather(city: str) -> str:
    """Current weather for a city."""
    return '{"temp_c": 18, "sky": "clear"}'


travel = Agent(name="travel", instructions=BIG_SYSTEM, tools=[get_weather], model="gpt-4o-mini")
thinker = Agent(name="thinker", instructions="Answer briefly.", model="o4-mini",
                model_settings=ModelSettings(reasoning=Reasoning(effort="low")))


async def main():
    out = []
    r = await Runner.run(travel, "What is the weather in Paris?")          # calls 1 (tool call) + 2 (answer)
    out.append(r.final_output)
    s = Runner.run_streamed(travel, "And the weather in Paris tomorrow?")  # calls 3 + 4, streamed
    async for _ in s.stream_events():
        pass
    out.append(s.final_output)
    r = await Runner.run(thinker, "Is 1001 prime?")                        # call 5, reasoning
    out.append(r.final_output)
    print(out)


asyncio.run(main())
# call 6: plain OpenAI client outside the Agents SDK (Weave's own protocol, not OTLP)
c = OpenAI(base_url=base, api_key="sk-fake-not-a-key", max_retries=0)
print(c.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Say hi."}])
      .choices[0].message.content)
from opentelemetry import trace  # noqa: E402
trace.get_tracer_provider().force_flush()
trace.get_tracer_provider().shutdown()
# weave.finish() / weave's atexit flush would wait forever: the sink is no Weave trace server, so its own-protocol
# uploads (/obj/create, /file/create, calls) get 404 and are retried. The OTLP spans are already flushed above.
sys.stdout.flush()
os._exit(0)

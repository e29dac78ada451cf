"""CrewAI with OpenInference instrumentation (openinference-instrumentation-crewai + -openai), exporting OTLP/HTTP
to the local sink. CrewAI's own vendor telemetry is switched off with CREWAI_DISABLE_TELEMETRY=true and its hosted
tracing with CREWAI_TRACING_ENABLED=false (run.sh). OTEL_SDK_DISABLED is NOT used: it would also turn the
application's own OTel SDK into a no-op. OI_EVENT_LISTENER=1 uses CrewAIInstrumentor(use_event_listener=True)."""
import os

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from openinference.instrumentation.crewai import CrewAIInstrumentor
from openinference.instrumentation.openai import OpenAIInstrumentor

tp = TracerProvider(resource=Resource.create({"service.name": "otelcost-capture-crewai"}))
tp.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=os.environ["SINK_URL"] + "/v1/traces")))
trace.set_tracer_provider(tp)
if os.environ.get("OI_EVENT_LISTENER") == "1":
    CrewAIInstrumentor().instrument(tracer_provider=tp, use_event_listener=True)
else:
    CrewAIInstrumentor().instrument(tracer_provider=tp)
OpenAIInstrumentor().instrument(tracer_provider=tp)

from crewai import LLM, Agent, Crew, Process, Task  # noqa: E402
from crewai.tools import tool  # noqa: E402

BASE = os.environ["FAKE_URL"] + "/v1"
KEY = "sk-fake-not-a-key"


@tool("get_weather")
def get_weather(city: str) -> str:
    """Current weather for a city."""
    return '{"temp_c": 18, "sky": "clear"}'


LONG_BACKSTORY = ("You have planned trips for travellers for twenty years and you check facts carefully. " * 6).strip()

planner = Agent(role="Travel planner", goal="Answer travel questions in one sentence", backstory=LONG_BACKSTORY,
                llm=LLM(model="openai/gpt-4o-mini", base_url=BASE, api_key=KEY),
                tools=[get_weather], allow_delegation=False, verbose=False)
thinker = Agent(role="Number theorist", goal="Answer arithmetic questions", backstory="A careful mathematician.",
                llm=LLM(model="openai/o4-mini", base_url=BASE, api_key=KEY, reasoning_effort="low"),
                allow_delegation=False, verbose=False)
streamer = Agent(role="Greeter", goal="Greet people", backstory=LONG_BACKSTORY,
                 llm=LLM(model="openai/gpt-4o-mini", base_url=BASE, api_key=KEY, stream=True),
                 allow_delegation=False, verbose=False)

tasks = [
    Task(description="What is the weather in Paris? Use the get_weather tool.", expected_output="One sentence.",
         agent=planner),
    Task(description="Is 1001 prime?", expected_output="Yes or no with a reason.", agent=thinker),
    Task(description="Say hello to the travellers.", expected_output="A greeting.", agent=streamer),
]
crew = Crew(agents=[planner, thinker, streamer], tasks=tasks, process=Process.sequential, verbose=False)
result = crew.kickoff()
print(result)
print("usage_metrics:", crew.usage_metrics)
tp.force_flush()
tp.shutdown()

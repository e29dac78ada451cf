"""Braintrust OTel integration (braintrust[otel] BraintrustSpanProcessor) exporting OTLP to the local sink.

Braintrust's own SDK makes no OTel spans; its OTel path forwards spans that OTel instrumentations
make. As the Braintrust docs suggest, the LLM spans come from OpenLLMetry's
opentelemetry-instrumentation-openai / -anthropic (default settings).
BT_FILTER_AI=1 turns on BraintrustSpanProcessor(filter_ai_spans=True).
"""
import os

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

from braintrust.otel import BraintrustSpanProcessor
from opentelemetry.instrumentation.anthropic import AnthropicInstrumentor
from opentelemetry.instrumentation.openai import OpenAIInstrumentor

import scenario_calls

provider = TracerProvider(resource=Resource.create({"service.name": "otelcost-capture-braintrust"}))
trace.set_tracer_provider(provider)
processor = BraintrustSpanProcessor(api_key="bt-fake-key", parent="project_name:otelcost-capture",
                                    api_url=os.environ["SINK_URL"],
                                    filter_ai_spans=os.environ.get("BT_FILTER_AI") == "1")
provider.add_span_processor(processor)
OpenAIInstrumentor().instrument()
AnthropicInstrumentor().instrument()

tracer = trace.get_tracer("otelcost.capture")
oa, an = scenario_calls.clients()
with tracer.start_as_current_span("agent_run"):
    with tracer.start_as_current_span("plain_step"):
        pass  # a non-AI child span: dropped when filter_ai_spans=True
    print(scenario_calls.openai_calls(oa))
    print(scenario_calls.anthropic_calls(an))
provider.force_flush()
provider.shutdown()

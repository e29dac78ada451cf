"""Laminar (lmnr) with its bundled OpenAI/Anthropic instrumentations, exporting OTLP to the local sink.
Default exporter: OTLP/gRPC (normally port 8443) -> here the sink's gRPC port. LMNR_FORCE_HTTP=1 uses OTLP/HTTP."""
import os

from lmnr import Laminar, observe

import scenario_calls

grpc_port = int(os.environ["SINK_GRPC"].rsplit(":", 1)[1])
http_port = int(os.environ["SINK_URL"].rsplit(":", 1)[1])
Laminar.initialize(project_api_key="lmnr-fake-key", base_url="http://127.0.0.1",
                   grpc_port=grpc_port, http_port=http_port,
                   force_http=os.environ.get("LMNR_FORCE_HTTP") == "1")

oa, an = scenario_calls.clients()


@observe(name="agent_run")
def run():
    print(scenario_calls.openai_calls(oa))
    # messages.stream() breaks under lmnr 0.8.1 + anthropic 2.16 (see NOTES.md): stream via create(stream=True)
    print(scenario_calls.anthropic_calls(an, stream_helper=False))


run()
Laminar.flush()
Laminar.shutdown()

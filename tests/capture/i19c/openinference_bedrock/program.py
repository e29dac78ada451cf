"""OpenInference Bedrock instrumentation + boto3 bedrock-runtime -> fake Bedrock on loopback (endpoint_url),
dummy AWS credentials. Calls: converse with a long system prompt + cachePoint twice (cache write, then read),
converse_stream (same system: cache read), converse tool round trip (toolUse + answer), converse on a Nova model,
invoke_model (Anthropic body, same system with cache_control: cache read), invoke_model_with_response_stream (Anthropic body)."""
import json
import os

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

tp = TracerProvider(resource=Resource.create({"service.name": "openinference-bedrock-capture"}))
tp.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=os.environ["OTLP_ENDPOINT"] + "/v1/traces")))
trace.set_tracer_provider(tp)

from openinference.instrumentation.bedrock import BedrockInstrumentor

BedrockInstrumentor().instrument(tracer_provider=tp)

import boto3
from botocore.config import Config

client = boto3.client("bedrock-runtime", endpoint_url=os.environ["FAKE_URL"], region_name="us-east-1",
                      aws_access_key_id="AKIAFAKEFAKEFAKEFAKE", aws_secret_access_key="fake-secret-key",
                      config=Config(retries={"max_attempts": 1}))
CLAUDE = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
BIG_SYSTEM = ("You are a helpful cooking assistant that converts all units to metric. " * 8).strip()
SYSTEM = [{"text": BIG_SYSTEM}, {"cachePoint": {"type": "default"}}]

for q in ("Convert 2 cups of flour.", "Convert 350F."):
    r = client.converse(modelId=CLAUDE, system=SYSTEM, messages=[{"role": "user", "content": [{"text": q}]}],
                        inferenceConfig={"maxTokens": 512})
    print("converse:", r["output"]["message"]["content"][0]["text"], r["usage"])

r = client.converse_stream(modelId=CLAUDE, system=SYSTEM,
                          messages=[{"role": "user", "content": [{"text": "A pun about bread."}]}])
text, usage = "", None
for ev in r["stream"]:
    if "contentBlockDelta" in ev:
        text += ev["contentBlockDelta"]["delta"].get("text", "")
    if "metadata" in ev:
        usage = ev["metadata"]["usage"]
print("converse_stream:", text, usage)

TOOLS = {"tools": [{"toolSpec": {"name": "get_weather", "description": "weather for a city",
                                 "inputSchema": {"json": {"type": "object",
                                                          "properties": {"city": {"type": "string"}}}}}}]}
msgs = [{"role": "user", "content": [{"text": "Weather in Oslo?"}]}]
r = client.converse(modelId=CLAUDE, messages=msgs, toolConfig=TOOLS)
tu = r["output"]["message"]["content"][0]["toolUse"]
print("tool call:", tu, r["usage"])
msgs += [r["output"]["message"], {"role": "user", "content": [{"toolResult": {
    "toolUseId": tu["toolUseId"], "content": [{"text": f"Rain, 7C in {tu['input']['city']}"}]}}]}]
r = client.converse(modelId=CLAUDE, messages=msgs, toolConfig=TOOLS)
print("tool answer:", r["output"]["message"]["content"][0]["text"], r["usage"])

r = client.converse(modelId="amazon.nova-lite-v1:0", messages=[{"role": "user", "content": [{"text": "Hi Nova."}]}])
print("nova:", r["output"]["message"]["content"][0]["text"], r["usage"])

body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 256,
        "system": [{"type": "text", "text": BIG_SYSTEM, "cache_control": {"type": "ephemeral"}}],
        "messages": [{"role": "user", "content": "Tell me a short fact."}]}
r = client.invoke_model(modelId=CLAUDE, body=json.dumps(body))
print("invoke_model:", json.loads(r["body"].read())["usage"])

del body["system"]
body["messages"][0]["content"] = "Tell me another short fact."
r = client.invoke_model_with_response_stream(modelId=CLAUDE, body=json.dumps(body))
last = None
for ev in r["body"]:
    last = json.loads(ev["chunk"]["bytes"])
print("invoke_model_with_response_stream last event:", last)

tp.force_flush()
tp.shutdown()
print("done")

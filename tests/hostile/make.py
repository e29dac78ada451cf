#!/usr/bin/env python3
"""Writes the hostile-input corpus (tests/hostile/NN-name.*), each file small and hand-made
(synthetic by design: malformed and hostile values no real emitter sends on purpose).
Expected messages and exit codes are beside each case in NN-name.*.expect, checked by
tests/hostile.rs. Large and special cases (a 100 MB line, FIFOs, symlink loops,
unreadable files) are made at test time in tests/hostile.rs, not here.
Rerun: python3 tests/hostile/make.py; then OTELCOST_BLESS=1 cargo test --test hostile
rewrites the .expect files, which are reviewed before committing."""
import gzip, json, pathlib, struct

here = pathlib.Path(__file__).resolve().parent
T0 = 1760000000000000000  # 2025-10-09

def s(v): return {"stringValue": v}
def i(v): return {"intValue": str(v)}
def b(v): return {"boolValue": v}
def kv(k, v): return {"key": k, "value": v}

def span(attrs, name="chat gpt-4o", n=1, end=T0 + 10**9, start=T0, **extra):
    sp = {"traceId": "%032x" % (0xabc000 + n), "spanId": "%016x" % (0x5000 + n), "name": name,
          "startTimeUnixNano": str(start), "endTimeUnixNano": str(end), "attributes": attrs}
    sp.update(extra)
    return sp

def traces(spans, scope="hostile", resource=()):
    return {"resourceSpans": [{"resource": {"attributes": list(resource)},
                               "scopeSpans": [{"scope": {"name": scope}, "spans": spans}]}]}

def logs(records, scope="hostile", resource=()):
    return {"resourceLogs": [{"resource": {"attributes": list(resource)},
                              "scopeLogs": [{"scope": {"name": scope}, "logRecords": records}]}]}

def chat(n=1, model="gpt-4o", **counts):
    attrs = [kv("gen_ai.operation.name", s("chat")), kv("gen_ai.request.model", s(model))]
    for k, v in counts.items():
        attrs.append(kv("gen_ai.usage." + k, v))
    return attrs

def good(n=9):
    """A valid call, kept whatever else the file holds."""
    return span(chat(n, input_tokens=i(100), output_tokens=i(10)), n=n)

def line(obj): return json.dumps(obj, separators=(",", ":")).encode()

def jsonl(*objs): return b"\n".join(line(o) for o in objs) + b"\n"

cases = {}
def case(name, data): cases[name] = data

# --- token counts (semconv spans, OTLP/JSON lines) -------------------------------------
case("01-negative-count-string.jsonl", jsonl(traces([span(chat(input_tokens=s("-5")))]), traces([good()])))
case("02-count-beyond-u64.jsonl", jsonl(traces([span(chat(input_tokens=s("99999999999999999999999"), output_tokens=i(7)))])))
case("03-double-1e300.jsonl", b'{"resourceSpans":[{"resource":{},"scopeSpans":[{"scope":{"name":"hostile"},"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","name":"chat gpt-4o","startTimeUnixNano":"1760000000000000000","endTimeUnixNano":"1760000001000000000","attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}},{"key":"gen_ai.usage.input_tokens","value":{"doubleValue":1e300}},{"key":"gen_ai.usage.output_tokens","value":{"intValue":"10"}}]}]}]}]}\n')
case("04-whole-doubles-are-counts.jsonl", b'{"resourceSpans":[{"resource":{},"scopeSpans":[{"scope":{"name":"hostile"},"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","name":"chat gpt-4o","startTimeUnixNano":"1760000000000000000","endTimeUnixNano":"1760000001000000000","attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}},{"key":"gen_ai.usage.input_tokens","value":{"doubleValue":1200.0}},{"key":"gen_ai.usage.output_tokens","value":{"doubleValue":1.0e2}}]}]}]}]}\n')
case("05-fractional-count.jsonl", b'{"resourceSpans":[{"resource":{},"scopeSpans":[{"scope":{"name":"hostile"},"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","name":"chat gpt-4o","startTimeUnixNano":"1760000000000000000","endTimeUnixNano":"1760000001000000000","attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}},{"key":"gen_ai.usage.input_tokens","value":{"intValue":"100"}},{"key":"gen_ai.usage.output_tokens","value":{"doubleValue":12.5}}]}]}]}]}\n')
case("06-nan-count.jsonl", jsonl(traces([span(chat(input_tokens={"doubleValue": "NaN"}, output_tokens=i(3)))])))
case("07-infinite-count-string.jsonl", jsonl(traces([span(chat(input_tokens=s("Infinity"), output_tokens=i(3)))])))
case("08-boolean-count.jsonl", jsonl(traces([span(chat(input_tokens=b(True), output_tokens=i(3)))])))
case("09-array-count.jsonl", jsonl(traces([span(chat(input_tokens={"arrayValue": {"values": [i(1), i(2)]}}, output_tokens=i(3)))])))
case("10-intvalue-not-an-integer.jsonl", jsonl(traces([span(chat(input_tokens={"intValue": "12x"}, output_tokens=i(3)))])))
case("11-intvalue-beyond-i64.jsonl", jsonl(traces([span(chat(input_tokens={"intValue": "99999999999999999999"}, output_tokens=i(3)))])))
case("12-count-not-a-number.jsonl", jsonl(traces([span(chat(input_tokens=s("ten"), output_tokens=s("twelve")))]), traces([good()])))
case("13-count-over-a-trillion.jsonl", jsonl(traces([span(chat(input_tokens=i(10**12 + 1), output_tokens=i(3)))])))

# --- every emitter's own names --------------------------------------------------------
cc = [kv("service.name", s("claude-code"))]
def cc_event(**attrs):
    a = [kv("event.name", s("api_request")), kv("model", s("claude-sonnet-4-5")), kv("session.id", s("s1")),
         kv("request_id", s("req_1"))]
    a += [kv(k, v) for k, v in attrs.items()]
    return {"timeUnixNano": str(T0), "body": s("claude_code.api_request"), "attributes": a}
case("14-claude-code-negative-cost.jsonl", jsonl(logs([cc_event(input_tokens=i(10), output_tokens=i(5), cost_usd={"doubleValue": -0.5})], scope="com.anthropic.claude_code.events", resource=cc)))
case("15-claude-code-micros-not-a-number.jsonl", jsonl(logs([cc_event(input_tokens=s("10"), output_tokens=s("5"), cost_usd_micros=s("lots"))], scope="com.anthropic.claude_code.events", resource=cc)))
case("16-claude-code-negative-tokens.jsonl", jsonl(logs([cc_event(input_tokens=s("-10"), output_tokens=s("5"), cache_read_tokens=s("1.5"))], scope="com.anthropic.claude_code.events", resource=cc)))
cx = [kv("service.name", s("codex_cli_rs"))]
def codex_event(**attrs):
    a = [kv("event.name", s("codex.sse_event")), kv("event.kind", s("response.completed")), kv("model", s("gpt-5-codex")),
         kv("conversation.id", s("c1"))]
    a += [kv(k, v) for k, v in attrs.items()]
    return {"timeUnixNano": str(T0), "attributes": a}
case("17-codex-negative-count.jsonl", jsonl(logs([codex_event(input_token_count=s("-1"), output_token_count=s("4"))], scope="codex_otel", resource=cx)))
case("18-litellm-nan-cost.jsonl", jsonl(traces([span(chat(input_tokens=i(10), output_tokens=i(5)) + [kv("gen_ai.cost.total_cost", {"doubleValue": "NaN"})], name="litellm_request")], scope="litellm")))
case("19-openinference-bad-counts.jsonl", jsonl(traces([span([kv("openinference.span.kind", s("LLM")), kv("llm.model_name", s("gpt-4o")),
    kv("llm.token_count.prompt", i(-3)), kv("llm.token_count.completion", i(5)), kv("llm.cost.total", s("free"))], name="ChatCompletion")], scope="openinference.instrumentation.openai")))
case("20-openllmetry-fractional.jsonl", jsonl(traces([span([kv("llm.request.type", s("chat")), kv("gen_ai.system", s("openai")), kv("gen_ai.request.model", s("gpt-4o")),
    kv("gen_ai.usage.prompt_tokens", {"doubleValue": 10.25}), kv("gen_ai.usage.completion_tokens", i(5)), kv("llm.usage.total_tokens", s("-1"))], name="openai.chat")], scope="opentelemetry.instrumentation.openai.v1")))
case("21-pydantic-ai-negative-cost.jsonl", jsonl(traces([span(chat(input_tokens=i(10), output_tokens=i(5)) + [kv("operation.cost", {"doubleValue": -1.25})])], scope="pydantic-ai")))
case("22-vercel-ai-not-a-number.jsonl", jsonl(traces([span([kv("ai.operationId", s("ai.generateText.doGenerate")), kv("ai.model.id", s("gpt-4o")), kv("ai.model.provider", s("openai.chat")),
    kv("ai.usage.promptTokens", s("abc")), kv("ai.usage.completionTokens", i(5))], name="ai.generateText.doGenerate")], scope="ai")))
case("23-strands-negative.jsonl", jsonl(traces([span(chat(input_tokens=i(-1), output_tokens=i(5)) + [kv("gen_ai.system", s("strands-agents"))])], scope="strands.telemetry.tracer")))
case("24-adk-bad-reasoning.jsonl", jsonl(traces([span(chat(input_tokens=i(10), output_tokens=i(5)) + [kv("gen_ai.usage.experimental.reasoning_tokens", {"doubleValue": "-Infinity"})], name="call_llm")], scope="gcp.vertex.agent")))

# --- other values -----------------------------------------------------------------------
case("25-time-1970.jsonl", jsonl(traces([span(chat(input_tokens=i(10), output_tokens=i(5)), start=1000, end=2000)])))
case("26-time-2200.jsonl", jsonl(traces([span(chat(input_tokens=i(10), output_tokens=i(5)), start=7258118400 * 10**9, end=7258118400 * 10**9 + 1)])))
case("27-model-name-10000-chars.jsonl", jsonl(traces([span(chat(model="m" * 10000, input_tokens=i(10), output_tokens=i(5)))])))
case("28-model-name-empty.jsonl", jsonl(traces([span(chat(model="", input_tokens=i(10), output_tokens=i(5)))])))
case("29-span-id-wrong-length.jsonl", jsonl(traces([span(chat(input_tokens=i(10), output_tokens=i(5)), spanId="abc")]), traces([good()])))

# --- protobuf ------------------------------------------------------------------------------
def varint(n):
    out = b""
    while True:
        byte = n & 0x7f; n >>= 7
        if n: out += bytes([byte | 0x80])
        else: return out + bytes([byte])
def field(num, wire, payload):
    key = varint(num << 3 | wire)
    if wire == 2: return key + varint(len(payload)) + payload
    return key + payload
def pb_kv(k, v): return field(1, 2, k if isinstance(k, bytes) else k.encode()) + field(2, 2, v)
def pb_str(x): return field(1, 2, x)
def pb_int(x): return field(3, 0, varint(x & (2**64 - 1)))
def pb_double(x): return field(4, 1, struct.pack("<d", x))
def pb_span(attrs, span_id=b"\x01" * 8):
    body = field(1, 2, b"\x02" * 16) + field(2, 2, span_id) + field(5, 2, b"chat gpt-4o")
    body += field(7, 1, struct.pack("<Q", T0)) + field(8, 1, struct.pack("<Q", T0 + 10**9))
    for a in attrs: body += field(9, 2, a)
    return body
def pb_traces(*spans):
    ss = field(1, 2, field(1, 2, b"hostile")) + b"".join(field(2, 2, sp) for sp in spans)
    return field(1, 2, field(2, 2, ss))
pb_chat = [pb_kv("gen_ai.operation.name", pb_str(b"chat")), pb_kv("gen_ai.request.model", pb_str(b"gpt-4o"))]
case("30-proto-negative-int.traces.pb", pb_traces(pb_span(pb_chat + [pb_kv("gen_ai.usage.input_tokens", pb_int(-5)), pb_kv("gen_ai.usage.output_tokens", pb_int(7))])))
case("31-proto-nan-and-infinity.traces.pb", pb_traces(pb_span(pb_chat + [pb_kv("gen_ai.usage.input_tokens", pb_double(float("nan"))), pb_kv("gen_ai.usage.output_tokens", pb_double(float("inf")))])))
case("32-proto-invalid-utf8-value.traces.pb", pb_traces(pb_span(pb_chat + [pb_kv("gen_ai.usage.input_tokens", pb_str(b"\xff\xfe12")), pb_kv("gen_ai.usage.output_tokens", pb_int(7))])))
case("33-proto-span-id-wrong-length.traces.pb", pb_traces(pb_span(pb_chat + [pb_kv("gen_ai.usage.input_tokens", pb_int(5))], span_id=b"\x01\x02\x03")))
good_body = pb_traces(pb_span(pb_chat + [pb_kv("gen_ai.usage.input_tokens", pb_int(100)), pb_kv("gen_ai.usage.output_tokens", pb_int(10))]))
case("34-proto-garbage.traces.pb", b"\x0a\xff\xff\xff\xff\x0f" + b"\x00" * 20)
case("35-frames-truncated.traces.binpb", struct.pack(">I", len(good_body)) + good_body + struct.pack(">I", 1000) + b"\x0a\x05abc")
case("36-frames-bad-zstd.traces.binpb", struct.pack(">I", len(good_body)) + good_body + struct.pack(">I", 12) + b"\x28\xb5\x2f\xfd" + b"\xff" * 8)
case("37-proto-invalid-utf8-key.traces.pb", pb_traces(pb_span(pb_chat + [pb_kv(b"gen_ai.usage.\xff", pb_int(5))])))

# --- JSON text ------------------------------------------------------------------------------
deep = b'{"resourceSpans":[{"resource":{},"scopeSpans":[{"scope":{"name":"hostile"},"spans":[{"name":"deep","attributes":[{"key":"gen_ai.usage.input_tokens","value":{"arrayValue":' + b"[" * 100000 + b"]" * 100000 + b"}}]}]}]}]}"
case("38-deep-nesting.jsonl", deep + b"\n" + line(traces([good()])) + b"\n")
case("39-duplicate-json-keys.jsonl", b'{"resourceSpans":[{"resource":{},"scopeSpans":[{"scope":{"name":"hostile"},"spans":[{"spanId":"b7ad6b7169203331","spanId":"b7ad6b7169203332","name":"chat"}]}]}]}\n' + line(traces([good()])) + b"\n")
case("40-duplicate-attributes.jsonl", jsonl(traces([span(chat(input_tokens=i(100), output_tokens=i(5)) + [kv("gen_ai.usage.input_tokens", s("-1"))])])))
case("41-invalid-utf8-in-key.jsonl", line(traces([span(chat(input_tokens=i(10), output_tokens=i(5)))])).replace(b"gen_ai.usage.input_tokens", b"gen_ai.usage.input\xfftokens") + b"\n" + line(traces([good()])) + b"\n")
case("42-invalid-utf8-in-value.jsonl", line(traces([span(chat(input_tokens=s("XX"), output_tokens=i(5)))])).replace(b"XX", b"\xc3\x28") + b"\n" + line(traces([good()])) + b"\n")
case("43-nul-bytes.jsonl", line(traces([good(1)])) + b"\n\x00\x00\x00\x00\n" + line(traces([span(chat(input_tokens=s("1\x002"), output_tokens=i(5)), n=2)])) + b"\n")
case("44-mixed-json-and-protobuf.jsonl", line(traces([good()])) + b"\n" + good_body + b"\n")
case("45-truncated-last-line.jsonl", line(traces([good(1)])) + b"\n" + line(traces([good(2)]))[:-40])
case("46-not-otlp-line.jsonl", line(traces([good(1)])) + b'\n{"hello":"world"}\n[1,2,3]\n')
case("47-pretty-document-bad-count.json", json.dumps(traces([span(chat(input_tokens=s("-5"), output_tokens=i(3)))]), indent=2).encode())
case("48-gzip-truncated.jsonl.gz", gzip.compress(jsonl(traces([good()])) * 50, mtime=0)[:-30])
case("49-gzip-of-garbage.jsonl.gz", gzip.compress(b"\x00\x01garbage\xff" * 10, mtime=0))
case("50-empty.jsonl", b"")

def sum_metric(name, points, scope="com.anthropic.claude_code", resource=cc):
    return {"resourceMetrics": [{"resource": {"attributes": list(resource)}, "scopeMetrics": [{"scope": {"name": scope},
        "metrics": [{"name": name, "sum": {"aggregationTemporality": 1, "isMonotonic": True, "dataPoints": points}}]}]}]}
def point(value, kind="input"):
    return {"startTimeUnixNano": str(T0), "timeUnixNano": str(T0 + 10**9), "asDouble": value,
            "attributes": [kv("type", s(kind)), kv("model", s("claude-sonnet-4-5")), kv("session.id", s("s1"))]}
case("51-metric-negative-and-nan-points.jsonl", jsonl(sum_metric("claude_code.token.usage", [point(-50.0), point("NaN", "output"), point(7.0, "cacheRead")])))
case("52-metric-beyond-range.jsonl", jsonl(sum_metric("claude_code.cost.usage", [point(7e28, "cost"), point(7e28, "cost")]), sum_metric("claude_code.token.usage", [point(1e25)])))

for name, data in cases.items():
    (here / name).write_bytes(data)
print(len(cases), "cases")

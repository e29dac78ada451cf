#!/usr/bin/env python3
"""A fake LLM API on loopback that answers with known usage, so the tokens a capture
should show are known exactly. Every answer is appended to --log (JSON lines).

OpenAI:  POST /v1/chat/completions, streaming (SSE; a final usage chunk only when
         stream_options.include_usage is set, as the real API) or not.
Gemini:  POST /v1beta/models/{model}:generateContent and :streamGenerateContent (SSE).
Anthropic: POST /v1/messages, streaming (SSE events; message_delta carries the full cumulative usage
         incl. input and cache fields, as the current API and anthropic SDK MessageDeltaUsage do — changed
         in this copy, the original sent output_tokens only) or not; a tool_use block when tools are
         offered and the history holds no tool_result yet (added in this copy).
Bedrock (added in this copy, i19c): POST /model/{modelId}/converse, /converse-stream (AWS
         event-stream framing), /invoke and /invoke-with-response-stream (Anthropic-on-Bedrock
         body). Converse usage: inputTokens EXCLUDES cache, cacheReadInputTokens /
         cacheWriteInputTokens apart, totalTokens includes them (as the real API).

Usage is deterministic and different per call (n = the server's call counter):
  * prompt = 40 + 11*n + chars/4 of the request; a system prompt longer than 400 chars
    adds a 1200-token block, of which 1152 are cached (reads) from its second use on
    (per model): OpenAI `cached_tokens` and Gemini `cachedContentTokenCount` are both
    part of the prompt count, as in the real APIs.
  * visible output = 12 + 5*n; reasoning = 128 + 32*n for o-series and gemini-2.5
    models. OpenAI counts reasoning inside completion_tokens; Gemini reports thoughts
    apart from candidatesTokenCount (and bills them as output).
  * a request offering tools whose history holds no tool result yet gets a call to the
    first tool with {"city": "Paris"}: an agent then makes a second model call.
"""
import argparse
import base64
import json
import struct
import urllib.parse
import zlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RESPONSE_MODEL = {
    "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
    "gpt-4.1-mini": "gpt-4.1-mini-2025-04-14",
    "o4-mini": "o4-mini-2025-04-16",
}
BIG_SYSTEM_CHARS = 400
BIG_SYSTEM_TOKENS = 1200
CACHED_TOKENS = 1152

LOCK = threading.Lock()
STATE = {"n": 0, "seen_systems": set()}
LOG_PATH = None


def counter():
    with LOCK:
        STATE["n"] += 1
        return STATE["n"]


def first_use(key):
    with LOCK:
        new = key not in STATE["seen_systems"]
        STATE["seen_systems"].add(key)
        return new


def log(entry):
    with LOCK, open(LOG_PATH, "a") as f:
        f.write(json.dumps(entry) + "\n")


def thinks(model):
    return (model[:1] == "o" and model[1:2].isdigit()) or model.startswith("gemini-2.5")


def counts(n, model, system_text, other_text):
    """(prompt incl. cache, cached, visible output, reasoning) for call n."""
    prompt = 40 + 11 * n + len(other_text) // 4
    cached = 0
    if len(system_text) > BIG_SYSTEM_CHARS:
        prompt += BIG_SYSTEM_TOKENS
        if not first_use((model, system_text)):
            cached = CACHED_TOKENS
    else:
        prompt += len(system_text) // 4
    reasoning = 128 + 32 * n if thinks(model) else 0
    return prompt, cached, 12 + 5 * n, reasoning


def sse(events):
    return "".join(f"data: {json.dumps(e)}\n\n" for e in events)


# ---------------------------------------------------------------- OpenAI chat completions
def text_of(content):
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) if isinstance(p, dict) else str(p) for p in content)
    return "" if content is None else str(content)


def dspy_text(system, other, text):
    """DSPy's ChatAdapter prompts ask for `[[ ## field ## ]]` sections: answer in that format
    (added in this copy) so DSPy can parse the canned answer. Any other prompt gets `text`."""
    if "[[ ## completed ## ]]" not in system + other:
        return text
    import re
    m = re.search(r"Your output fields are:\n(.*?)(?:\n\n|$)", system, re.S)
    fields = re.findall(r"`(\w+)`", m.group(1)) if m else ["answer"]
    return "".join(f"[[ ## {f} ## ]]\n{text}\n\n" for f in fields) + "[[ ## completed ## ]]"


def openai_chat(req, n):
    model = req.get("model", "gpt-4o-mini")
    messages = req.get("messages", [])
    system = " ".join(text_of(m.get("content")) for m in messages if m.get("role") in ("system", "developer"))
    other = " ".join(text_of(m.get("content")) + json.dumps(m.get("tool_calls") or "")
                     for m in messages if m.get("role") not in ("system", "developer"))
    prompt, cached, visible, reasoning = counts(n, model, system, other)
    usage = {
        "prompt_tokens": prompt,
        "completion_tokens": visible + reasoning,
        "total_tokens": prompt + visible + reasoning,
        "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": reasoning, "audio_tokens": 0,
                                      "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
    }
    tools = req.get("tools") or []
    if tools and not any(m.get("role") == "tool" for m in messages):
        message = {"role": "assistant", "content": None, "tool_calls": [{
            "id": f"call_fake{n:04d}", "type": "function",
            "function": {"name": tools[0]["function"]["name"], "arguments": json.dumps({"city": "Paris"})}}]}
        finish = "tool_calls"
    else:
        message = {"role": "assistant", "content": dspy_text(system, other, f"Canned answer #{n} from fake {model}.")}
        finish = "stop"
    body = {"id": f"chatcmpl-fake{n:06d}", "object": "chat.completion", "created": int(time.time()),
            "model": RESPONSE_MODEL.get(model, model), "system_fingerprint": "fp_fake0001",
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
            "usage": usage}
    return body, usage, model, finish


def openai_stream(body, include_usage):
    base = {k: body[k] for k in ("id", "created", "model", "system_fingerprint")}
    base["object"] = "chat.completion.chunk"
    message = body["choices"][0]["message"]
    chunks = []

    def chunk(delta, finish=None):
        c = dict(base, choices=[{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}])
        if include_usage:
            c["usage"] = None
        chunks.append(c)

    chunk({"role": "assistant", "content": ""})
    if message.get("tool_calls"):
        call = message["tool_calls"][0]
        chunk({"tool_calls": [{"index": 0, "id": call["id"], "type": "function",
                               "function": {"name": call["function"]["name"], "arguments": ""}}]})
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": call["function"]["arguments"]}}]})
    else:
        for i, word in enumerate(message["content"].split(" ")):
            chunk({"content": word if i == 0 else " " + word})
    chunk({}, body["choices"][0]["finish_reason"])
    if include_usage:
        chunks.append(dict(base, choices=[], usage=body["usage"]))
    return sse(chunks) + "data: [DONE]\n\n"


# ---------------------------------------------------------------- Gemini generateContent
def gemini_generate(req, n, model):
    system = text_of((req.get("systemInstruction") or {}).get("parts"))
    contents = req.get("contents", [])
    other = " ".join(json.dumps(c.get("parts", [])) for c in contents)
    prompt, cached, visible, thoughts = counts(n, model, system, other)
    usage = {"promptTokenCount": prompt, "candidatesTokenCount": visible, "totalTokenCount": prompt + visible + thoughts}
    if cached:
        usage["cachedContentTokenCount"] = cached
    if thoughts:
        usage["thoughtsTokenCount"] = thoughts
    declarations = [d for t in req.get("tools") or [] for d in t.get("functionDeclarations") or []]
    answered = any("functionResponse" in p for c in contents for p in c.get("parts", []))
    if declarations and not answered:
        parts = [{"functionCall": {"name": declarations[0]["name"], "args": {"city": "Paris"}}}]
    else:
        parts = [{"text": f"Canned answer #{n} from fake {model}."}]
    body = {"candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}],
            "usageMetadata": usage, "modelVersion": model, "responseId": f"fakeresp{n:06d}"}
    return body, usage, "functionCall" in parts[0]


# ---------------------------------------------------------------- Anthropic messages
def anthropic_messages(req, n):
    model = req.get("model", "claude-sonnet-4-5")
    system = text_of(req.get("system"))
    messages = req.get("messages", [])
    other = " ".join(json.dumps(m.get("content")) for m in messages)
    prompt, cached, visible, _ = counts(n, model, system, other)
    write = CACHED_TOKENS if len(system) > BIG_SYSTEM_CHARS and not cached else 0
    usage = {"input_tokens": prompt - cached - write, "cache_creation_input_tokens": write,
             "cache_read_input_tokens": cached, "output_tokens": visible}
    tools = req.get("tools") or []
    answered = any(isinstance(b, dict) and b.get("type") == "tool_result"
                   for m in messages if isinstance(m.get("content"), list) for b in m["content"])
    if tools and not answered:
        content = [{"type": "tool_use", "id": f"toolu_fake{n:04d}", "name": tools[0]["name"],
                    "input": {"city": "Paris"}}]
        stop = "tool_use"
    else:
        content = [{"type": "text", "text": f"Canned answer #{n} from fake {model}."}]
        stop = "end_turn"
    body = {"id": f"msg_fake{n:06d}", "type": "message", "role": "assistant", "model": model,
            "content": content, "stop_reason": stop, "stop_sequence": None, "usage": usage}
    return body, usage, model


def anthropic_stream(body):
    usage = body["usage"]
    start = dict(body, content=[], stop_reason=None, usage=dict(usage, output_tokens=1))
    events = [("message_start", {"type": "message_start", "message": start})]
    block = body["content"][0]
    if block["type"] == "tool_use":
        events.append(("content_block_start", {"type": "content_block_start", "index": 0,
                                               "content_block": dict(block, input={})}))
        events.append(("content_block_delta", {"type": "content_block_delta", "index": 0,
                                               "delta": {"type": "input_json_delta",
                                                         "partial_json": json.dumps(block["input"])}}))
    else:
        events.append(("content_block_start", {"type": "content_block_start", "index": 0,
                                               "content_block": {"type": "text", "text": ""}}))
        for i, word in enumerate(block["text"].split(" ")):
            events.append(("content_block_delta", {"type": "content_block_delta", "index": 0,
                                                   "delta": {"type": "text_delta", "text": word if i == 0 else " " + word}}))
    events += [("content_block_stop", {"type": "content_block_stop", "index": 0}),
               ("message_delta", {"type": "message_delta", "delta": {"stop_reason": body["stop_reason"], "stop_sequence": None},
                                  "usage": dict(usage)}),  # cumulative, all fields (current API)
               ("message_stop", {"type": "message_stop"})]
    return events


def anthropic_sse(body):
    return "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in anthropic_stream(body))


# ---------------------------------------------------------------- Bedrock (Converse + InvokeModel)
def es_message(headers, payload):
    """One AWS event-stream message (application/vnd.amazon.eventstream)."""
    hb = b""
    for k, v in headers.items():
        kb, vb = k.encode(), v.encode()
        hb += bytes([len(kb)]) + kb + bytes([7]) + struct.pack(">H", len(vb)) + vb
    prelude = struct.pack(">II", 12 + len(hb) + len(payload) + 4, len(hb))
    msg = prelude + struct.pack(">I", zlib.crc32(prelude) & 0xFFFFFFFF) + hb + payload
    return msg + struct.pack(">I", zlib.crc32(msg) & 0xFFFFFFFF)


def es_event(event_type, obj):
    return es_message({":event-type": event_type, ":content-type": "application/json",
                       ":message-type": "event"}, json.dumps(obj).encode())


def bedrock_converse(req, n, model):
    system = " ".join(str(b.get("text", "")) for b in req.get("system") or [] if isinstance(b, dict))
    messages = req.get("messages", [])
    other = " ".join(json.dumps(m.get("content")) for m in messages)
    prompt, cached, visible, _ = counts(n, model, system, other)
    write = CACHED_TOKENS if len(system) > BIG_SYSTEM_CHARS and not cached else 0
    usage = {"inputTokens": prompt - cached - write, "outputTokens": visible, "totalTokens": prompt + visible}
    if "cachePoint" in json.dumps(req):  # the cache fields come only with prompt caching in use
        usage.update(cacheReadInputTokens=cached, cacheWriteInputTokens=write)
    tools = [t["toolSpec"] for t in (req.get("toolConfig") or {}).get("tools") or [] if "toolSpec" in t]
    answered = any("toolResult" in b for m in messages for b in m.get("content") or [] if isinstance(b, dict))
    if tools and not answered:
        content = [{"toolUse": {"toolUseId": f"tooluse_fake{n:04d}", "name": tools[0]["name"],
                                "input": {"city": "Paris"}}}]
        stop = "tool_use"
    else:
        content = [{"text": f"Canned answer #{n} from fake {model}."}]
        stop = "end_turn"
    body = {"output": {"message": {"role": "assistant", "content": content}}, "stopReason": stop,
            "usage": usage, "metrics": {"latencyMs": 42}}
    return body, usage, stop == "tool_use"


def bedrock_converse_stream(body):
    msg = body["output"]["message"]
    out = [es_event("messageStart", {"role": "assistant"})]
    block = msg["content"][0]
    if "toolUse" in block:
        tu = block["toolUse"]
        out.append(es_event("contentBlockStart", {"contentBlockIndex": 0, "start": {
            "toolUse": {"toolUseId": tu["toolUseId"], "name": tu["name"]}}}))
        out.append(es_event("contentBlockDelta", {"contentBlockIndex": 0,
                                                  "delta": {"toolUse": {"input": json.dumps(tu["input"])}}}))
    else:
        for i, word in enumerate(block["text"].split(" ")):
            out.append(es_event("contentBlockDelta", {"contentBlockIndex": 0,
                                                      "delta": {"text": word if i == 0 else " " + word}}))
    out.append(es_event("contentBlockStop", {"contentBlockIndex": 0}))
    out.append(es_event("messageStop", {"stopReason": body["stopReason"]}))
    out.append(es_event("metadata", {"usage": body["usage"], "metrics": body["metrics"]}))
    return b"".join(out)


def bedrock_invoke_stream(body):
    """InvokeModelWithResponseStream for an Anthropic body: each Anthropic SSE event as a chunk;
    the last one carries amazon-bedrock-invocationMetrics, as the real service does."""
    events = [data for _, data in anthropic_stream(body)]
    u = body["usage"]
    events[-1] = dict(events[-1], **{"amazon-bedrock-invocationMetrics": {
        "inputTokenCount": u["input_tokens"], "outputTokenCount": u["output_tokens"],
        "invocationLatency": 42, "firstByteLatency": 7,
        "cacheReadInputTokenCount": u["cache_read_input_tokens"],
        "cacheWriteInputTokenCount": u["cache_creation_input_tokens"]}})
    return b"".join(es_event("chunk", {"bytes": base64.b64encode(json.dumps(e).encode()).decode()})
                    for e in events)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, text, content_type="application/json", extra=None):
        data = text if isinstance(text, bytes) else text.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        req = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        path = self.path.split("?")[0]
        n = counter()
        entry = {"n": n, "path": path, "time": time.time()}
        if path.endswith("/chat/completions"):
            body, usage, model, finish = openai_chat(req, n)
            stream = bool(req.get("stream"))
            include_usage = not stream or bool((req.get("stream_options") or {}).get("include_usage"))
            entry.update(api="openai.chat", request_model=model, response_model=body["model"], stream=stream,
                         usage_delivered_to_client=include_usage, tool_call=finish == "tool_calls", usage=usage)
            log(entry)
            if stream:
                self.send(200, openai_stream(body, include_usage), "text/event-stream")
            else:
                self.send(200, json.dumps(body))
        elif path.endswith("/messages"):
            body, usage, model = anthropic_messages(req, n)
            stream = bool(req.get("stream"))
            entry.update(api="anthropic.messages", request_model=model, response_model=model, stream=stream,
                         usage_delivered_to_client=True, tool_call=body["stop_reason"] == "tool_use", usage=usage)
            log(entry)
            self.send(200, anthropic_sse(body) if stream else json.dumps(body),
                      "text/event-stream" if stream else "application/json")
        elif ":generateContent" in path or ":streamGenerateContent" in path:
            model = path.rsplit("/", 1)[-1].split(":")[0]
            body, usage, tool_call = gemini_generate(req, n, model)
            stream = ":streamGenerateContent" in path
            entry.update(api="gemini.generate_content", request_model=model, response_model=model, stream=stream,
                         usage_delivered_to_client=True, tool_call=tool_call, usage=usage)
            log(entry)
            self.send(200, sse([body]) if stream else json.dumps(body), "text/event-stream" if stream else
                      "application/json")
        elif path.startswith("/model/"):
            model = urllib.parse.unquote(path.split("/")[2])
            op = path.split("/")[3] if len(path.split("/")) > 3 else ""
            rid = {"x-amzn-RequestId": f"fake-req-{n:06d}"}
            if op in ("converse", "converse-stream"):
                body, usage, tool_call = bedrock_converse(req, n, model)
                stream = op == "converse-stream"
                entry.update(api="bedrock.converse", request_model=model, response_model=model, stream=stream,
                             usage_delivered_to_client=True, tool_call=tool_call, usage=usage)
                log(entry)
                if stream:
                    self.send(200, bedrock_converse_stream(body), "application/vnd.amazon.eventstream", rid)
                else:
                    self.send(200, json.dumps(body), "application/json", rid)
            elif op in ("invoke", "invoke-with-response-stream"):
                # Anthropic-on-Bedrock body (anthropic_version bedrock-2023-05-31)
                body, usage, _ = anthropic_messages(dict(req, model=model), n)
                stream = op == "invoke-with-response-stream"
                entry.update(api="bedrock.invoke_model(anthropic)", request_model=model, response_model=model,
                             stream=stream, usage_delivered_to_client=True,
                             tool_call=body["stop_reason"] == "tool_use", usage=usage)
                log(entry)
                if stream:
                    self.send(200, bedrock_invoke_stream(body), "application/vnd.amazon.eventstream",
                              dict(rid, **{"X-Amzn-Bedrock-Content-Type": "application/json"}))
                else:
                    self.send(200, json.dumps(body), "application/json", dict(rid, **{
                        "X-Amzn-Bedrock-Input-Token-Count": str(usage["input_tokens"]),
                        "X-Amzn-Bedrock-Output-Token-Count": str(usage["output_tokens"]),
                        "X-Amzn-Bedrock-Cache-Read-Input-Token-Count": str(usage["cache_read_input_tokens"]),
                        "X-Amzn-Bedrock-Cache-Write-Input-Token-Count": str(usage["cache_creation_input_tokens"]),
                        "X-Amzn-Bedrock-Invocation-Latency": "42"}))
            else:
                self.send(404, json.dumps({"message": f"fake LLM: no bedrock op {op}"}))
        else:
            self.send(404, json.dumps({"error": {"message": f"fake LLM: no route {path}"}}))

    def do_GET(self):
        self.send(404, json.dumps({"error": {"message": f"fake LLM: no GET route {self.path}"}}))


def main():
    global LOG_PATH
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--log", required=True)
    ap.add_argument("--max-seconds", type=int, default=1800, help="exit by itself after this long")
    args = ap.parse_args()
    timer = threading.Timer(args.max_seconds, lambda: __import__("os")._exit(0))
    timer.daemon = True
    timer.start()
    LOG_PATH = args.log
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

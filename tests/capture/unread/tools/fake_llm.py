#!/usr/bin/env python3
"""A fake LLM API on loopback that answers with known usage, so the tokens a capture
should show are known exactly. Every answer is appended to --log (JSON lines).

OpenAI:  POST /v1/chat/completions, streaming (SSE; a final usage chunk only when
         stream_options.include_usage is set, as the real API) or not.
Gemini:  POST /v1beta/models/{model}:generateContent and :streamGenerateContent (SSE).
Anthropic: POST /v1/messages, streaming (SSE events) or not.
OpenAI Responses (added in this i19b copy): POST /v1/responses, streaming (SSE: created, output item/text
         deltas, completed with usage) or not; `instructions` counts as the system prompt.

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
import json
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
        message = {"role": "assistant", "content": f"Canned answer #{n} from fake {model}."}
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


# ---------------------------------------------------------------- OpenAI Responses (i19b addition)
def openai_responses(req, n):
    model = req.get("model", "gpt-4o-mini")
    inp = req.get("input")
    items = [{"role": "user", "content": inp}] if isinstance(inp, str) else (inp or [])
    system = text_of(req.get("instructions")) + " ".join(
        text_of(i.get("content")) for i in items if isinstance(i, dict) and i.get("role") in ("system", "developer"))
    other = " ".join(json.dumps(i) for i in items if not (isinstance(i, dict) and i.get("role") in ("system", "developer")))
    prompt, cached, visible, reasoning = counts(n, model, system, other)
    usage = {"input_tokens": prompt, "input_tokens_details": {"cached_tokens": cached},
             "output_tokens": visible + reasoning, "output_tokens_details": {"reasoning_tokens": reasoning},
             "total_tokens": prompt + visible + reasoning}
    tools = [t for t in req.get("tools") or [] if t.get("type") == "function"]
    answered = any(isinstance(i, dict) and i.get("type") == "function_call_output" for i in items)
    if tools and not answered:
        output = [{"type": "function_call", "id": f"fc_fake{n:04d}", "call_id": f"call_fake{n:04d}",
                   "name": tools[0]["name"], "arguments": json.dumps({"city": "Paris"}), "status": "completed"}]
    else:
        output = [{"type": "message", "id": f"msg_fake{n:04d}", "status": "completed", "role": "assistant",
                   "content": [{"type": "output_text", "text": f"Canned answer #{n} from fake {model}.",
                                "annotations": [], "logprobs": []}]}]
    body = {"id": f"resp_fake{n:06d}", "object": "response", "created_at": int(time.time()), "status": "completed",
            "model": RESPONSE_MODEL.get(model, model), "output": output, "parallel_tool_calls": True,
            "tool_choice": req.get("tool_choice", "auto"), "tools": req.get("tools", []), "usage": usage,
            "error": None, "incomplete_details": None, "instructions": req.get("instructions"), "metadata": {},
            "temperature": 1.0, "top_p": 1.0, "text": {"format": {"type": "text"}}, "truncation": "disabled",
            "reasoning": req.get("reasoning") or {"effort": None, "summary": None}}
    return body, usage, model, output[0]["type"] == "function_call"


def responses_stream(body):
    seq = [0]

    def ev(kind, **data):
        seq[0] += 1
        return f"event: {kind}\ndata: {json.dumps(dict(type=kind, sequence_number=seq[0], **data))}\n\n"

    pending = dict(body, status="in_progress", output=[], usage=None)
    out = [ev("response.created", response=pending), ev("response.in_progress", response=pending)]
    for idx, item in enumerate(body["output"]):
        if item["type"] == "message":
            text = item["content"][0]["text"]
            out.append(ev("response.output_item.added", output_index=idx,
                          item=dict(item, status="in_progress", content=[])))
            out.append(ev("response.content_part.added", output_index=idx, item_id=item["id"], content_index=0,
                          part={"type": "output_text", "text": "", "annotations": [], "logprobs": []}))
            for i, word in enumerate(text.split(" ")):
                out.append(ev("response.output_text.delta", output_index=idx, item_id=item["id"], content_index=0,
                              delta=word if i == 0 else " " + word, logprobs=[]))
            out.append(ev("response.output_text.done", output_index=idx, item_id=item["id"], content_index=0,
                          text=text, logprobs=[]))
            out.append(ev("response.content_part.done", output_index=idx, item_id=item["id"], content_index=0,
                          part=item["content"][0]))
        else:
            out.append(ev("response.output_item.added", output_index=idx,
                          item=dict(item, status="in_progress", arguments="")))
            out.append(ev("response.function_call_arguments.delta", output_index=idx, item_id=item["id"],
                          delta=item["arguments"]))
            out.append(ev("response.function_call_arguments.done", output_index=idx, item_id=item["id"],
                          arguments=item["arguments"], name=item["name"]))
        out.append(ev("response.output_item.done", output_index=idx, item=item))
    out.append(ev("response.completed", response=body))
    return "".join(out)


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
    body = {"id": f"msg_fake{n:06d}", "type": "message", "role": "assistant", "model": model,
            "content": [{"type": "text", "text": f"Canned answer #{n} from fake {model}."}],
            "stop_reason": "end_turn", "stop_sequence": None, "usage": usage}
    return body, usage, model


def anthropic_stream(body):
    usage = body["usage"]
    start = dict(body, content=[], stop_reason=None, usage=dict(usage, output_tokens=1))
    events = [("message_start", {"type": "message_start", "message": start}),
              ("content_block_start", {"type": "content_block_start", "index": 0,
                                       "content_block": {"type": "text", "text": ""}})]
    for i, word in enumerate(body["content"][0]["text"].split(" ")):
        events.append(("content_block_delta", {"type": "content_block_delta", "index": 0,
                                               "delta": {"type": "text_delta", "text": word if i == 0 else " " + word}}))
    events += [("content_block_stop", {"type": "content_block_stop", "index": 0}),
               ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                                  "usage": {"output_tokens": usage["output_tokens"]}}),
               ("message_stop", {"type": "message_stop"})]
    return "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, text, content_type="application/json"):
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
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
        elif path.endswith("/responses"):
            body, usage, model, tool_call = openai_responses(req, n)
            stream = bool(req.get("stream"))
            entry.update(api="openai.responses", request_model=model, response_model=body["model"], stream=stream,
                         usage_delivered_to_client=True, tool_call=tool_call, usage=usage)
            log(entry)
            self.send(200, responses_stream(body) if stream else json.dumps(body),
                      "text/event-stream" if stream else "application/json")
        elif path.endswith("/messages"):
            body, usage, model = anthropic_messages(req, n)
            stream = bool(req.get("stream"))
            entry.update(api="anthropic.messages", request_model=model, response_model=model, stream=stream,
                         usage_delivered_to_client=True, tool_call=False, usage=usage)
            log(entry)
            self.send(200, anthropic_stream(body) if stream else json.dumps(body),
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
        else:
            self.send(404, json.dumps({"error": {"message": f"fake LLM: no route {path}"}}))


def main():
    global LOG_PATH
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--log", required=True)
    args = ap.parse_args()
    LOG_PATH = args.log
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""(Copy for /work/captures/i20a: --tool takes a comma list of candidate tool names, the first one
the request declares is called; --tool-args may map tool name -> args; TOOL_NAME placeholders.)
Fake LLM API for multi-call agent sessions (127.0.0.1 only).

Derived from capture/agents/fake_llm_agents.py.  Serves
  * Gemini  POST .../models/<m>:generateContent | :streamGenerateContent (SSE)
  * OpenAI  POST .../chat/completions (JSON or SSE, usage in the final chunk)
  * Anthropic POST .../v1/messages (JSON or SSE per Anthropic's event format)

Tool turn: the FIRST request (per API family) that declares a tool named
--tool (and is not a JSON-schema utility call) is answered with a tool call
(--tool, --tool-args JSON).  Every other request is answered with text.

Usage: every response gets DIFFERENT usage numbers, taken from a per-family
table indexed by a per-family response counter n (1-based), so the truth is
exact.  Every response's usage is appended (as sent) to OUTDIR/fake_usage.jsonl,
every request (full body) to OUTDIR/requests.jsonl.

usage: fake_llm_multi.py OUTDIR [--port 18090] [--max-seconds 900]
                         [--tool NAME --tool-args JSON]
"""
import argparse
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OUTDIR = "."
TOOL = None
TOOL_ARGS = {}
THINKING = False
_lock = threading.Lock()
_seq = [0]
_n = {"gemini": 0, "openai": 0, "anthropic": 0}
_tool_issued = {"gemini": False, "openai": False, "anthropic": False}


def log(name, obj):
    with _lock:
        with open(os.path.join(OUTDIR, name), "a") as f:
            f.write(json.dumps(obj) + "\n")


def next_seq():
    with _lock:
        _seq[0] += 1
        return _seq[0]


USAGE_OFFSET = 0


def next_n(fam):
    """1-based response counter per API family (+ --usage-offset)."""
    with _lock:
        _n[fam] += 1
        return _n[fam] + USAGE_OFFSET


def pick_tool(declared):
    """First --tool candidate that the request declares (None if none)."""
    if not TOOL:
        return None
    for cand in TOOL.split(","):
        if cand in declared:
            return cand
    return None


def tool_args(name):
    if isinstance(TOOL_ARGS, dict) and name in TOOL_ARGS and isinstance(TOOL_ARGS[name], dict) \
            and TOOL_ARGS.get("_per_tool"):
        return TOOL_ARGS[name]
    return TOOL_ARGS


TOOL_TURNS = 1


def claim_tool(fam):
    """(i20a) the first TOOL_TURNS tool-declaring requests per family get a tool call."""
    with _lock:
        if int(_tool_issued[fam]) >= TOOL_TURNS:
            return False
        _tool_issued[fam] = int(_tool_issued[fam]) + 1
        return True


# ---------------------------------------------------------------- usage tables
GEMINI_TABLE = [
    # prompt, cached, candidates, thoughts, toolUse
    (1500, 0, 20, 10, 0),
    (1800, 1400, 60, 0, 5),
    (2100, 1700, 35, 25, 3),
    (900, 0, 12, 0, 0),
    (2400, 2000, 80, 40, 9),
    (1300, 1024, 44, 16, 2),
]


def gemini_usage(n):
    if n <= len(GEMINI_TABLE):
        p, c, o, t, u = GEMINI_TABLE[n - 1]
    else:
        p = 1000 + 137 * n
        c = (p // 2) if n % 2 == 0 else 0
        o = 10 + 7 * n
        t = 3 * n if n % 3 else 0
        u = n % 4
    d = {"promptTokenCount": p}
    if c:
        d["cachedContentTokenCount"] = c
    d["candidatesTokenCount"] = o
    if t:
        d["thoughtsTokenCount"] = t
    if u:
        d["toolUsePromptTokenCount"] = u
    d["totalTokenCount"] = p + o + t + u
    return d


OPENAI_TABLE = [
    # prompt, cached, completion, reasoning
    (2000, 0, 45, 30),
    (2600, 1920, 120, 0),
    (700, 512, 15, 8),
    (3100, 2560, 66, 21),
]


def openai_usage(n):
    if n <= len(OPENAI_TABLE):
        p, c, o, r = OPENAI_TABLE[n - 1]
    else:
        p = 800 + 211 * n
        c = (p // 4) * 2 if n % 2 == 0 else 0
        o = 20 + 9 * n
        r = 2 * n if n % 3 else 0
    return {
        "prompt_tokens": p,
        "completion_tokens": o,
        "total_tokens": p + o,
        "prompt_tokens_details": {"cached_tokens": c, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": r, "audio_tokens": 0,
                                      "accepted_prediction_tokens": 0,
                                      "rejected_prediction_tokens": 0},
    }


ANTHROPIC_TABLE = [
    # input (uncached), cache_creation, cache_read, output
    (300, 2500, 0, 70),
    (150, 400, 2500, 210),
    (40, 0, 0, 12),
    (220, 600, 2900, 95),
]


def anthropic_usage(n):
    if n <= len(ANTHROPIC_TABLE):
        i, cw, cr, o = ANTHROPIC_TABLE[n - 1]
    else:
        i = 50 + 13 * n
        cw = 100 * n if n % 2 else 0
        cr = 1000 + 250 * n if n % 2 == 0 else 0
        o = 15 + 11 * n
    return {"input_tokens": i, "cache_creation_input_tokens": cw,
            "cache_read_input_tokens": cr, "output_tokens": o}


# ---------------------------------------------------------------- helpers
def gemini_tool_names(req):
    names = []
    for t in req.get("tools") or []:
        for fd in (t.get("functionDeclarations") or t.get("function_declarations") or []):
            names.append(fd.get("name"))
    return names


def openai_tool_names(req):
    out = []
    for t in req.get("tools") or []:
        if isinstance(t, dict):
            out.append((t.get("function") or {}).get("name") or t.get("name"))
    return out


def anthropic_tool_names(req):
    return [t.get("name") for t in req.get("tools") or [] if isinstance(t, dict)]


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def _read(self):
        n = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            req = json.loads(raw or b"{}")
        except Exception:
            req = {"_unparsed": raw[:2000].decode("utf-8", "replace")}
        return raw, req

    def _json(self, obj, code=200):
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _sse_start(self):
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("connection", "close")
        self.end_headers()

    def _sse_data(self, obj, event=None):
        buf = b""
        if event:
            buf += b"event: " + event.encode() + b"\n"
        buf += b"data: " + (obj if isinstance(obj, bytes) else json.dumps(obj).encode()) + b"\n\n"
        self.wfile.write(buf)
        self.wfile.flush()

    def do_GET(self):
        seq = next_seq()
        log("requests.jsonl", {"seq": seq, "t": time.time(), "method": "GET", "path": self.path})
        if "models" in self.path:
            self._json({"object": "list",
                        "data": [{"id": "gpt-4.1", "object": "model", "owned_by": "fake"},
                                 {"id": "claude-sonnet-4-5", "object": "model", "owned_by": "fake",
                                  "type": "model", "display_name": "fake"}],
                        "models": [{"name": "models/gemini-2.5-pro"}]})
        else:
            self._json({})

    def do_POST(self):
        p = self.path
        raw, req = self._read()
        seq = next_seq()
        hdrs = {k: v for k, v in self.headers.items()
                if k.lower() not in ("authorization", "x-goog-api-key", "x-api-key", "api-key")}
        log("requests.jsonl", {"seq": seq, "t": time.time(), "method": "POST", "path": p,
                               "headers": hdrs, "body": req})
        path = p.split("?")[0]
        if ":countTokens" in path:
            return self._json({"totalTokens": 42})
        if ":generateContent" in path or ":streamGenerateContent" in path:
            return self.gemini(seq, p, req)
        if path.rstrip("/").endswith("/chat/completions"):
            return self.openai(seq, p, req)
        if path.rstrip("/").endswith("/messages/count_tokens"):
            return self._json({"input_tokens": 42})
        if path.rstrip("/").endswith("/messages"):
            return self.anthropic(seq, p, req)
        log("fake_unhandled.jsonl", {"seq": seq, "path": p})
        self._json({"error": {"message": "not faked: " + p}}, 404)

    # ------------------------------------------------------------ gemini
    def gemini(self, seq, p, req):
        model = p.split("/models/")[-1].split(":")[0]
        stream = ":streamGenerateContent" in p
        cfg = req.get("generationConfig") or req.get("generation_config") or {}
        is_json = bool(cfg.get("responseMimeType") == "application/json" or cfg.get("responseJsonSchema")
                       or cfg.get("responseSchema"))
        tools = gemini_tool_names(req)
        kind = "text"
        if is_json:
            kind = "json"
            text = json.dumps({"reasoning": "simple request", "model_choice": "flash",
                               "complexity_reasoning": "simple", "complexity_score": 10,
                               "next_speaker": "user"})
            parts = [{"text": text}]
        elif pick_tool(tools) and claim_tool("gemini"):
            kind = "tool_call"
            tname = pick_tool(tools)
            parts = [{"text": "I will read the file first."},
                     {"functionCall": {"name": tname, "args": tool_args(tname)}}]
        else:
            parts = [{"text": "The notes say: the launch moved to Thursday and the budget is 42 units. Done."}]
        n = next_n("gemini")
        usage = gemini_usage(n)
        resp_id = "fake-gem-%d" % n
        final = {"candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}],
                 "usageMetadata": usage, "modelVersion": model, "responseId": resp_id}
        chunks_usage = [usage]
        if stream and kind == "text":
            # like the real API: an early chunk carries a partial usageMetadata
            # (prompt only), the last chunk the complete one.
            t = parts[0]["text"]
            cut = len(t) // 2
            early_usage = {"promptTokenCount": usage["promptTokenCount"],
                           "totalTokenCount": usage["promptTokenCount"]}
            first = {"candidates": [{"content": {"role": "model", "parts": [{"text": t[:cut]}]}, "index": 0}],
                     "usageMetadata": early_usage, "modelVersion": model, "responseId": resp_id}
            last = {"candidates": [{"content": {"role": "model", "parts": [{"text": t[cut:]}]},
                                    "finishReason": "STOP", "index": 0}],
                    "usageMetadata": usage, "modelVersion": model, "responseId": resp_id}
            chunks = [first, last]
            chunks_usage = [early_usage, usage]
        else:
            chunks = [final]
        log("fake_usage.jsonl", {"seq": seq, "api": "gemini", "n": n, "path": p.split("?")[0],
                                 "model": model, "response_model": model, "stream": stream,
                                 "kind": kind, "declared_tools": len(tools), "response_id": resp_id,
                                 "usage": usage,
                                 "usage_in_chunks": chunks_usage if stream else None})
        if stream:
            self._sse_start()
            for c in chunks:
                self.wfile.write(b"data: " + json.dumps(c).encode() + b"\r\n\r\n")
                self.wfile.flush()
            self.close_connection = True
            return
        return self._json(final)

    # ------------------------------------------------------------ openai
    def openai(self, seq, p, req):
        model = req.get("model", "gpt-4.1")
        stream = bool(req.get("stream"))
        tools = openai_tool_names(req)
        kind = "text"
        tname = pick_tool(tools)
        if tname and claim_tool("openai"):
            kind = "tool_call"
        n = next_n("openai")
        usage = openai_usage(n)
        cid = "chatcmpl-fake%d" % n
        created = int(time.time())
        text = "The notes say: the launch moved to Thursday and the budget is 42 units. Done."
        log("fake_usage.jsonl", {"seq": seq, "api": "openai", "n": n, "path": p, "model": model,
                                 "response_model": model, "stream": stream, "kind": kind,
                                 "declared_tools": len(tools), "response_id": cid,
                                 "stream_options": req.get("stream_options"), "usage": usage})
        call = {"id": "call_fake%d" % n, "type": "function",
                "function": {"name": tname, "arguments": json.dumps(tool_args(tname))}}
        if not stream:
            msg = {"role": "assistant", "content": text}
            fr = "stop"
            if kind == "tool_call":
                msg = {"role": "assistant", "content": None, "tool_calls": [call]}
                fr = "tool_calls"
            return self._json({"id": cid, "object": "chat.completion", "created": created, "model": model,
                               "choices": [{"index": 0, "message": msg, "finish_reason": fr}],
                               "usage": usage})
        base = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model}
        if kind == "tool_call":
            args = call["function"]["arguments"]
            cut = len(args) // 2
            evs = [
                dict(base, choices=[{"index": 0, "delta": {"role": "assistant", "content": None, "tool_calls": [
                    {"index": 0, "id": call["id"], "type": "function",
                     "function": {"name": tname, "arguments": ""}}]}, "finish_reason": None}]),
                dict(base, choices=[{"index": 0, "delta": {"tool_calls": [
                    {"index": 0, "function": {"arguments": args[:cut]}}]}, "finish_reason": None}]),
                dict(base, choices=[{"index": 0, "delta": {"tool_calls": [
                    {"index": 0, "function": {"arguments": args[cut:]}}]}, "finish_reason": None}]),
                dict(base, choices=[{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]),
            ]
        else:
            cut = len(text) // 2
            evs = [
                dict(base, choices=[{"index": 0, "delta": {"role": "assistant", "content": text[:cut]},
                                     "finish_reason": None}]),
                dict(base, choices=[{"index": 0, "delta": {"content": text[cut:]}, "finish_reason": None}]),
                dict(base, choices=[{"index": 0, "delta": {}, "finish_reason": "stop"}]),
            ]
        # include_usage style: usage only in a final chunk with empty choices
        evs.append(dict(base, choices=[], usage=usage))
        self._sse_start()
        for ev in evs:
            self._sse_data(ev)
        self._sse_data(b"[DONE]")
        self.close_connection = True

    # ------------------------------------------------------------ anthropic
    def anthropic(self, seq, p, req):
        model = req.get("model", "claude-sonnet-4-5")
        stream = bool(req.get("stream"))
        tools = anthropic_tool_names(req)
        kind = "text"
        tname = pick_tool(tools)
        if tname and claim_tool("anthropic"):
            kind = "tool_call"
        n = next_n("anthropic")
        usage = anthropic_usage(n)
        mid = "msg_fake%d" % n
        text = "The notes say: the launch moved to Thursday and the budget is 42 units. Done."
        if kind == "tool_call":
            content = [{"type": "text", "text": "I will read the file first."},
                       {"type": "tool_use", "id": "toolu_fake%d" % n, "name": tname, "input": tool_args(tname)}]
            if THINKING:
                content.insert(0, {"type": "thinking",
                                   "thinking": "The user wants a summary of notes.txt; I should read it with the read_file tool before answering.",
                                   "signature": "ZmFrZS1zaWduYXR1cmUtZm9yLXRlc3Rz"})
            stop = "tool_use"
        else:
            content = [{"type": "text", "text": text}]
            stop = "end_turn"
        start_usage = dict(usage, output_tokens=1)
        log("fake_usage.jsonl", {"seq": seq, "api": "anthropic", "n": n, "path": p, "model": model,
                                 "response_model": model, "stream": stream, "kind": kind,
                                 "declared_tools": len(tools), "response_id": mid, "usage": usage,
                                 "content_types": [b["type"] for b in content],
                                 "message_start_usage": start_usage if stream else None,
                                 "message_delta_usage": usage if stream else None})
        msg = {"id": mid, "type": "message", "role": "assistant", "model": model, "content": content,
               "stop_reason": stop, "stop_sequence": None, "usage": usage}
        if not stream:
            return self._json(msg)
        self._sse_start()
        start = dict(msg, content=[], stop_reason=None, usage=start_usage)
        self._sse_data({"type": "message_start", "message": start}, "message_start")
        for i, b in enumerate(content):
            if b["type"] == "thinking":
                self._sse_data({"type": "content_block_start", "index": i,
                                "content_block": {"type": "thinking", "thinking": "", "signature": ""}},
                               "content_block_start")
                t = b["thinking"]
                cut = len(t) // 2
                for piece in (t[:cut], t[cut:]):
                    self._sse_data({"type": "content_block_delta", "index": i,
                                    "delta": {"type": "thinking_delta", "thinking": piece}}, "content_block_delta")
                self._sse_data({"type": "content_block_delta", "index": i,
                                "delta": {"type": "signature_delta", "signature": b["signature"]}},
                               "content_block_delta")
            elif b["type"] == "text":
                self._sse_data({"type": "content_block_start", "index": i,
                                "content_block": {"type": "text", "text": ""}}, "content_block_start")
                t = b["text"]
                cut = len(t) // 2
                for piece in (t[:cut], t[cut:]):
                    self._sse_data({"type": "content_block_delta", "index": i,
                                    "delta": {"type": "text_delta", "text": piece}}, "content_block_delta")
            else:
                self._sse_data({"type": "content_block_start", "index": i,
                                "content_block": {"type": "tool_use", "id": b["id"], "name": b["name"],
                                                  "input": {}}}, "content_block_start")
                js = json.dumps(b["input"])
                cut = len(js) // 2
                for piece in (js[:cut], js[cut:]):
                    self._sse_data({"type": "content_block_delta", "index": i,
                                    "delta": {"type": "input_json_delta", "partial_json": piece}},
                                   "content_block_delta")
            self._sse_data({"type": "content_block_stop", "index": i}, "content_block_stop")
            if i == 0:
                self._sse_data({"type": "ping"}, "ping")
        # current API: message_delta usage is cumulative and repeats the input/cache counts
        self._sse_data({"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None},
                        "usage": usage}, "message_delta")
        self._sse_data({"type": "message_stop"}, "message_stop")
        self.close_connection = True


def main():
    global OUTDIR, TOOL, TOOL_ARGS, THINKING, USAGE_OFFSET, TOOL_TURNS
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--port", type=int, default=18090)
    ap.add_argument("--max-seconds", type=int, default=900)
    ap.add_argument("--tool", default=None)
    ap.add_argument("--tool-args", default="{}")
    ap.add_argument("--thinking", action="store_true",
                    help="anthropic: the tool_use answer starts with a thinking block")
    ap.add_argument("--usage-offset", type=int, default=0,
                    help="start the usage tables at row 1+OFFSET")
    ap.add_argument("--tool-turns", type=int, default=1,
                    help="(i20a) how many tool-declaring requests per family get a tool call")
    a = ap.parse_args()
    TOOL_TURNS = a.tool_turns
    THINKING = a.thinking
    USAGE_OFFSET = a.usage_offset
    OUTDIR = a.outdir
    TOOL = a.tool
    TOOL_ARGS = json.loads(a.tool_args)
    os.makedirs(OUTDIR, exist_ok=True)
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), H)
    srv.daemon_threads = True
    threading.Timer(a.max_seconds, lambda: os._exit(0)).start()
    print("[fake] 127.0.0.1:%d tool=%s args=%s -> %s" % (a.port, TOOL, json.dumps(TOOL_ARGS), OUTDIR), flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()

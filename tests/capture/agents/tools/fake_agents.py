#!/usr/bin/env python3
"""Fake LLM API for coding-agent CLI captures (127.0.0.1 only). Deterministic.

Derived from /work/shared/capture/agents/fake_llm_multi.py (chat completions,
Anthropic messages) and fake_openai.py (OpenAI Responses API).  Serves
  * OpenAI chat completions  POST .../chat/completions   (JSON or SSE, usage in a final chunk)
  * OpenAI Responses         POST .../responses          (JSON or SSE; websocket upgrade -> 404)
  * Anthropic messages       POST .../messages           (JSON or SSE), .../messages/count_tokens
  * GET .../models           a small model list

Tool turns are decided from the conversation, not from a global counter:
  the newest *user text* message contains TOOLTEST  -> wanted = 1 tool call
                                          TOOLTEST2 -> wanted = 2 tool calls
  if the number of tool results after that user message is < wanted and the
  request declares one of the tools named in --tool-spec (first match in spec
  order), the answer is a tool call with the args given in the spec;
  otherwise the answer is text.

Usage: every answer gets different usage numbers from a per-API-family table,
indexed by a per-family counter n (1-based).  Every answer is appended to
OUTDIR/fake_llm_log.jsonl with the usage exactly as sent AND a normalised
"truth" block:
  input_incl_cache, input_excl_cache, cache_read, cache_write, output (incl.
  reasoning), reasoning (0 where the API has no separate count).
Every request (trimmed) goes to OUTDIR/requests.jsonl.

usage: fake_agents.py OUTDIR [--port 18090] [--max-seconds 900]
         [--tool-spec '{"Read": {"file_path": "/x/notes.txt"}, "exec_command": {"cmd": "cat notes.txt"}}']
         [--thinking]   (anthropic: tool_use answers start with a thinking block)
"""
import argparse
import json
import os
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OUTDIR = "."
TOOL_SPEC = {}
THINKING = False
_lock = threading.Lock()
_seq = [0]
_n = {"openai_chat": 0, "openai_responses": 0, "anthropic": 0}
TEXT = "The notes say: the launch moved to Thursday and the budget is 42 units. Done."


def log(name, obj):
    with _lock:
        with open(os.path.join(OUTDIR, name), "a") as f:
            f.write(json.dumps(obj) + "\n")


def next_seq():
    with _lock:
        _seq[0] += 1
        return _seq[0]


def next_n(fam):
    with _lock:
        _n[fam] += 1
        return _n[fam]


# ---------------------------------------------------------------- usage tables
CHAT_TABLE = [  # prompt(incl. cached), cached, completion(incl. reasoning), reasoning
    (2000, 0, 45, 30),
    (2600, 1920, 120, 0),
    (700, 512, 15, 8),
    (3100, 2560, 66, 21),
]


def chat_usage(n):
    if n <= len(CHAT_TABLE):
        p, c, o, r = CHAT_TABLE[n - 1]
    else:
        p = 800 + 211 * n
        c = (p // 4) * 2 if n % 2 == 0 else 0
        o = 20 + 9 * n
        r = 2 * n if n % 3 else 0
    u = {"prompt_tokens": p, "completion_tokens": o, "total_tokens": p + o,
         "prompt_tokens_details": {"cached_tokens": c, "audio_tokens": 0},
         "completion_tokens_details": {"reasoning_tokens": r, "audio_tokens": 0,
                                       "accepted_prediction_tokens": 0,
                                       "rejected_prediction_tokens": 0}}
    truth = {"input_incl_cache": p, "input_excl_cache": p - c, "cache_read": c, "cache_write": 0,
             "output": o, "reasoning": r}
    return u, truth


RESP_TABLE = [  # input(incl. cached), cached, output(incl. reasoning), reasoning
    (4200, 0, 160, 96),
    (5300, 4096, 75, 40),
    (6100, 5120, 210, 128),
    (3900, 3584, 33, 0),
]


def responses_usage(n):
    if n <= len(RESP_TABLE):
        i, c, o, r = RESP_TABLE[n - 1]
    else:
        i = 2000 + 13 * n
        c = 1500 + 9 * n
        o = 60 + 5 * n
        r = 20 + 2 * n
    u = {"input_tokens": i, "input_tokens_details": {"cached_tokens": c},
         "output_tokens": o, "output_tokens_details": {"reasoning_tokens": r},
         "total_tokens": i + o}
    truth = {"input_incl_cache": i, "input_excl_cache": i - c, "cache_read": c, "cache_write": 0,
             "output": o, "reasoning": r}
    return u, truth


ANTHROPIC_TABLE = [  # input (uncached), cache_creation (5m + 1h), of which 1h, cache_read, output
    (300, 2500, 0, 0, 70),
    (150, 400, 300, 2500, 210),
    (40, 0, 0, 0, 12),
    (220, 600, 0, 2900, 95),
]


def anthropic_usage(n):
    if n <= len(ANTHROPIC_TABLE):
        i, cw, cw1h, cr, o = ANTHROPIC_TABLE[n - 1]
    else:
        i = 50 + 13 * n
        cw = 100 * n if n % 2 else 0
        cw1h = 0
        cr = 1000 + 250 * n if n % 2 == 0 else 0
        o = 15 + 11 * n
    # like the current API: the total cache_creation_input_tokens plus its 5m/1h split
    u = {"input_tokens": i, "cache_creation_input_tokens": cw,
         "cache_read_input_tokens": cr,
         "cache_creation": {"ephemeral_5m_input_tokens": cw - cw1h, "ephemeral_1h_input_tokens": cw1h},
         "output_tokens": o, "service_tier": "standard"}
    truth = {"input_incl_cache": i + cw + cr, "input_excl_cache": i, "cache_read": cr,
             "cache_write": cw, "cache_write_5m": cw - cw1h, "cache_write_1h": cw1h,
             "output": o, "reasoning": 0}
    return u, truth


# ---------------------------------------------------------------- conversation analysis
def _texts(content):
    if isinstance(content, str):
        return [content]
    out = []
    for b in content or []:
        if isinstance(b, dict) and b.get("type") in ("text", "input_text", "output_text"):
            out.append(b.get("text") or "")
    return out


def wanted_tools(text):
    if "TOOLTEST2" in text:
        return 2
    if "TOOLTEST" in text:
        return 1
    return 0


def chat_state(req):
    """(wanted, tool_results_since_last_user_text) for chat-completions messages."""
    wanted, results = 0, 0
    for m in req.get("messages") or []:
        if not isinstance(m, dict):
            continue
        if m.get("role") == "user":
            t = "\n".join(_texts(m.get("content")))
            if t.strip():
                wanted, results = wanted_tools(t), 0
        elif m.get("role") == "tool":
            results += 1
    return wanted, results


def anthropic_state(req):
    wanted, results = 0, 0
    for m in req.get("messages") or []:
        if not isinstance(m, dict) or m.get("role") != "user":
            continue
        c = m.get("content")
        blocks = [{"type": "text", "text": c}] if isinstance(c, str) else (c or [])
        has_result = any(isinstance(b, dict) and b.get("type") == "tool_result" for b in blocks)
        if has_result:
            results += 1
        else:
            t = "\n".join(_texts(blocks))
            if t.strip():
                wanted, results = wanted_tools(t), 0
    return wanted, results


def responses_state(req):
    inp = req.get("input") or []
    if isinstance(inp, str):
        inp = [{"type": "message", "role": "user", "content": inp}]
    wanted, results = 0, 0
    for it in inp:
        if not isinstance(it, dict):
            continue
        if it.get("type") in ("function_call_output", "custom_tool_call_output"):
            results += 1
        elif it.get("role") == "user":
            t = "\n".join(_texts(it.get("content")))
            # Codex sends environment_context / AGENTS.md as extra user items: only a
            # message mentioning TOOLTEST or a plain prompt resets the turn
            if t.strip() and not t.lstrip().startswith("<"):
                wanted, results = wanted_tools(t), 0
    return wanted, results


def pick_tool(declared):
    for name, args in TOOL_SPEC.items():
        if name in declared:
            return name, args
    return None, None


# ---------------------------------------------------------------- server
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def _read(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                parts.append(self.rfile.read(size))
                self.rfile.readline()
            raw = b"".join(parts)
        else:
            n = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(n) if n else b""
        enc = (self.headers.get("Content-Encoding") or "").lower()
        try:
            if enc == "zstd":
                import zstandard
                raw = zstandard.ZstdDecompressor().decompress(raw, max_output_size=64 << 20)
            elif enc == "gzip":
                import gzip
                raw = gzip.decompress(raw)
        except Exception as e:  # noqa
            print("[fake] cannot decode %s: %s" % (enc, e), flush=True)
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
        self.send_header("request-id", "req_fake_" + uuid.uuid4().hex[:16])
        self.end_headers()
        self.wfile.write(data)

    def _sse_start(self):
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("connection", "close")
        self.send_header("request-id", "req_fake_" + uuid.uuid4().hex[:16])
        self.end_headers()

    def _sse_data(self, obj, event=None):
        buf = b""
        if event:
            buf += b"event: " + event.encode() + b"\n"
        buf += b"data: " + (obj if isinstance(obj, bytes) else json.dumps(obj).encode()) + b"\n\n"
        self.wfile.write(buf)
        self.wfile.flush()

    def _hdrs(self):
        return {k: v for k, v in self.headers.items()
                if k.lower() not in ("authorization", "x-api-key", "api-key", "cookie")}

    def do_GET(self):
        seq = next_seq()
        log("requests.jsonl", {"seq": seq, "t": time.time(), "method": "GET", "path": self.path,
                               "headers": self._hdrs()})
        if self.headers.get("Upgrade"):
            return self._json({"error": "no websockets here"}, 404)
        if self.path.split("?")[0].rstrip("/").endswith("/models"):
            return self._json({"object": "list", "has_more": False,
                               "data": [{"id": "gpt-4.1", "object": "model", "owned_by": "fake"},
                                        {"id": "claude-sonnet-4-5", "object": "model", "owned_by": "fake",
                                         "type": "model", "display_name": "fake"}],
                               "models": []})
        return self._json({}, 404)

    def do_HEAD(self):
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def do_POST(self):
        p = self.path
        raw, req = self._read()
        seq = next_seq()
        body = req
        if isinstance(req, dict):  # trim the request log: keep structure, not full prompts
            body = {k: (v if k not in ("messages", "input", "system", "tools", "instructions")
                        else ("<%d items>" % len(v) if isinstance(v, list) else "<%d chars>" % len(str(v))))
                    for k, v in req.items()}
        log("requests.jsonl", {"seq": seq, "t": time.time(), "method": "POST", "path": p,
                               "headers": self._hdrs(), "body": body})
        path = p.split("?")[0].rstrip("/")
        if path.endswith("/chat/completions"):
            return self.openai_chat(seq, p, req)
        if path.endswith("/responses"):
            return self.openai_responses(seq, p, req)
        if path.endswith("/messages/count_tokens"):
            return self._json({"input_tokens": 42})
        if path.endswith("/messages"):
            return self.anthropic(seq, p, req)
        log("fake_unhandled.jsonl", {"seq": seq, "path": p})
        self._json({"error": {"message": "not faked: " + p}}, 404)

    def _record(self, seq, api, n, p, req, stream, kind, tool, rid, usage, truth, extra=None):
        rec = {"seq": seq, "t": time.time(), "api": api, "n": n, "path": p.split("?")[0],
               "model": req.get("model"), "stream": stream, "kind": kind, "tool": tool,
               "response_id": rid, "usage": usage, "truth": truth}
        rec.update(extra or {})
        log("fake_llm_log.jsonl", rec)
        print("[fake] #%d %s n=%d model=%s stream=%s kind=%s" % (seq, api, n, req.get("model"), stream, kind),
              flush=True)

    # ------------------------------------------------------------ chat completions
    def openai_chat(self, seq, p, req):
        model = req.get("model", "gpt-4.1")
        stream = bool(req.get("stream"))
        declared = [((t.get("function") or {}).get("name") or t.get("name")) for t in req.get("tools") or []
                    if isinstance(t, dict)]
        wanted, results = chat_state(req)
        tool, args = (None, None)
        if results < wanted:
            tool, args = pick_tool(declared)
        kind = "tool_call" if tool else "text"
        n = next_n("openai_chat")
        usage, truth = chat_usage(n)
        cid = "chatcmpl-fake%d" % n
        created = int(time.time())
        self._record(seq, "openai_chat", n, p, req, stream, kind, tool, cid, usage, truth,
                     {"declared_tools": len(declared), "stream_options": req.get("stream_options")})
        call = {"id": "call_fake%d" % n, "type": "function",
                "function": {"name": tool, "arguments": json.dumps(args)}} if tool else None
        if not stream:
            msg = {"role": "assistant", "content": TEXT}
            fr = "stop"
            if call:
                msg = {"role": "assistant", "content": None, "tool_calls": [call]}
                fr = "tool_calls"
            return self._json({"id": cid, "object": "chat.completion", "created": created, "model": model,
                               "choices": [{"index": 0, "message": msg, "finish_reason": fr}],
                               "usage": usage})
        base = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model}
        if call:
            a = call["function"]["arguments"]
            cut = len(a) // 2
            evs = [
                dict(base, choices=[{"index": 0, "delta": {"role": "assistant", "content": None, "tool_calls": [
                    {"index": 0, "id": call["id"], "type": "function",
                     "function": {"name": tool, "arguments": ""}}]}, "finish_reason": None}]),
                dict(base, choices=[{"index": 0, "delta": {"tool_calls": [
                    {"index": 0, "function": {"arguments": a[:cut]}}]}, "finish_reason": None}]),
                dict(base, choices=[{"index": 0, "delta": {"tool_calls": [
                    {"index": 0, "function": {"arguments": a[cut:]}}]}, "finish_reason": None}]),
                dict(base, choices=[{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]),
            ]
        else:
            cut = len(TEXT) // 2
            evs = [
                dict(base, choices=[{"index": 0, "delta": {"role": "assistant", "content": TEXT[:cut]},
                                     "finish_reason": None}]),
                dict(base, choices=[{"index": 0, "delta": {"content": TEXT[cut:]}, "finish_reason": None}]),
                dict(base, choices=[{"index": 0, "delta": {}, "finish_reason": "stop"}]),
            ]
        evs.append(dict(base, choices=[], usage=usage))  # include_usage style final chunk
        self._sse_start()
        for ev in evs:
            self._sse_data(ev)
        self._sse_data(b"[DONE]")
        self.close_connection = True

    # ------------------------------------------------------------ responses
    def openai_responses(self, seq, p, req):
        model = req.get("model") or "gpt-unknown"
        stream = bool(req.get("stream"))
        declared = []
        for t in req.get("tools") or []:
            if isinstance(t, dict):
                declared.append(t.get("name") or (t.get("function") or {}).get("name") or t.get("type"))
        wanted, results = responses_state(req)
        tool, args = (None, None)
        if results < wanted:
            tool, args = pick_tool(declared)
        n = next_n("openai_responses")
        usage, truth = responses_usage(n)
        rid = "resp_fake_%04d" % n
        if tool:
            iid = "fc_fake%04d" % n
            done_item = {"type": "function_call", "id": iid, "call_id": "call_fake%04d" % n,
                         "name": tool, "arguments": json.dumps(args), "status": "completed"}
            kind = "tool_call"
        else:
            iid = "msg_fake%04d" % n
            done_item = {"type": "message", "id": iid, "role": "assistant", "status": "completed",
                         "content": [{"type": "output_text", "text": TEXT, "annotations": []}]}
            kind = "text"
        self._record(seq, "openai_responses", n, p, req, stream, kind, tool, rid, usage, truth,
                     {"declared_tools": len(declared)})
        resp_obj = {"id": rid, "object": "response", "created_at": int(time.time()), "status": "completed",
                    "model": model, "output": [done_item], "usage": usage}
        if not stream:
            return self._json(resp_obj)
        sq = [0]

        def ev(d):
            d["sequence_number"] = sq[0]
            sq[0] += 1
            return d
        evs = [ev({"type": "response.created", "response": dict(resp_obj, status="in_progress", output=[], usage=None)}),
               ev({"type": "response.in_progress", "response": dict(resp_obj, status="in_progress", output=[], usage=None)})]
        if kind == "text":
            evs.append(ev({"type": "response.output_item.added", "output_index": 0,
                           "item": dict(done_item, status="in_progress", content=[])}))
            evs.append(ev({"type": "response.content_part.added", "item_id": iid, "output_index": 0,
                           "content_index": 0, "part": {"type": "output_text", "text": "", "annotations": []}}))
            for piece in (TEXT[:len(TEXT) // 2], TEXT[len(TEXT) // 2:]):
                evs.append(ev({"type": "response.output_text.delta", "item_id": iid, "output_index": 0,
                               "content_index": 0, "delta": piece}))
            evs.append(ev({"type": "response.output_text.done", "item_id": iid, "output_index": 0,
                           "content_index": 0, "text": TEXT}))
            evs.append(ev({"type": "response.content_part.done", "item_id": iid, "output_index": 0,
                           "content_index": 0, "part": done_item["content"][0]}))
        else:
            evs.append(ev({"type": "response.output_item.added", "output_index": 0,
                           "item": dict(done_item, status="in_progress", arguments="")}))
            evs.append(ev({"type": "response.function_call_arguments.delta", "item_id": iid,
                           "output_index": 0, "delta": done_item["arguments"]}))
            evs.append(ev({"type": "response.function_call_arguments.done", "item_id": iid,
                           "output_index": 0, "arguments": done_item["arguments"]}))
        evs.append(ev({"type": "response.output_item.done", "output_index": 0, "item": done_item}))
        evs.append(ev({"type": "response.completed", "response": resp_obj}))
        self._sse_start()
        for e in evs:
            self._sse_data(e, e["type"])
        self.close_connection = True

    # ------------------------------------------------------------ anthropic
    def anthropic(self, seq, p, req):
        model = req.get("model", "claude-sonnet-4-5")
        stream = bool(req.get("stream"))
        declared = [t.get("name") for t in req.get("tools") or [] if isinstance(t, dict)]
        wanted, results = anthropic_state(req)
        tool, args = (None, None)
        if results < wanted:
            tool, args = pick_tool(declared)
        kind = "tool_call" if tool else "text"
        n = next_n("anthropic")
        usage, truth = anthropic_usage(n)
        mid = "msg_fake%d" % n
        if tool:
            content = [{"type": "text", "text": "I will read the file first."},
                       {"type": "tool_use", "id": "toolu_fake%d" % n, "name": tool, "input": args}]
            if THINKING:
                content.insert(0, {"type": "thinking",
                                   "thinking": "The user wants the notes; I should read the file with the tool first.",
                                   "signature": "ZmFrZS1zaWduYXR1cmUtZm9yLXRlc3Rz"})
            stop = "tool_use"
        else:
            content = [{"type": "text", "text": TEXT}]
            stop = "end_turn"
        start_usage = dict(usage, output_tokens=1)
        self._record(seq, "anthropic", n, p, req, stream, kind, tool, mid, usage, truth,
                     {"declared_tools": len(declared), "content_types": [b["type"] for b in content],
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
                for piece in (t[:len(t) // 2], t[len(t) // 2:]):
                    self._sse_data({"type": "content_block_delta", "index": i,
                                    "delta": {"type": "thinking_delta", "thinking": piece}}, "content_block_delta")
                self._sse_data({"type": "content_block_delta", "index": i,
                                "delta": {"type": "signature_delta", "signature": b["signature"]}},
                               "content_block_delta")
            elif b["type"] == "text":
                self._sse_data({"type": "content_block_start", "index": i,
                                "content_block": {"type": "text", "text": ""}}, "content_block_start")
                t = b["text"]
                for piece in (t[:len(t) // 2], t[len(t) // 2:]):
                    self._sse_data({"type": "content_block_delta", "index": i,
                                    "delta": {"type": "text_delta", "text": piece}}, "content_block_delta")
            else:
                self._sse_data({"type": "content_block_start", "index": i,
                                "content_block": {"type": "tool_use", "id": b["id"], "name": b["name"],
                                                  "input": {}}}, "content_block_start")
                js = json.dumps(b["input"])
                for piece in (js[:len(js) // 2], js[len(js) // 2:]):
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
    global OUTDIR, TOOL_SPEC, THINKING
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--port", type=int, default=18090)
    ap.add_argument("--max-seconds", type=int, default=900)
    ap.add_argument("--tool-spec", default="{}")
    ap.add_argument("--thinking", action="store_true")
    a = ap.parse_args()
    OUTDIR = a.outdir
    TOOL_SPEC = json.loads(a.tool_spec)
    THINKING = a.thinking
    os.makedirs(OUTDIR, exist_ok=True)
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), H)
    srv.daemon_threads = True
    threading.Timer(a.max_seconds, lambda: os._exit(0)).start()
    print("[fake] 127.0.0.1:%d tools=%s -> %s" % (a.port, list(TOOL_SPEC), OUTDIR), flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()

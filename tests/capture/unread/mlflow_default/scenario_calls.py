"""The same LLM calls for every capture in /work/captures/i19a (fake API on loopback only).

OpenAI (chat completions):            Anthropic (messages):
  1 gpt-4.1 big system prompt (miss)     7 claude-sonnet-4-5 big cached system (cache write)
  2 gpt-4.1 same prompt (cached 1152)    8 claude-sonnet-4-5 same system (cache read)
  3 gpt-4o-mini tools -> tool call       9 claude-haiku-4-5 stream=True, tools -> tool_use
  4 gpt-4o-mini tool result -> answer   10 claude-haiku-4-5 tool_result -> answer
  5 o4-mini stream include_usage (reasoning)
  6 o4-mini non-stream (reasoning)
Each call is wrapped by `wrap(label, fn)` so a library's own span/observation decorator can be used.
"""
import json
import os
import time

FAKE_URL = os.environ["FAKE_URL"]
BIG_SYSTEM = ("You are a careful itinerary planner who always double-checks opening hours. " * 8).strip()
OA_TOOL = {"type": "function", "function": {"name": "get_weather", "description": "Get the weather for a city",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}
AN_TOOL = {"name": "get_weather", "description": "Get the weather for a city",
           "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}
CALLS = []
STREAM_USAGE = {}  # usage the client saw in the last Anthropic stream (message_start + message_delta)


def _n_fake():
    try:
        with open(os.environ["FAKE_LLM_LOG"]) as f:
            return [json.loads(l)["n"] for l in f if l.strip()]
    except FileNotFoundError:
        return []


def record(label, fn, *a, **kw):
    before = len(_n_fake())
    err = None
    try:
        return fn(*a, **kw)
    except Exception as e:  # keep going, note it
        err = repr(e)
        print("CALL FAILED", label, err, flush=True)
    finally:
        time.sleep(0.05)
        CALLS.append({"label": label, "fake_requests": _n_fake()[before:], "error": err})


def openai_calls(client, wrap=lambda label, fn: fn):
    """client: an openai.OpenAI (or a wrapped one); wrap(label, fn) may decorate fn."""
    def chat(**kw):
        return client.chat.completions.create(**kw)

    for i, q in enumerate(("first question", "second question"), 1):
        record(f"openai gpt-4.1 big system prompt #{i}", wrap(f"gpt41_{i}", chat), model="gpt-4.1",
               messages=[{"role": "system", "content": BIG_SYSTEM}, {"role": "user", "content": q}])
    msgs = [{"role": "user", "content": "What's the weather in Paris?"}]
    r = record("openai gpt-4o-mini tools -> tool call", wrap("tool_call", chat), model="gpt-4o-mini",
               messages=msgs, tools=[OA_TOOL])
    tc = r.choices[0].message.tool_calls[0]
    msgs += [{"role": "assistant", "content": None, "tool_calls": [
        {"id": tc.id, "type": "function", "function": {"name": tc.function.name, "arguments": tc.function.arguments}}]},
        {"role": "tool", "tool_call_id": tc.id, "content": "Sunny, 24C"}]
    record("openai gpt-4o-mini tool result -> answer", wrap("tool_answer", chat), model="gpt-4o-mini",
           messages=msgs, tools=[OA_TOOL])

    def stream(**kw):
        out = []
        for ch in client.chat.completions.create(stream=True, stream_options={"include_usage": True}, **kw):
            if ch.choices and ch.choices[0].delta.content:
                out.append(ch.choices[0].delta.content)
        return "".join(out)

    record("openai o4-mini stream include_usage (reasoning)", wrap("o4_stream", stream), model="o4-mini",
           messages=[{"role": "user", "content": "Count to five."}])
    record("openai o4-mini non-stream (reasoning)", wrap("o4_plain", chat), model="o4-mini",
           messages=[{"role": "user", "content": "Count to six."}])


def anthropic_calls(client, wrap=lambda label, fn: fn):
    system = [{"type": "text", "text": BIG_SYSTEM, "cache_control": {"type": "ephemeral"}}]

    def create(**kw):
        return client.messages.create(**kw)

    for i in (1, 2):
        record(f"anthropic sonnet-4-5 cached system #{i}", wrap(f"sonnet_{i}", create),
               model="claude-sonnet-4-5-20250929", max_tokens=512, system=system,
               messages=[{"role": "user", "content": f"Draft plan {i} for Kyoto."}])

    def stream_tool(**kw):
        blocks, cur = [], None
        STREAM_USAGE.clear()
        for ev in client.messages.create(stream=True, **kw):
            if ev.type == "message_start":  # what the client saw: start usage, then cumulative delta usage
                STREAM_USAGE.update({k: v for k, v in ev.message.usage.model_dump().items() if isinstance(v, int)})
            elif ev.type == "message_delta":
                STREAM_USAGE.update({k: v for k, v in ev.usage.model_dump().items() if isinstance(v, int)})
            elif ev.type == "content_block_start":
                cur = {"type": ev.content_block.type, "id": getattr(ev.content_block, "id", None),
                       "name": getattr(ev.content_block, "name", None), "json": ""}
            elif ev.type == "content_block_delta" and ev.delta.type == "input_json_delta":
                cur["json"] += ev.delta.partial_json
            elif ev.type == "content_block_stop":
                blocks.append(cur)
        return blocks

    msgs = [{"role": "user", "content": "What's the weather in Paris?"}]
    blocks = record("anthropic haiku-4-5 stream=True tools -> tool_use", wrap("haiku_stream_tool", stream_tool),
                    model="claude-haiku-4-5", max_tokens=256, tools=[AN_TOOL], messages=msgs)
    tu = [b for b in blocks if b["type"] == "tool_use"][0]
    msgs += [{"role": "assistant", "content": [{"type": "tool_use", "id": tu["id"], "name": tu["name"],
                                                "input": json.loads(tu["json"])}]},
             {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tu["id"], "content": "Sunny, 24C"}]}]
    record("anthropic haiku-4-5 tool_result -> answer", wrap("haiku_answer", create),
           model="claude-haiku-4-5", max_tokens=256, tools=[AN_TOOL], messages=msgs)


def save_calls(path="calls.json", **extra):
    with open(path, "w") as f:
        json.dump(dict(calls=CALLS, **extra), f, indent=2)

"""Shared call script for the i19b captures: a fixed sequence of LLM calls against the fake API
(tools/fake_llm.py), made with the official openai / anthropic clients.

OpenAI (chat completions):
  1 gpt-4o-mini  big system prompt (first use: no cache)           non-stream
  2 gpt-4o-mini  same big system prompt (cache read 1152)           stream, include_usage
  3 gpt-4o-mini  tools offered -> tool call                         non-stream
  4 gpt-4o-mini  tool result sent back -> answer                    non-stream
  5 o4-mini      reasoning tokens                                   non-stream
  6 gpt-4o-mini  stream WITHOUT include_usage (client never sees usage)
Anthropic (messages), optional:
  7 claude-sonnet-4-5 big system prompt (cache write 1152)          non-stream
  8 claude-sonnet-4-5 same big system prompt (cache read 1152)      stream
"""
import json
import os

BIG_SYSTEM = ("You are a meticulous travel assistant. " * 14).strip() + \
    " Always answer in one short sentence and never invent facts."
assert len(BIG_SYSTEM) > 400

WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}


def openai_calls(client, include_unmetered_stream=True):
    out = []
    r = client.chat.completions.create(model="gpt-4o-mini", messages=[
        {"role": "system", "content": BIG_SYSTEM}, {"role": "user", "content": "Best month to visit Lisbon?"}])
    out.append(r.choices[0].message.content)

    stream = client.chat.completions.create(model="gpt-4o-mini", stream=True, stream_options={"include_usage": True},
                                            messages=[{"role": "system", "content": BIG_SYSTEM},
                                                      {"role": "user", "content": "And for Porto?"}])
    out.append("".join(c.choices[0].delta.content or "" for c in stream if c.choices))

    msgs = [{"role": "user", "content": "What is the weather in Paris?"}]
    r = client.chat.completions.create(model="gpt-4o-mini", messages=msgs, tools=[WEATHER_TOOL])
    call = r.choices[0].message.tool_calls[0]
    msgs.append({"role": "assistant", "content": None, "tool_calls": [
        {"id": call.id, "type": "function", "function": {"name": call.function.name,
                                                          "arguments": call.function.arguments}}]})
    msgs.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps({"temp_c": 18, "sky": "clear"})})
    r = client.chat.completions.create(model="gpt-4o-mini", messages=msgs, tools=[WEATHER_TOOL])
    out.append(r.choices[0].message.content)

    r = client.chat.completions.create(model="o4-mini", reasoning_effort="low",
                                       messages=[{"role": "user", "content": "Is 1001 prime? Think."}])
    out.append(r.choices[0].message.content)

    if include_unmetered_stream:
        stream = client.chat.completions.create(model="gpt-4o-mini", stream=True,
                                                messages=[{"role": "user", "content": "Say hi."}])
        out.append("".join(c.choices[0].delta.content or "" for c in stream if c.choices))
    return out


def anthropic_calls(client, stream_helper=True):
    """stream_helper=False streams with messages.create(stream=True) instead of the messages.stream() helper."""
    out = []
    r = client.messages.create(model="claude-sonnet-4-5", max_tokens=200, system=BIG_SYSTEM,
                               messages=[{"role": "user", "content": "Best month to visit Kyoto?"}])
    out.append(r.content[0].text)
    kw = dict(model="claude-sonnet-4-5", max_tokens=200, system=BIG_SYSTEM,
              messages=[{"role": "user", "content": "And Osaka?"}])
    if stream_helper:
        with client.messages.stream(**kw) as s:
            out.append("".join(s.text_stream))
    else:
        out.append("".join(e.delta.text for e in client.messages.create(stream=True, **kw)
                           if e.type == "content_block_delta" and e.delta.type == "text_delta"))
    return out


def clients():
    import openai
    base = os.environ["FAKE_URL"]
    oa = openai.OpenAI(base_url=base + "/v1", api_key="sk-fake-not-a-key", max_retries=0)
    try:
        import anthropic
        an = anthropic.Anthropic(base_url=base, api_key="sk-ant-fake", max_retries=0)
    except ImportError:
        an = None
    return oa, an

#!/usr/bin/env python3
"""Per-call truth table (markdown) from a fake_llm_log.jsonl.
usage: truth.py fake_llm_log.jsonl [more logs...]
Columns: input incl. cache = everything the prompt cost; excl. = uncached, unwritten input;
output = billed output incl. reasoning; reasoning = part of output (OpenAI o-series)."""
import json, sys


def norm(e):
    u = e["usage"]; api = e["api"]
    if api == "openai.chat":
        cr = (u.get("prompt_tokens_details") or {}).get("cached_tokens", 0)
        r = (u.get("completion_tokens_details") or {}).get("reasoning_tokens", 0)
        return u["prompt_tokens"], u["prompt_tokens"] - cr, cr, 0, u["completion_tokens"], r
    if api.startswith("anthropic") or api.startswith("bedrock.invoke"):
        cr, cw = u["cache_read_input_tokens"], u["cache_creation_input_tokens"]
        return u["input_tokens"] + cr + cw, u["input_tokens"], cr, cw, u["output_tokens"], 0
    if api == "bedrock.converse":
        cr, cw = u.get("cacheReadInputTokens", 0), u.get("cacheWriteInputTokens", 0)
        return u["inputTokens"] + cr + cw, u["inputTokens"], cr, cw, u["outputTokens"], 0
    if api.startswith("gemini"):
        cr = u.get("cachedContentTokenCount", 0); th = u.get("thoughtsTokenCount", 0)
        return u["promptTokenCount"], u["promptTokenCount"] - cr, cr, 0, u["candidatesTokenCount"] + th, th
    raise ValueError(api)


rows = [json.loads(l) for p in sys.argv[1:] for l in open(p) if l.strip()]
print("| n | api | model (request -> response) | stream | tool call | usage sent to client | input incl. cache | input excl. cache | cache read | cache write | output (incl. reasoning) | reasoning |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
tot = [0] * 6; totd = [0] * 6
for e in rows:
    v = norm(e)
    m = e["request_model"] if e["request_model"] == e["response_model"] else f'{e["request_model"]} -> {e["response_model"]}'
    d = e.get("usage_delivered_to_client", True)
    print(f'| {e["n"]} | {e["api"]} | {m} | {"yes" if e["stream"] else "no"} | {"yes" if e["tool_call"] else "no"} | {"yes" if d else "NO"} | ' + " | ".join(map(str, v)) + " |")
    tot = [a + b for a, b in zip(tot, v)]
    if d:
        totd = [a + b for a, b in zip(totd, v)]
print("| | **total (all calls)** | | | | | " + " | ".join(map(str, tot)) + " |")
if totd != tot:
    print("| | **total (usage delivered)** | | | | | " + " | ".join(map(str, totd)) + " |")

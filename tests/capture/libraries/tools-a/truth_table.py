#!/usr/bin/env python3
"""Markdown truth table from a fake_llm_log.jsonl. usage: truth_table.py FILE"""
import json
import sys

rows, tot = [], [0] * 6
print("| n | api | request model | response model | stream | tool call | input incl. cache | input excl. cache | cache read | cache write | output (incl. reasoning) | reasoning |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for line in open(sys.argv[1]):
    e = json.loads(line)
    u = e["usage"]
    if e["api"] == "openai.chat":
        cr = u.get("prompt_tokens_details", {}).get("cached_tokens", 0)
        r = (u["prompt_tokens"], u["prompt_tokens"] - cr, cr, 0, u["completion_tokens"],
             u.get("completion_tokens_details", {}).get("reasoning_tokens", 0))
    elif e["api"] == "anthropic.messages":
        cr, cw = u.get("cache_read_input_tokens", 0), u.get("cache_creation_input_tokens", 0)
        r = (u["input_tokens"] + cr + cw, u["input_tokens"], cr, cw, u["output_tokens"], 0)
    else:
        r = (u.get("promptTokenCount", 0), u.get("promptTokenCount", 0) - u.get("cachedContentTokenCount", 0),
             u.get("cachedContentTokenCount", 0), 0, u.get("candidatesTokenCount", 0) + u.get("thoughtsTokenCount", 0),
             u.get("thoughtsTokenCount", 0))
    tot = [a + b for a, b in zip(tot, r)]
    print(f"| {e['n']} | {e['api']} | {e['request_model']} | {e['response_model']} | {e['stream']} | {e['tool_call']} | " +
          " | ".join(map(str, r)) + " |")
print("| **total** | | | | | | " + " | ".join(f"**{x}**" for x in tot) + " |")

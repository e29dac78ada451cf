#!/usr/bin/env python3
"""Markdown truth table from a fake_llm_log.jsonl(.zst): one row per answer, then totals per model."""
import collections
import json
import sys

from spans import lines

rows, tot = [], collections.defaultdict(lambda: [0] * 7)
print("| n | response id | request model -> response model | stream | tool call | input incl. cache | input excl. cache "
      "| cache read | cache write | output (incl. reasoning) | reasoning |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for line in lines(sys.argv[1]):
    e = json.loads(line)
    u = e["usage"]
    if e["api"] == "anthropic.messages":
        ex, cr, cw, out, rs = u["input_tokens"], u["cache_read_input_tokens"], u["cache_creation_input_tokens"], u["output_tokens"], 0
        inc = ex + cr + cw
    else:
        inc = u["prompt_tokens"]
        cr = (u.get("prompt_tokens_details") or {}).get("cached_tokens", 0)
        cw = 0
        ex = inc - cr
        out = u["completion_tokens"]
        rs = (u.get("completion_tokens_details") or {}).get("reasoning_tokens", 0)
    print(f"| {e['n']} | {e.get('id')} | {e['request_model']} -> {e['response_model']} | {e['stream']} | {e['tool_call']} "
          f"| {inc} | {ex} | {cr} | {cw} | {out} | {rs} |")
    t = tot[e["response_model"]]
    for i, v in enumerate((1, inc, ex, cr, cw, out, rs)):
        t[i] += v
print("\n| response model | calls | input incl. cache | input excl. cache | cache read | cache write | output | reasoning |")
print("|---|---|---|---|---|---|---|---|")
for m, t in sorted(tot.items()):
    print(f"| {m} | " + " | ".join(map(str, t)) + " |")
all_ = [sum(t[i] for t in tot.values()) for i in range(7)]
print("| **all** | " + " | ".join(map(str, all_)) + " |")

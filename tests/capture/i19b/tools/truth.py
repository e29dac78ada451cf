#!/usr/bin/env python3
"""Markdown truth table from a fake_llm_log.jsonl (what the fake API sent)."""
import json
import sys

rows, tot = [], dict(inc=0, exc=0, read=0, write=0, out=0, reas=0)
for line in open(sys.argv[1]):
    e = json.loads(line)
    u = e.get("usage") or {}
    if e["api"] == "anthropic.messages":
        read, write = u.get("cache_read_input_tokens", 0), u.get("cache_creation_input_tokens", 0)
        exc = u["input_tokens"]; inc = exc + read + write; out = u["output_tokens"]; reas = 0
    elif e["api"] == "gemini.generate_content":
        read = u.get("cachedContentTokenCount", 0); write = 0; inc = u["promptTokenCount"]; exc = inc - read
        reas = u.get("thoughtsTokenCount", 0); out = u["candidatesTokenCount"] + reas
    else:  # openai chat / responses
        if "prompt_tokens" in u:
            inc = u["prompt_tokens"]; read = (u.get("prompt_tokens_details") or {}).get("cached_tokens", 0)
            out = u["completion_tokens"]; reas = (u.get("completion_tokens_details") or {}).get("reasoning_tokens", 0)
        else:
            inc = u["input_tokens"]; read = (u.get("input_tokens_details") or {}).get("cached_tokens", 0)
            out = u["output_tokens"]; reas = (u.get("output_tokens_details") or {}).get("reasoning_tokens", 0)
        write = 0; exc = inc - read
    for k, v in zip(("inc", "exc", "read", "write", "out", "reas"), (inc, exc, read, write, out, reas)):
        tot[k] += v
    rows.append(f"| {e['n']} | {e['api']} | {e['request_model']} → {e.get('response_model')} | "
                f"{'stream' if e['stream'] else 'sync'}{'' if e.get('usage_delivered_to_client', True) else ' (usage NOT sent to client)'}"
                f"{' tool_call' if e.get('tool_call') else ''} | {inc} | {exc} | {read} | {write} | {out} | {reas} |")
print("| n | api | model (request → response) | mode | input incl. cache | input excl. cache | cache read | cache write | output (incl. reasoning) | reasoning |")
print("|---|---|---|---|---|---|---|---|---|---|")
print("\n".join(rows))
print(f"| **total** | | | | {tot['inc']} | {tot['exc']} | {tot['read']} | {tot['write']} | {tot['out']} | {tot['reas']} |")

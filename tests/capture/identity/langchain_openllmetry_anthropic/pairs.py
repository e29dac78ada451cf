#!/usr/bin/env python3
"""Pair table: for each call in fake_llm_log.jsonl, the token-bearing spans that describe it (matched
by start order per scope; checked against the response id where the span has one)."""
import json
import sys

sys.path.insert(0, __file__.rsplit("/", 2)[0] + "/tools")
from spans import spans  # noqa: E402

d = sys.argv[1] if len(sys.argv) > 1 else "."
truth = [json.loads(x) for x in open(f"{d}/fake_llm_log.jsonl")]
by_scope = {}
for res, scope, sp, a in spans(f"{d}/traces.jsonl"):
    if any(k.startswith("gen_ai.usage.") for k in a):
        by_scope.setdefault(scope, []).append((int(sp["startTimeUnixNano"]), sp, a))
short = {"opentelemetry.instrumentation.langchain": "LC", "com.anthropic.sdk.python": "SDK",
         "opentelemetry.instrumentation.anthropic": "OLA"}
print("| call | layer | span name | trace | parent | start..end (ms from 1st call) | request / response model |"
      " input tokens (truth: input+cr+cw) | cache r/w attrs | output | response id |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
t0 = min(s[0] for v in by_scope.values() for s in v)
for v in by_scope.values():
    v.sort(key=lambda s: s[0])
for i, t in enumerate(truth):
    u = t["usage"]
    full = u["input_tokens"] + u["cache_read_input_tokens"] + u["cache_creation_input_tokens"]
    for scope, v in sorted(by_scope.items()):
        st, sp, a = v[i]
        rid = a.get("gen_ai.response.id")
        assert rid in (None, t["id"]), (rid, t["id"])
        inp = int(a.get("gen_ai.usage.input_tokens", -1))
        how = "incl. cache" if inp == full else ("excl. cache" if inp == u["input_tokens"] else "WRONG")
        cr = a.get("gen_ai.usage.cache_read.input_tokens", "-")
        cw = a.get("gen_ai.usage.cache_creation.input_tokens", a.get("gen_ai.usage.cache_write.input_tokens", "-"))
        print(f"| {t['n']} {'stream' if t['stream'] else 'plain'}{' tool' if t['tool_call'] else ''} "
              f"| {short.get(scope, scope)} | {sp['name']} | {sp['traceId'][:8]} | {(sp.get('parentSpanId') or '(root)')[:8]} "
              f"| {(st - t0) / 1e6:.1f}..{(int(sp['endTimeUnixNano']) - t0) / 1e6:.1f} "
              f"| {a.get('gen_ai.request.model')} / {a.get('gen_ai.response.model', '(none)')} "
              f"| {inp} ({how}; truth {full}) | {cr}/{cw} | {a.get('gen_ai.usage.output_tokens')} (truth {u['output_tokens']}) "
              f"| {rid or '(none)'} |")

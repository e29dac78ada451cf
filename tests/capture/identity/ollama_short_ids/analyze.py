#!/usr/bin/env python3
"""Check the capture against the truth and count the identity collisions."""
import collections
import io
import json
import subprocess
import sys

sys.path.insert(0, __file__.rsplit("/", 2)[0] + "/tools")
from spans import lines, spans  # noqa: E402

d = __file__.rsplit("/", 1)[0]
truth = [json.loads(x) for x in lines(f"{d}/fake_llm_log.jsonl.zst")]
sp = [(s, a) for _, _, s, a in spans(f"{d}/traces.jsonl.zst")]
llm = [(s, a) for s, a in sp if "gen_ai.usage.input_tokens" in a]
print("spans:", len(sp), "with usage:", len(llm), "others:", collections.Counter(s["name"] for s, a in sp if "gen_ai.usage.input_tokens" not in a))
print("truth calls:", len(truth), "streamed:", sum(t["stream"] for t in truth), "tool calls:", sum(t["tool_call"] for t in truth))
key_t = collections.Counter((t["id"], t["response_model"], t["usage"]["prompt_tokens"], t["usage"]["completion_tokens"]) for t in truth)
key_s = collections.Counter((a["gen_ai.response.id"], a["gen_ai.response.model"], int(a["gen_ai.usage.input_tokens"]),
                             int(a["gen_ai.usage.output_tokens"])) for s, a in llm)
print("multiset of (id, model, input, output) spans == truth:", key_t == key_s)
ids = collections.Counter(t["id"] for t in truth)
print("distinct response ids:", len(ids), "; ids used by >1 call:", sum(1 for v in ids.values() if v > 1),
      "; calls whose id is shared:", sum(v for v in ids.values() if v > 1), "; max calls per id:", max(ids.values()))
idm = collections.Counter((t["id"], t["response_model"]) for t in truth)
print("(id, model) shared by >1 call:", sum(1 for v in idm.values() if v > 1), "keys,", sum(v for v in idm.values() if v > 1), "calls")
print("(id, model, input, output) shared by >1 call (indistinguishable by id+usage):",
      sum(1 for v in key_t.values() if v > 1), "keys,", sum(v for v in key_t.values() if v > 1), "calls")
mu = collections.Counter((t["response_model"], t["usage"]["prompt_tokens"], t["usage"]["completion_tokens"]) for t in truth)
print("(model, input, output) shared by >1 call:", sum(1 for v in mu.values() if v > 1), "keys,", sum(v for v in mu.values() if v > 1), "calls")
traces = collections.Counter(s["traceId"] for s, a in llm)
idtr = collections.Counter((a["gen_ai.response.id"], s["traceId"]) for s, a in llm)
print("(id, traceId) shared by >1 span:", sum(1 for v in idtr.values() if v > 1), "keys,", sum(v for v in idtr.values() if v > 1), "spans")
tot = collections.defaultdict(lambda: [0, 0, 0])
for t in truth:
    r = tot[t["response_model"]]
    r[0] += 1; r[1] += t["usage"]["prompt_tokens"]; r[2] += t["usage"]["completion_tokens"]
print("| model | calls | input tokens | output tokens |\n|---|---|---|---|")
for m, (n, p, c) in sorted(tot.items()):
    print(f"| {m} | {n} | {p} | {c} |")
print(f"| **all** | {sum(v[0] for v in tot.values())} | {sum(v[1] for v in tot.values())} | {sum(v[2] for v in tot.values())} |")
k5 = collections.Counter((a["gen_ai.response.id"], s["traceId"], a["gen_ai.response.model"], a["gen_ai.usage.input_tokens"],
                         a["gen_ai.usage.output_tokens"]) for s, a in llm)
print("(id, traceId, model, input, output) shared by >1 span:", sum(1 for v in k5.values() if v > 1))

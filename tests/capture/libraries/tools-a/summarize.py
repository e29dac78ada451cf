#!/usr/bin/env python3
"""Print every span (tree order), log record and metric of a capture dir, with the attributes that
matter for pricing (usage / token / model / provider / cost / operation). usage: summarize.py DIR [--all]"""
import json
import os
import re
import sys

KEY = re.compile(r"usage|token|model|provider|system|cost|operation|span_type|spanType|observation\.type|"
                 r"request\.type|llm\.|gen_ai|logfire\.(span_type|msg)", re.I)
ALL = "--all" in sys.argv
d = sys.argv[1]


def val(v):
    for k in ("stringValue", "intValue", "doubleValue", "boolValue"):
        if k in v:
            return v[k]
    if "arrayValue" in v:
        return [val(x) for x in v["arrayValue"].get("values", [])]
    if "kvlistValue" in v:
        return {x["key"]: val(x.get("value", {})) for x in v["kvlistValue"].get("values", [])}
    return v


def attrs(lst):
    return {a["key"]: val(a.get("value", {})) for a in lst or []}


def show(a, indent):
    for k, v in a.items():
        if ALL or KEY.search(k):
            s = json.dumps(v) if not isinstance(v, str) else v
            if len(s) > 300 and not re.search(r"usage|token|cost", k, re.I):
                s = s[:300] + "..."
            print(" " * indent + f"{k} = {s}")


p = os.path.join(d, "traces.jsonl")
if os.path.exists(p):
    spans = []
    for line in open(p):
        for rs in json.loads(line).get("resourceSpans", []):
            res = attrs(rs.get("resource", {}).get("attributes"))
            for ss in rs.get("scopeSpans", []):
                for sp in ss.get("spans", []):
                    spans.append((ss.get("scope", {}).get("name"), res, sp))
    byid = {sp["spanId"]: sp for _, _, sp in spans}
    print(f"== {len(spans)} spans; resource: {spans[0][1] if spans else None}")

    def depth(sp):
        n = 0
        while sp.get("parentSpanId") in byid:
            sp = byid[sp["parentSpanId"]]
            n += 1
        return n
    for scope, res, sp in sorted(spans, key=lambda t: (t[2]["startTimeUnixNano"])):
        dp = depth(sp)
        print("  " * dp + f"- [{scope}] {sp['name']} kind={sp.get('kind')} trace={sp['traceId'][:8]} span={sp['spanId'][:8]} parent={sp.get('parentSpanId','')[:8]}")
        show(attrs(sp.get("attributes")), 2 * dp + 4)
        for ev in sp.get("events", []):
            print("  " * dp + f"    event {ev['name']}")
            show(attrs(ev.get("attributes")), 2 * dp + 6)
p = os.path.join(d, "logs.jsonl")
if os.path.exists(p):
    for line in open(p):
        for rl in json.loads(line).get("resourceLogs", []):
            for sl in rl.get("scopeLogs", []):
                for lr in sl.get("logRecords", []):
                    print(f"- LOG [{sl.get('scope',{}).get('name')}] event={lr.get('eventName')} span={lr.get('spanId','')[:8]}")
                    show(attrs(lr.get("attributes")), 4)
                    b = json.dumps(val(lr.get("body", {})))
                    print("    body:", b[:400])
p = os.path.join(d, "metrics.jsonl")
if os.path.exists(p):
    for line in open(p):
        for rm in json.loads(line).get("resourceMetrics", []):
            for sm in rm.get("scopeMetrics", []):
                for m in sm.get("metrics", []):
                    kind = [k for k in m if k not in ("name", "description", "unit", "metadata")]
                    dps = m.get(kind[0], {}).get("dataPoints", []) if kind else []
                    print(f"- METRIC [{sm.get('scope',{}).get('name')}] {m['name']} unit={m.get('unit')} {kind} points={len(dps)}")
                    for dp in dps[:40]:
                        print("    ", json.dumps(attrs(dp.get("attributes"))), "sum=", dp.get("sum", dp.get("asInt", dp.get("asDouble"))), "count=", dp.get("count"))

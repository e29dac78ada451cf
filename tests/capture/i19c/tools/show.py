#!/usr/bin/env python3
"""Print the spans / metrics / logs of a capture dir compactly (analysis aid).
usage: show.py DIR [--full]   (long string values are cut unless --full)"""
import json, os, sys

d = sys.argv[1]; full = "--full" in sys.argv


def val(v):
    for k in ("stringValue", "intValue", "doubleValue", "boolValue"):
        if k in v:
            return v[k]
    if "arrayValue" in v:
        return [val(x) for x in v["arrayValue"].get("values", [])]
    if "kvlistValue" in v:
        return {kv["key"]: val(kv.get("value", {})) for kv in v["kvlistValue"].get("values", [])}
    return v


def attrs(lst):
    return {a["key"]: val(a.get("value", {})) for a in lst or []}


def cut(v):
    s = v if isinstance(v, str) else json.dumps(v)
    return s if full or len(s) <= 160 else s[:160] + f"...({len(s)})"


p = os.path.join(d, "traces.jsonl")
if os.path.exists(p):
    spans = []
    for line in open(p):
        for rs in json.loads(line).get("resourceSpans", []):
            for ss in rs.get("scopeSpans", []):
                for s in ss.get("spans", []):
                    spans.append((ss.get("scope", {}), s))
    spans.sort(key=lambda x: int(x[1].get("startTimeUnixNano", 0)))
    print(f"== {len(spans)} spans")
    for scope, s in spans:
        print(f"-- {s['name']} [{scope.get('name')} {scope.get('version','')}] id={s['spanId'][:6]} parent={s.get('parentSpanId','')[:6]} kind={s.get('kind')}")
        for k, v in attrs(s.get("attributes")).items():
            print(f"     {k} = {cut(v)}")
        for e in s.get("events", []):
            print(f"     EVENT {e['name']}: {cut(attrs(e.get('attributes')))}")
p = os.path.join(d, "metrics.jsonl")
if os.path.exists(p):
    print("== metrics (last export per metric name)")
    last = {}
    for line in open(p):
        for rm in json.loads(line).get("resourceMetrics", []):
            for sm in rm.get("scopeMetrics", []):
                for m in sm.get("metrics", []):
                    last[(sm.get("scope", {}).get("name"), m["name"])] = m
    for (sc, name), m in last.items():
        kind = [k for k in m if k not in ("name", "description", "unit", "metadata")][0]
        print(f"-- {name} [{sc}] {kind} unit={m.get('unit')} temporality={m[kind].get('aggregationTemporality')}")
        for dp in m[kind].get("dataPoints", []):
            print(f"     {attrs(dp.get('attributes'))} sum={dp.get('sum')} count={dp.get('count')} value={dp.get('asInt', dp.get('asDouble'))}")
p = os.path.join(d, "logs.jsonl")
if os.path.exists(p):
    print("== logs")
    for line in open(p):
        for rl in json.loads(line).get("resourceLogs", []):
            for sl in rl.get("scopeLogs", []):
                for r in sl.get("logRecords", []):
                    print(f"-- [{sl.get('scope', {}).get('name')}] event={r.get('eventName')} span={r.get('spanId','')[:6]} attrs={cut(attrs(r.get('attributes')))} body={cut(val(r.get('body', {})))}")

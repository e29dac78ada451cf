#!/usr/bin/env python3
"""Print a compact view of traces/metrics/logs .jsonl written by otlp_sink.py.
usage: summarize.py DIR [--all]   (--all: every attribute, else long string values are cut)"""
import json
import os
import sys


def val(v):
    if not isinstance(v, dict):
        return v
    for k in ("stringValue", "boolValue", "doubleValue"):
        if k in v:
            return v[k]
    if "intValue" in v:
        return int(v["intValue"])
    if "arrayValue" in v:
        return [val(x) for x in v["arrayValue"].get("values", [])]
    if "kvlistValue" in v:
        return {kv["key"]: val(kv.get("value")) for kv in v["kvlistValue"].get("values", [])}
    if "bytesValue" in v:
        return "<bytes>"
    return None


def attrs(lst):
    return {a["key"]: val(a.get("value")) for a in lst or []}


def cut(v, full):
    s = json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v
    return s if full or len(s) <= 160 else s[:157] + "..."


def main():
    d = sys.argv[1]
    full = "--all" in sys.argv
    p = os.path.join(d, "traces.jsonl")
    if os.path.exists(p):
        print("=== TRACES")
        for line in open(p):
            for rs in json.loads(line).get("resourceSpans", []):
                print("resource:", attrs(rs.get("resource", {}).get("attributes")))
                for ss in rs.get("scopeSpans", []):
                    sc = ss.get("scope", {})
                    for s in ss.get("spans", []):
                        print(f"--- span {s['name']!r} id={s['spanId'][:8]} parent={s.get('parentSpanId', '')[:8]} "
                              f"scope={sc.get('name')} {sc.get('version', '')} kind={s.get('kind')}")
                        for k, v in attrs(s.get("attributes")).items():
                            print(f"    {k} = {cut(v, full)}")
                        for e in s.get("events", []):
                            print(f"    EVENT {e['name']}: {cut(attrs(e.get('attributes')), full)}")
    p = os.path.join(d, "metrics.jsonl")
    if os.path.exists(p):
        print("=== METRICS")
        seen = {}
        for line in open(p):
            for rm in json.loads(line).get("resourceMetrics", []):
                for sm in rm.get("scopeMetrics", []):
                    for m in sm.get("metrics", []):
                        for kind in ("sum", "gauge", "histogram", "exponentialHistogram"):
                            if kind in m:
                                for dp in m[kind].get("dataPoints", []):
                                    a = attrs(dp.get("attributes"))
                                    v = dp.get("asInt", dp.get("asDouble", dp.get("sum")))
                                    key = (m["name"], json.dumps(a, sort_keys=True))
                                    seen[key] = (kind, m.get("unit"), v, dp.get("count"),
                                                 sm.get("scope", {}).get("name"))
        for (name, a), (kind, unit, v, cnt, scope) in sorted(seen.items()):
            print(f"  {name} [{kind} {unit}] scope={scope} value/sum={v} count={cnt} {a}")
    p = os.path.join(d, "logs.jsonl")
    if os.path.exists(p):
        print("=== LOGS")
        for line in open(p):
            for rl in json.loads(line).get("resourceLogs", []):
                for sl in rl.get("scopeLogs", []):
                    for r in sl.get("logRecords", []):
                        print(f"--- log span={r.get('spanId', '')[:8]} event={r.get('eventName')} "
                              f"body={cut(val(r.get('body')), full)}")
                        for k, v in attrs(r.get("attributes")).items():
                            print(f"    {k} = {cut(v, full)}")


main()

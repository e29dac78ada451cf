#!/usr/bin/env python3
"""Print the data points of a metrics.jsonl (or .jsonl.zst): export#, service, scope, metric, kind,
temporality, attributes, count/sum (histograms) or value."""
import json
import sys

from spans import lines, val

for i, line in enumerate(lines(sys.argv[1])):
    d = json.loads(line)
    for rm in d.get("resourceMetrics", []):
        res = {a["key"]: val(a["value"]) for a in rm.get("resource", {}).get("attributes", [])}
        for sm in rm.get("scopeMetrics", []):
            for m in sm.get("metrics", []):
                kind = next(k for k in m if k not in ("name", "description", "unit", "metadata"))
                for dp in m[kind].get("dataPoints", []):
                    a = {x["key"]: val(x["value"]) for x in dp.get("attributes", [])}
                    print(i, res.get("service.name"), sm.get("scope", {}).get("name"), m["name"], kind,
                          m[kind].get("aggregationTemporality"), a,
                          dp.get("count"), dp.get("sum"), dp.get("asInt", dp.get("asDouble")))

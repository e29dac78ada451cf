#!/usr/bin/env python3
"""Print every span of a traces.jsonl (or .jsonl.zst) as one line: service, scope, name, trace/span/
parent ids (first 8 hex), start/end (ns), model keys, usage keys (gen_ai.usage.*, llm.usage.*), id."""
import io
import json
import subprocess
import sys


def lines(path):
    if path.endswith(".zst"):
        return io.StringIO(subprocess.run(["zstd", "-dc", path], capture_output=True, text=True, check=True).stdout)
    return open(path)


def val(v):
    return next(iter(v.values())) if v else None


def spans(path):
    for line in lines(path):
        d = json.loads(line)
        for rs in d.get("resourceSpans", []):
            res = {a["key"]: val(a["value"]) for a in rs.get("resource", {}).get("attributes", [])}
            for ss in rs.get("scopeSpans", []):
                for sp in ss.get("spans", []):
                    attrs = {a["key"]: val(a["value"]) for a in sp.get("attributes", [])}
                    yield res, ss.get("scope", {}).get("name"), sp, attrs


if __name__ == "__main__":
    for res, scope, sp, a in spans(sys.argv[1]):
        use = {k.replace("gen_ai.usage.", "u."): v for k, v in a.items() if "usage" in k}
        models = {k.split(".")[-1][:4] + ":" + k.split(".")[1][:3]: v for k, v in a.items() if k.endswith(".model")}
        print(res.get("service.name"), scope, repr(sp["name"]), sp["traceId"][:8], sp["spanId"][:8],
              (sp.get("parentSpanId") or "-")[:8], sp["startTimeUnixNano"], sp["endTimeUnixNano"],
              models, use, "id=" + str(a.get("gen_ai.response.id")))

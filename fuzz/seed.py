#!/usr/bin/env python3
"""Makes fuzz/corpus/<target>/ from testdata/ and the example TOML files: small real
records (each seed under 16 KiB), so the fuzzers start from inputs that reach deep.
Rerun after the test data changes: python3 fuzz/seed.py"""
import gzip, hashlib, os, pathlib, struct

root = pathlib.Path(__file__).resolve().parent.parent
out = root / "fuzz" / "corpus"
LIMIT = 16 << 10

def put(target, data):
    if len(data) > LIMIT:
        return
    d = out / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)

lines = []
for f in sorted((root / "testdata").rglob("*.jsonl")):
    for line in f.read_bytes().splitlines():
        if 0 < len(line) <= LIMIT:
            lines.append(line)
# The smallest few lines of each kind: short seeds fuzz fastest.
lines.sort(key=len)
seen_kinds = {}
for line in lines:
    kind = line[:20]
    if seen_kinds.get(kind, 0) < 6:
        seen_kinds[kind] = seen_kinds.get(kind, 0) + 1
        put("json_request", line)
        put("chunker", b"\x00" + line + b"\n" + line)
        put("whole_path", line)
bodies = sorted((root / "testdata" / "bodies").rglob("*.pb"), key=lambda p: p.stat().st_size)
for b in bodies[:8]:
    data = b.read_bytes()
    put("protobuf_request", data)
    put("chunker", b"\x02" + data)
    put("chunker", b"\x01" + struct.pack(">I", len(data)) + data)
    put("chunker", b"\x03" + gzip.compress(data, mtime=0))
    put("whole_path", struct.pack(">I", len(data)) + data)
    put("http_body", gzip.compress(data, mtime=0))
for t in ["examples/rules.toml"]:
    put("rules", (root / t).read_bytes())
for t in ["examples/usage-map.toml", "tests/usage_map/mlflow_default.toml"]:
    put("usage_map", (root / t).read_bytes())
for t in ["pricing/overrides.example.toml"]:
    put("price_overrides", (root / t).read_bytes())
put("http_body", gzip.compress(b"{}", mtime=0) + gzip.compress(b"[]", mtime=0))

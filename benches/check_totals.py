#!/usr/bin/env python3
"""Check a token-total report against the exact totals gen_otlp.py put in.

Usage:
  check_totals.py EXPECT.json REPORT.json            # otelcost `report --format json` output
  check_totals.py EXPECT.json --tsv ROWS.tsv         # duckdb_baseline.py or genai_totals.jq rows

EXPECT.json is the --expect file of shared/bench/gen_otlp.py. Its `by_model`
maps the response model to {requests, input, cache_read, output, reasoning},
where `input` is the non-cached input (input_tokens - cache_read), i.e. the
same split otelcost reports.

For otelcost the report must be grouped by model, and for every model the
requests, input, cache_read, output and reasoning counts must be equal exactly;
no model may be missing or extra. The generator writes no cache writes, so
cache_write and cache_write_1h must be 0. If the report's `total` carries
token counts, they must equal the sum over models too.

ROWS.tsv has one tab-separated row per model: model, requests, input,
cache_read, output and optionally reasoning. DuckDB's baseline computes no
reasoning tokens (5 columns), so only the first four counts are compared for it;
benches/genai_totals.jq writes all five.

Exit status: 0 when equal, 1 on any difference (each one is printed), 2 on
unusable input. Standard library only.
"""
import json
import sys

FIELDS = ("requests", "input", "cache_read", "output", "reasoning")
MUST_BE_ZERO = ("cache_write", "cache_write_1h")


def die(msg):
    print(f"check_totals: {msg}", file=sys.stderr)
    sys.exit(2)


def as_int(v, where):
    if isinstance(v, bool) or v is None:
        die(f"{where}: expected an integer, got {v!r}")
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str):
        try:
            return int(v)
        except ValueError:
            pass
    die(f"{where}: expected an integer, got {v!r}")


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        die(f"cannot read JSON from {path}: {e}")


def from_otelcost(report):
    """-> ({model: {field: n}}, problems)"""
    problems = []
    if not isinstance(report, dict) or not isinstance(report.get("rows"), list):
        die("report has no `rows` list; is it `otelcost report --format json` output?")
    if report.get("group_by") not in (None, ["model"], ["model_id"]):
        problems.append(f"report is grouped by {report.get('group_by')!r}, expected [\"model_id\"]")
    got = {}
    for i, row in enumerate(report["rows"]):
        group = row.get("group") or {}
        model = group.get("model_id", group.get("model"))
        if model is None:
            die(f"rows[{i}] has no group.model")
        tokens = row.get("tokens") or {}
        counts = {"requests": as_int(row.get("requests"), f"rows[{i}].requests")}
        for k in FIELDS[1:]:
            counts[k] = as_int(tokens.get(k, 0), f"rows[{i}].tokens.{k}")
        for k in MUST_BE_ZERO:
            n = as_int(tokens.get(k, 0), f"rows[{i}].tokens.{k}")
            if n:
                problems.append(f"{model}: {k} = {n}, but the dump has no cache writes")
        if model in got:
            problems.append(f"{model}: appears in more than one row (summed)")
            for k in FIELDS:
                got[model][k] += counts[k]
        else:
            got[model] = counts
    total = report.get("total")
    if isinstance(total, dict) and isinstance(total.get("tokens"), dict):
        for k in FIELDS:
            src = total.get(k) if k == "requests" else total["tokens"].get(k)
            if src is None:
                continue
            want = sum(r[k] for r in got.values())
            n = as_int(src, f"total.{k}")
            if n != want:
                problems.append(f"total.{k} = {n}, but the rows sum to {want}")
    return got, problems


def from_tsv(path):
    """-> ({model: {field: n}}, fields compared)"""
    got, width = {}, None
    try:
        lines = open(path).read().splitlines()
    except OSError as e:
        die(f"cannot read {path}: {e}")
    for ln, line in enumerate(lines, 1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) not in (5, 6) or width not in (None, len(parts)):
            die(f"{path}:{ln}: expected 5 or 6 tab-separated columns in every row, got {len(parts)}")
        width = len(parts)
        model = parts[0]
        got[model] = {k: as_int(v, f"{path}:{ln}.{k}") for k, v in zip(FIELDS, parts[1:])}
    return got, FIELDS[:width - 1] if width else FIELDS[:4]


def main(argv):
    if len(argv) == 3 and argv[1] != "--tsv":
        expect_path, fields, source = argv[1], FIELDS, "otelcost"
        got, problems = from_otelcost(load_json(argv[2]))
    elif len(argv) == 4 and argv[2] == "--tsv":
        expect_path, source, problems = argv[1], argv[3], []
        got, fields = from_tsv(argv[3])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    expect = load_json(expect_path).get("by_model")
    if not isinstance(expect, dict) or not expect:
        die(f"{expect_path} has no by_model table")

    for model in sorted(set(expect) | set(got)):
        if model not in got:
            problems.append(f"{model}: missing from the {source} output "
                            f"(expected {expect[model]['requests']} requests)")
            continue
        if model not in expect:
            if any(got[model].values()):
                problems.append(f"{model}: in the {source} output but not in the dump: {got[model]}")
            continue
        for k in fields:
            want, have = int(expect[model][k]), got[model][k]
            if want != have:
                problems.append(f"{model}: {k} = {have}, expected {want} (off by {have - want:+d})")

    if problems:
        print(f"check_totals: {source} totals DIFFER from {expect_path}:", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        return 1
    print(f"check_totals: {source} totals match {expect_path} "
          f"({len(expect)} models, {sum(int(r['requests']) for r in expect.values())} requests; "
          f"fields: {', '.join(fields)})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

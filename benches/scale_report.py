#!/usr/bin/env python3
"""The summary of benches/scale.sh: prints the table, writes OUT/result.json and OUT/table.md.

Usage: scale_report.py RESULTS.tsv OUT --data DIR --binary PATH --args ARGS --runs N --cap S --threads N
                       [--small SMALL.tsv]

RESULTS.tsv has one line per measured run: tool, size label, format, file name, bytes,
wall µs, CPU µs (user + sys), peak RSS KiB, status (ok, differ: totals differ from the
expect file, capped: stopped after S seconds, failed: exited with an error). For DuckDB and chDB the wall time is
their own query time. MB = 10^6 bytes; ratio = otelcost MB/s / peer MB/s; cpu_ratio the same per CPU-second
(the peer's CPU includes Python's start-up). SMALL.tsv: how the small file was timed, best and median
ms, then the file and its bytes. Standard library only.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time

FORMATS = {"jsonl": "JSON lines", "proto": "protobuf stream"}
PEERS = (("duckdb", "DuckDB"), ("chdb", "chDB"), ("jq", "jq"))


def run(*cmd, cwd=None):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=10, cwd=cwd).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine(threads):
    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(open("/proc/meminfo").readline().split()[1])
        mem = f"{kb / 2**20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {"host": platform.node(), "cpu": cpu, "cores": threads, "memory": mem,
            "kernel": platform.release(), "arch": platform.machine(),
            # other work on the machine slows every figure; this says how busy it was
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("out")
    ap.add_argument("--data", required=True)
    ap.add_argument("--binary", required=True)
    ap.add_argument("--args", default="")
    ap.add_argument("--runs", type=int, required=True)
    ap.add_argument("--cap", type=int, required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--small")
    a = ap.parse_args()

    small = None
    if a.small and os.path.getsize(a.small):
        (how, best, median), (path, size) = (l.rstrip("\n").split("\t") for l in open(a.small))
        small = {"file": path, "bytes": int(size), "runs": 20, "timed_by": how,
                 "best_ms": float(best), "median_ms": float(median)}

    rows, by_file = [], {}
    for line in open(a.results):
        tool, label, fmt, name, size, us, cpu_us, kb, status = line.rstrip("\n").split("\t")
        m = {"seconds": int(us) / 1e6, "cpu_seconds": int(cpu_us) / 1e6,
             "peak_rss_mb": round(int(kb) * 1024 / 1e6, 1), "status": status}
        if tool == "otelcost":
            expect = json.load(open(os.path.join(a.data, name + ".expect.json")))
            row = {"size": label, "format": fmt, "file": name, "bytes": int(size),
                   "llm_calls": expect["genai_spans"], "spans": expect["spans"], "otelcost": m}
            by_file[name] = row
            rows.append(row)
        else:
            by_file[name][tool] = m
    for row in rows:
        mb = row["bytes"] / 1e6
        o = row["otelcost"]
        o["mb_per_s"] = round(mb / o["seconds"], 1)
        o["mb_per_cpu_s"] = round(mb / o["cpu_seconds"], 1) if o["cpu_seconds"] else None
        o["seconds"], o["cpu_seconds"] = round(o["seconds"], 3), round(o["cpu_seconds"], 3)
        for peer, _ in PEERS:
            p = row.get(peer)
            if not p:
                continue
            if p["status"] == "failed":
                p["mb_per_s"] = p["ratio"] = None
                continue
            capped = p["status"] == "capped"
            secs = a.cap if capped else p["seconds"]
            # stopped at the cap: the peer's MB/s is below this, otelcost's ratio above it
            p["mb_per_s"] = round(mb / secs, 1)
            p["ratio"] = round(secs / o["seconds"], 1)
            p["cpu_ratio"] = round(p["cpu_seconds"] / o["cpu_seconds"], 1) if o["cpu_seconds"] and not capped else None
            p["bound"] = capped
            p["seconds"], p["cpu_seconds"] = round(p["seconds"], 3), round(p["cpu_seconds"], 3)

    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    commit = run("git", "rev-parse", "--short", "HEAD", cwd=repo)
    if run("git", "status", "--porcelain", "--untracked-files=no", cwd=repo):
        commit += " (with uncommitted changes)"
    doc = {"generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "machine": machine(a.threads), "otelcost": a.binary,
           "otelcost_version": run(a.binary, "--version"), "commit": commit,
           "otelcost_args": a.args, "runs": a.runs, "peer_cap_seconds": a.cap,
           "units": "MB = 10^6 bytes; seconds = best wall time of the runs (DuckDB: its query time); "
                    "cpu_seconds = user + sys; ratio = otelcost MB/s / peer MB/s; bound = the peer was "
                    "stopped at the cap, so its MB/s is an upper bound and the ratio a lower bound",
           "rows": rows, "small_file": small}
    with open(os.path.join(a.out, "result.json"), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")

    def peer_cells(row, peer):
        p = row.get(peer)
        if not p:
            return "–", "–"
        if p["status"] == "failed":
            return "failed", "–"
        if p["bound"]:
            return f"< {p['mb_per_s']:.1f} (> {a.cap} s)", f"> {p['ratio']:.1f}×"
        note = " (totals differ)" if p["status"] == "differ" else ""
        cpu = f" (CPU {p['cpu_ratio']:.1f}×)" if p.get("cpu_ratio") else ""
        return f"{p['mb_per_s']:.1f}{note}", f"{p['ratio']:.1f}×{cpu}"

    md = ["| dump | size | LLM calls | wall | CPU (user+sys) | MB/s | MB per CPU-s | peak RSS | totals"
          + "".join(f" | {title} MB/s | ÷ {title}" for _, title in PEERS) + " |",
          "|---|---:|---:|---:|---:|---:|---:|---:|---" + "|---:|---:" * len(PEERS) + "|"]
    for r in rows:
        o = r["otelcost"]
        cells = [f"{FORMATS[r['format']]}, {r['spans']:,} spans", f"{r['bytes'] / 1e6:,.0f} MB", f"{r['llm_calls']:,}",
                 f"{o['seconds']:.2f} s", f"{o['cpu_seconds']:.2f} s", f"{o['mb_per_s']:.1f}",
                 "–" if o["mb_per_cpu_s"] is None else f"{o['mb_per_cpu_s']:.1f}",
                 f"{o['peak_rss_mb']:,.0f} MB", "exact"]
        for peer, _ in PEERS:
            cells += peer_cells(r, peer)
        md.append("| " + " | ".join(cells) + " |")
    if small:
        md += ["", f"Start-up, `otelcost report` on one small agent file ({os.path.basename(small['file'])}, "
                   f"{small['bytes'] / 1e3:,.0f} kB), 20 runs ({small['timed_by']}): best {small['best_ms']:.1f} ms, "
                   f"median {small['median_ms']:.1f} ms."]
    with open(os.path.join(a.out, "table.md"), "w") as f:
        f.write("\n".join(md) + "\n")

    m = doc["machine"]
    print()
    print(f"otelcost scale benchmark, {doc['generated_at']}, {m['cpu'] or m['arch']} x {m['cores']}, {m['memory']}, "
          f"load average {m['load_average_at_end'][0]}")
    print(f"binary {a.binary} ({doc['otelcost_version']}, commit {commit})"
          + (f", extra arguments: {a.args}" if a.args else ""))
    print(f"best of {a.runs} warm run(s); peers: {a.threads} DuckDB and chDB threads, stopped after {a.cap} s")
    print()
    print("\n".join(md))
    print(f"\nwritten to {a.out}/result.json and table.md")


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env bash
# benches/bench.sh — throughput and memory benchmark of `otelcost report`.
#
# What it does:
#   1. creates (or reuses) a Python venv in target/bench-venv with
#      opentelemetry-proto, protobuf and duckdb from PyPI;
#   2. generates (or reuses) deterministic OTLP dumps in $BENCH_DATA with
#      benches/gen_otlp.py (a copy of shared/bench/gen_otlp.py): JSON lines (bench-N.jsonl) and the file
#      exporter's protobuf stream (bench-N.pb), plus the exact totals put in;
#   3. builds otelcost with `cargo build --release` (unless $OTELCOST is set);
#   4. per format: reads the file once to warm the page cache, runs
#      `otelcost report FILE --format json` BENCH_RUNS times (default 3), keeps
#      the best wall time and the highest peak RSS (/usr/bin/time -v), and
#      checks every run's per-model totals against the expect file exactly;
#      The JSON-lines dump is also split into 8 gzip files (a day of rotated,
#      compressed dumps) and read as one directory: its MB/s counts the
#      uncompressed bytes, so it compares with the plain file's;
#   5. runs shared/bench/duckdb_baseline.py (threads = nproc) on the JSON-lines
#      file as the peer figure, and checks its totals too;
#   6. prints a summary table and writes it to target/bench-out/bench/result.json.
# benches/scale.sh is the same measurement at 100 MB, 1 GB and 10 GB with jq as a second peer.
#
# Usage:
#   benches/bench.sh            # ~500 MB JSON lines (410000 spans), ~300 MB proto
#   benches/bench.sh --quick    # ~50 MB JSON lines (41000 spans)
#
# Environment:
#   BENCH_SPANS=N       spans to generate (overrides the default and --quick)
#   BENCH_RUNS=N        timed runs per file (default 3; best one counts)
#   OTELCOST=PATH       benchmark this binary instead of building one
#   BENCH_DATA=DIR      where the dumps are generated and reused (default
#                       target/bench-data; share one between checkouts)
#   BENCH_SHARED=DIR    the shared/ folder (default: the first shared/ with
#                       bench/gen_otlp.py found beside the repo or above it)
#   BENCH_NO_DUCKDB=1   skip the DuckDB baseline
#   PYTHON=python3      interpreter used to create the venv
#
# MB means 10^6 bytes; MB/s = file size / best wall seconds.
# Needs Linux with GNU time (`apt-get install -y time`).
set -euo pipefail
bench_name=bench
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

quick=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $arg" ;;
  esac
done

# ~1210 bytes per span in JSON lines, ~740 in the protobuf stream (measured);
# generation runs at ~5 MB/s (JSON lines) and ~8 MB/s (proto), single-threaded.
if [ -n "${BENCH_SPANS:-}" ]; then spans=$BENCH_SPANS
elif [ "$quick" = 1 ]; then spans=41000
else spans=410000
fi
case "$spans" in ''|*[!0-9]*) die "BENCH_SPANS must be a positive integer, got '$spans'" ;; esac
[ "$spans" -gt 0 ] || die "BENCH_SPANS must be positive"
runs=${BENCH_RUNS:-3}
case "$runs" in ''|*[!0-9]*|0) die "BENCH_RUNS must be a positive integer, got '$runs'" ;; esac

bench_setup

# --- dumps -----------------------------------------------------------------
jsonl=$data/bench-$spans.jsonl
pb=$data/bench-$spans.pb
generate jsonl "$spans" 7 "$jsonl"
generate proto "$spans" 7 "$pb"
cmp -s "$jsonl.expect.json" "$pb.expect.json" ||
  die "the two dumps' expect files differ; delete them and rerun"

# The JSON-lines dump as 8 gzip files in one directory, reused while the dump is the same.
gz_dir=$data/bench-$spans.jsonl.gz.d
gz_want="$(cat "$jsonl.stamp") | split -n l/8, gzip -6"
if [ -f "$gz_dir/.stamp" ] && [ "$(cat "$gz_dir/.stamp")" = "$gz_want" ]; then
  say "reusing $gz_dir"
else
  say "splitting $jsonl into 8 gzip files in $gz_dir ..."
  rm -rf "$gz_dir"; mkdir -p "$gz_dir"
  split -n l/8 -d --additional-suffix=.jsonl "$jsonl" "$gz_dir/part-"
  gzip -6 "$gz_dir"/part-*.jsonl
  printf '%s\n' "$gz_want" >"$gz_dir/.stamp"
fi

# --- measurement -------------------------------------------------------------
results=$out/results.tsv
: >"$results"
rm -f "$out/result.json"   # never leave an old result behind a failed run

# bench_otelcost FILE [DUMP]: best wall seconds and peak RSS over $runs runs. FILE may be
# a directory holding DUMP's records (compressed): DUMP gives the size and expected totals.
bench_otelcost() {
  local file=$1 dump=${2:-$1} name; name=$(basename "$file")
  local size; size=$(stat -c %s "$dump")
  say "otelcost on $name: warming the page cache, then $runs runs"
  warm "$file"
  local best_us='' peak_kb=0 i
  for i in $(seq 1 "$runs"); do
    run_otelcost "otelcost-$name" "$file" "$dump"
    if [ "$m_kb" -gt "$peak_kb" ]; then peak_kb=$m_kb; fi
    if [ -z "$best_us" ] || [ "$m_us" -lt "$best_us" ]; then best_us=$m_us; fi
    say "  run $i: $(secs "$m_us") s, peak RSS $((m_kb * 1024 / 1000000)) MB"
  done
  printf 'otelcost\t%s\t%s\t%s\t%s\n' "$name" "$size" "$best_us" "$peak_kb" >>"$results"
}

bench_duckdb() {
  local file=$1 name; name=$(basename "$file")
  say "duckdb baseline on $name (threads=$ncpu)"
  run_peer duckdb "duckdb-$name" "$file" 0
  [ "$peer_status" != failed ] || die "duckdb_baseline.py failed on $file"
  say "  $(secs "$m_us") s, peak RSS $((m_kb * 1024 / 1000000)) MB"
  printf 'duckdb\t%s\t%s\t%s\t%s\t%s\n' "$name" "$(stat -c %s "$file")" "$m_us" "$m_kb" "$([ "$peer_status" = ok ] && echo 1 || echo 0)" >>"$results"
}

bench_otelcost "$jsonl"
bench_otelcost "$pb"
bench_otelcost "$gz_dir" "$jsonl"
if [ "${BENCH_NO_DUCKDB:-0}" != 1 ]; then bench_duckdb "$jsonl"; fi

# --- summary -----------------------------------------------------------------
"$py" - "$results" "$out/result.json" "$spans" "$runs" "$ncpu" "$bin" <<'EOF'
import json, platform, subprocess, sys, time
results, out, spans, runs, ncpu, binary = sys.argv[1:]
ot, dd = {}, {}
for line in open(results):
    f = line.rstrip("\n").split("\t")
    if f[0] == "otelcost":
        ot[f[1]] = dict(size=int(f[2]), us=int(f[3]), kb=int(f[4]))
    else:
        dd[f[1]] = dict(size=int(f[2]), us=int(f[3]), kb=int(f[4]), ok=f[5] == "1")
try:
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
except Exception:
    version = ""
rows = []
for name, o in ot.items():
    secs = o["us"] / 1e6
    row = {"file": name, "bytes": o["size"], "size_mb": round(o["size"] / 1e6, 1),
           "otelcost_seconds": round(secs, 3), "otelcost_mb_per_s": round(o["size"] / 1e6 / secs, 1),
           "otelcost_peak_rss_mb": round(o["kb"] * 1024 / 1e6, 1), "totals_correct": True,
           "duckdb_seconds": None, "duckdb_mb_per_s": None, "duckdb_peak_rss_mb": None,
           "duckdb_totals_correct": None, "ratio": None}
    d = dd.get(name)
    if d:
        ds = d["us"] / 1e6
        row.update(duckdb_seconds=round(ds, 3), duckdb_mb_per_s=round(d["size"] / 1e6 / ds, 1),
                   duckdb_peak_rss_mb=round(d["kb"] * 1024 / 1e6, 1), duckdb_totals_correct=d["ok"],
                   ratio=round(ds / secs, 1))
    rows.append(row)
doc = {"generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
       "spans": int(spans), "runs": int(runs), "threads": int(ncpu), "otelcost": binary,
       "otelcost_version": version, "host": platform.node(), "machine": platform.machine(),
       "units": "MB = 10^6 bytes; seconds = best wall time of the runs; ratio = otelcost MB/s / duckdb MB/s",
       "rows": rows}
with open(out, "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
dash = lambda v, fmt: "-" if v is None else fmt.format(v)
print()
print(f"otelcost benchmark: {spans} spans, best of {runs} warm runs, {ncpu} threads for duckdb")
print(f"{'file':<22}{'size':>9}{'otelcost':>12}{'MB/s':>9}{'peak RSS':>11}{'duckdb MB/s':>14}{'ratio':>8}")
for r in rows:
    print(f"{r['file']:<22}{r['size_mb']:>6.0f} MB{r['otelcost_seconds']:>10.2f} s{r['otelcost_mb_per_s']:>9.1f}"
          f"{r['otelcost_peak_rss_mb']:>8.0f} MB{dash(r['duckdb_mb_per_s'], '{:.1f}'):>14}{dash(r['ratio'], '{:.1f}x'):>8}")
print(f"\nwritten to {out}")
EOF

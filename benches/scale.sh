#!/usr/bin/env bash
# benches/scale.sh — `otelcost report` at 100 MB, 1 GB and 10 GB, beside DuckDB and jq.
#
# What it does:
#   1. generates (once; reused while gen_otlp.py and its arguments are unchanged) one
#      JSON-lines dump per size with benches/gen_otlp.py (a copy of shared/bench/gen_otlp.py), each with its own --seed
#      (so no two sizes share a call), plus the exact totals put in (FILE.expect.json); for
#      the sizes in BENCH_PROTO_SIZES also the protobuf stream of the same spans;
#   2. builds otelcost with `cargo build --release` (unless $OTELCOST is set);
#   3. per file, on a warm page cache: `otelcost report FILE --format json` BENCH_RUNS
#      times (the best wall time counts), its wall and CPU seconds (user + sys), MB/s,
#      MB per CPU-second and peak RSS; its per-model totals must equal the expect file
#      exactly, any difference fails the benchmark;
#   4. on each JSON-lines file, in the same run: DuckDB (shared/bench/duckdb_baseline.py,
#      threads = cores) and jq (benches/genai_totals.jq), their totals checked too, each
#      stopped after BENCH_PEER_CAP seconds (then shown as "> cap", never as a figure);
#   5. prints the table and writes target/bench-out/scale/result.json (every figure, the
#      machine, binary, commit) and table.md (the README's rows, verbatim).
#
# Usage:
#   benches/scale.sh                         # 100 MB, 1 GB, 10 GB (first run: ~45 min to generate)
#   BENCH_SIZES="100MB 1GB" benches/scale.sh
#
# Environment:
#   BENCH_SIZES="100MB 1GB 10GB"   the sizes to run (of these three)
#   BENCH_PROTO_SIZES="100MB 1GB"  sizes that also get a protobuf stream (6.1 GB more for 10GB)
#   BENCH_DATA=DIR         where dumps are generated and reused (default target/bench-data;
#                          point several checkouts at one, e.g. /work/benchdata)
#   BENCH_RUNS=N           otelcost runs per file (default 1; the best wall time counts)
#   BENCH_PEERS="duckdb jq"  the peers to run (empty: none)
#   BENCH_PEER_CAP=S       stop a peer after S seconds (default 900; 0: never)
#   BENCH_OTELCOST_ARGS="…"  extra arguments for every `otelcost report`, e.g. a memory limit
#   OTELCOST=PATH          benchmark this binary instead of building one
#   BENCH_SHARED=DIR       the shared/ folder (default: found beside the repo or above it)
#
# MB means 10^6 bytes. Needs Linux, GNU time, jq, Python 3 with venv.
set -euo pipefail
bench_name=scale
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

case "${1:-}" in
  '') ;;
  -h|--help) usage; exit 0 ;;
  *) usage >&2; die "unknown argument: $1" ;;
esac

# size label -> spans and seed. ~1210 bytes per span in JSON lines, ~740 in protobuf;
# a quarter of the spans are LLM calls (10GB: ~2 M calls).
spans_of() { case $1 in 100MB) echo 82600 ;; 1GB) echo 826000 ;; 10GB) echo 8260000 ;; *) return 1 ;; esac; }
seed_of() { case $1 in 100MB) echo 101 ;; 1GB) echo 102 ;; 10GB) echo 103 ;; esac; }

sizes=${BENCH_SIZES-100MB 1GB 10GB}
proto_sizes=${BENCH_PROTO_SIZES-100MB 1GB}
peers=${BENCH_PEERS-duckdb jq}
runs=${BENCH_RUNS:-1}
cap=${BENCH_PEER_CAP:-900}
for s in $sizes $proto_sizes; do spans_of "$s" >/dev/null || die "unknown size '$s' (known: 100MB 1GB 10GB)"; done
for p in $peers; do case $p in duckdb|jq) ;; *) die "unknown peer '$p' (known: duckdb jq)" ;; esac; done
case "$runs" in ''|*[!0-9]*|0) die "BENCH_RUNS must be a positive integer, got '$runs'" ;; esac
case "$cap" in ''|*[!0-9]*) die "BENCH_PEER_CAP must be a number of seconds, got '$cap'" ;; esac
case " $peers " in *" jq "*) command -v jq >/dev/null || die "jq is needed (apt-get install -y jq) or BENCH_PEERS=duckdb" ;; esac

bench_setup

# --- dumps -------------------------------------------------------------------
files=()
# dump LABEL FORMAT EXT: generates (or reuses) the dump and adds it to $files.
dump() {
  local label=$1 fmt=$2 ext=$3 spans seed
  spans=$(spans_of "$label"); seed=$(seed_of "$label")
  local file=$data/spans$spans-seed$seed.$ext
  if [ ! -f "$file.stamp" ]; then
    local need free
    need=$(( spans * $([ "$fmt" = jsonl ] && echo 1210 || echo 740) ))
    free=$(( $(df -Pk "$data" | awk 'NR == 2 {print $4}') * 1024 ))
    [ "$free" -gt $(( need + 2000000000 )) ] ||
      die "generating $file needs ~$((need / 1000000)) MB and leaves under 2 GB free on $data ($((free / 1000000)) MB free)"
  fi
  generate "$fmt" "$spans" "$seed" "$file"
  files+=("$label:$fmt:$file")
}
for label in $sizes; do
  dump "$label" jsonl jsonl
  case " $proto_sizes " in *" $label "*)
    dump "$label" proto pb
    cmp -s "$data/spans$(spans_of "$label")-seed$(seed_of "$label").jsonl.expect.json" \
      "$data/spans$(spans_of "$label")-seed$(seed_of "$label").pb.expect.json" ||
      die "the $label dumps' expect files differ; delete them and rerun" ;;
  esac
done

# --- measurement ---------------------------------------------------------------
results=$out/results.tsv
: >"$results"
rm -f "$out/result.json" "$out/table.md"   # never leave an old result behind a failed run
[ -n "$peers" ] && [ "$cap" -gt 0 ] && say "peers stop after $cap s (BENCH_PEER_CAP)"

# record TOOL LABEL FORMAT FILE STATUS: one result line from the m_* of the last run.
record() {
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$(basename "$4")" \
    "$(stat -c %s "$4")" "$m_us" "$m_cpu_us" "$m_kb" "$5" >>"$results"
}

for entry in "${files[@]}"; do
  IFS=: read -r label fmt file <<<"$entry"
  name=$(basename "$file")
  say "otelcost on $name ($(( $(stat -c %s "$file") / 1000000 )) MB): warming the page cache, then $runs run(s)"
  warm "$file"
  best_us='' best_cpu=0 peak_kb=0
  for i in $(seq 1 "$runs"); do
    run_otelcost "otelcost-$name" "$file" "$file"
    say "  run $i: $(secs "$m_us") s wall, $(secs "$m_cpu_us") s CPU, peak RSS $((m_kb * 1024 / 1000000)) MB"
    if [ "$m_kb" -gt "$peak_kb" ]; then peak_kb=$m_kb; fi
    if [ -z "$best_us" ] || [ "$m_us" -lt "$best_us" ]; then best_us=$m_us best_cpu=$m_cpu_us; fi
  done
  m_us=$best_us m_cpu_us=$best_cpu m_kb=$peak_kb
  record otelcost "$label" "$fmt" "$file" ok
  [ "$fmt" = jsonl ] || continue
  for peer in $peers; do
    say "$peer on $name"
    run_peer "$peer" "$peer-$name" "$file" "$cap"
    say "  $(secs "$m_us") s ($peer_status), peak RSS $((m_kb * 1024 / 1000000)) MB"
    record "$peer" "$label" "$fmt" "$file" "$peer_status"
  done
done

# --- summary -------------------------------------------------------------------
"$py" "$repo/benches/scale_report.py" "$results" "$out" \
  --data "$data" --binary "$bin" --args "${BENCH_OTELCOST_ARGS:-}" --runs "$runs" --cap "$cap" --threads "$ncpu"

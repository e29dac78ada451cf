#!/usr/bin/env bash
# benches/scale.sh — `otelcost report` at 100 MB, 1 GB and 10 GB, beside DuckDB, chDB and jq,
# and on one small agent file.
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
#      threads = cores), chDB (shared/bench/chdb_baseline.py, ClickHouse embedded, threads =
#      cores) and jq (benches/genai_totals.jq), their totals checked too, each stopped after
#      BENCH_PEER_CAP seconds (then shown as "> cap", never as a figure);
#   5. start-up: `otelcost report` on one small agent file (BENCH_SMALL_FILE), 20 runs
#      (hyperfine when installed), best and median wall time;
#   6. prints the table and writes target/bench-out/scale/result.json (every figure, the
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
#   BENCH_PEERS="duckdb chdb jq"  the peers to run (empty: none; chdb is pip-installed
#                          into the venv on first use)
#   BENCH_SMALL_FILE=PATH  the small file of the start-up row (default: a Copilot CLI file
#                          from testdata; empty: no such row)
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
peers=${BENCH_PEERS-duckdb chdb jq}
small_file=${BENCH_SMALL_FILE-testdata/agent-files/copilot-cli-1.0.102-openai-byok.jsonl}
runs=${BENCH_RUNS:-1}
cap=${BENCH_PEER_CAP:-900}
for s in $sizes $proto_sizes; do spans_of "$s" >/dev/null || die "unknown size '$s' (known: 100MB 1GB 10GB)"; done
for p in $peers; do case $p in duckdb|chdb|jq) ;; *) die "unknown peer '$p' (known: duckdb chdb jq)" ;; esac; done
case "$runs" in ''|*[!0-9]*|0) die "BENCH_RUNS must be a positive integer, got '$runs'" ;; esac
case "$cap" in ''|*[!0-9]*) die "BENCH_PEER_CAP must be a number of seconds, got '$cap'" ;; esac
case " $peers " in *" jq "*) command -v jq >/dev/null || die "jq is needed (apt-get install -y jq) or BENCH_PEERS=duckdb" ;; esac

bench_setup
case " $peers " in *" chdb "*)
  "$py" -c 'import chdb' 2>/dev/null || {
    say "installing chdb into the venv"
    "$py" -m pip install --quiet --disable-pip-version-check chdb || die "pip install chdb failed"
  }
  say "chdb $("$py" -c 'import chdb; print(chdb.__version__)')" ;;
esac

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

# --- start-up: one small file ------------------------------------------------------
# 20 runs of `report` on it: the best and median wall time (ms), what a CI step reporting
# one session waits for; hyperfine when installed, else timed here.
small=$out/small.tsv
: >"$small"
if [ -n "$small_file" ]; then
  [ -f "$small_file" ] || die "BENCH_SMALL_FILE $small_file does not exist"
  say "otelcost on the small file $small_file: 20 runs"
  warm "$small_file"
  if command -v hyperfine >/dev/null; then
    hyperfine --runs 20 --warmup 3 --style none --export-json "$out/small.json" \
      "$bin report $small_file" >"$out/small.hyperfine" 2>&1 || die "hyperfine failed; see $out/small.hyperfine"
    "$py" -c 'import json, sys; t = sorted(json.load(open(sys.argv[1]))["results"][0]["times"]); print("hyperfine", round(t[0] * 1e3, 1), round(t[len(t) // 2] * 1e3, 1), sep="\t")' \
      "$out/small.json" >"$small"
  else
    times=()
    for i in $(seq 1 23); do
      t0=$(now_us); "$bin" report "$small_file" >/dev/null 2>&1 || die "otelcost report $small_file failed"
      [ "$i" -gt 3 ] && times+=($(( $(now_us) - t0 )))
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{t[NR] = $1} END {printf "timed\t%.1f\t%.1f\n", t[1] / 1e3, t[int(NR / 2) + 1] / 1e3}' >"$small"
  fi
  printf '%s\t%s\n' "$small_file" "$(stat -c %s "$small_file")" >>"$small"
  say "  best $(cut -f2 "$small" | head -1) ms, median $(cut -f3 "$small" | head -1) ms"
fi

# --- summary -------------------------------------------------------------------
"$py" "$repo/benches/scale_report.py" "$results" "$out" --small "$small" \
  --data "$data" --binary "$bin" --args "${BENCH_OTELCOST_ARGS:-}" --runs "$runs" --cap "$cap" --threads "$ncpu"

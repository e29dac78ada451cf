# benches/lib.sh — what bench.sh and scale.sh share: locating shared/, the Python venv,
# generating dumps (cached), the otelcost binary and one measured run. Sourced, not run;
# the caller sets `set -euo pipefail` and $bench_name (the prefix of its messages).
#
# After `bench_setup`: $repo (the checkout, also the working directory), $data (generated
# dumps: $BENCH_DATA, default target/bench-data), $out (reports, timings, results:
# target/bench-out/$bench_name), $py, $gen, $baseline, $ncpu, $bin.

usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }
die() { printf '\n%s: ERROR: %s\n' "$bench_name" "$*" >&2; exit 1; }
say() { printf '%s: %s\n' "$bench_name" "$*" >&2; }

# Wall clock in microseconds.
now_us() {
  if [ -n "${EPOCHREALTIME:-}" ]; then local t=${EPOCHREALTIME/[.,]/}; echo "$((10#$t))"
  else echo $(( $(date +%s%N) / 1000 )); fi
}

bench_setup() {
  repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  cd "$repo"
  data=${BENCH_DATA:-$repo/target/bench-data}
  out=$repo/target/bench-out/$bench_name
  mkdir -p "$data" "$out"
  data=$(cd "$data" && pwd)

  # shared/ (for the DuckDB baseline): given, or the first one beside the repo or above it.
  # The generator is the repo's copy of shared/bench/gen_otlp.py (tests use it too).
  local shared=${BENCH_SHARED:-} dir
  if [ -z "$shared" ]; then
    dir=$(dirname "$repo")
    while :; do
      if [ -f "$dir/shared/bench/duckdb_baseline.py" ]; then shared=$dir/shared; break; fi
      [ "$dir" = / ] && break
      dir=$(dirname "$dir")
    done
  fi
  gen=$repo/benches/gen_otlp.py
  baseline=$shared/bench/duckdb_baseline.py
  if [ -z "$shared" ] || [ ! -f "$baseline" ]; then
    die "cannot find shared/bench/duckdb_baseline.py beside the repo; set BENCH_SHARED=/path/to/shared"
  fi
  say "shared material: $shared; dumps in $data"
  gen_sum=$(sha256sum "$gen" | cut -c1-16)

  if [ ! -x /usr/bin/time ] || ! /usr/bin/time -v true >/dev/null 2>&1; then
    die "GNU time is needed for peak RSS: apt-get install -y time"
  fi
  ncpu=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)

  local venv=$repo/target/bench-venv
  py=$venv/bin/python
  if [ -x "$py" ] && "$py" -c 'import duckdb, google.protobuf, opentelemetry.proto' 2>/dev/null; then
    say "reusing venv $venv"
  else
    say "creating venv $venv (opentelemetry-proto protobuf duckdb)"
    rm -rf "$venv"
    "${PYTHON:-python3}" -m venv "$venv" || die "cannot create a venv (Debian: apt-get install -y python3-venv)"
    "$py" -m pip install --quiet --disable-pip-version-check opentelemetry-proto protobuf duckdb ||
      die "pip install failed"
  fi
  say "venv: $("$py" -c 'import sys, duckdb, google.protobuf as p; print("python", sys.version.split()[0], "duckdb", duckdb.__version__, "protobuf", p.__version__)')"

  if [ -n "${OTELCOST:-}" ]; then
    bin=$OTELCOST
    [ -x "$bin" ] || die "OTELCOST=$bin is not an executable"
    say "using OTELCOST=$bin (not building)"
  else
    say "building: cargo build --release"
    cargo build --release || die "cargo build --release failed"
    bin=${CARGO_TARGET_DIR:-$repo/target}/release/otelcost
    [ -x "$bin" ] || die "no binary at $bin after the build"
  fi
}

# generate FORMAT SPANS SEED FILE: writes FILE (gen_otlp.py --format FORMAT) and
# FILE.expect.json, the exact totals put in, unless a complete one from the same generator
# and arguments is already there (FILE.stamp says which). Generation runs under `nice`;
# a lock keeps two benchmarks sharing $BENCH_DATA from writing the same file at once.
generate() {
  local fmt=$1 spans=$2 seed=$3 file=$4
  local want="gen_otlp.py sha256:$gen_sum --format $fmt --spans $spans --seed $seed"
  local lock
  exec {lock}>"$file.lock"
  flock "$lock"
  if [ -f "$file" ] && [ -f "$file.expect.json" ] && [ -f "$file.stamp" ] && [ "$(cat "$file.stamp")" = "$want" ]; then
    say "reusing $file ($(( $(stat -c %s "$file") / 1000000 )) MB)"
  else
    say "generating $file ($spans spans, $fmt, seed $seed) ..."
    rm -f "$file" "$file.expect.json" "$file.stamp"
    local t0; t0=$(now_us)
    nice -n 19 "$py" "$gen" --format "$fmt" --spans "$spans" --seed "$seed" \
      --out "$file.tmp" --expect "$file.expect.json.tmp" || die "gen_otlp.py failed for $file"
    mv "$file.tmp" "$file"; mv "$file.expect.json.tmp" "$file.expect.json"
    printf '%s\n' "$want" >"$file.stamp"
    say "  $(( $(stat -c %s "$file") / 1000000 )) MB in $(( ($(now_us) - t0) / 1000000 )) s"
  fi
  exec {lock}>&-
}

# measure TAG CAP CMD...: runs CMD once under GNU time, stdout to $out/TAG.out, stderr to
# $out/TAG.stderr. CAP > 0 kills it after CAP seconds. Sets m_us (wall), m_cpu_us
# (user + sys), m_kb (peak RSS) and m_rc (exit status; 124 when the cap was hit).
measure() {
  local tag=$1 cap=$2; shift 2
  local tv=$out/$tag.time t0
  [ "$cap" -gt 0 ] && set -- timeout --kill-after=10 "$cap" "$@"
  t0=$(now_us)
  m_rc=0
  /usr/bin/time -v -o "$tv" "$@" >"$out/$tag.out" 2>"$out/$tag.stderr" || m_rc=$?
  m_us=$(( $(now_us) - t0 ))
  # timeout exits 124 when the cap expired (137 when it had to KILL)
  if [ "$cap" -gt 0 ] && { [ "$m_rc" = 124 ] || [ "$m_rc" = 137 ]; } && [ "$m_us" -ge $((cap * 1000000)) ]; then m_rc=124; fi
  m_kb=$(awk -F': *' '/Maximum resident set size/ {print $2}' "$tv")
  m_cpu_us=$(awk -F': *' '/User time \(seconds\)|System time \(seconds\)/ {s += $2} END {printf "%d", s * 1e6}' "$tv")
  [ -n "$m_kb" ] || die "cannot read peak RSS from $tv"
}

# check_totals EXPECT TAG [--tsv]: compares $out/TAG.out (a JSON report, or with --tsv the
# rows of a peer) with EXPECT; 0 when equal, 1 when different, 2 when unusable.
check_totals() { "$py" "$repo/benches/check_totals.py" "$1" ${3:+"$3"} "$out/$2.out"; }

# Seconds (3 decimals) from microseconds.
secs() { awk -v u="$1" 'BEGIN{printf "%.3f", u/1e6}'; }

# warm FILE...: reads the files (or the files under a directory) once, so that the runs
# measure parsing and aggregation from the page cache, not the disk.
warm() { find "$@" -type f -exec cat {} + >/dev/null; }

# run_otelcost TAG FILE DUMP: one `otelcost report FILE --format json --by model_id` with
# $BENCH_OTELCOST_ARGS (word-split) added; sets m_*. Its totals must equal DUMP's expect
# file exactly, else the benchmark stops: a fast wrong answer is not a result. FILE may be
# a directory holding DUMP's records.
run_otelcost() {
  local tag=$1 file=$2 dump=$3 args rc=0
  read -r -a args <<<"${BENCH_OTELCOST_ARGS:-}"
  # --by model_id: the generator's totals are per model as emitted (dated snapshots).
  measure "$tag" 0 "$bin" report "$file" --format json --by model_id ${args[@]+"${args[@]}"}
  if [ "$m_rc" != 0 ]; then
    cat "$out/$tag.stderr" >&2
    die "otelcost report $file failed (exit $m_rc); stderr above, kept in $out/$tag.stderr"
  fi
  check_totals "$dump.expect.json" "$tag" || rc=$?
  case $rc in
    0) ;;
    1) die "otelcost's totals on $file are WRONG; report kept in $out/$tag.out" ;;
    *) die "otelcost's output on $file is not a usable JSON report; kept in $out/$tag.out" ;;
  esac
}

# run_peer PEER TAG FILE CAP: the same per-model totals from the JSON-lines FILE by a peer,
# `duckdb` or `chdb` (shared/bench/{duckdb,chdb}_baseline.py, threads = cores; m_us is its
# own query time, without Python's start-up) or `jq` (benches/genai_totals.jq); sets m_* and peer_status:
# ok (its totals equal FILE's expect file), differ (they do not: its figure is not
# comparable), capped (CAP seconds > 0 ran out first) or failed (it stopped with an error,
# e.g. out of memory). Only a warning: the peer is the yardstick, not what is measured.
run_peer() {
  local peer=$1 tag=$2 file=$3 cap=$4
  warm "$file"
  case $peer in
    duckdb) measure "$tag" "$cap" "$py" "$baseline" "$file" "$ncpu" ;;
    chdb) measure "$tag" "$cap" "$py" "$(dirname "$baseline")/chdb_baseline.py" "$file" "$ncpu" ;;
    jq) measure "$tag" "$cap" jq -nr -f "$repo/benches/genai_totals.jq" "$file" ;;
    *) die "unknown peer $peer" ;;
  esac
  if [ "$m_rc" = 124 ]; then
    peer_status=capped; say "  $peer: stopped after the cap of $cap s"; return
  elif [ "$m_rc" != 0 ]; then
    peer_status=failed
    tail -n 5 "$out/$tag.stderr" >&2
    say "WARNING: $peer failed on $file (exit $m_rc); its stderr is kept in $out/$tag.stderr"
    return
  fi
  if [ "$peer" = duckdb ] || [ "$peer" = chdb ]; then
    local query; query=$(awk -v p="$peer" '$1 == p && $2 == "seconds" {print $3}' "$out/$tag.stderr")
    [ -n "$query" ] || die "no '$peer seconds X' line in $out/$tag.stderr"
    m_us=$(awk -v s="$query" 'BEGIN{printf "%d", s * 1e6}')
  fi
  peer_status=ok
  check_totals "$file.expect.json" "$tag" --tsv ||
    { peer_status=differ; say "WARNING: $peer's totals differ from the expect file; its figure is not comparable"; }
}

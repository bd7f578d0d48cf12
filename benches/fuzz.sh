#!/usr/bin/env bash
# Issue 13 fuzzing: coverage-guided runs (cargo-fuzz / libFuzzer) of every
# target in fuzz/fuzz_targets over wangge::fuzzing, outside CI.
# Usage: bash benches/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#   FUZZ_PARALLEL=1 runs the targets side by side instead of one after another.
# The toolchain here is stable: RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its
# nightly flags (-Zsanitizer, sanitizer coverage). The first build compiles
# DuckDB's C++ again in its own target dir (20–30 min on one core).
# Findings land in fuzz/artifacts/<target>/; keep each one under
# fuzz/regressions/<target>/ (server/tests/it/fuzz_corpus.rs replays them).
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-3600}
shift || true
TARGETS=${*:-import_geojson import_csv wkb tile_path incident_body transition_body}
export CARGO_TARGET_DIR=${FUZZ_TARGET_DIR:-$HOME/.cache/wangge/fuzz-target}
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
# address sanitizer by default; FUZZ_SANITIZER=none if -Zsanitizer fails here
SAN=(--sanitizer "${FUZZ_SANITIZER:-address}")
nice -n 19 cargo fuzz build -O "${SAN[@]}"
mkdir -p fuzz/logs
run() {
  local t=$1
  mkdir -p "fuzz/corpus/$t"
  # new inputs are added to the kept corpus, minimised below
  nice -n 19 cargo fuzz run -O "${SAN[@]}" "$t" "fuzz/corpus/$t" -- \
    -max_total_time="$SECS" -jobs=1 -workers=1 -print_final_stats=1 -max_len=8192 -rss_limit_mb=3072 \
    >"fuzz/logs/$t.log" 2>&1 || echo "$t: libFuzzer stopped with a finding, see fuzz/logs/$t.log and fuzz/artifacts/$t/"
}
if [ "${FUZZ_PARALLEL:-0}" = 1 ]; then
  for t in $TARGETS; do run "$t" & done
  wait
else
  for t in $TARGETS; do run "$t"; done
fi
# minimise in place: the smallest set of inputs reaching the same features
for t in $TARGETS; do
  nice -n 19 cargo fuzz cmin -O "${SAN[@]}" "$t" "fuzz/corpus/$t" >"fuzz/logs/$t.cmin.log" 2>&1 || echo "$t: cmin failed, see fuzz/logs/$t.cmin.log"
done
du -sh fuzz/corpus
# one line per target: executions, time, coverage, features, corpus
for t in $TARGETS; do
  log="fuzz/logs/$t.log"
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  secs=$(grep -o 'stat::.*total_time\|Done [0-9]* runs in [0-9]* second' "$log" | grep -o '[0-9]* second' | grep -o '[0-9]*' | tail -1)
  last=$(grep -E '#[0-9]+.*(pulse|DONE|NEW|REDUCE)' "$log" | tail -1)
  cov=$(echo "$last" | grep -o 'cov: [0-9]*' | grep -o '[0-9]*')
  ft=$(echo "$last" | grep -o 'ft: [0-9]*' | grep -o '[0-9]*')
  crashes=$(ls "fuzz/artifacts/$t" 2>/dev/null | wc -l)
  echo "| $t | ${execs:-?} | ${secs:-?} | ${cov:-?} | ${ft:-?} | $crashes |"
done

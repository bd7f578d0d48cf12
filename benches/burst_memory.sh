#!/usr/bin/env bash
# Issue 14: what bursts of load leave in the server's resident memory (benches/RESULTS.md, soak 9). A copy of STORE is
# served by BIN; three times, 48 clients post incidents (points from POINTS, a CSV with lon/lat/category) and read the
# screen's summary and live list for 40 s while two busy loops take the cores, then the server idles 20 s. RSS is
# printed after each burst and each idle. Extra NAME=VALUE arguments go into the server's environment (for example
# MALLOC_ARENA_MAX=1).
# Usage: bash benches/burst_memory.sh BIN STORE POINTS [NAME=VALUE...]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$1 STORE=$2 POINTS=$3
shift 3
OUT=$(mktemp -d)
trap 'kill "$P" 2>/dev/null || true; rm -rf "$OUT"' EXIT
cp "$STORE" "$OUT/store.duckdb"
env "$@" "$BIN" serve --db "$OUT/store.duckdb" --addr 127.0.0.1:0 --web web 2>"$OUT/err" &
P=$!
until grep -q "serving the map at" "$OUT/err"; do sleep 0.5; done
BASE=$(grep -o "http://127.0.0.1:[0-9]*" "$OUT/err" | head -1)
rss() { echo "$(($(awk '/VmRSS/{print $2}' "/proc/$P/status") / 1024)) MB"; }
echo "start: $(rss)"
for round in 1 2 3; do
  timeout 40 sh -c 'while :; do :; done' &
  timeout 40 sh -c 'while :; do :; done' &
  python3 benches/burst_load.py "$BASE" "$POINTS" 40 48
  echo "after burst $round: $(rss)"
  sleep 20
  echo "after 20 s idle: $(rss)"
done

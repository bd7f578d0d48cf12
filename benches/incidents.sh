#!/usr/bin/env bash
# Issue 6 intake benchmark: sustained POST /api/incidents to the real server
# (DuckDB file, committed before each 201) with one event-stream subscriber.
# Usage: bash benches/incidents.sh [INCIDENTS] [CONNECTIONS...]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20000}
shift || true
CONNS=${*:-8 32}
cargo build --release -p wangge-benches --bin intake_bench
echo "| incidents | connections | credential | POST/s | p50 ms | p99 ms | max ms | acknowledged | in the store | SSE delivered | POST→SSE p50 ms | p99 ms |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
for C in $CONNS; do
for MODE in open auth; do
  W=$("${CARGO_TARGET_DIR:-target}"/release/intake_bench "$N" "$C" $([ "$MODE" = auth ] && echo auth))
  python3 - "$W" <<'PY'
import json, sys
w = json.loads(sys.argv[1])
cred = "grid worker's API token (jurisdiction checked)" if w.get('auth') else "none (open local mode)"
print(f"| {w['incidents']} | {w['connections']} | {cred} | {w['per_s']:.0f} | {w['p50_ms']:.1f} | {w['p99_ms']:.1f} | {w['max_ms']:.1f} | {w['acked']} | {w['stored']} | {w['sse_delivered']} | {w['sse_p50_ms']:.1f} | {w['sse_p99_ms']:.1f} |")
PY
done
done

# Assignment of one arriving incident to its unit at every level (goal < 1 ms):
# the demo district (real 市南区 streets, generated levels below) and a
# generated city of 50,000 90-vertex grids; each point timed alone.
cargo build --release -p wangge --bin wangge
cargo build --release -p wangge-benches --bin assign_one
GEN=$(mktemp -d)
"${CARGO_TARGET_DIR:-target}"/release/wangge gen demo --admin data/shinan/admin.geojson --out "$GEN" --split 3,3,2 --incidents 10 >/dev/null
echo
echo "| units (generated where said) | units | levels | points placed | mean µs | p50 µs | p99 µs | max µs |"
echo "|---|---|---|---|---|---|---|---|"
for W in "$("${CARGO_TARGET_DIR:-target}"/release/assign_one 300000 data/shinan/admin.geojson "$GEN/units.geojson")" "$("${CARGO_TARGET_DIR:-target}"/release/assign_one 100000 --city 50000 14)"; do
  python3 - "$W" <<'PY'
import json, sys
w = json.loads(sys.argv[1])
label = w['units_of'] if w['units_of'].startswith('generated') else 'demo: real 市南区 streets + generated communities, grids, building grids'
print(f"| {label} | {w['units']} | {w['levels']} | {w['placed']} | {w['mean_us']:.2f} | {w['p50_us']:.2f} | {w['p99_us']:.2f} | {w['max_us']:.0f} |")
PY
done
rm -rf "$GEN"

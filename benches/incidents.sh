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
echo "| incidents | connections | POST/s | p50 ms | p99 ms | max ms | acknowledged | in the store | SSE delivered | POST→SSE p50 ms | p99 ms |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for C in $CONNS; do
  W=$(./target/release/intake_bench "$N" "$C")
  python3 - "$W" <<'PY'
import json, sys
w = json.loads(sys.argv[1])
print(f"| {w['incidents']} | {w['connections']} | {w['per_s']:.0f} | {w['p50_ms']:.1f} | {w['p99_ms']:.1f} | {w['max_ms']:.1f} | {w['acked']} | {w['stored']} | {w['sse_delivered']} | {w['sse_p50_ms']:.1f} | {w['sse_p99_ms']:.1f} |")
PY
done

#!/usr/bin/env bash
# Issue 14 (read-only SQL): sandbox build time and typical query latency on the demo district,
# with the anchor (the same figure by a Rust loop over the dataset) in the same run.
# Usage: bash benches/sql.sh [RUNS]. Prints what benches/RESULTS.md shows.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-30}
cargo build --release -p wangge --bin wangge
cargo build --release -p wangge-benches --bin sql_bench
BIN="${CARGO_TARGET_DIR:-target}"/release
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
$BIN/wangge gen demo --admin data/shinan/admin.geojson --out "$T/gen" --seed 2026 >/dev/null
$BIN/wangge import --db "$T/d.duckdb" --layer units data/shinan/admin.geojson "$T/gen/units.geojson" >/dev/null
$BIN/wangge import --db "$T/d.duckdb" --layer buildings "$T/gen/buildings.geojson" >/dev/null
$BIN/wangge import --db "$T/d.duckdb" --layer cameras "$T/gen/cameras.geojson" >/dev/null
$BIN/wangge import --db "$T/d.duckdb" --layer facilities "$T/gen/facilities.geojson" >/dev/null
$BIN/wangge import --db "$T/d.duckdb" --layer incidents "$T/gen/incidents.csv" >/dev/null
$BIN/sql_bench "$T/d.duckdb" "$RUNS"

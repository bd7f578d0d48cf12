#!/usr/bin/env bash
# Time to import and index the demo district, and tiles per second (z12–z16).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${CARGO_TARGET_DIR:-target}"/release/wangge
T=$(mktemp -d)
$BIN gen demo --admin data/shinan/admin.geojson --out "$T/gen" --seed 2026 >/dev/null
s=$(date +%s.%N)
$BIN import --db "$T/d.duckdb" --layer units data/shinan/admin.geojson "$T/gen/units.geojson" >/dev/null
$BIN import --db "$T/d.duckdb" --layer buildings "$T/gen/buildings.geojson" >/dev/null
$BIN import --db "$T/d.duckdb" --layer cameras "$T/gen/cameras.geojson" >/dev/null
$BIN import --db "$T/d.duckdb" --layer facilities "$T/gen/facilities.geojson" >/dev/null
$BIN import --db "$T/d.duckdb" --layer incidents "$T/gen/incidents.csv" >/dev/null
e=$(date +%s.%N)
echo
echo "demo district import (5 layers, with integrity report): $(python3 -c "print(round($e-$s,2))") s"
"${CARGO_TARGET_DIR:-target}"/release/tile_bench "$T/d.duckdb"
rm -rf "$T"

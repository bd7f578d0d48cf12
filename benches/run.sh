#!/usr/bin/env bash
# Benchmarks with their anchors in the same run. Usage: bash benches/run.sh [POINTS] [GRIDS]
# Needs the anchors (make anchors). Prints markdown rows for benches/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
POINTS=${1:-1000000}
GRIDS=${2:-50000}
cargo build --release -p wangge-benches --bins
cargo build --release --bin wangge
OUT=benches/out
echo "| grids | vertices | points | wangge index s | wangge assign s | wangge total s | DuckDB spatial s | GeoPandas s | ratio (faster anchor / wangge total) | disagreements (DuckDB, GeoPandas) |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for DENSIFY in 0 14; do
  D=$OUT/assign-$DENSIFY
  W=$("${CARGO_TARGET_DIR:-target}"/release/assign_anchor "$D" "$GRIDS" "$POINTS" "$DENSIFY")
  A=$(python3 benches/anchors/assign.py "$D")
  python3 - "$W" "$A" <<'PY'
import json, sys
w = json.loads(sys.argv[1]); a = json.loads(sys.argv[2])
tot = w["index_s"] + w["assign_s"]
fast = min(a["duckdb_s"], a["geopandas_s"])
print(f"| {w['grids']} | {w['vertices']} | {w['points']} | {w['index_s']:.3f} | {w['assign_s']:.3f} | {tot:.3f} | {a['duckdb_s']:.3f} | {a['geopandas_s']:.3f} | {fast/tot:.1f}× | {a['diff_duckdb']}, {a['diff_geopandas']} |")
PY
done
# import + index of the demo district, and tile throughput
bash benches/demo_import.sh

#!/usr/bin/env bash
# Issue 6 heatmap benchmark with its anchors in the same run: res-8 counts for
# a random 30-day window and the most frequent category — wangge's columnar H3
# index against DuckDB SQL (precomputed cell column; and sorted by time) and
# pandas; cells computed by each side. Two sets: the real Houston incidents
# (86,309 rows as they are) and N generated incidents (labelled generated).
# Usage: bash benches/heatmap.sh [N]   (needs make anchors)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-50000000}
cargo build --release -p wangge-benches --bin heat_bench
echo "| incidents | wangge build s (exact cells at res 5–11 + sort by class and time) | h3-py res-8 cells s | wangge 30 days, 1 category ms | all categories ms | the whole span ms | DuckDB ms | DuckDB sorted by time ms | pandas ms | same counts (DuckDB, pandas) |"
echo "|---|---|---|---|---|---|---|---|---|---|"
run() {
  local label=$1 out=$2
  shift 2
  local W A
  W=$("${CARGO_TARGET_DIR:-target}"/release/heat_bench "$out" "$@")
  read -r FROM TO CAT < <(python3 -c "import json,sys; w=json.loads(sys.argv[1]); print(w['from'], w['to'], w['category'])" "$W")
  A=$(python3 benches/anchors/heatmap.py "$out" "$FROM" "$TO" "$CAT")
  python3 - "$label" "$W" "$A" <<'PY'
import json, sys
label = sys.argv[1]; w = json.loads(sys.argv[2]); a = json.loads(sys.argv[3])
print(f"| {w['incidents']} {label} | {w['build_s']:.2f} | {a['h3py_cells_s']:.2f} | {w['one_category_ms']:.3f} | {w['all_categories_ms']:.2f} | {w['year_all_ms']:.1f} | {a['duckdb_ms']:.1f} | {a['duckdb_sorted_ms']:.1f} | {a['pandas_ms']:.1f} | {a['same_as_duckdb']}, {a['same_as_pandas']} |")
PY
}
run "real (Houston 2010)" benches/out/heat-houston --houston server/tests/fixtures/houston/incidents.csv.gz
run "generated" benches/out/heat "$N"

#!/usr/bin/env bash
# Issue 6 heatmap benchmark with its anchors in the same run: N generated
# incidents (labelled generated), res-8 counts for a random 30-day window and
# one category — wangge's columnar H3 index against DuckDB SQL (precomputed
# cell column; and sorted by time) and pandas; cells computed by each side.
# Usage: bash benches/heatmap.sh [N]   (needs make anchors)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-50000000}
OUT=benches/out/heat
cargo build --release -p wangge-benches --bin heat_bench
W=$(./target/release/heat_bench $OUT "$N")
read -r FROM TO CAT < <(python3 -c "import json,sys; w=json.loads(sys.argv[1]); print(w['from'], w['to'], w['category'])" "$W")
A=$(python3 benches/anchors/heatmap.py $OUT "$FROM" "$TO" "$CAT")
echo "| incidents | wangge build s (exact cells at res 5–11 + sort by class and time) | h3-py res-8 cells s | wangge 30 days, 1 category ms | all categories ms | a whole year ms | DuckDB ms | DuckDB sorted by time ms | pandas ms | same counts (DuckDB, pandas) |"
echo "|---|---|---|---|---|---|---|---|---|---|"
python3 - "$W" "$A" <<'PY'
import json, sys
w = json.loads(sys.argv[1]); a = json.loads(sys.argv[2])
print(f"| {w['incidents']} | {w['build_s']:.1f} | {a['h3py_cells_s']:.1f} | {w['one_category_ms']:.3f} | {w['all_categories_ms']:.2f} | {w['year_all_ms']:.1f} | {a['duckdb_ms']:.1f} | {a['duckdb_sorted_ms']:.1f} | {a['pandas_ms']:.0f} | {a['same_as_duckdb']}, {a['same_as_pandas']} |")
PY

#!/usr/bin/env bash
# Issue 5 benchmarks with their anchors in the same run: the neighbour graph of
# GRIDS generated grids (6- and 90-vertex) against libpysal, and the AB-post
# matching against networkx. Usage: bash benches/adjacency.sh [GRIDS]
# Needs the anchors (make anchors). Prints markdown rows for benches/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
GRIDS=${1:-50000}
cargo build --release -p wangge-benches --bin adjacency_anchor --bin matching_bench
OUT=benches/out
echo "| grids | vertices | pairs | wangge s | libpysal fuzzy_contiguity s | libpysal Graph.build_contiguity s | ratio (faster anchor / wangge) | pair differences |"
echo "|---|---|---|---|---|---|---|---|"
for DENSIFY in 0 14; do
  D=$OUT/adj-$DENSIFY
  W=$("${CARGO_TARGET_DIR:-target}"/release/adjacency_anchor "$D" "$GRIDS" "$DENSIFY")
  A=$(python3 benches/anchors/adjacency.py "$D")
  python3 - "$W" "$A" <<'PY'
import json, sys
w = json.loads(sys.argv[1]); a = json.loads(sys.argv[2])
fast = min(a["fuzzy_s"], a["graph_contiguity_s"])
print(f"| {w['grids']} | {w['vertices']} | {w['pairs']} | {w['seconds']:.3f} | {a['fuzzy_s']:.2f} | {a['graph_contiguity_s']:.2f} | {fast/w['seconds']:.1f}× | {a['wangge_minus_fuzzy']} + {a['fuzzy_minus_wangge']} |")
PY
done
echo
bash benches/matching.sh "$GRIDS"

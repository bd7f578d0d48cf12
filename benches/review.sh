#!/usr/bin/env bash
# Issue 15 live validation with its anchor in the same run: a full validation
# (Validator::new) against the incremental one after one edit (a moved shared
# vertex, a split leaf, a reassigned building; Validator::revalidate with the
# changed ids given, and with them found by comparing the layers), on the demo
# district (`wangge gen demo` over the real 市南区 streets) and on GRIDS generated
# grids in communities of 8 × 8, and the diff (what moves) on the demo; against
# shapely 2 computing the overlaps and gaps of the same layer (benches/anchors/review.py).
# Usage: bash benches/review.sh [GRIDS] [BIN_DIR]   (BIN_DIR holds wangge and review_bench built
# with --release; needs make anchors). Prints markdown rows for benches/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
GRIDS=${1:-50000}
BIN=${2:-${CARGO_TARGET_DIR:-target}/release}
if [ -z "${2:-}" ]; then
  cargo build --release -p wangge-benches --bin review_bench
  cargo build --release --bin wangge
fi
WANGGE=$BIN/wangge
OUT=benches/out/review
mkdir -p "$OUT"
[ -f "$OUT/demo/units.geojson" ] || "$WANGGE" gen demo --admin data/shinan/admin.geojson --out "$OUT/demo" --seed 2026 >&2
echo "| data | units | buildings | full validation ms | one edit: shared vertex ms (median / max) | split leaf ms | reassigned building ms | same ids found by comparing ms (vertex) | diff ms | shapely overlaps+gaps s | overlaps, gaps (wangge / shapely) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
row() {
  local W A
  W=$("$BIN"/review_bench "$OUT" "$@")
  A=$(python3 benches/anchors/review.py "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["wkt"])' "$W")")
  python3 - "$W" "$A" <<'PY'
import json, sys
w = json.loads(sys.argv[1]); a = json.loads(sys.argv[2]); e = w["edits"]
m = lambda s: f"{s['median_ms']:.0f} / {s['max_ms']:.0f}"
d = f"{w['diff']['ms']:.0f}" if w["diff"] else "–"
print(f"| {w['set']} | {w['units']} | {w['buildings']} | {w['full']['median_ms']:.0f} | {m(e['shared_vertex']['incremental_hinted'])} | {m(e['split_leaf']['incremental_hinted'])} | {m(e['reassign_building']['incremental_hinted'])} | {m(e['shared_vertex']['incremental_detected'])} | {d} | {a['seconds']:.2f} | {w['overlaps']}, {w['gaps']} / {a['overlaps']}, {a['gaps']} |")
PY
}
row demo "$OUT/demo" data/shinan/admin.geojson
row city "$GRIDS" 4

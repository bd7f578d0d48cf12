#!/usr/bin/env bash
# Issue 4 benchmark with its anchors in the same run: view polygons of CAMERAS
# generated cameras among BUILDINGS generated buildings, wangge (2D, 2.5D)
# against shapely shadow subtraction and shapely ray casting (720 rays).
# Usage: bash benches/views.sh [BUILDINGS] [CAMERAS] [RAY_CAMERAS]
# Needs the anchors (make anchors). Prints a markdown row for benches/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-50000}
C=${2:-5000}
RAYC=${3:-500}
cargo build --release -p wangge-benches --bin view_bench
OUT=benches/out/views
W=$("${CARGO_TARGET_DIR:-target}"/release/view_bench $OUT "$B" "$C")
A=$(python3 benches/anchors/views.py $OUT "$RAYC")
echo "| buildings | cameras | wangge 2D s | wangge 2.5D s | per-unit coverage s (grids) | shapely shadow subtraction s | shapely ray casting s (720 rays) | ratio (shadow / wangge 2D) | areas vs shadow: max rel. diff, cameras > 1 % | vs rays: mean, max rel. diff |"
echo "|---|---|---|---|---|---|---|---|---|---|"
python3 - "$W" "$A" <<'PY'
import json, sys
w = json.loads(sys.argv[1]); a = json.loads(sys.argv[2])
print(f"| {w['buildings']} | {w['cameras']} | {w['2d_s']:.3f} | {w['2.5d_s']:.3f} | {w['unit_coverage_s']:.3f} ({w['units']}) | {a['shadow_s']:.2f} | {a['ray_s']:.1f} ({a['ray_cameras']} cameras, scaled) | {a['shadow_s']/w['2d_s']:.0f}× | {a['max_rel_wangge_vs_shadow']*100:.3f} %, {a['over_1pct_wangge_vs_shadow']} | {a['mean_rel_wangge_vs_ray']*100:.2f} %, {a['max_rel_wangge_vs_ray']*100:.1f} % |")
PY

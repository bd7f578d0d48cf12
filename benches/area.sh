#!/usr/bin/env bash
# Issue 14 area questions (POST /api/query/area) with their anchors in the same
# run: the demo district (`wangge gen demo` over the real 市南区 streets) and a
# generated city of 1 M buildings (`wangge gen city`, with generated cameras and
# incidents), for a 4 km² slanted polygon, a unit and the whole district; wangge's
# engine call and the request through the router in-process, against DuckDB
# spatial (RTREE index) and GeoPandas (STRtree) counting the same buildings.
# Usage: bash benches/area.sh [BIN_DIR]   (BIN_DIR holds wangge-release and area_bench
# built with --release; needs make anchors)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-${CARGO_TARGET_DIR:-target}/release}
WANGGE=$BIN/wangge-release
[ -x "$WANGGE" ] || WANGGE=$BIN/wangge
OUT=benches/out/area
mkdir -p "$OUT"
[ -f "$OUT/demo/units.geojson" ] || "$WANGGE" gen demo --admin data/shinan/admin.geojson --out "$OUT/demo" >&2
[ -f "$OUT/city/buildings.geojson" ] || "$WANGGE" gen city --out "$OUT/city" --grids 50000 --buildings 1000000 >&2
echo "| data | shape | km² | buildings | households | incidents | wangge engine ms | wangge via router ms (answer KB) | DuckDB spatial ms: centroid / majority | GeoPandas ms: centroid / majority | same buildings, households (majority rule: DuckDB, GeoPandas) | centroid rule buildings (DuckDB) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
run() {
  local set=$1
  shift
  local W
  W=$("$BIN"/area_bench "$OUT/runs" "$set" "$@")
  local files
  files=$(python3 -c "import json,sys; print(' '.join(json.loads(l)['file'] for l in sys.stdin if l.strip()))" <<<"$W")
  # shellcheck disable=SC2086
  A=$(python3 benches/anchors/area.py "$OUT/runs/$set-buildings.parquet" $files)
  python3 - "$W" "$A" <<'PY'
import json, sys
ws = [json.loads(l) for l in sys.argv[1].splitlines() if l.strip()]
an = {a["file"]: a for a in (json.loads(l) for l in sys.argv[2].splitlines() if l.strip())}
for w in ws:
    a = an[w["file"]]
    dm, gm, dc = a["duckdb_majority"], a["geopandas_majority"], a["duckdb_centroid"]
    same = lambda x: "yes" if (x["buildings"], x["households"]) == (w["buildings"], w["households"]) else f"no ({x['buildings']}, {x['households']})"
    label = f"{w['set']} ({w['total_buildings']:,} buildings)"
    rule = " (unit: by assignment)" if w["unit_rule"] else ""
    print(f"| {label} | {w['shape']}{rule} | {w['km2']:.2f} | {w['buildings']:,} | {w['households']:,} | {w['incidents']:,} | "
          f"{w['engine_ms']:.2f} | {w['http_ms']:.2f} ({w['answer_bytes'] / 1024:.0f}) | {dc['ms']:.1f} / {dm['ms']:.1f} | "
          f"{a['geopandas_centroid']['ms']:.1f} / {gm['ms']:.1f} | {same(dm)}, {same(gm)} | {dc['buildings']:,} |")
PY
}
run demo "$OUT/demo" data/shinan/admin.geojson
run city "$OUT/city"

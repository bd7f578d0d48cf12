#!/usr/bin/env bash
# Issue 17 import benchmark: N generated buildings (`wangge gen city`, labelled
# generated) imported into the store from GeoJSON, from a Shapefile (written
# from the GeoJSON by ogr2ogr, not timed) and from GeoParquet (written from the
# GeoJSON by DuckDB spatial, not timed), every validation on, beside GDAL's
# ogr2ogr (to GeoPackage) and DuckDB spatial (ST_Read, or read_parquet for
# GeoParquet, into a table of a DuckDB file: every tool writes a file) on the
# same files in the same run. Wall time and
# peak resident memory by /usr/bin/time. Debian's GDAL (3.6) has no Parquet
# driver, so ogr2ogr has no GeoParquet row.
# Usage: bash benches/import.sh [N=1000000] [BIN_DIR]  (BIN_DIR holds wangge or
# wangge-release built with --release; needs gdal-bin and make anchors)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
BIN=${2:-${CARGO_TARGET_DIR:-target}/release}
WANGGE=$BIN/wangge-release
[ -x "$WANGGE" ] || WANGGE=$BIN/wangge
OUT=benches/out/import-$N
mkdir -p "$OUT"
GRIDS=$(( N / 20 ))
[ -f "$OUT/city/buildings.geojson" ] || "$WANGGE" gen city --out "$OUT/city" --grids "$GRIDS" --buildings "$N" >"$OUT/gen.txt"
# gen city rounds the count to whole grids: the count is what it says it wrote
N=$(grep -o '[0-9]* buildings' "$OUT/gen.txt" | grep -o '[0-9]*')
mkdir -p "$OUT/shp"
[ -f "$OUT/shp/buildings.shp" ] || ogr2ogr -f "ESRI Shapefile" -lco ENCODING=UTF-8 "$OUT/shp/buildings.shp" "$OUT/city/buildings.geojson"
[ -f "$OUT/buildings.parquet" ] || python3 benches/anchors/import_read.py --to-parquet "$OUT/city/buildings.geojson" "$OUT/buildings.parquet"
# the grids the buildings are checked against, once; each wangge run starts from a copy
rm -f "$OUT/base.duckdb"
"$WANGGE" import --db "$OUT/base.duckdb" --layer units "$OUT/city/grids.geojson" >/dev/null
measure() { # label, command...
  local label=$1
  shift
  /usr/bin/time -f "%e %M" -o "$OUT/time" "$@" >"$OUT/log" 2>&1 || { cat "$OUT/log" >&2; exit 1; }
  read -r secs kb <"$OUT/time"
  python3 -c "import sys; s=float(sys.argv[2]); print(f'| {sys.argv[1]} | {s:.1f} | {int(sys.argv[4])/s:,.0f} | {int(sys.argv[3])/1024:,.0f} |')" "$label" "$secs" "$kb" "$N"
}
echo "| $N generated buildings | s | features/s | peak MB |"
echo "|---|---|---|---|"
for fmt in geojson shp parquet; do
  case $fmt in
    geojson) F=$OUT/city/buildings.geojson ;;
    shp) F=$OUT/shp/buildings.shp ;;
    parquet) F=$OUT/buildings.parquet ;;
  esac
  cp "$OUT/base.duckdb" "$OUT/run.duckdb"
  measure "wangge import ($fmt → store, validated, integrity report)" "$WANGGE" import --db "$OUT/run.duckdb" --layer buildings "$F"
  rm -f "$OUT/run.gpkg"
  if ogrinfo --formats | grep -qi parquet || [ $fmt != parquet ]; then
    measure "ogr2ogr ($fmt → GeoPackage)" ogr2ogr -f GPKG "$OUT/run.gpkg" "$F"
  else
    echo "| ogr2ogr ($fmt → GeoPackage) | not run: this GDAL has no Parquet driver | — | — |"
  fi
  rm -f "$OUT/anchor.duckdb" "$OUT/anchor.duckdb.wal"
  measure "DuckDB spatial ($fmt → table in a DuckDB file)" python3 benches/anchors/import_read.py "$F" "$OUT/anchor.duckdb"
done
rm -f "$OUT/run.duckdb" "$OUT/run.gpkg" "$OUT/anchor.duckdb"

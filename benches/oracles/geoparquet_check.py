"""Check a GeoParquet file written by `POST /api/query/area?format=geoparquet`
opens as geometry in GeoPandas and in DuckDB (spatial), with the rows and
columns expected.

    python3 benches/oracles/geoparquet_check.py FILE ROWS COL1,COL2,... GEOMETRY_TYPE

Prints one JSON line (rows, columns, geometry types, CRS, bbox) and exits 1 on
any mismatch. Run by server/tests/it/area.rs when python3 with geopandas is
available (benches/requirements.txt).
"""

import json
import os
import sys

import duckdb
import duckdb_extension_spatial
import geopandas


def main() -> int:
    path, rows, cols, gtype = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(","), sys.argv[4]
    problems = []
    gdf = geopandas.read_parquet(path)
    if len(gdf) != rows:
        problems.append(f"geopandas: {len(gdf)} rows, want {rows}")
    if gdf.geometry.name != "geometry":
        problems.append(f"geopandas: geometry column {gdf.geometry.name!r}")
    missing = [c for c in cols if c not in gdf.columns]
    if missing:
        problems.append(f"geopandas: columns {missing} missing from {list(gdf.columns)}")
    gtypes = sorted(set(gdf.geom_type)) if rows else []
    if rows and gtypes != [gtype]:
        problems.append(f"geopandas: geometry types {gtypes}, want [{gtype!r}]")
    if gdf.crs is None or gdf.crs.to_string() not in ("OGC:CRS84", "EPSG:4326"):
        problems.append(f"geopandas: crs {gdf.crs}")
    if rows and not gdf.geometry.is_valid.all():
        problems.append("geopandas: invalid geometries")
    con = duckdb.connect()
    # the spatial extension from its pip package (no download)
    con.load_extension(os.path.join(os.path.dirname(duckdb_extension_spatial.__file__), "extensions",
                                    "v" + duckdb.__version__, "spatial.duckdb_extension"))
    # DuckDB spatial reads a GeoParquet geometry column as GEOMETRY (a plain Parquet blob stays BLOB)
    types = dict((r[0], r[1]) for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [path]).fetchall())
    if not types.get("geometry", "").startswith("GEOMETRY"):
        problems.append(f"duckdb: the geometry column reads as {types.get('geometry')}, not GEOMETRY")
    q = "SELECT count(*), count(DISTINCT ST_GeometryType(geometry)) FROM read_parquet(?)"
    n, kinds = con.execute(q, [path]).fetchone()
    if n != rows:
        problems.append(f"duckdb: {n} rows, want {rows}")
    meta = con.execute("SELECT decode(value) FROM parquet_kv_metadata(?) WHERE decode(key) = 'geo'", [path]).fetchone()
    geo = json.loads(meta[0]) if meta else {}
    if geo.get("version") != "1.1.0" or geo.get("primary_column") != "geometry":
        problems.append(f"duckdb: geo metadata {geo}")
    out = {"rows": len(gdf), "columns": list(gdf.columns), "geometry_types": gtypes, "duckdb_type": types.get("geometry"), "crs": str(gdf.crs),
           "bbox": list(gdf.total_bounds) if rows else None, "duckdb_rows": n, "duckdb_kinds": kinds, "problems": problems}
    print(json.dumps(out, ensure_ascii=False))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

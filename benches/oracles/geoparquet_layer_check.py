"""Check a layer exported by `wangge export --format parquet` opens as geometry
in GeoPandas (`read_parquet`) and in DuckDB spatial with the same geometries as
the layer's GeoJSON export (`wangge export --format geojson`), feature by
feature (by `id`, shapely `equals_exact` within 1e-9 degrees), and the same ids.

    python3 benches/oracles/geoparquet_layer_check.py FILE.parquet FILE.geojson

A FILE.parquet that is a folder is read as a hive-partitioned dataset (GeoPandas
through pyarrow, DuckDB with `hive_partitioning`). Prints one JSON line and
exits 1 on any mismatch. Run by server/tests/it/export.rs when python3 has the
packages of benches/requirements.txt.
"""

import glob
import json
import os
import sys

import duckdb
import duckdb_extension_spatial
import geopandas
import pandas
import shapely


def main() -> int:
    path, gj = sys.argv[1], sys.argv[2]
    problems = []
    with open(gj, encoding="utf-8") as f:
        want = {str(ft["properties"]["id"]): shapely.geometry.shape(ft["geometry"]) for ft in json.load(f)["features"]}
    files = sorted(glob.glob(os.path.join(path, "**", "*.parquet"), recursive=True)) if os.path.isdir(path) else [path]
    gdf = pandas.concat([geopandas.read_parquet(p) for p in files], ignore_index=True)
    if gdf.crs is None or gdf.crs.to_string() not in ("OGC:CRS84", "EPSG:4326"):
        problems.append(f"geopandas: crs {gdf.crs}")
    got = {str(i): g for i, g in zip(gdf["id"], gdf.geometry)}
    if set(got) != set(want):
        problems.append(f"geopandas: ids differ ({len(got)} vs {len(want)})")
    bad = [i for i, g in got.items() if i in want and not g.equals_exact(want[i], 1e-9)]
    if bad:
        problems.append(f"geopandas: {len(bad)} geometries differ, e.g. {bad[:3]}")
    con = duckdb.connect()
    con.load_extension(os.path.join(os.path.dirname(duckdb_extension_spatial.__file__), "extensions",
                                    "v" + duckdb.__version__, "spatial.duckdb_extension"))
    src = os.path.join(path, "**", "*.parquet") if os.path.isdir(path) else path
    hive = "true" if os.path.isdir(path) else "false"
    types = dict((r[0], r[1]) for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet(?, hive_partitioning={hive})", [src]).fetchall())
    if not types.get("geometry", "").startswith("GEOMETRY"):
        problems.append(f"duckdb: the geometry column reads as {types.get('geometry')}, not GEOMETRY")
    rows = con.execute(f"SELECT CAST(id AS VARCHAR), ST_AsWKB(geometry) FROM read_parquet(?, hive_partitioning={hive})", [src]).fetchall()
    dgot = {i: shapely.from_wkb(bytes(w)) for i, w in rows}
    if set(dgot) != set(want):
        problems.append(f"duckdb: ids differ ({len(dgot)} vs {len(want)})")
    dbad = [i for i, g in dgot.items() if i in want and not g.equals_exact(want[i], 1e-9)]
    if dbad:
        problems.append(f"duckdb: {len(dbad)} geometries differ, e.g. {dbad[:3]}")
    out = {"files": len(files), "geopandas_rows": len(gdf), "duckdb_rows": len(rows), "geojson_features": len(want),
           "geometry_types": sorted(set(gdf.geom_type)), "duckdb_type": types.get("geometry"), "crs": str(gdf.crs),
           "problems": problems}
    print(json.dumps(out, ensure_ascii=False))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

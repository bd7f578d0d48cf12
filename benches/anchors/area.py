"""Anchors for the area benchmark (benches/area.sh): the buildings of one
polygon counted and summed by DuckDB spatial and by GeoPandas, over the
same buildings (the GeoParquet file area_bench writes) and the same
polygons, in the same run.

Two rules each: the footprint's centroid inside the polygon (the usual
point-in-polygon count), and more than half the footprint's area inside
(wangge's rule for a drawn polygon, so the counts must agree exactly).
DuckDB: the table in memory with an RTREE index on the footprints;
GeoPandas: the STRtree (sindex) built before timing. Best of 5 (fewer past 3 s of runs).

    python3 benches/anchors/area.py BUILDINGS.parquet SHAPE.geojson [SHAPE.geojson ...]

Prints one JSON line per shape.
"""

import json
import os
import sys
import time
import warnings

import duckdb
import duckdb_extension_spatial
import geopandas as gpd
import shapely


def best(f, n=5, budget_s=3.0):
    """Best of n runs, fewer once the runs have taken budget_s (the whole city's polygons)."""
    t, out, spent = float("inf"), None, 0.0
    for _ in range(n):
        s = time.perf_counter()
        out = f()
        d = time.perf_counter() - s
        t, spent = min(t, d), spent + d
        if spent > budget_s:
            break
    return t * 1e3, out


# areas in degrees: only their ratio is used (more than half inside), which a local affine map keeps
warnings.filterwarnings("ignore", message="Geometry is in a geographic CRS")


def main() -> None:
    parquet, shapes = sys.argv[1], sys.argv[2:]
    con = duckdb.connect()
    con.load_extension(os.path.join(os.path.dirname(duckdb_extension_spatial.__file__), "extensions",
                                    "v" + duckdb.__version__, "spatial.duckdb_extension"))
    con.execute("SET threads = 2")
    con.execute("CREATE TABLE b AS SELECT id, households, population, geometry::GEOMETRY AS geom FROM read_parquet(?)", [parquet])
    con.execute("CREATE INDEX b_rtree ON b USING RTREE (geom)")
    gdf = gpd.read_parquet(parquet)
    _ = gdf.sindex
    for path in shapes:
        with open(path) as f:
            poly = shapely.geometry.shape(json.load(f)["geometry"])
        wkt = poly.wkt

        def duck_centroid():
            return con.execute(
                "SELECT count(*), coalesce(sum(households), 0), coalesce(sum(population), 0) FROM b "
                "WHERE ST_Intersects(geom, ST_GeomFromText(?)) AND ST_Contains(ST_GeomFromText(?), ST_Centroid(geom))",
                [wkt, wkt]).fetchone()

        def duck_majority():
            return con.execute(
                "SELECT count(*), coalesce(sum(households), 0), coalesce(sum(population), 0) FROM b "
                "WHERE ST_Intersects(geom, ST_GeomFromText(?)) "
                "AND ST_Area(ST_Intersection(geom, ST_GeomFromText(?))) > 0.5 * ST_Area(geom)",
                [wkt, wkt]).fetchone()

        def gpd_centroid():
            idx = gdf.sindex.query(poly, predicate="intersects")
            sub = gdf.iloc[idx]
            sub = sub[sub.geometry.centroid.within(poly)]
            return len(sub), int(sub.households.sum()), int(sub.population.sum())

        def gpd_majority():
            idx = gdf.sindex.query(poly, predicate="intersects")
            sub = gdf.iloc[idx]
            sub = sub[sub.geometry.intersection(poly).area > 0.5 * sub.geometry.area]
            return len(sub), int(sub.households.sum()), int(sub.population.sum())

        out = {"file": path}
        for name, f in [("duckdb_centroid", duck_centroid), ("duckdb_majority", duck_majority),
                        ("geopandas_centroid", gpd_centroid), ("geopandas_majority", gpd_majority)]:
            ms, r = best(f)
            out[name] = {"ms": ms, "buildings": int(r[0]), "households": int(r[1]), "population": int(r[2])}
        print(json.dumps(out))


if __name__ == "__main__":
    main()

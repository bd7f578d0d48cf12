"""Anchors for the assignment benchmark: DuckDB spatial and GeoPandas sjoin on
the same grids and points that wangge assigned (benches/src/bin/assign_anchor.rs).

usage: python3 benches/anchors/assign.py DIR   (DIR holds grids.csv, points.csv, wangge.csv)
Prints one JSON line with the timings (best of 3) and the disagreements.
"""
import json, os, sys, time
import duckdb, duckdb_extension_spatial
import geopandas as gpd
import pandas as pd
import shapely

d = sys.argv[1]
grids = pd.read_csv(os.path.join(d, "grids.csv"), sep="\t")
pts = pd.read_csv(os.path.join(d, "points.csv"))
ours = pd.read_csv(os.path.join(d, "wangge.csv"))
ours = dict(zip(ours.pid, ours.gid))

def best(f, n=3):
    t = float("inf"); r = None
    for _ in range(n):
        s = time.perf_counter(); r = f(); t = min(t, time.perf_counter() - s)
    return t, r

# GeoPandas: polygons and points built before timing; sjoin builds its STRtree inside
gg = gpd.GeoDataFrame({"gid": grids.gid}, geometry=shapely.from_wkt(grids.wkt.values))
gp = gpd.GeoDataFrame({"pid": pts.pid}, geometry=shapely.points(pts.x.values, pts.y.values))
t_gpd, j = best(lambda: gpd.sjoin(gp, gg, predicate="within", how="inner"))
gpd_map = dict(zip(j.pid.values, j.gid.values))

ext = os.path.join(os.path.dirname(duckdb_extension_spatial.__file__), "extensions", "v" + duckdb.__version__, "spatial.duckdb_extension")
con = duckdb.connect()
con.load_extension(ext)
con.execute("SET threads = 2")
con.execute(f"CREATE TABLE g AS SELECT gid, ST_GeomFromText(wkt) AS geom FROM read_csv('{d}/grids.csv', delim='\t', header=true)")
con.execute(f"CREATE TABLE p AS SELECT pid, ST_Point(x, y) AS geom FROM read_csv('{d}/points.csv', header=true)")
def duck():
    con.execute("CREATE OR REPLACE TABLE r AS SELECT p.pid, g.gid FROM p JOIN g ON ST_Contains(g.geom, p.geom)")
    return con.execute("SELECT pid, gid FROM r").fetchall()
t_duck, rows = best(duck)
duck_map = dict(rows)

def diff(m):
    keys = set(m) | set(ours)
    return sum(1 for k in keys if m.get(k) != ours.get(k))

print(json.dumps({"duckdb_s": round(t_duck, 4), "geopandas_s": round(t_gpd, 4), "assigned_duckdb": len(duck_map),
                  "assigned_geopandas": len(gpd_map), "diff_duckdb": diff(duck_map), "diff_geopandas": diff(gpd_map),
                  "duckdb": duckdb.__version__, "geopandas": gpd.__version__, "shapely": shapely.__version__}))

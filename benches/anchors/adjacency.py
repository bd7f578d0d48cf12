"""Anchors for the adjacency benchmark (issue 5): libpysal on the grids that
wangge used (benches/src/bin/adjacency_anchor.rs writes DIR/grids.csv and
DIR/wangge_pairs.csv).

usage: python3 benches/anchors/adjacency.py DIR
Prints one JSON line: timings (best of 2) and pair-set differences.
"""
import json, os, sys, time
import geopandas as gpd
import pandas as pd
import shapely
import libpysal
from libpysal.weights import fuzzy_contiguity
from libpysal.graph import Graph

d = sys.argv[1]
grids = pd.read_csv(os.path.join(d, "grids.csv"), sep="\t")
ours = pd.read_csv(os.path.join(d, "wangge_pairs.csv"))
ours = set(zip(ours.a, ours.b))
# the grids are lon/lat near 36° N: project to UTM 51N so the 2 m tolerance is in metres
gdf = gpd.GeoDataFrame({"gid": grids.gid}, geometry=shapely.from_wkt(grids.wkt.values), crs=4326).to_crs(32651)

def best(f, n=2):
    t = float("inf"); r = None
    for _ in range(n):
        s = time.perf_counter(); r = f(); t = min(t, time.perf_counter() - s)
    return t, r

def pairs_w(w):
    return {(min(i, j), max(i, j)) for i, ns in w.neighbors.items() for j in ns}

t_fuzzy, w = best(lambda: fuzzy_contiguity(gdf, tolerance=0.0, buffering=True, buffer=1.0, silence_warnings=True))
fuzzy = pairs_w(w)
t_graph, g = best(lambda: Graph.build_contiguity(gdf, rook=False))
adj = g.adjacency.reset_index()
graph = {(min(i, j), max(i, j)) for i, j, v in zip(adj.iloc[:, 0], adj.iloc[:, 1], adj.iloc[:, 2]) if v and i != j}
print(json.dumps({"fuzzy_s": round(t_fuzzy, 3), "graph_contiguity_s": round(t_graph, 3), "pairs_fuzzy": len(fuzzy), "pairs_graph": len(graph),
                  "pairs_wangge": len(ours), "wangge_minus_fuzzy": len(ours - fuzzy), "fuzzy_minus_wangge": len(fuzzy - ours),
                  "libpysal": libpysal.__version__}))

"""Anchors for the heatmap benchmark (issue 6) on the incidents that
benches/src/bin/heat_bench.rs wrote (raw little-endian columns): H3 res-8
cells computed with h3-py (timed), then the same query — counts per cell for
a 30-day window and one category — with DuckDB SQL (GROUP BY on the
precomputed cell column; also on a copy sorted by time) and with pandas.
Counts are compared with wangge's.

usage: python3 benches/anchors/heatmap.py DIR FROM TO CATEGORY
Prints one JSON line.
"""
import json, os, sys, time
import numpy as np
import pandas as pd
import duckdb
import h3

d, t_from, t_to, cat = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
lon = np.fromfile(os.path.join(d, "lon.f64"), dtype="<f8")
lat = np.fromfile(os.path.join(d, "lat.f64"), dtype="<f8")
t = np.fromfile(os.path.join(d, "t.i64"), dtype="<i8")
c = np.fromfile(os.path.join(d, "cat.u8"), dtype="u1")
s = time.perf_counter()
cells = np.fromiter((h3.str_to_int(h3.latlng_to_cell(a, b, 8)) for a, b in zip(lat.tolist(), lon.tolist())), dtype=np.uint64, count=len(t))
cells_s = time.perf_counter() - s
df = pd.DataFrame({"t": t, "cat": c, "cell": cells})


def best(f, n):
    b = float("inf"); r = None
    for _ in range(n):
        s = time.perf_counter(); r = f(); b = min(b, time.perf_counter() - s)
    return b, r


con = duckdb.connect()
con.execute("SET threads TO 2")
con.register("df", df)
con.execute("CREATE TABLE inc AS SELECT * FROM df")
con.execute("CREATE TABLE inc_sorted AS SELECT * FROM df ORDER BY t")
q = "SELECT cell, count(*) AS n FROM {} WHERE t >= ? AND t < ? AND cat = ? GROUP BY cell"
duck_s, r1 = best(lambda: con.execute(q.format("inc"), [t_from, t_to, cat]).fetchall(), 5)
sorted_s, _ = best(lambda: con.execute(q.format("inc_sorted"), [t_from, t_to, cat]).fetchall(), 5)
pandas_s, r2 = best(lambda: df[(df.t >= t_from) & (df.t < t_to) & (df.cat == cat)].groupby("cell").size(), 3)
ours = pd.read_csv(os.path.join(d, "wangge_counts.csv"))
ours = dict(zip(ours.cell, ours["count"]))
theirs = {h3.int_to_str(int(k)): int(v) for k, v in r1}
pand = {h3.int_to_str(int(k)): int(v) for k, v in r2.items()}
print(json.dumps({
    "incidents": len(t), "h3py_cells_s": round(cells_s, 2),
    "duckdb_ms": round(duck_s * 1000, 2), "duckdb_sorted_ms": round(sorted_s * 1000, 2), "pandas_ms": round(pandas_s * 1000, 1),
    "cells": len(theirs), "same_as_duckdb": ours == theirs, "same_as_pandas": ours == pand,
    "duckdb": duckdb.__version__, "h3": h3.__version__,
}))

"""Anchors for the issue 16 benchmark: the multi-source search of walking distances
with scipy.sparse.csgraph and networkx on the very graph wangge built (written by
benches/src/bin/service_bench.rs: edges.bin, seeds_K.bin, node_m_K.bin).

Each facility becomes a node joined to both ends of its edge (access + along, access +
rest), so the search from the facility nodes gives every street node its distance to
the nearest facility — the same numbers as wangge's search, which are checked here
(max difference printed). scipy: dijkstra(indices=sources, min_only=True, directed=False);
networkx: multi_source_dijkstra_path_length. Graph construction is not timed.

usage: python3 benches/anchors/service.py OUT_DIR NODES KINDS   → one JSON line
"""
import json, statistics, sys, time

import networkx as nx
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

out, n, kinds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
E = np.fromfile(f"{out}/edges.bin", dtype=[("u", "<u4"), ("v", "<u4"), ("w", "<f8")])
res = {"scipy_per_kind_s": [], "networkx_per_kind_s": [], "max_diff_scipy_m": 0.0, "max_diff_networkx_m": 0.0, "edges": int(len(E))}
for k in range(kinds):
    S = np.fromfile(f"{out}/seeds_{k}.bin", dtype=[("u", "<u4"), ("du", "<f8"), ("v", "<u4"), ("dv", "<f8")])
    want = np.fromfile(f"{out}/node_m_{k}.bin", dtype="<f8")
    f = len(S)
    fid = np.arange(n, n + f, dtype=np.int64)
    rows = np.concatenate([E["u"].astype(np.int64), fid, fid])
    cols = np.concatenate([E["v"].astype(np.int64), S["u"].astype(np.int64), S["v"].astype(np.int64)])
    w = np.concatenate([E["w"], S["du"], S["dv"]])
    g = coo_matrix((w, (rows, cols)), shape=(n + f, n + f)).tocsr()
    assert g.nnz == len(w), "duplicate edges would be summed"
    times = []
    for _ in range(5):
        t = time.perf_counter()
        d = dijkstra(g, directed=False, indices=fid, min_only=True)
        times.append(time.perf_counter() - t)
    res["scipy_per_kind_s"].append(statistics.median(times))
    d = d[:n]
    fin = np.isfinite(want)
    assert np.array_equal(fin, np.isfinite(d)), "reached nodes differ (scipy)"
    res["max_diff_scipy_m"] = max(res["max_diff_scipy_m"], float(np.max(np.abs(d[fin] - want[fin]))) if fin.any() else 0.0)
    G = nx.Graph()
    G.add_weighted_edges_from(zip(E["u"].tolist(), E["v"].tolist(), E["w"].tolist()))
    G.add_weighted_edges_from(zip(fid.tolist(), S["u"].tolist(), S["du"].tolist()))
    G.add_weighted_edges_from(zip(fid.tolist(), S["v"].tolist(), S["dv"].tolist()))
    t = time.perf_counter()
    dn = nx.multi_source_dijkstra_path_length(G, set(fid.tolist()))
    res["networkx_per_kind_s"].append(time.perf_counter() - t)
    got = np.array([dn.get(i, np.inf) for i in range(n)])
    assert np.array_equal(fin, np.isfinite(got)), "reached nodes differ (networkx)"
    res["max_diff_networkx_m"] = max(res["max_diff_networkx_m"], float(np.max(np.abs(got[fin] - want[fin]))) if fin.any() else 0.0)
res["scipy_3_kinds_s"] = sum(res["scipy_per_kind_s"])
res["networkx_3_kinds_s"] = sum(res["networkx_per_kind_s"])
print(json.dumps(res))

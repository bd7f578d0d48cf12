"""Anchor for the AB-post matching benchmark (issue 5): networkx
max_weight_matching (maxcardinality=True) on the same candidate edges that
benches/src/bin/matching_bench.rs wrote, one connected component at a time
(within each parent, as wangge pairs by default).

usage: python3 benches/anchors/matching.py DIR
Prints one JSON line: seconds, pairs and total weight.
"""
import csv, json, os, sys, time
import networkx as nx

d = sys.argv[1]
g = nx.Graph()
with open(os.path.join(d, "edges.csv")) as f:
    for r in csv.DictReader(f):
        if r["pa"] == r["pb"]:
            g.add_edge(int(r["a"]), int(r["b"]), weight=int(r["weight"]))
t = time.perf_counter()
pairs = 0
weight = 0
for comp in nx.connected_components(g):
    sub = g.subgraph(comp)
    m = nx.max_weight_matching(sub, maxcardinality=True)
    pairs += len(m)
    weight += sum(sub[a][b]["weight"] for a, b in m)
s = time.perf_counter() - t
print(json.dumps({"seconds": round(s, 3), "pairs": pairs, "weight": weight, "networkx": nx.__version__}))

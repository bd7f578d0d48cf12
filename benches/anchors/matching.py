"""Anchor for the AB-post matching benchmark (issue 5, and across parents
issue 15 part 9): networkx max_weight_matching (maxcardinality=True) on the
same candidate edges that benches/src/bin/matching_bench.rs wrote.

usage: python3 benches/anchors/matching.py DIR within|across
  within: only edges inside a parent, one connected component at a time (as
          wangge pairs by default);
  across: every edge, the whole graph (one component on the generated grids).
Prints one JSON line: seconds, pairs and total weight.
"""
import csv, json, os, sys, time
import networkx as nx

d, mode = sys.argv[1], sys.argv[2]
if mode not in ("within", "across"):
    sys.exit("mode must be within or across")
g = nx.Graph()
with open(os.path.join(d, "edges.csv")) as f:
    for r in csv.DictReader(f):
        if mode == "across" or r["pa"] == r["pb"]:
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
print(json.dumps({"seconds": round(s, 3), "pairs": pairs, "weight": weight, "components": nx.number_connected_components(g), "networkx": nx.__version__}))

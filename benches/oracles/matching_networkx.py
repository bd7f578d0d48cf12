"""Oracle for the AB-post matching (issue 5): random graphs and networkx's
max_weight_matching on them, written as a fixture for engine/tests/it/matching.rs.

usage: python3 benches/oracles/matching_networkx.py engine/tests/fixtures/matching_networkx.json
(networkx 3.6.1; deterministic: random.Random(2026)).
"""
import json, random, sys
import networkx as nx

rng = random.Random(2026)
cases = []
for case in range(120):
    n = rng.choice([5, 10, 20, 40, 80])
    kind = rng.choice(["sparse", "dense", "geometric"])
    g = nx.Graph()
    g.add_nodes_from(range(n))
    if kind == "geometric":
        # grid-like: points in the unit square, edges to near points (planar-ish like grids)
        pts = [(rng.random(), rng.random()) for _ in range(n)]
        r = 1.6 / n ** 0.5
        for i in range(n):
            for j in range(i + 1, n):
                if (pts[i][0] - pts[j][0]) ** 2 + (pts[i][1] - pts[j][1]) ** 2 < r * r:
                    g.add_edge(i, j, weight=rng.randint(1, 1000))
    else:
        p = 3.0 / n if kind == "sparse" else 0.4
        for i in range(n):
            for j in range(i + 1, n):
                if rng.random() < p:
                    g.add_edge(i, j, weight=rng.randint(1, 30 if case % 2 else 100000))
    edges = [[a, b, d["weight"]] for a, b, d in g.edges(data=True)]
    out = {"n": n, "kind": kind, "edges": edges}
    for mc in (False, True):
        m = nx.max_weight_matching(g, maxcardinality=mc)
        out["weight_max_cardinality" if mc else "weight"] = sum(g[a][b]["weight"] for a, b in m)
        out["pairs_max_cardinality" if mc else "pairs"] = len(m)
    cases.append(out)
json.dump({"generator": "benches/oracles/matching_networkx.py", "networkx": nx.__version__, "cases": cases}, open(sys.argv[1], "w"))
print(len(cases), "cases")

"""Oracle for service life circles (issue 16): walking distances with networkx.

An independent, plain reimplementation of the rules in engine/src/service/:
- projection: wangge's local metric projection (equirectangular on WGS84, radii of
  curvature at the centre of the lines' bounding box);
- network: every line vertex, in input order, joins the nearest earlier representative
  within snap_m (lowest index on ties) or becomes one; a representative is a node when it
  ends a line or occurs more than once; lines are split at nodes; consecutive repeats dropped;
- attachment: brute force over every segment (numpy), nearest point, first minimum;
- the graph split at every attachment point, access legs as pendant edges (a MultiGraph,
  so parallel streets stay), and networkx.multi_source_dijkstra from the facilities.

Writes engine/tests/fixtures/service/<case>.json: the points, per kind the expected
nearest facility (with the facilities attached at the very same spot: ties) and
distance (null when unreachable), the island flags and the graph's counts. The
generated cases (labelled generated) hold their lines; the Helsinki case reads
server/tests/fixtures/helsinki (© OpenStreetMap contributors, ODbL 1.0).

usage: python3 benches/oracles/service_networkx.py engine/tests/fixtures/service
needs: networkx, numpy, shapely (benches/requirements.txt)
"""
import json, math, os, random, sys

import networkx as nx
import numpy as np
import shapely
from shapely.geometry import shape

A = 6378137.0
F = 1.0 / 298.257223563


class Projection:
    def __init__(self, lon0, lat0):
        e2 = F * (2.0 - F)
        phi = math.radians(lat0)
        s = math.sin(phi)
        w = math.sqrt(1.0 - e2 * s * s)
        n = A / w
        m = A * (1.0 - e2) / (w * w * w)
        self.lon0, self.lat0 = lon0, lat0
        self.kx = n * math.cos(phi) * math.pi / 180.0
        self.ky = m * math.pi / 180.0

    def project(self, c):
        return ((c[0] - self.lon0) * self.kx, (c[1] - self.lat0) * self.ky)

    def unproject(self, c):
        return (c[0] / self.kx + self.lon0, c[1] / self.ky + self.lat0)


def build(lines, snap):
    xs = [c[0] for l in lines for c in l]
    ys = [c[1] for l in lines for c in l]
    proj = Projection(min(xs) + (max(xs) - min(xs)) / 2, min(ys) + (max(ys) - min(ys)) / 2)
    reps, grid, seqs = [], {}, []
    for l in lines:
        seq = []
        for c in l:
            p = proj.project(c)
            cx, cy = math.floor(p[0] / snap), math.floor(p[1] / snap)
            best = None
            for dx in (-1, 0, 1):
                for dy in (-1, 0, 1):
                    for r in grid.get((cx + dx, cy + dy), []):
                        d = math.hypot(reps[r][0] - p[0], reps[r][1] - p[1])
                        if d <= snap and (best is None or d < best[0] or (d == best[0] and r < best[1])):
                            best = (d, r)
            if best is None:
                r = len(reps)
                reps.append(p)
                grid.setdefault((cx, cy), []).append(r)
            else:
                r = best[1]
            if not seq or seq[-1] != r:
                seq.append(r)
        if len(seq) >= 2:
            seqs.append(seq)
    uses = [0] * len(reps)
    end = [False] * len(reps)
    for s in seqs:
        for r in s:
            uses[r] += 1
        end[s[0]] = end[s[-1]] = True
    node = {r: None for r in range(len(reps))}
    n = 0
    for r in range(len(reps)):
        if end[r] or uses[r] >= 2:
            node[r] = n
            n += 1
    edges = []  # (from, to, [coords])
    for s in seqs:
        start = 0
        for i in range(1, len(s)):
            if node[s[i]] is not None:
                edges.append((node[s[start]], node[s[i]], [reps[r] for r in s[start:i + 1]]))
                start = i
    return proj, n, edges


def attach_all(edges, points):
    """Nearest point of the nearest segment (first minimum over edges in order)."""
    seg_e, ax, ay, bx, by, cum0 = [], [], [], [], [], []
    for k, (_, _, g) in enumerate(edges):
        acc = 0.0
        for a, b in zip(g, g[1:]):
            seg_e.append(k); ax.append(a[0]); ay.append(a[1]); bx.append(b[0]); by.append(b[1]); cum0.append(acc)
            acc += math.hypot(b[0] - a[0], b[1] - a[1])
    seg_e = np.array(seg_e); ax = np.array(ax); ay = np.array(ay); bx = np.array(bx); by = np.array(by); cum0 = np.array(cum0)
    dx, dy = bx - ax, by - ay
    l2 = dx * dx + dy * dy
    out = []
    for (px, py) in points:
        t = np.where(l2 > 0, ((px - ax) * dx + (py - ay) * dy) / np.where(l2 > 0, l2, 1), 0.0).clip(0, 1)
        qx, qy = ax + t * dx, ay + t * dy
        d = np.hypot(px - qx, py - qy)
        i = int(np.argmin(d))
        # a tie: another segment as near whose nearest point lies elsewhere
        near = np.nonzero(d <= d[i] + 1e-7)[0]
        tie = bool(any(math.hypot(qx[j] - qx[i], qy[j] - qy[i]) > 1e-6 for j in near))
        along = cum0[i] + t[i] * math.sqrt(l2[i])
        out.append((int(seg_e[i]), float(along), float(d[i]), tie))
    return out


def edge_length(g):
    return sum(math.hypot(b[0] - a[0], b[1] - a[1]) for a, b in zip(g, g[1:]))


def solve(n, edges, batt, fatt):
    """networkx multi-source Dijkstra on the split graph."""
    G = nx.MultiGraph()
    G.add_nodes_from(range(n))
    cuts = {}
    for i, (e, s, a, _) in enumerate(batt):
        cuts.setdefault(e, []).append((s, ("b", i), a))
    for j, (e, s, a, _) in enumerate(fatt):
        cuts.setdefault(e, []).append((s, ("f", j), a))
    for k, (u, v, g) in enumerate(edges):
        L = edge_length(g)
        pts = sorted(cuts.get(k, []), key=lambda x: x[0])
        prev, prev_s = u, 0.0
        for s, who, a in pts:
            snap = ("s", who)
            G.add_edge(prev, snap, weight=min(max(s, 0.0), L) - prev_s)
            G.add_edge(snap, who, weight=a)
            prev, prev_s = snap, min(max(s, 0.0), L)
        G.add_edge(prev, v, weight=L - prev_s)
    sources = [("f", j) for j in range(len(fatt))]
    if not sources:
        return [None] * len(batt)
    dist, path = nx.multi_source_dijkstra(G, sources, weight="weight")
    res = []
    for i in range(len(batt)):
        b = ("b", i)
        res.append((path[b][0][1], dist[b]) if b in dist else None)
    return res


def components(n, edges):
    G = nx.Graph()
    G.add_nodes_from(range(n))
    G.add_edges_from((u, v) for u, v, _ in edges)
    comp = {}
    for c, nodes in enumerate(nx.connected_components(G)):
        for x in nodes:
            comp[x] = c
    return comp, nx.number_connected_components(G)


def case(name, lines, buildings, kinds, snap, out, roads_file=None, extra=None):
    proj, n, edges = build(lines, snap)
    comp, ncomp = components(n, edges)
    bm = [proj.project(p) for p in buildings]
    batt = attach_all(edges, bm)
    doc = {"name": name, "generated": roads_file is None, "command": "python3 benches/oracles/service_networkx.py engine/tests/fixtures/service",
           "snap_m": snap, "graph": {"nodes": n, "edges": len(edges), "components": ncomp},
           "buildings": [[round(x, 9) for x in p] for p in buildings], "building_tie": [a[3] for a in batt], "kinds": []}
    if roads_file:
        doc["roads"] = roads_file
    else:
        doc["lines"] = [[[round(x, 9) for x in c] for c in l] for l in lines]
    if extra:
        doc.update(extra)
    for kind, facs in kinds:
        fm = [proj.project(p) for p in facs]
        fatt = attach_all(edges, fm)
        res = solve(n, edges, batt, fatt)
        served = {comp[edges[e][0]] for (e, _, _, _) in fatt}
        expected = []
        for i, r in enumerate(res):
            if r is None:
                expected.append(None)
                continue
            f, d = r
            same = [j for j, fa in enumerate(fatt) if fa[0] == fatt[f][0] and abs(fa[1] - fatt[f][1]) < 1e-9 and abs(fa[2] - fatt[f][2]) < 1e-9]
            expected.append([same, round(d, 6)])
        doc["kinds"].append({"kind": kind, "facilities": [[round(x, 9) for x in p] for p in facs], "facility_tie": [a[3] for a in fatt],
                             "expected": expected, "island": [comp[edges[a[0]][0]] not in served for a in batt]})
    with open(os.path.join(out, name + ".json"), "w") as fh:
        json.dump(doc, fh, separators=(",", ":"))
    reached = sum(e is not None for k in doc["kinds"] for e in k["expected"])
    print(f"{name}: {n} nodes, {len(edges)} edges, {ncomp} components, {len(buildings)} buildings, {reached} reached")


def r9(p):
    return (round(p[0], 9), round(p[1], 9))


def generated(seed, out):
    """A perturbed street grid with dangling spurs, bridges (crossings without a shared
    vertex), an island, near-miss ends within the snap, zero-length lines and bends."""
    rng = random.Random(seed)
    lon0, lat0 = 120.38, 36.06
    proj = Projection(lon0, lat0)
    ll = lambda x, y: r9(proj.unproject((x, y)))
    nx_, ny_, step = 14, 12, 80.0
    jit = {(i, j): (i * step + rng.uniform(-8, 8), j * step + rng.uniform(-8, 8)) for i in range(nx_) for j in range(ny_)}
    lines = []
    for j in range(ny_):  # east-west streets, some in pieces, some with bends
        row = [jit[(i, j)] for i in range(nx_)]
        cut = rng.randrange(2, nx_ - 2)
        for part in (row[:cut + 1], row[cut:]):
            pts = []
            for a, b in zip(part, part[1:]):
                pts.append(a)
                if rng.random() < 0.3:
                    pts.append(((a[0] + b[0]) / 2 + rng.uniform(-5, 5), (a[1] + b[1]) / 2 + rng.uniform(-5, 5)))
            pts.append(part[-1])
            lines.append(pts)
    for i in range(nx_):  # north-south streets, some ends missing the grid vertex by < snap
        col = [jit[(i, j)] for j in range(ny_)]
        col = [(x + rng.uniform(-0.4, 0.4), y + rng.uniform(-0.4, 0.4)) if rng.random() < 0.2 else (x, y) for x, y in col]
        if rng.random() < 0.3:
            k = rng.randrange(1, ny_ - 1)  # a gap: the street stops and restarts
            lines.append(col[:k]); lines.append(col[k + 1:])
        else:
            lines.append(col)
    for _ in range(12):  # dangling spurs
        x, y = jit[(rng.randrange(nx_), rng.randrange(ny_))]
        lines.append([(x, y), (x + rng.uniform(-40, 40), y + rng.uniform(-40, 40))])
    for _ in range(3):  # bridges: long diagonals crossing streets without a shared vertex
        a = (rng.uniform(0, nx_ * step), -30.0)
        b = (rng.uniform(0, nx_ * step), ny_ * step + 30.0)
        lines.append([a, ((a[0] + b[0]) / 2 + 3.3, (a[1] + b[1]) / 2 + 1.7), b])
    lines.append([(50.0, 50.0), (50.0, 50.0)])  # zero length
    ox = nx_ * step + 600.0  # an island: a small square block far east
    lines.append([(ox, 0.0), (ox + 100, 0.0), (ox + 100, 100.0), (ox, 100.0), (ox, 0.0)])
    lines.append([(ox + 100, 100.0), (ox + 200, 150.0)])
    lonlat = [[ll(x, y) for x, y in l] for l in lines]
    # buildings: random, a few exactly on vertices; some by the island
    pts = [(rng.uniform(-50, nx_ * step + 50), rng.uniform(-50, ny_ * step + 50)) for _ in range(900)]
    pts += [jit[(rng.randrange(nx_), rng.randrange(ny_))] for _ in range(20)]
    pts += [(ox + rng.uniform(-20, 220), rng.uniform(-20, 170)) for _ in range(40)]
    buildings = [ll(x, y) for x, y in pts]
    kinds = []
    for kind, count, island in (("clinic", 6, False), ("station", 25, True), ("canteen", 1, False)):
        f = [(rng.uniform(0, nx_ * step), rng.uniform(0, ny_ * step)) for _ in range(count)]
        if island:
            f.append((ox + 50.0, 110.0))
        kinds.append((kind, [ll(x, y) for x, y in f]))
    case(f"generated_{seed}", lonlat, buildings, kinds, 1.0, out)


def helsinki(out):
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "server", "tests", "fixtures", "helsinki")
    roads = json.load(open(os.path.join(src, "roads.geojson")))["features"]
    lines = [[tuple(c) for c in f["geometry"]["coordinates"]] for f in roads if f["geometry"]["type"] == "LineString"]
    bfeat = json.load(open(os.path.join(src, "buildings.geojson")))["features"]
    buildings, centroid = [], []
    for f in bfeat:
        g = shape(f["geometry"])
        c = g.centroid
        inside = g.contains(c)
        p = c if inside else g.representative_point()
        buildings.append(r9((p.x, p.y)))
        centroid.append(inside)
    facs = json.load(open(os.path.join(src, "facilities.geojson")))["features"]
    kinds = []
    for cat in ("health", "education", "food"):
        kinds.append((cat, [r9(tuple(f["geometry"]["coordinates"])) for f in facs if f["properties"]["category"] == cat]))
    case("helsinki", lines, buildings, kinds, 1.0, out, roads_file="server/tests/fixtures/helsinki/roads.geojson",
         extra={"building_ids": [f["properties"]["id"] for f in bfeat], "centroid": centroid})


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "engine/tests/fixtures/service"
    os.makedirs(out, exist_ok=True)
    helsinki(out)
    for seed in (1, 2, 3):
        generated(seed, out)

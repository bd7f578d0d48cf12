"""Oracle for camera coverage (issue 4): an independent shapely/pyproj
computation on the real Helsinki OSM buildings and cameras
(server/tests/fixtures/helsinki, © OpenStreetMap contributors, ODbL 1.0)
with generated units (a 3 × 3 grid over them, labelled generated).

Cameras: domes, range 40 m, height 4 m (as imported with --default). A
building's height is `height`, else levels × 3 m, else unknown (a wall of
unlimited height). Views (2.5D): the range disk minus, for each building in
range, its shadow — walls (unknown or ≥ camera height): the region behind it
beyond the range; lower buildings: the footprint swept from 1 to H/(H − h)
about the camera; a camera inside a footprint stands on that roof (its
height added) and its own building casts a shadow. Footprints are never
ground. Facades seen: the length of each building's boundary within 1 mm of
a 2D view (every building a wall) of a camera not standing on it; a building
with less than 1 m seen counts as unseen. In UTM 35N.

usage: python3 benches/oracles/coverage_helsinki.py server/tests/fixtures/coverage
Writes units.geojson and expected.json there.
"""
import json, math, os, sys, warnings
import numpy as np
import shapely
from shapely import Point, Polygon, MultiPolygon, box
from shapely.ops import transform
import pyproj

warnings.filterwarnings("ignore", category=DeprecationWarning)
out = sys.argv[1]
src = os.path.join(os.path.dirname(out.rstrip("/")), "helsinki")
B = json.load(open(os.path.join(src, "buildings.geojson")))["features"]
C = json.load(open(os.path.join(src, "cameras.geojson")))["features"]
to_m = pyproj.Transformer.from_crs(4326, 32635, always_xy=True).transform

# generated units: the district box and a 3 × 3 grid of grids
x0, x1, y0, y1 = 24.9345, 24.9540, 60.1637, 60.1795
units = [{"id": "HEL", "parent_id": None, "level": "district", "name": "Helsinki test box (generated)", "geom": box(x0, y0, x1, y1)}]
for j in range(3):
    for i in range(3):
        g = box(x0 + (x1 - x0) * i / 3, y0 + (y1 - y0) * j / 3, x0 + (x1 - x0) * (i + 1) / 3, y0 + (y1 - y0) * (j + 1) / 3)
        units.append({"id": f"HEL-{j}{i}", "parent_id": "HEL", "level": "grid", "name": f"grid {j}-{i} (generated)", "geom": g})
json.dump({"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"id": u["id"], "parent_id": u["parent_id"], "level": u["level"], "name": u["name"], "generated": True},
     "geometry": shapely.geometry.mapping(u["geom"])} for u in units]}, open(os.path.join(out, "units.geojson"), "w"))


def height(p):
    if p.get("height") is not None:
        return float(p["height"])
    if p.get("levels") is not None:
        return float(p["levels"]) * 3.0
    return None


fps = [transform(to_m, shapely.geometry.shape(f["geometry"])) for f in B]
hs = [height(f["properties"]) for f in B]
hh = [f["properties"].get("households") for f in B]
cams = [transform(to_m, Point(f["geometry"]["coordinates"])) for f in C]
R, HC = 40.0, 4.0
tree = shapely.STRtree(fps)


def disk(c):
    return Polygon([(c.x + R * math.cos(t), c.y + R * math.sin(t)) for t in np.linspace(0, 2 * math.pi, 361)])


def swept(c, g, f):
    """Union of g scaled about c by every factor in [1, f] (f = inf: beyond the range):
    the footprint, its scaled copy (holes included) and the quadrilaterals every ring edge sweeps."""
    # one factor for every vertex (a homothety): f, capped where f·|x| passes 4 R for the nearest boundary point
    k = max(1.0, min(f, 4 * R / max(g.boundary.distance(c), 0.05)))
    def far(q):
        return (c.x + (q[0] - c.x) * k, c.y + (q[1] - c.y) * k)
    parts = []
    for p in getattr(g, "geoms", [g]):
        rings = [list(p.exterior.coords)] + [list(r.coords) for r in p.interiors]
        parts.append(p)
        parts.append(Polygon([far(q) for q in rings[0]], [[far(q) for q in r] for r in rings[1:]]).buffer(0))
        for ring in rings:
            for a, b in zip(ring, ring[1:]):
                q = Polygon([a, b, far(b), far(a)])
                if q.area > 1e-9:
                    parts.append(q if q.is_valid else q.buffer(0))
    return shapely.union_all(parts)


def view(c, walls_only):
    near = tree.query(c.buffer(R))
    own = [i for i in near if fps[i].covers(c)]
    roof = max([hs[i] or 0.0 for i in own], default=0.0)
    H = roof + HC if own else HC
    hidden = []
    for i in near:
        h = hs[i]
        if walls_only:
            hidden.append(fps[i] if i in own else swept(c, fps[i], math.inf))
            continue
        tall = h is None or h >= H - 1e-9
        if i in own:
            hidden.append(fps[i] if tall else swept(c, fps[i], H / (H - h)))
        else:
            hidden.append(swept(c, fps[i], math.inf if tall else H / (H - h)))
    v = disk(c)
    if hidden:
        v = v.difference(shapely.union_all(hidden))
    return v


views = [view(c, False) for c in cams]
views2d = [view(c, True) for c in cams]
seen_all = shapely.union_all(views)
vt = shapely.STRtree(views2d)
facade_seen = []
for i, g in enumerate(fps):
    # a camera on this building's roof does not see its own facades
    idx = [k for k in vt.query(g.buffer(0.01)) if not g.covers(cams[k])]
    if len(idx) == 0:
        facade_seen.append(0.0)
        continue
    u = shapely.union_all([views2d[k] for k in idx]).buffer(0.001)
    facade_seen.append(g.boundary.intersection(u).length)
all_fp = shapely.union_all(fps)
grids_m = [(u["id"], transform(to_m, u["geom"])) for u in units if u["parent_id"] is not None]
best_grid = []
for g in fps:
    shares = [(g.intersection(gm).area, gid) for gid, gm in grids_m]
    a, gid = max(shares)
    best_grid.append(gid if a > 0 else None)
expected = {"generator": "benches/oracles/coverage_helsinki.py", "shapely": shapely.__version__, "units": {}}
for u in units:
    um = transform(to_m, u["geom"])
    ground = um.difference(all_fp)
    covered = ground.intersection(seen_all).area
    # buildings in the unit: the district holds all; a grid those with their largest share in it (as wangge assigns)
    if u["parent_id"] is None:
        inside = [i for i in range(len(fps)) if fps[i].intersects(um)]
    else:
        inside = [i for i in range(len(fps)) if best_grid[i] == u["id"]]
    expected["units"][u["id"]] = {
        "ground_m2": ground.area,
        "covered_m2": covered,
        "facade_m": sum(fps[i].length for i in inside),
        "facade_seen_m": sum(facade_seen[i] for i in inside),
        "buildings": len(inside),
        "buildings_unseen": sum(1 for i in inside if facade_seen[i] < 1.0),
        "cameras": sum(1 for c in cams if um.contains(c)),
    }
expected["facade_seen_by_building"] = {B[i]["properties"]["id"]: round(facade_seen[i], 3) for i in range(len(fps))}
json.dump(expected, open(os.path.join(out, "expected.json"), "w"), indent=1)
print(json.dumps(expected["units"]["HEL"]))

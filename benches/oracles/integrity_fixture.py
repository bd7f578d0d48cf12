"""Hand-made integrity fixture and its oracle numbers (shapely + pyproj).

Writes server/tests/fixtures/integrity/{units,buildings}.geojson and
expected.json. Geometry is designed in metres on a local grid at
(120.40 E, 36.06 N) and converted to lon/lat; the oracle then measures with
shapely set operations in lon/lat and geodesic areas on WGS84
(pyproj.Geod.geometry_area_perimeter) — independent of wangge's local
projection.

Run: pip install shapely==2.2.0 pyproj==3.7.2 && python3 benches/oracles/integrity_fixture.py
"""
import json, math, os
from shapely.geometry import box, Polygon, MultiPolygon, mapping
from shapely.ops import unary_union
from pyproj import Geod

A = 6378137.0; F = 1 / 298.257223563; E2 = F * (2 - F)
LON0, LAT0 = 120.40, 36.06
phi = math.radians(LAT0); w = math.sqrt(1 - E2 * math.sin(phi) ** 2)
KX = A / w * math.cos(phi) * math.pi / 180
KY = A * (1 - E2) / w ** 3 * math.pi / 180

def ll(x, y):
    return (round(LON0 + x / KX, 9), round(LAT0 + y / KY, 9))

def rect(x0, y0, x1, y1, holes=()):
    ring = [ll(x0, y0), ll(x1, y0), ll(x1, y1), ll(x0, y1)]
    return Polygon(ring, [[ll(*p) for p in h] for h in holes])

def hole(x0, y0, x1, y1):
    return [(x0, y0), (x0, y1), (x1, y1), (x1, y0)]

units = [
    ("P", None, "street", rect(0, 0, 1200, 800)),
    ("c1", "P", "grid", rect(0, 0, 500, 400)),
    ("c2", "P", "grid", rect(480, 0, 1000, 400)),
    ("c3", "P", "grid", rect(0, 400, 499.5, 800, holes=[hole(100, 500, 200, 600)])),
    ("c4", "P", "grid", rect(500, 400, 1000, 800)),
    ("c5", "P", "grid", MultiPolygon([rect(1000, 0, 1250, 350), rect(1000, 450, 1200, 800)])),
]
buildings = [
    ("b1", rect(100, 100, 140, 120), 60),
    ("b2", rect(300, 385, 340, 405), 40),
    ("b3", rect(1050, 380, 1100, 420), 30),
]
geod = Geod(ellps="WGS84")
area = lambda g: abs(geod.geometry_area_perimeter(g)[0])

here = os.path.join(os.path.dirname(__file__), "..", "..", "server", "tests", "fixtures", "integrity")
os.makedirs(here, exist_ok=True)
fc = lambda feats: {"type": "FeatureCollection", "features": feats}
json.dump(fc([{"type": "Feature", "properties": {"id": i, "parent_id": p, "level": l, "name": i}, "geometry": mapping(g)} for i, p, l, g in units]),
          open(os.path.join(here, "units.geojson"), "w"))
json.dump(fc([{"type": "Feature", "properties": {"id": i, "households": h, "population": h * 2, "floors": 6}, "geometry": mapping(g)} for i, g, h in buildings]),
          open(os.path.join(here, "buildings.geojson"), "w"))

P = units[0][3]
kids = {i: g for i, p, l, g in units if p == "P"}
overlaps = []
names = sorted(kids)
for a in range(len(names)):
    for b in range(a + 1, len(names)):
        inter = kids[names[a]].intersection(kids[names[b]])
        if inter.area > 0:
            overlaps.append({"a": names[a], "b": names[b], "area_m2": area(inter)})
outside = [{"unit": i, "area_m2": area(g.difference(P))} for i, g in kids.items() if g.difference(P).area > 0]
gaps = P.difference(unary_union(list(kids.values())))
pieces = list(gaps.geoms) if hasattr(gaps, "geoms") else [gaps]
gap_list = []
for g in pieces:
    a, per = geod.geometry_area_perimeter(g)
    gap_list.append({"area_m2": abs(a), "width_m": 2 * abs(a) / per})
gap_list.sort(key=lambda g: g["area_m2"])
cut, unassigned = [], []
for i, g, h in buildings:
    shares = {k: area(g.intersection(v)) for k, v in kids.items() if g.intersection(v).area > 0}
    if not shares:
        unassigned.append(i)
    elif len(shares) > 1:
        cut.append({"building": i, "leaf": max(shares, key=shares.get), "shares_m2": shares})
expected = {"overlaps": overlaps, "outside_parent": outside, "gaps": gap_list, "buildings_cut": cut, "buildings_unassigned": unassigned,
            "command": "python3 benches/oracles/integrity_fixture.py (shapely 2.2.0, pyproj 3.7.2, geodesic areas on WGS84)"}
json.dump(expected, open(os.path.join(here, "expected.json"), "w"), indent=1)
print(json.dumps(expected, indent=1))

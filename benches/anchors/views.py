"""Anchors for the camera view benchmark (issue 4), on the buildings and
cameras that benches/src/bin/view_bench.rs wrote (metres):
  1. shapely ray casting: 720 rays a camera, each cut by the boundaries of the
     buildings in range (STRtree); the view is the polygon of the ray ends;
  2. shapely exact shadow subtraction: each building's shadow (for a convex
     footprint the hull of it and its copy pushed beyond the range; otherwise
     the footprint and the quadrilaterals its edges sweep) subtracted from the
     sector (1° arc steps).
Areas are compared per camera with wangge's (DIR/wangge_areas.csv).

usage: python3 benches/anchors/views.py DIR [RAY_CAMERAS]
RAY_CAMERAS: cameras for the ray-casting anchor (default all); its time is
scaled to all cameras when fewer are run.
Prints one JSON line.
"""
import json, math, os, sys, time
import numpy as np
import pandas as pd
import shapely
from shapely import STRtree, Polygon, Point, LineString

d = sys.argv[1]
b = pd.read_csv(os.path.join(d, "buildings.csv"), sep="\t")
cams = pd.read_csv(os.path.join(d, "cameras.csv"))
ours = pd.read_csv(os.path.join(d, "wangge_areas.csv"))["area"].to_numpy()
geoms = shapely.from_wkt(b.wkt.values)
tree = STRtree(geoms)
n_ray = int(sys.argv[2]) if len(sys.argv) > 2 else len(cams)


def sector_angles(h, fov):
    if fov >= 360:
        return 0.0, 2 * math.pi, True
    span = math.radians(fov)
    return math.radians(90 - h) - span / 2, span, False


def sector(x, y, h, fov, r):
    a0, span, full = sector_angles(h, fov)
    n = max(1, math.ceil(math.degrees(span)))
    pts = [(x + r * math.cos(a0 + span * k / n), y + r * math.sin(a0 + span * k / n)) for k in range(n + 1)]
    return Polygon(pts if full else [(x, y)] + pts)


def near(x, y, r):
    return tree.query(shapely.box(x - r, y - r, x + r, y + r))


def rays(c):
    x, y, h, fov, r = c.x, c.y, c.heading, c.fov, c.range
    a0, span, full = sector_angles(h, fov)
    ang = a0 + span * (np.arange(720) + 0.5) / 720
    ends = np.stack([x + r * np.cos(ang), y + r * np.sin(ang)], axis=1)
    idx = near(x, y, r)
    dist = np.full(720, r)
    if len(idx):
        walls = shapely.union_all(shapely.boundary(geoms[idx]))
        lines = shapely.linestrings([[[x, y], list(e)] for e in ends])
        hit = shapely.intersection(lines, walls)
        ok = ~shapely.is_empty(hit)
        dist[ok] = shapely.distance(Point(x, y), hit[ok])
    pts = np.stack([x + dist * np.cos(ang), y + dist * np.sin(ang)], axis=1)
    return Polygon(pts if full else np.vstack([[x, y], pts]))


convex = np.abs(shapely.area(geoms) - shapely.area(shapely.convex_hull(geoms))) < 1e-9


def shadows(c):
    x, y, h, fov, r = c.x, c.y, c.heading, c.fov, c.range
    view = sector(x, y, h, fov, r)
    idx = near(x, y, r)
    parts = []
    for i in idx:
        g = geoms[i]
        pts = shapely.get_coordinates(g)
        dx, dy = pts[:, 0] - x, pts[:, 1] - y
        k = np.maximum(1.0, 4 * r / np.maximum(np.hypot(dx, dy), 1e-9))
        farp = np.stack([x + dx * k, y + dy * k], axis=1)
        if convex[i]:
            # a convex footprint's shadow is the hull of it and its far copy
            parts.append(shapely.convex_hull(shapely.multipoints(np.vstack([pts, farp]))))
        else:
            parts.append(g)
            for j in range(len(pts) - 1):
                quad = Polygon([pts[j], pts[j + 1], farp[j + 1], farp[j]])
                if quad.area > 1e-9:
                    parts.append(quad if quad.is_valid else quad.buffer(0))
    if parts:
        view = view.difference(shapely.union_all(parts))
    return view


def best(f, n=2):
    t = float("inf"); r = None
    for _ in range(n):
        s = time.perf_counter(); r = f(); t = min(t, time.perf_counter() - s)
    return t, r

t_sh, sh = best(lambda: [shadows(c) for c in cams.itertuples()])
t_ray, ry = best(lambda: [rays(c) for c in cams.head(n_ray).itertuples()], 1)
a_sh = np.array([g.area for g in sh])
a_ry = np.array([g.area for g in ry])
rel = lambda a, b: np.abs(a - b) / np.maximum(b, 1.0)
print(json.dumps({
    "cameras": len(cams), "buildings": len(geoms),
    "shadow_s": round(t_sh, 3), "ray_s": round(t_ray * len(cams) / n_ray, 3), "ray_cameras": n_ray,
    "area_shadow_m2": round(float(a_sh.sum()), 1), "area_ray_m2": round(float(a_ry.sum()), 1),
    "max_rel_wangge_vs_shadow": round(float(rel(ours, a_sh).max()), 5),
    "over_1pct_wangge_vs_shadow": int((rel(ours, a_sh) > 0.01).sum()),
    "max_rel_wangge_vs_ray": round(float(rel(ours[:n_ray], a_ry).max()), 5),
    "mean_rel_wangge_vs_ray": round(float(rel(ours[:n_ray], a_ry).mean()), 5),
    "shapely": shapely.__version__,
}))

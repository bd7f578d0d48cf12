"""Anchor for the live validation (issue 15): overlaps between siblings and
gaps (parent minus the union of its children) of a whole units layer with
shapely 2 (GEOS), an STRtree per sibling group, the way a GeoPandas overlay
check would do it. Input: the TSV review_bench writes (id, parent, WKT in
metres of one local projection). Pieces under 0.01 m² are dropped, as in
wangge's integrity check. Prints one JSON object.

usage: python3 benches/anchors/review.py UNITS.tsv
"""
import csv
import json
import sys
import time
from collections import defaultdict

import shapely
from shapely import wkt

NOISE = 0.01


def main(path):
    csv.field_size_limit(1 << 30)
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    geoms = {r["id"]: wkt.loads(r["wkt"]) for r in rows}
    kids = defaultdict(list)
    for r in rows:
        kids[r["parent"] or None].append(r["id"])
    t = time.perf_counter()
    overlaps = gaps = 0
    overlap_m2 = gap_m2 = 0.0
    for parent, members in kids.items():
        members.sort()
        g = [geoms[m] for m in members]
        tree = shapely.STRtree(g)
        a, b = tree.query(g, predicate="intersects")
        keep = a < b
        if keep.any():
            inter = shapely.area(shapely.intersection([g[i] for i in a[keep]], [g[i] for i in b[keep]]))
            big = inter >= NOISE
            overlaps += int(big.sum())
            overlap_m2 += float(inter[big].sum())
        if parent is None:
            continue
        rest = shapely.difference(geoms[parent], shapely.union_all(g))
        for piece in shapely.get_parts(rest):
            area = piece.area
            if area >= NOISE:
                gaps += 1
                gap_m2 += area
    seconds = time.perf_counter() - t
    print(json.dumps({"units": len(rows), "overlaps": overlaps, "overlap_m2": round(overlap_m2, 1), "gaps": gaps, "gap_m2": round(gap_m2, 1), "seconds": round(seconds, 3)}))


if __name__ == "__main__":
    main(sys.argv[1])

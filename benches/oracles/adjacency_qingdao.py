"""Oracle for the neighbour graph on the real Qingdao street boundaries.

Streets (level "street") of server/tests/fixtures/qingdao/admin.geojson are
projected to UTM 51N (EPSG:32651) and compared with libpysal:
- fuzzy_contiguity with buffering (buffer = tolerance / 2, so polygons whose
  boundaries are within `tolerance` of each other are neighbours), tolerance 2 m;
- Queen and Rook contiguity (exact shared vertices / edges);
and, for each fuzzy pair, the length of each one's boundary lying within the
tolerance of the other (shapely), mean of both directions.

Run: pip install libpysal==4.14.1 shapely==2.2.0 pyproj==3.7.2 geopandas && python3 benches/oracles/adjacency_qingdao.py
"""
import json, os
import geopandas as gpd
import libpysal
from libpysal.weights import fuzzy_contiguity, Queen, Rook

here = os.path.join(os.path.dirname(__file__), "..", "..", "server", "tests", "fixtures", "qingdao")
gdf = gpd.read_file(os.path.join(here, "admin.geojson"))
gdf = gdf[gdf["level"] == "street"].reset_index(drop=True).to_crs(32651)
TOL = 2.0

def pairs(w):
    out = set()
    for i, ns in w.neighbors.items():
        for j in ns:
            out.add((min(i, j), max(i, j)))
    return out

fuzzy = pairs(fuzzy_contiguity(gdf, tolerance=0.0, buffering=True, buffer=TOL / 2, silence_warnings=True))
queen = pairs(Queen.from_dataframe(gdf, use_index=False, silence_warnings=True))
rook = pairs(Rook.from_dataframe(gdf, use_index=False, silence_warnings=True))
ids = list(gdf["id"])
shared = {}
for i, j in sorted(fuzzy):
    a, b = gdf.geometry[i], gdf.geometry[j]
    l1 = a.boundary.intersection(b.buffer(TOL)).length
    l2 = b.boundary.intersection(a.buffer(TOL)).length
    shared[f"{ids[i]}|{ids[j]}"] = (l1 + l2) / 2
json.dump({
    "tolerance_m": TOL,
    "fuzzy": sorted(f"{ids[i]}|{ids[j]}" for i, j in fuzzy),
    "queen": sorted(f"{ids[i]}|{ids[j]}" for i, j in queen),
    "rook": sorted(f"{ids[i]}|{ids[j]}" for i, j in rook),
    "shared_m": shared,
    "command": "python3 benches/oracles/adjacency_qingdao.py (libpysal " + libpysal.__version__ + ", UTM 51N)",
}, open(os.path.join(here, "adjacency_expected.json"), "w"), indent=0)
print(len(ids), "streets;", len(fuzzy), "fuzzy pairs,", len(queen), "queen,", len(rook), "rook")

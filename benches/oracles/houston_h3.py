"""Oracle for issue 6: H3 heatmap counts and Gi* hot spots on the real
Houston incidents (server/tests/fixtures/houston/incidents.csv.gz).

Counts: h3-py latlng_to_cell for every incident in a window (and category),
at several resolutions. Hot spots: at res 8 with k = 1 over all incidents in
the greater-Houston box: the study cells are the cells with incidents and
their k-rings (zero counts); binary weights with the cell itself
(esda G_Local star=True, transform="B", no permutations); p two-sided from
the normal; q by Benjamini-Hochberg.

usage: python3 benches/oracles/houston_h3.py server/tests/fixtures/houston
"""
import gzip, json, os, sys, warnings
import numpy as np
import pandas as pd
import h3
import scipy.stats as st
from libpysal.weights import W
from esda.getisord import G_Local

warnings.filterwarnings("ignore")
d = sys.argv[1]
df = pd.read_csv(os.path.join(d, "incidents.csv.gz"))
t = pd.to_datetime(df.occurred_at, utc=True)
df["t"] = (t - pd.Timestamp("1970-01-01", tz="UTC")) // pd.Timedelta("1s")
windows = {
    "all": (None, None, None),
    "feb": (int(pd.Timestamp("2010-02-01T00:00:00-06:00").timestamp()), int(pd.Timestamp("2010-03-01T00:00:00-06:00").timestamp()), None),
    "june_violent": (int(pd.Timestamp("2010-06-01T00:00:00-05:00").timestamp()), int(pd.Timestamp("2010-07-01T00:00:00-05:00").timestamp()), "violent"),
}
out = {"generator": "benches/oracles/houston_h3.py", "h3": h3.__version__, "counts": {}, "windows": {}}
for name, (a, b, cat) in windows.items():
    m = np.ones(len(df), bool)
    if a is not None:
        m &= (df.t >= a) & (df.t < b)
    if cat is not None:
        m &= df.category == cat
    out["windows"][name] = {"from": a, "to": b, "category": cat, "incidents": int(m.sum())}
    sub = df[m]
    for res in (5, 8, 11):
        cells = [h3.latlng_to_cell(la, lo, res) for la, lo in zip(sub.lat, sub.lon)]
        out["counts"][f"{name}/{res}"] = pd.Series(cells).value_counts().to_dict()

# Gi* at res 8, k = 1, greater-Houston box
box = df[(df.lon > -95.9) & (df.lon < -95.0) & (df.lat > 29.5) & (df.lat < 30.2)]
cnt = pd.Series([h3.latlng_to_cell(la, lo, 8) for la, lo in zip(box.lat, box.lon)]).value_counts()
study = set(cnt.index)
for c in list(cnt.index):
    study.update(h3.grid_disk(c, 1))
cells = sorted(study)
pos = {c: i for i, c in enumerate(cells)}
y = np.array([cnt.get(c, 0) for c in cells], float)
neigh = {i: [pos[n] for n in h3.grid_disk(c, 1) if n != c and n in pos] for i, c in enumerate(cells)}
w = W(neigh, silence_warnings=True)
g = G_Local(y, w, transform="B", star=True, permutations=0)
z = np.asarray(g.Zs, float)
p = 2 * st.norm.sf(np.abs(z))
q = st.false_discovery_control(p, method="bh")
out["gi"] = {"res": 8, "k": 1, "cells": cells, "counts": y.astype(int).tolist(), "z": z.tolist(), "p": p.tolist(), "q": q.tolist()}
json.dump(out, open(os.path.join(d, "expected.json"), "w"))
print(len(cells), "cells;", {k: v["incidents"] for k, v in out["windows"].items()})

#!/usr/bin/env python3
"""pyproj oracle points for wangge's Gauss-Krüger and Bursa-Wolf code.

Writes engine/tests/fixtures/tmerc_pyproj.json (transverse Mercator in every
CGCS2000 / Xi'an 1980 / Beijing 1954 zone family) and
engine/tests/fixtures/helmert_pyproj.json (Xi'an 1980 and Beijing 1954
Gauss-Krüger with a seven-parameter TOWGS84 → WGS84 lon/lat).

    python3 benches/oracles/crs_points.py

The seven parameters are illustrative (offices hold their own); the test
checks that our Bursa-Wolf (position vector, as PROJ's +towgs84) agrees
with PROJ on them. Deterministic (fixed grid, no randomness).
"""
import json
import warnings
from pathlib import Path

from pyproj import CRS, Transformer

OUT = Path(__file__).resolve().parents[2] / "engine" / "tests" / "fixtures"
# (projected EPSG range, geographic EPSG, ellipsoid name, 3° or 6°, with zone prefix)
FAMILIES = [
    (range(4491, 4502), 4490, "cgcs2000", 6, True),
    (range(4502, 4513), 4490, "cgcs2000", 6, False),
    (range(4513, 4534), 4490, "cgcs2000", 3, True),
    (range(4534, 4555), 4490, "cgcs2000", 3, False),
    (range(2327, 2338), 4610, "iag1975", 6, True),
    (range(2349, 2370), 4610, "iag1975", 3, True),
    (range(21453, 21464), 4214, "krassowsky", 6, False),
    (range(2422, 2443), 4214, "krassowsky", 3, False),
]


def tmerc_points():
    out = []
    for codes, geog, ell, width, _prefix in FAMILIES:
        for code in codes:
            crs = CRS.from_epsg(code)
            p = crs.to_dict()
            lon0, fe = p["lon_0"], p["x_0"]
            t = Transformer.from_crs(CRS.from_epsg(geog), crs, always_xy=True)
            half = width / 2
            for i, dl in enumerate([-half, 0.0, half / 2, half]):
                for lat in [18.2 + 8.0 * i, 36.07, 53.4]:
                    lon = lon0 + dl
                    x, y = t.transform(lon, lat)
                    out.append(dict(epsg=code, ellipsoid=ell, lon0=lon0, false_easting=fe, lon=lon, lat=lat, x=x, y=y))
    return out


TOWGS84 = {
    "iag1975": [24.0, -123.0, -94.0, 0.02, -0.25, -0.13, 1.1],
    "krassowsky": [15.8, -154.4, -82.3, 0.3, -0.1, 0.5, -2.4],
}
ELL = {"iag1975": "+a=6378140 +rf=298.257", "krassowsky": "+ellps=krass"}


def helmert_points():
    out = []
    for ell, tw in TOWGS84.items():
        for lon0 in [117.0, 120.0, 123.0]:
            src = CRS.from_proj4(
                f"+proj=tmerc +lat_0=0 +lon_0={lon0} +k=1 +x_0=500000 +y_0=0 {ELL[ell]} "
                f"+towgs84={','.join(map(str, tw))} +units=m +no_defs"
            )
            t = Transformer.from_crs(src, CRS.from_epsg(4326), always_xy=True)
            for x in [380000.0, 450000.0, 500000.0, 561234.5, 620000.0]:
                for y in [2600000.0, 3995000.0, 4200000.0, 5900000.0]:
                    lon, lat = t.transform(x, y)
                    out.append(dict(ellipsoid=ell, lon0=lon0, towgs84=tw, x=x, y=y, lon=lon, lat=lat))
    return out


def dump(rows):
    return "[\n" + ",\n".join(json.dumps(r, separators=(",", ":")) for r in rows) + "\n]\n"


if __name__ == "__main__":
    warnings.filterwarnings("ignore", category=UserWarning)
    OUT.mkdir(parents=True, exist_ok=True)
    tm = tmerc_points()
    (OUT / "tmerc_pyproj.json").write_text(dump(tm))
    hm = helmert_points()
    (OUT / "helmert_pyproj.json").write_text(dump(hm))
    print(f"{len(tm)} tmerc points, {len(hm)} helmert points -> {OUT}")

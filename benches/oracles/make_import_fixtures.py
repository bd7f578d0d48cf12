#!/usr/bin/env python3
"""Import round-trip fixtures written by independent tools (not by wangge).

    pip install --break-system-packages -r benches/requirements.txt
    python3 benches/oracles/make_import_fixtures.py

Writes server/tests/fixtures/import/:

- shinan_4549.{shp,shx,dbf,prj,cpg}: the 12 REAL units of data/shinan/admin.geojson
  (市南区 and its 11 streets; © OpenStreetMap contributors, ODbL) projected by
  pyproj to CGCS2000 / 3-degree Gauss-Kruger CM 120E (EPSG:4549, eastings
  without the zone prefix) and written by pyshp with GBK attributes (.cpg "GBK",
  .prj in ESRI WKT from pyproj).
- shinan_4528.gpkg: the same units in EPSG:4528 (zone 40, prefixed eastings),
  written by GeoPandas/pyogrio (GDAL's GeoPackage driver).
- incidents_gb18030.csv: 12 GENERATED incidents (labelled generated in the
  file's `note` column) in GB18030 with dates as Excel users write them:
  `2026/3/1 8:30`, `2026年3月1日 8时30分` and Excel serial numbers.
- expected.json: what an import must give: for each unit the WGS 84
  coordinates pyproj computes from the stored projected ones (EPSG:4549 →
  EPSG:4490, and EPSG:4528 → EPSG:4490: CGCS2000 taken as WGS 84), the names,
  and for the CSV the UTC instants and the byte offset of its first non-ASCII
  byte (where a UTF-8 decode must fail).
"""
import csv
import datetime as dt
import io
import json
from pathlib import Path

import geopandas as gpd
import shapefile  # pyshp
from pyproj import CRS, Transformer
from shapely.geometry import MultiPolygon, Polygon, shape

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "server" / "tests" / "fixtures" / "import"


def signed_area(r):
    return sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(r, r[1:])) / 2


def oriented(r, clockwise):
    return r if (signed_area(r) < 0) == clockwise else r[::-1]


def project_ring(t, ring):
    return [list(t.transform(x, y)) for x, y in ring]


def polygons(geom):
    g = shape(geom)
    return list(g.geoms) if isinstance(g, MultiPolygon) else [g]


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    units = json.loads((ROOT / "data" / "shinan" / "admin.geojson").read_text(encoding="utf-8"))["features"]
    to_4549 = Transformer.from_crs(4490, 4549, always_xy=True)
    back_4549 = Transformer.from_crs(4549, 4490, always_xy=True)
    to_4528 = Transformer.from_crs(4490, 4528, always_xy=True)
    back_4528 = Transformer.from_crs(4528, 4490, always_xy=True)

    # --- Shapefile (pyshp), GBK attributes, EPSG:4549 ---
    base = OUT / "shinan_4549"
    w = shapefile.Writer(str(base), shapeType=shapefile.POLYGON, encoding="gbk")
    for name, kind, size, dec in [("id", "C", 40, 0), ("name", "C", 60, 0), ("level", "C", 12, 0),
                                  ("parent_id", "C", 40, 0), ("div_code", "C", 12, 0), ("area_m2", "N", 16, 1)]:
        w.field(name, kind, size=size, decimal=dec)
    expected_units = {}
    for f in units:
        p = f["properties"]
        rings = []
        for poly in polygons(f["geometry"]):
            rings.append(oriented(project_ring(to_4549, poly.exterior.coords), clockwise=True))
            rings += [oriented(project_ring(to_4549, i.coords), clockwise=False) for i in poly.interiors]
        w.poly(rings)
        w.record(p["id"], p["name"], p["level"], p["parent_id"] or "", p.get("division_code") or "", p.get("area_m2") or 0)
        # what wangge must give: pyproj's inverse of the coordinates as stored (doubles)
        expected_units[p["id"]] = {
            "name": p["name"],
            "coords_4549": [[list(back_4549.transform(x, y)) for x, y in r] for r in rings],
        }
    w.close()
    (base.with_suffix(".prj")).write_text(CRS.from_epsg(4549).to_wkt("WKT1_ESRI"))
    (base.with_suffix(".cpg")).write_text("GBK")

    # --- GeoPackage (GeoPandas/pyogrio), EPSG:4528 ---
    rows, geoms = [], []
    for f in units:
        p = f["properties"]
        polys = []
        for poly in polygons(f["geometry"]):
            ext = project_ring(to_4528, poly.exterior.coords)
            holes = [project_ring(to_4528, i.coords) for i in poly.interiors]
            polys.append(Polygon(ext, holes))
        geoms.append(MultiPolygon(polys))
        rows.append({"id": p["id"], "name": p["name"], "level": p["level"], "parent_id": p["parent_id"]})
    gdf = gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4528")
    gpkg = OUT / "shinan_4528.gpkg"
    gpkg.unlink(missing_ok=True)
    gdf.to_file(gpkg, driver="GPKG", layer="units", engine="pyogrio")
    back = gpd.read_file(gpkg, engine="pyogrio")
    for (_, r) in back.iterrows():
        coords = []
        for poly in r.geometry.geoms:
            coords.append([list(back_4528.transform(x, y)) for x, y in poly.exterior.coords])
            coords += [[list(back_4528.transform(x, y)) for x, y in i.coords] for i in poly.interiors]
        expected_units[r["id"]]["coords_4528"] = coords

    # --- GB18030 CSV with office dates (GENERATED incidents) ---
    forms = ["{y}/{m}/{d} {H}:{M:02d}", "{y}年{m}月{d}日 {H}时{M}分", "excel"]
    cats = ["噪音扰民", "占道经营", "垃圾堆放", "井盖缺失"]
    out = io.StringIO()
    wr = csv.writer(out, lineterminator="\r\n")
    wr.writerow(["id", "lon", "lat", "occurred_at", "category", "描述", "note"])
    expected_inc = {}
    for i in range(12):
        local = dt.datetime(2026, 3, 1 + i, 8 + i % 10, (7 * i) % 60)
        form = forms[i % 3]
        if form == "excel":
            when = f"{(local - dt.datetime(1899, 12, 30)).total_seconds() / 86400:.10f}"
        else:
            when = form.format(y=local.year, m=local.month, d=local.day, H=local.hour, M=local.minute)
        lon, lat = 120.33 + 0.004 * i, 36.06 + 0.001 * i
        wr.writerow([f"inc-{i}", f"{lon:.6f}", f"{lat:.6f}", when, cats[i % 4], f"八大关路{i}号䶮", "generated"])
        utc = local.replace(tzinfo=dt.timezone(dt.timedelta(hours=8))).astimezone(dt.timezone.utc)
        expected_inc[f"inc-{i}"] = {"occurred_at": int(utc.timestamp()), "category": cats[i % 4], "描述": f"八大关路{i}号䶮"}
    data = out.getvalue().encode("gb18030")
    (OUT / "incidents_gb18030.csv").write_bytes(data)
    first_non_ascii = next(i for i, b in enumerate(data) if b >= 0x80)

    (OUT / "expected.json").write_text(json.dumps(
        {"units": expected_units, "incidents": expected_inc, "csv_first_non_ascii_byte": first_non_ascii},
        ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()

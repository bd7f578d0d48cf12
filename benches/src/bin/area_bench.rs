//! Area questions (issue 14, `POST /api/query/area`) on the demo district and
//! on a generated city of 1 M buildings (`wangge gen city`, plus generated
//! cameras and incidents, all labelled generated): a street-sized polygon
//! (a slanted quadrilateral of a few km²), a unit, and the whole district.
//! Times the engine call (`analysis::area::figures` + `area_incidents`) and
//! the request through the real router in-process (axum `oneshot`: body
//! parsing, jurisdiction, the same computation, JSON encoding), best of N.
//! Writes the buildings as GeoParquet and each polygon as GeoJSON for the
//! DuckDB spatial / GeoPandas anchor (benches/anchors/area.py).
//!
//! usage: area_bench OUT_DIR demo DEMO_DIR ADMIN.geojson | area_bench OUT_DIR city CITY_DIR
//! (one JSON line per polygon on stdout)

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::http::{Request, header};
use geo::{BoundingRect, MultiPolygon, Polygon};
use serde_json::{Value, json};
use tower::ServiceExt;
use wangge::import::Layer;
use wangge::store::geoparquet::{Cell, ColumnType, GeoTable, geoparquet_bytes};
use wangge_benches::{Res, demo_layers, load};
use wangge_engine::analysis::area::{AreaShape, figures};
use wangge_engine::analysis::area_incidents::{IncidentQuery, incidents};
use wangge_engine::dataset::Dataset;
use wangge_engine::model::LayerKind;
use wangge_engine::synth;
use wangge_engine::units::integrity::IntegrityConfig;
use wangge_engine::units::jurisdiction::Jurisdiction;

fn dataset(layers: Vec<Layer>) -> Res<Dataset> {
    let mut d = Dataset::empty(IntegrityConfig::default());
    for l in layers {
        d.versions.insert(l.kind(), 1);
        d.set(l).map_err(|e| e.to_string())?;
    }
    d.rebuild();
    Ok(d)
}

/// The demo district: the real streets, the generated levels, buildings, cameras and incidents of `wangge gen demo`.
fn demo(dir: &Path, admin: &Path) -> Res<Dataset> {
    dataset(demo_layers(dir, admin)?)
}

/// The city of `wangge gen city` (grids, buildings) with generated cameras (1 per 200 buildings) and 200,000 incidents.
fn city(dir: &Path) -> Res<Dataset> {
    let Layer::Units(grids) = load(&dir.join("grids.geojson"), LayerKind::Units)? else { return Err("grids".into()) };
    let Layer::Buildings(buildings) = load(&dir.join("buildings.geojson"), LayerKind::Buildings)? else { return Err("buildings".into()) };
    let cameras = synth::generate_cameras(&buildings, 0.005, 11);
    let spec = synth::IncidentSpec { count: 200_000, from: 1_767_196_800, to: 1_790_000_000, seed: 12 };
    let inc = synth::generate_incidents(&buildings, &grids, &spec);
    dataset(vec![Layer::Units(grids), Layer::Buildings(buildings), Layer::Cameras(cameras), Layer::Incidents(inc)])
}

/// A slanted quadrilateral of about `km2` around the mean of the buildings' centres (on land: the demo's box is half sea).
fn street(d: &Dataset, km2: f64) -> Res<Polygon<f64>> {
    let centres: Vec<geo::Coord<f64>> = d.buildings.iter().filter_map(|b| b.footprint.bounding_rect()).map(|r| r.center()).collect();
    let n = centres.len().max(1) as f64;
    let c = geo::Coord { x: centres.iter().map(|c| c.x).sum::<f64>() / n, y: centres.iter().map(|c| c.y).sum::<f64>() / n };
    let proj = wangge_engine::geometry::projection::LocalProjection::new(c.x, c.y);
    let s = (km2 * 1e6).sqrt() / 2.0;
    let corners = [(-1.1, -0.8), (0.9, -1.0), (1.1, 0.9), (-0.9, 1.05), (-1.1, -0.8)];
    let ring: Vec<(f64, f64)> = corners
        .iter()
        .map(|(x, y)| {
            let p = proj.unproject(geo::Coord { x: x * s, y: y * s });
            (p.x, p.y)
        })
        .collect();
    Ok(Polygon::new(ring.into(), vec![]))
}

fn geojson_polygon(mp: &MultiPolygon<f64>) -> Value {
    let polys: Vec<Value> =
        mp.0.iter()
            .map(|p| {
                let rings: Vec<Vec<[f64; 2]>> =
                    std::iter::once(p.exterior()).chain(p.interiors()).map(|r| r.coords().map(|c| [c.x, c.y]).collect()).collect();
                json!(rings)
            })
            .collect();
    json!({"type": "MultiPolygon", "coordinates": polys})
}

/// Best of `n` runs of `f`, in milliseconds, and its last result.
fn best<T>(n: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut t = f64::INFINITY;
    let mut out = f();
    for _ in 0..n {
        let s = Instant::now();
        out = f();
        t = t.min(s.elapsed().as_secs_f64() * 1e3);
    }
    (t, out)
}

/// The buildings as GeoParquet (id, households, population, footprint) for the anchors.
fn write_buildings(d: &Dataset, path: &Path) -> Res<()> {
    let t = GeoTable {
        columns: vec![
            ("id".into(), ColumnType::Text),
            ("households".into(), ColumnType::Integer),
            ("population".into(), ColumnType::Integer),
        ],
        rows: d
            .buildings
            .iter()
            .map(|b| {
                vec![
                    Cell::Text(b.id.clone()),
                    Cell::Integer(i64::from(b.households.unwrap_or(0))),
                    Cell::Integer(i64::from(b.population.unwrap_or(0))),
                ]
            })
            .collect(),
        wkb: d.buildings.iter().map(|b| wangge::wkb::encode(&geo::Geometry::MultiPolygon(b.footprint.clone()))).collect(),
        geometry_types: vec!["MultiPolygon".into()],
        bbox: d.bounds().map(|r| [r.min().x, r.min().y, r.max().x, r.max().y]),
    };
    std::fs::write(path, geoparquet_bytes(&t)?)?;
    Ok(())
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    let t0 = Instant::now();
    let (out, set, d) = match &args[..] {
        [_, out, set, dir, admin] if set == "demo" => (out, set, demo(Path::new(dir), Path::new(admin))?),
        [_, out, set, dir] if set == "city" => (out, set, city(Path::new(dir))?),
        _ => {
            eprintln!("usage: area_bench OUT_DIR demo DEMO_DIR ADMIN.geojson | area_bench OUT_DIR city CITY_DIR");
            std::process::exit(2);
        }
    };
    let load_s = t0.elapsed().as_secs_f64();
    let out = Path::new(out);
    std::fs::create_dir_all(out)?;
    let t1 = Instant::now();
    let _ = d.coverage();
    let coverage_s = t1.elapsed().as_secs_f64();
    eprintln!(
        "{set}: {} buildings, {} cameras, {} incidents loaded in {load_s:.1} s, coverage {coverage_s:.1} s",
        d.buildings.len(),
        d.cameras.len(),
        d.incidents.len()
    );
    write_buildings(&d, &out.join(format!("{set}-buildings.parquet")))?;
    // the unit: the one at the second level holding most buildings (a street in the demo; a grid of the flat city)
    let h = &d.hierarchy;
    let depth = if h.depth.contains(&1) { 1 } else { 0 };
    let unit = (0..h.len()).filter(|&i| h.depth[i] == depth).max_by_key(|&i| d.report.loads[i].buildings).ok_or("no unit")?;
    let bounds = d.bounds().ok_or("no data")?;
    let shapes: Vec<(&str, Value, MultiPolygon<f64>)> = vec![
        ("street (4 km² polygon)", json!({}), MultiPolygon(vec![street(&d, 4.0)?])),
        ("unit", json!({"unit": h.units[unit].id.0}), h.units[unit].geometry.clone()),
        ("whole district (its box)", json!({}), MultiPolygon(vec![bounds.to_polygon()])),
    ];
    let state = wangge::http::AppState::new(d, std::env::temp_dir());
    let d: Arc<Dataset> = state.dataset();
    let app = wangge::http::app(state);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let j = Jurisdiction::everything();
    for (k, (name, mut body, geometry)) in shapes.into_iter().enumerate() {
        let area = match body.get("unit") {
            Some(_) => AreaShape::unit(&d, unit),
            None => {
                body = json!({"geometry": geojson_polygon(&geometry)});
                AreaShape::drawn(&d, geometry.clone()).map_err(|e| e.to_string())?
            }
        };
        let n = if name.starts_with("whole") { 3 } else { 10 };
        let (engine_ms, (f, inc)) = best(n, || (figures(&d, &area, &j), incidents(&d, &area, &j, &IncidentQuery::default(), |_| {})));
        let text = body.to_string();
        let (http_ms, bytes) = best(n, || {
            rt.block_on(async {
                let req = Request::post("/api/query/area")
                    .header(header::HOST, "127.0.0.1")
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(text.clone()))
                    .expect("request");
                let resp = app.clone().oneshot(req).await.expect("response");
                let status = resp.status();
                let b = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap_or_default();
                assert!(status.is_success(), "{status}: {}", String::from_utf8_lossy(&b));
                b.len()
            })
        });
        let file = out.join(format!("{set}-shape{k}.geojson"));
        std::fs::write(&file, json!({"type": "Feature", "properties": {}, "geometry": geojson_polygon(&geometry)}).to_string())?;
        let km2 = geometry.bounding_rect().map_or(0.0, |_| f.area_m2 / 1e6);
        println!(
            "{}",
            json!({"set": set, "shape": name, "file": file, "km2": km2, "buildings": f.buildings.len(), "households": f.households,
                   "population": f.population, "uncovered": f.uncovered.len(), "cameras": f.cameras.len(), "incidents": inc.counts.total,
                   "hotspots": inc.hotspots.len(), "engine_ms": engine_ms, "http_ms": http_ms, "answer_bytes": bytes,
                   "total_buildings": d.buildings.len(), "coverage_s": coverage_s, "unit_rule": body.get("unit").is_some()})
        );
    }
    Ok(())
}

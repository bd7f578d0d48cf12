//! Units, layers, features and the integrity report, each limited to the
//! caller's jurisdiction (the subtree of their unit): units by the subtree,
//! buildings by their leaf, cameras and facilities by the unit holding their
//! point, loaded incidents by theirs, roads by the midpoint of their longest
//! part, problems by the units they name (`Jurisdiction::report`). Ancestors
//! of the jurisdiction's root are named (id, name, level) only in a unit's
//! `chain`, never listed with geometry or figures.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::access::{Action, Routes, Scope};
use super::error::{AppError, AppResult};
pub(crate) use super::extract::unit_index;
use super::extract::{Bbox, Format, OutputFormat, UnitRef};
use crate::geojson_out;
use crate::tiles::source::{SOURCES, names};
use wangge_engine::dataset::Dataset;
use wangge_engine::units::jurisdiction::Jurisdiction;

pub(crate) fn routes() -> Routes {
    Routes::new()
        .get("/api/layers", Action::Read, layers)
        .get("/api/units", Action::Read, units)
        .get("/api/units/{id}", Action::Read, unit)
        .get("/api/features/{layer}", Action::Read, features)
        .get("/api/check", Action::Read, check)
}

pub(crate) async fn layers(State(s): State<Arc<AppState>>, scope: Scope) -> Json<Value> {
    let d = s.dataset();
    let j = &scope.jurisdiction;
    let live = if j.is_everything() {
        s.live.len()
    } else {
        let mut n = 0;
        s.live.each(|i| n += usize::from(j.chain(&d, &i.units)));
        n
    };
    let list: Vec<Value> = SOURCES
        .iter()
        .map(|src| {
            let l = src.name();
            let version = wangge_engine::model::LayerKind::parse(l).and_then(|k| d.versions.get(&k).copied());
            json!({"name": l, "version": version, "features": src.count(&d, j, live), "generated": src.generated(&d),
                   "tiles": format!("/tiles/{l}.json")})
        })
        .collect();
    Json(json!({"data_version": d.data_version(), "levels": d.hierarchy.levels, "bounds": scope_bounds_json(&d, j), "layers": list}))
}

pub(crate) fn bounds_json(d: &Dataset) -> Value {
    match d.bounds() {
        Some(r) => json!([r.min().x, r.min().y, r.max().x, r.max().y]),
        None => json!([-180.0, -85.0, 180.0, 85.0]),
    }
}

/// The bounds of what jurisdiction `j` holds (the data's for everything; the whole world when void).
pub(crate) fn scope_bounds_json(d: &Dataset, j: &Jurisdiction) -> Value {
    if j.is_everything() {
        return bounds_json(d);
    }
    match j.bounds(d) {
        Some(r) => json!([r.min().x, r.min().y, r.max().x, r.max().y]),
        None => json!([-180.0, -85.0, 180.0, 85.0]),
    }
}

#[derive(Deserialize)]
pub(crate) struct LevelQuery {
    pub(crate) level: Option<String>,
}

pub(crate) fn unit_summary(d: &Dataset, i: usize) -> Value {
    let u = &d.hierarchy.units[i];
    let l = &d.report.loads[i];
    json!({
        "id": u.id.0, "name": u.name, "level": u.level.0, "parent_id": u.parent.as_ref().map(|p| &p.0),
        "households": l.households, "population": l.population, "buildings": l.buildings,
        "incidents": d.unit_incidents[i], "children": d.hierarchy.children[i].len(),
        "area_m2": d.unit_area_m2[i], "generated": Dataset::is_generated(&u.attributes),
        "load_status": l.status,
    })
}

pub(crate) async fn units(State(s): State<Arc<AppState>>, Query(q): Query<LevelQuery>, scope: Scope) -> AppResult {
    let d = s.dataset();
    if let Some(l) = &q.level
        && !d.hierarchy.levels.iter().any(|x| &x.0 == l)
    {
        let known: Vec<&str> = d.hierarchy.levels.iter().map(|x| x.0.as_str()).collect();
        return Err(AppError::bad(format!("unknown level {l:?}; levels are {}", known.join(", "))));
    }
    let list: Vec<Value> = (0..d.hierarchy.len())
        .filter(|&i| scope.jurisdiction.unit(i) && q.level.as_ref().is_none_or(|l| &d.hierarchy.units[i].level.0 == l))
        .map(|i| unit_summary(&d, i))
        .collect();
    Ok(Json(json!({"units": list})).into_response())
}

pub(crate) async fn unit(UnitRef { index: i, dataset: d, id }: UnitRef, scope: Scope) -> AppResult {
    scope.require_unit(&d, &id)?;
    let h = &d.hierarchy;
    let mut v = unit_summary(&d, i);
    let chain: Vec<Value> = h.chain(i)[1..]
        .iter()
        .rev()
        .map(|&p| json!({"id": h.units[p].id.0, "name": h.units[p].name, "level": h.units[p].level.0}))
        .collect();
    let children: Vec<Value> = h.children[i].iter().map(|&c| unit_summary(&d, c)).collect();
    let r = &d.report;
    let uid = &h.units[i].id.0;
    let gaps: f64 =
        r.gaps.iter().filter(|g| &g.parent == uid && g.kind == wangge_engine::units::integrity::GapKind::Gap).map(|g| g.area_m2).sum();
    let slivers: f64 =
        r.gaps.iter().filter(|g| &g.parent == uid && g.kind == wangge_engine::units::integrity::GapKind::Sliver).map(|g| g.area_m2).sum();
    let overlaps: Vec<Value> = r
        .overlaps
        .iter()
        .filter(|o| (&o.a == uid || &o.b == uid) && scope.jurisdiction.unit_id(&d, &o.a) && scope.jurisdiction.unit_id(&d, &o.b))
        .map(|o| json!({"a": o.a, "b": o.b, "area_m2": o.area_m2}))
        .collect();
    let outside: f64 = r.outside_parent.iter().filter(|o| &o.unit == uid).map(|o| o.area_m2).sum();
    v["chain"] = json!(chain);
    v["children"] = json!(children);
    v["norm"] = json!(r.loads[i].norm);
    v["attributes"] = json!(h.units[i].attributes);
    v["integrity"] = json!({"gap_m2": gaps, "sliver_m2": slivers, "overlaps": overlaps, "outside_parent_m2": outside});
    Ok(Json(v).into_response())
}

#[derive(Deserialize)]
pub(crate) struct FeatureQuery {
    pub(crate) limit: Option<usize>,
    pub(crate) level: Option<String>,
}

pub(crate) async fn features(
    State(s): State<Arc<AppState>>,
    Path(layer): Path<String>,
    Query(q): Query<FeatureQuery>,
    Bbox(bbox): Bbox,
    scope: Scope,
) -> AppResult {
    let d = s.dataset();
    let j = &scope.jurisdiction;
    if layer == "problems" {
        return Ok(Json(geojson_out::collection(problems(&d, j))).into_response());
    }
    let Some(mut idx) = layer_indices(&d, &layer, bbox, j) else {
        return Err(AppError::not_found(format!("no layer {layer:?}; layers are {}", names().collect::<Vec<_>>().join(", "))));
    };
    let limit = q.limit.unwrap_or(10_000).min(100_000);
    if layer == "units"
        && let Some(l) = &q.level
    {
        idx.retain(|&i| &d.hierarchy.units[i].level.0 == l);
    }
    idx.sort_unstable();
    let total = idx.len();
    idx.truncate(limit);
    let mut fc = geojson_out::collection(geojson_out::layer_features(&d, &layer, &idx));
    fc["total"] = json!(total);
    fc["truncated"] = json!(total > idx.len());
    Ok(Json(fc).into_response())
}

pub(crate) async fn check(State(s): State<Arc<AppState>>, format: Format, scope: Scope) -> AppResult {
    let d = s.dataset();
    let j = &scope.jurisdiction;
    match format.one_of(&[OutputFormat::Json, OutputFormat::Geojson])? {
        OutputFormat::Geojson => Ok(Json(geojson_out::collection(problems(&d, j))).into_response()),
        _ if j.is_everything() => Ok(Json(serde_json::to_value(&d.report).unwrap_or(Value::Null)).into_response()),
        _ => Ok(Json(serde_json::to_value(j.report(&d)).unwrap_or(Value::Null)).into_response()),
    }
}

/// The indices of the features of stored layer `layer` that meet `bbox` (everything when `None`) and lie
/// inside jurisdiction `j`, in feature order; `None` for a name that is no stored layer.
pub(crate) fn layer_indices(d: &Dataset, layer: &str, bbox: Option<geo::Rect<f64>>, j: &Jurisdiction) -> Option<Vec<usize>> {
    let index = match layer {
        "units" => &d.unit_index,
        "buildings" => &d.building_index,
        "cameras" => &d.camera_index,
        "facilities" => &d.facility_index,
        "incidents" => &d.incident_index,
        "roads" => &d.road_index,
        _ => return None,
    };
    let bbox = bbox.unwrap_or_else(|| geo::Rect::new((-180.0, -90.0), (180.0, 90.0)));
    let mut idx: Vec<usize> = index.query_rect(bbox).collect();
    if !j.is_everything() {
        let inside: fn(&Jurisdiction, &Dataset, usize) -> bool = match layer {
            "units" => |j, _, i| j.unit(i),
            "buildings" => |j, d, i| j.building(d, i),
            "cameras" => |j, d, i| j.camera(d, i),
            "facilities" => |j, d, i| j.facility(d, i),
            "incidents" => |j, d, i| j.incident(d, i),
            _ => |j, d, i| j.road(d, i),
        };
        idx.retain(|&i| inside(j, d, i));
    }
    idx.sort_unstable();
    Some(idx)
}

/// The integrity report's problems as features, those of jurisdiction `j` only (the rules of `Jurisdiction::report`).
fn problems(d: &Dataset, j: &Jurisdiction) -> Vec<Value> {
    let mut f = geojson_out::problem_features(d);
    if !j.is_everything() {
        // every id a problem names (the gap's parent, both overlapping units, the unit outside its parent) must be inside
        let named = |v: &Value, k: &str| v["properties"][k].as_str().is_none_or(|id| j.unit_id(d, id));
        f.retain(|v| match v["properties"]["kind"].as_str() {
            Some("gap" | "sliver") => named(v, "parent"),
            Some("overlap") => named(v, "a") && named(v, "b"),
            Some("outside_parent") => named(v, "unit"),
            _ => false,
        });
    }
    f
}

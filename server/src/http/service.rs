//! Service life circles (issue 16): walking coverage per unit, catchments,
//! gaps and siting of new stations for a facility kind, inside the caller's
//! jurisdiction (a unit named must be inside it, 403 otherwise; without one
//! the jurisdiction's root, or the district's top units). Distances come from
//! [`crate::service::ServiceCache`], once per data version and kind; every
//! answer says how they were measured (`method`, and `detour` for the
//! straight-line fallback when there is no roads layer).
//!
//! Thresholds: `threshold=500` or `threshold=300,500,1000` (metres), or
//! `minutes=5,10,15` at `speed` metres a minute (default 80); default
//! 300/500/1000 m (GB 50180-2018's 5/10/15-minute life circles).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use wangge_engine::dataset::Dataset;
use wangge_engine::service::{self as svc, Candidates, DistanceOptions, SitingFigures, SitingGoal, UnitServiceCoverage};
use wangge_engine::units::jurisdiction::Jurisdiction;

use super::access::{Action, Routes, Scope};
use super::coverage::scoped_unit;
use super::error::{AppError, AppResult};
use super::{AppState, blocking};
use crate::geojson_out;
use crate::service::{KindService, ServiceError, ShapeKind, Thresholds, method_json, thresholds};

pub(crate) fn routes() -> Routes {
    Routes::new()
        .get("/api/service/kinds", Action::Read, service_kinds)
        .get("/api/coverage/service", Action::Read, coverage_service)
        .get("/api/catchments", Action::Read, catchments)
        .get("/api/service/gaps", Action::Read, service_gaps)
        .post("/api/coverage/service/siting", Action::Analyse, service_siting)
}

impl From<ServiceError> for AppError {
    fn from(e: ServiceError) -> Self {
        AppError::bad(e.to_string())
    }
}

/// The query of the coverage, catchment and gap routes.
#[derive(Debug, Deserialize)]
pub(crate) struct ServiceQuery {
    pub(crate) kind: Option<String>,
    pub(crate) unit: Option<String>,
    pub(crate) threshold: Option<String>,
    pub(crate) minutes: Option<String>,
    pub(crate) speed: Option<f64>,
}

impl ServiceQuery {
    fn kind(&self) -> Result<&str, AppError> {
        self.kind
            .as_deref()
            .filter(|k| !k.is_empty())
            .ok_or_else(|| AppError::bad("kind is required, e.g. ?kind=先锋驿站 (see /api/service/kinds)"))
    }
    fn thresholds(&self) -> Result<Thresholds, AppError> {
        Ok(thresholds(self.threshold.as_deref(), self.minutes.as_deref(), self.speed)?)
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 { 0.0 } else { (part as f64 / whole as f64 * 10_000.0).round() / 10_000.0 }
}

/// `{"thresholds_m": [...], "minutes": [...]?, "speed_m_per_min": 80}` plus the method.
fn header(k: &KindService, t: &Thresholds) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("kind".into(), json!(k.kind));
    if let Value::Object(o) = method_json(k.distances.method) {
        m.extend(o);
    }
    m.insert("thresholds_m".into(), json!(t.metres));
    if let Some(min) = &t.minutes {
        m.insert("minutes".into(), json!(min));
    }
    m.insert("speed_m_per_min".into(), json!(t.speed_m_per_min));
    m
}

/// One unit's figures; with `outside`, the buildings beyond the largest threshold (id, distance, facility, island).
fn unit_json(d: &Dataset, c: &UnitServiceCoverage, k: &KindService, t: &Thresholds, outside: bool) -> Value {
    let u = &d.hierarchy.units[c.unit];
    let within: Vec<Value> = c
        .within
        .iter()
        .enumerate()
        .map(|(i, &(m, b, hh, pop))| {
            let mut w = json!({"threshold_m": m, "buildings": b, "households": hh, "population": pop,
                               "share_households": share(hh, c.households), "share_buildings": share(u64::from(b), u64::from(c.buildings))});
            if let Some(min) = t.minutes.as_ref().and_then(|x| x.get(i)) {
                w["minutes"] = json!(min);
            }
            w
        })
        .collect();
    let mut v = json!({"id": u.id.0, "name": u.name, "level": u.level.0, "buildings": c.buildings, "households": c.households,
                       "population": c.population, "within": within, "outside_count": c.outside.len()});
    if outside {
        v["outside"] = c
            .outside
            .iter()
            .map(|&b| {
                let n = k.distances.nearest.get(b as usize).copied().flatten();
                json!({"id": d.buildings[b as usize].id, "households": d.buildings[b as usize].households,
                       "distance_m": n.map(|(_, m)| round1(m)),
                       "facility": n.and_then(|(f, _)| k.facilities.get(f as usize)).map(|&f| d.facilities[f].id.clone()),
                       "island": k.distances.island.get(b as usize).copied().unwrap_or(false)})
            })
            .collect();
    }
    v
}

pub(crate) async fn service_kinds(State(s): State<Arc<AppState>>, scope: Scope) -> AppResult {
    let d = s.dataset();
    blocking(move || {
        let j = &scope.jurisdiction;
        let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
        for (i, f) in d.facilities.iter().enumerate() {
            if j.facility(&d, i) {
                *counts.entry(f.kind.as_str()).or_default() += 1;
            }
        }
        let kinds: Vec<Value> = counts.into_iter().map(|(k, n)| json!({"kind": k, "facilities": n})).collect();
        let n = s.service.network(&d);
        let method = match &n.net {
            Some(_) => method_json(svc::Method::Network),
            None => method_json(svc::Method::StraightLine { detour: svc::DEFAULT_DETOUR }),
        };
        let network = n
            .net
            .as_ref()
            .map(|net| json!({"nodes": net.node_count(), "edges": net.edge_count(), "components": net.component_sizes().len()}));
        let mut v = json!({"kinds": kinds, "thresholds_m": svc::DEFAULT_THRESHOLDS_M,
                           "speed_m_per_min": crate::service::DEFAULT_SPEED_M_PER_MIN, "network": network});
        if let (Value::Object(o), Value::Object(m)) = (&mut v, method) {
            o.extend(m);
        }
        Ok(Json(v).into_response())
    })
    .await
}

pub(crate) async fn coverage_service(State(s): State<Arc<AppState>>, Query(q): Query<ServiceQuery>, scope: Scope) -> AppResult {
    let d = s.dataset();
    blocking(move || {
        let t = q.thresholds()?;
        let k = s.service.kind(&d, q.kind()?)?;
        let mut v = Value::Object(header(&k, &t));
        if scope.jurisdiction.is_void() {
            v["unit"] = Value::Null;
            v["children"] = json!([]);
            return Ok(Json(v).into_response());
        }
        let h = &d.hierarchy;
        let cov = svc::coverage_per_unit(&d, &k.distances, &t.metres);
        let (unit, children): (Value, Vec<usize>) = match scoped_unit(&d, &scope, q.unit.as_deref())? {
            Some(i) => (unit_json(&d, &cov[i], &k, &t, true), h.children[i].clone()),
            None => (Value::Null, (0..h.len()).filter(|&i| h.parent[i].is_none()).collect()),
        };
        v["unit"] = unit;
        v["children"] = children.iter().map(|&c| unit_json(&d, &cov[c], &k, &t, false)).collect();
        Ok(Json(v).into_response())
    })
    .await
}

/// Catchment or gap shapes as a FeatureCollection (one threshold per catchment feature).
async fn shapes(s: Arc<AppState>, q: ServiceQuery, scope: Scope, what: ShapeKind) -> AppResult {
    let d = s.dataset();
    blocking(move || {
        let t = q.thresholds()?;
        let kind = q.kind()?;
        let k = s.service.kind(&d, kind)?;
        let mut features = Vec::new();
        for (i, &m) in t.metres.iter().enumerate() {
            for sh in s.service.shapes(&d, kind, m, &scope.jurisdiction, what)?.iter() {
                let mut p = Map::from_iter([
                    ("kind".into(), json!(kind)),
                    ("threshold_m".into(), json!(m)),
                    ("buildings".into(), json!(sh.buildings)),
                    ("households".into(), json!(sh.households)),
                ]);
                if let Some(min) = t.minutes.as_ref().and_then(|x| x.get(i)) {
                    p.insert("minutes".into(), json!(min));
                }
                if what == ShapeKind::Gap {
                    p.insert("homes".into(), sh.members.iter().map(|&b| d.buildings[b as usize].id.clone()).collect());
                }
                features.push(geojson_out::feature(&geo::Geometry::MultiPolygon(sh.area.clone()), p));
            }
        }
        let mut v = geojson_out::collection(features);
        if let Value::Object(o) = &mut v {
            o.extend(header(&k, &t));
        }
        Ok(Json(v).into_response())
    })
    .await
}

pub(crate) async fn catchments(State(s): State<Arc<AppState>>, Query(q): Query<ServiceQuery>, scope: Scope) -> AppResult {
    if q.unit.is_some() {
        return Err(AppError::bad("catchments take no unit: they are limited to the caller's jurisdiction"));
    }
    shapes(s, q, scope, ShapeKind::Catchment).await
}

pub(crate) async fn service_gaps(State(s): State<Arc<AppState>>, Query(q): Query<ServiceQuery>, scope: Scope) -> AppResult {
    if q.unit.is_some() {
        return Err(AppError::bad("gaps take no unit: they are limited to the caller's jurisdiction"));
    }
    shapes(s, q, scope, ShapeKind::Gap).await
}

#[derive(Debug, Deserialize, Default, Clone, Copy, PartialEq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum GoalBody {
    #[default]
    MaxCover,
    PMedian,
}

/// `"nodes"`, `"buildings"` (every building of the unit) or a list of building ids (e.g. vacant ones).
#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
pub(crate) enum CandidatesBody {
    Named(String),
    List(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ServiceSitingBody {
    pub(crate) kind: String,
    pub(crate) k: usize,
    #[serde(default)]
    pub(crate) goal: GoalBody,
    /// Metres: the circle to bring homes within (max_cover, default 500), or the cap of p-median (default 1000).
    pub(crate) threshold: Option<f64>,
    pub(crate) candidates: Option<CandidatesBody>,
    /// The unit whose homes count (inside the jurisdiction); default the jurisdiction's root, or the district.
    pub(crate) unit: Option<String>,
}

/// Most new stations in one request.
pub const MAX_K: usize = 20;

fn figures(f: &SitingFigures) -> Value {
    json!({"households_within": f.households_within, "households_total": f.households_total,
           "share": share(f.households_within, f.households_total), "total_distance_m": round1(f.total_distance_m)})
}

pub(crate) async fn service_siting(
    State(s): State<Arc<AppState>>,
    scope: Scope,
    body: Result<Json<ServiceSitingBody>, axum::extract::rejection::JsonRejection>,
) -> AppResult {
    let Json(b) = body?;
    if !(1..=MAX_K).contains(&b.k) {
        return Err(AppError::bad(format!("k {}: expected 1 to {MAX_K} new stations", b.k)));
    }
    if let Some(t) = b.threshold
        && !(t.is_finite() && t > 0.0 && t <= crate::service::MAX_THRESHOLD_M)
    {
        return Err(AppError::bad(format!("threshold {t} m: expected above 0 and at most {} m", crate::service::MAX_THRESHOLD_M)));
    }
    let d = s.dataset();
    blocking(move || {
        let k = s.service.kind(&d, &b.kind)?;
        let n = s.service.network(&d);
        let j = match scoped_unit(&d, &scope, b.unit.as_deref())? {
            Some(i) => Arc::new(wangge_engine::units::jurisdiction::Jurisdiction::of(&d, Some(&d.hierarchy.units[i].id.0))),
            None if scope.jurisdiction.is_void() => return Err(AppError::Forbidden(scope.outside("the district"))),
            None => scope.jurisdiction.clone(),
        };
        // the homes that count: the unit's buildings with a point
        let homes: Vec<usize> = (0..d.buildings.len()).filter(|&i| n.has_point[i] && j.building(&d, i)).collect();
        let points: Vec<geo::Point<f64>> = homes.iter().map(|&i| n.points[i]).collect();
        let weights: Vec<u64> = homes.iter().map(|&i| u64::from(d.buildings[i].households.unwrap_or(0))).collect();
        let candidates = match &b.candidates {
            None => nodes_inside(&d, &j, n.net.as_ref())?,
            Some(CandidatesBody::Named(x)) if x == "nodes" => nodes_inside(&d, &j, n.net.as_ref())?,
            Some(CandidatesBody::Named(x)) if x == "buildings" => Candidates::Buildings((0..homes.len() as u32).collect()),
            Some(CandidatesBody::Named(x)) => {
                return Err(AppError::bad(format!("candidates {x:?}: use \"nodes\", \"buildings\" or a list of building ids")));
            }
            Some(CandidatesBody::List(ids)) => {
                if ids.is_empty() || ids.len() > 10_000 {
                    return Err(AppError::bad("candidates: give 1 to 10000 building ids"));
                }
                let pos: HashMap<&str, u32> = homes.iter().enumerate().map(|(p, &i)| (d.buildings[i].id.as_str(), p as u32)).collect();
                let mut out = Vec::with_capacity(ids.len());
                for id in ids {
                    match pos.get(id.as_str()) {
                        Some(&p) => out.push(p),
                        None if d.buildings.iter().any(|x| &x.id == id) => {
                            return Err(AppError::Forbidden(scope.outside(&format!("building {id}"))));
                        }
                        None => return Err(AppError::bad(format!("candidate building {id:?} does not exist"))),
                    }
                }
                Candidates::Buildings(out)
            }
        };
        let threshold = b.threshold.unwrap_or(match b.goal {
            GoalBody::MaxCover => 500.0,
            GoalBody::PMedian => svc::siting::DEFAULT_CAP_M,
        });
        let (goal, opts) = match b.goal {
            GoalBody::MaxCover => (SitingGoal::MaxCover { threshold_m: threshold }, DistanceOptions::default()),
            GoalBody::PMedian => (SitingGoal::PMedian, DistanceOptions { max_m: Some(threshold), ..DistanceOptions::default() }),
        };
        let r = svc::siting(n.net.as_ref(), &points, &weights, &k.points, &candidates, b.k, goal, &opts)
            .map_err(|e| AppError::bad(e.to_string()))?;
        let picks: Vec<Value> = r
            .chosen
            .iter()
            .enumerate()
            .map(|(rank, p)| {
                let candidate = match &candidates {
                    Candidates::NetworkNodes | Candidates::Nodes(_) => json!({"node": p.candidate}),
                    Candidates::Buildings(_) => json!({"building": homes.get(p.candidate).map(|&i| d.buildings[i].id.clone())}),
                };
                json!({"rank": rank + 1, "lon": p.position.x(), "lat": p.position.y(), "candidate": candidate,
                       "gain_households": p.gain_households, "gain_distance_m": round1(p.gain_distance_m)})
            })
            .collect();
        let features: Vec<Value> = r
            .chosen
            .iter()
            .enumerate()
            .map(|(rank, p)| {
                geojson_out::feature(
                    &geo::Geometry::Point(p.position),
                    Map::from_iter([
                        ("rank".into(), json!(rank + 1)),
                        ("gain_households".into(), json!(p.gain_households)),
                        ("gain_distance_m".into(), json!(round1(p.gain_distance_m))),
                        ("kind".into(), json!(b.kind)),
                    ]),
                )
            })
            .collect();
        let mut v = json!({"kind": b.kind, "k": b.k, "goal": b.goal_name(), "threshold_m": threshold,
                           "unit": j.unit, "homes": homes.len(), "picks": picks,
                           "before": figures(&r.before), "after": figures(&r.after), "geojson": geojson_out::collection(features)});
        if let (Value::Object(o), Value::Object(m)) = (&mut v, method_json(k.distances.method)) {
            o.extend(m);
        }
        Ok(Json(v).into_response())
    })
    .await
}

/// The network nodes inside `j`: in its unit's polygon, border included (for the whole district, in
/// any unit): a new station goes where the caller decides, never on a street beyond its border.
/// The polygon, not the located leaf: a leaf may reach past its parent (an integrity problem).
/// Without a network, every node (none): the engine answers that nodes need one.
fn nodes_inside(d: &Dataset, j: &Jurisdiction, net: Option<&svc::WalkNetwork>) -> Result<Candidates, AppError> {
    use geo::{BoundingRect, Intersects};
    let Some(net) = net.filter(|n| !n.is_empty()) else { return Ok(Candidates::NetworkNodes) };
    if j.is_everything() && d.hierarchy.is_empty() {
        return Ok(Candidates::NetworkNodes);
    }
    let polygon = j.root.and_then(|r| d.hierarchy.units.get(r)).map(|u| (&u.geometry, u.geometry.bounding_rect()));
    let inside: Vec<u32> = (0..net.node_count() as u32)
        .filter(|&i| {
            let p = geo::Point(net.projection.unproject(net.nodes[i as usize]));
            match &polygon {
                Some((g, Some(bb))) => bb.intersects(&p) && g.intersects(&p),
                Some((_, None)) => false,
                None => d.locator.locate_point(p).is_some(),
            }
        })
        .collect();
    if inside.is_empty() {
        let unit = j.unit.as_deref().unwrap_or("the district");
        return Err(AppError::bad(format!("no network node lies inside {unit}: give candidate buildings instead")));
    }
    Ok(Candidates::Nodes(inside))
}

impl ServiceSitingBody {
    fn goal_name(&self) -> &'static str {
        match self.goal {
            GoalBody::MaxCover => "max_cover",
            GoalBody::PMedian => "p_median",
        }
    }
}

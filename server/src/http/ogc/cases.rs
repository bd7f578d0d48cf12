//! The `cases` collection: the incidents reported through the API (the grid
//! workers' apps, `POST /api/incidents`), open ones from memory and closed ones
//! from the store, as points with their status, times, category, units and
//! counts of steps and 督办 — what `/api/incidents` lists, in the same
//! jurisdiction and department rules, so a GIS sees today's cases beside the
//! loaded history (`incidents`). Nested step records stay in `/api/incidents/{id}`.

use geo::Intersects;
use serde_json::{Value, json};

use crate::http::AppState;
use crate::http::access::Scope;
use crate::http::error::AppError;
use crate::live::LiveIncident;
use wangge_engine::dataset::Dataset;

/// The collection's id.
pub(crate) const ID: &str = "cases";

/// The cases the caller may see that lie in `bbox` (lon/lat, edges included) and occurred in `window`, in the
/// order `/api/incidents` gives them (open ones first).
pub(crate) fn visible(
    s: &AppState,
    d: &Dataset,
    scope: &Scope,
    bbox: Option<geo::Rect<f64>>,
    window: Option<(i64, i64)>,
) -> Result<Vec<LiveIncident>, AppError> {
    let viewer = scope.viewer();
    Ok(s.live.all_in(window, |i| {
        crate::live::kpi::sees_case(d, viewer, i) && bbox.is_none_or(|r| r.intersects(&geo::Point::new(i.lon, i.lat)))
    })?)
}

/// A case as a GeoJSON feature with flat properties (a GIS makes columns of them): the fields of
/// `/api/incidents/{id}` but the nested steps and 督办, which become their counts.
pub(crate) fn feature(s: &AppState, i: &LiveIncident) -> Value {
    let mut p = s.live.json(i);
    if let Some(m) = p.as_object_mut() {
        for k in ["lon", "lat", "allowed_next", "transitions", "urges"] {
            m.remove(k);
        }
        m.insert("steps".into(), json!(i.transitions.len()));
        m.insert("urges".into(), json!(i.urges.len()));
    }
    json!({
        "type": "Feature",
        "id": i.id,
        "geometry": {"type": "Point", "coordinates": [i.lon, i.lat]},
        "properties": p,
    })
}

/// The box and the time span of `cases`, `None` when there are none.
pub(crate) fn extent(cases: &[LiveIncident]) -> Option<(geo::Rect<f64>, (i64, i64))> {
    let first = cases.first()?;
    let (mut lo, mut hi) = (geo::coord! {x: first.lon, y: first.lat}, geo::coord! {x: first.lon, y: first.lat});
    let (mut t0, mut t1) = (first.occurred_at, first.occurred_at);
    for i in cases {
        lo = geo::coord! {x: lo.x.min(i.lon), y: lo.y.min(i.lat)};
        hi = geo::coord! {x: hi.x.max(i.lon), y: hi.y.max(i.lat)};
        t0 = t0.min(i.occurred_at);
        t1 = t1.max(i.occurred_at);
    }
    Some((geo::Rect::new(lo, hi), (t0, t1)))
}

/// Case `fid` as a feature if the caller may see it (one outside the jurisdiction or department is as
/// absent as one that does not exist).
pub(crate) fn one(s: &AppState, d: &Dataset, scope: &Scope, fid: &str) -> Result<Option<Value>, AppError> {
    let viewer = scope.viewer();
    Ok(s.live.find(fid)?.filter(|i| crate::live::kpi::sees_case(d, viewer, i)).map(|i| feature(s, &i)))
}

/// The properties of a case feature, the names a filter may use.
pub(crate) const PROPERTIES: [&str; 17] = [
    "id",
    "occurred_at",
    "received_at",
    "category",
    "item",
    "status",
    "units",
    "reporter",
    "note",
    "deadline_h",
    "overdue",
    "deadline",
    "rework",
    "escalations",
    "resolved_level",
    "steps",
    "urges",
];

//! The items of a collection (OGC API – Features Part 1, /req/core/items):
//! the features of the stored layer that meet `bbox` (the geometry itself, not
//! only its box), lie in the caller's jurisdiction, fall in `datetime`
//! (incidents and cases: an instant, or an interval with `..` for an open end) and equal
//! every property filter (`?level=grid`: the property's value as text), in
//! feature order, `offset` skipped and `limit` (default 10, at most 10 000)
//! returned, with `numberMatched`, `numberReturned` and `self`/`next`/`prev`
//! links. A parameter that is neither one of these nor a property of the
//! layer is a 400 naming it (/req/core/query-param-unknown). O(candidates)
//! per request after the R-tree query.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use geo::{Geometry, Intersects};
use serde_json::{Value, json};

use super::{Out, answer, base, cases, find_collection, link};
use crate::geojson_out::layer_features;
use crate::http::AppState;
use crate::http::access::Scope;
use crate::http::error::{AppError, AppResult};
use crate::http::params::{parse_bbox, urlencode};
use wangge_engine::dataset::Dataset;

/// The default and the largest `limit`.
pub(crate) const DEFAULT_LIMIT: usize = 10;
pub(crate) const MAX_LIMIT: usize = 10_000;

/// Feature `i` of stored layer `layer` as a geometry.
pub(crate) fn geometry(d: &Dataset, layer: &str, i: usize) -> Option<Geometry<f64>> {
    Some(match layer {
        "units" => Geometry::MultiPolygon(d.hierarchy.units.get(i)?.geometry.clone()),
        "buildings" => Geometry::MultiPolygon(d.buildings.get(i)?.footprint.clone()),
        "cameras" => Geometry::Point(d.cameras.get(i)?.position),
        "facilities" => Geometry::Point(d.facilities.get(i)?.position),
        "incidents" => Geometry::Point(d.incidents.get(i)?.position),
        "roads" => Geometry::MultiLineString(d.roads.get(i)?.line.clone()),
        _ => return None,
    })
}

/// The closed time window of `datetime` in unix seconds.
fn datetime(s: &str) -> Result<(i64, i64), AppError> {
    let one = |t: &str, open: i64| -> Result<i64, AppError> {
        match t.trim() {
            ".." | "" => Ok(open),
            t => wangge_engine::time::parse_time(t, 8 * 3600)
                .ok_or_else(|| AppError::bad(format!("datetime {s:?}: {t:?} is not an RFC 3339 time (2026-03-01T08:30:00+08:00)"))),
        }
    };
    let (lo, hi) = match s.split_once('/') {
        Some((a, b)) => (one(a, i64::MIN)?, one(b, i64::MAX)?),
        None => {
            let t = one(s, i64::MIN)?;
            (t, t)
        }
    };
    if lo > hi {
        return Err(AppError::bad(format!("datetime {s:?}: the start is after the end")));
    }
    Ok((lo, hi))
}

/// A property value as the text a filter compares with.
fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Whether feature `f` has every property of `filters` with that value (as text).
fn matches(f: &Value, filters: &[(&str, &str)]) -> bool {
    filters.iter().all(|(k, v)| f["properties"].get(*k).is_some_and(|p| as_text(p) == *v))
}

/// A feature with its id at the top (/req/geojson/content: `id`).
fn with_id(mut f: Value) -> Value {
    if let Some(id) = f["properties"].get("id").cloned() {
        f["id"] = id;
    }
    f
}

const RESERVED: [&str; 5] = ["f", "bbox", "limit", "offset", "datetime"];

pub(crate) async fn items(
    State(s): State<Arc<AppState>>,
    Path(id): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    scope: Scope,
) -> AppResult {
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let out = Out::of(get("f"), &headers)?;
    let c = find_collection(&id)?;
    let bbox = get("bbox").map(parse_bbox).transpose()?;
    let limit = match get("limit") {
        None => DEFAULT_LIMIT,
        Some(l) => {
            l.parse::<usize>().ok().filter(|&n| n >= 1).ok_or_else(|| AppError::bad(format!("limit {l:?}: a whole number from 1")))?
        }
    }
    .min(MAX_LIMIT);
    let offset = match get("offset") {
        None => 0,
        Some(o) => o.parse::<usize>().map_err(|_| AppError::bad(format!("offset {o:?}: a whole number from 0")))?,
    };
    let window = get("datetime").map(datetime).transpose()?;
    if window.is_some() && id != "incidents" && id != cases::ID {
        return Err(AppError::bad(format!("datetime: collection {id:?} has no time; only incidents and cases do")));
    }
    let d = s.dataset();
    let filters: Vec<(&str, &str)> =
        params.iter().filter(|(k, _)| !RESERVED.contains(&k.as_str())).map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let unknown = |k: &str| {
        AppError::bad(format!("unknown parameter {k:?}: use bbox, limit, offset, datetime, f, or a property of {id} as a filter"))
    };
    let (matched, page) = if id == cases::ID {
        if let Some((k, _)) = filters.iter().find(|(k, _)| !cases::PROPERTIES.contains(k)) {
            return Err(unknown(k));
        }
        let hits: Vec<Value> =
            cases::visible(&s, &d, &scope, bbox, window)?.iter().map(|i| cases::feature(&s, i)).filter(|f| matches(f, &filters)).collect();
        (hits.len(), hits.into_iter().skip(offset).take(limit).collect())
    } else {
        layer_page(&d, &id, &scope, bbox, window, &filters, offset, limit).map_err(|k| unknown(&k))?
    };
    let returned = page.len();
    let b = base(&headers);
    let url = |off: usize, f: &str| {
        let mut q: Vec<String> =
            params.iter().filter(|(k, _)| k != "offset" && k != "f").map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v))).collect();
        q.push(format!("offset={off}"));
        q.push(format!("f={f}"));
        format!("{b}/collections/{id}/items?{}", q.join("&"))
    };
    let mut links = vec![
        link(url(offset, "json"), "self", "application/geo+json", "This page"),
        link(url(offset, "html"), "alternate", "text/html", "This page as HTML"),
        link(format!("{b}/collections/{id}"), "collection", "application/json", c.1),
    ];
    if offset + returned < matched {
        links.push(link(url(offset + returned, "json"), "next", "application/geo+json", "Next page"));
    }
    if offset > 0 {
        links.push(link(url(offset.saturating_sub(limit), "json"), "prev", "application/geo+json", "Previous page"));
    }
    let v = json!({
        "type": "FeatureCollection",
        "features": page.into_iter().map(with_id).collect::<Vec<_>>(),
        "numberMatched": matched,
        "numberReturned": returned,
        "timeStamp": wangge_engine::time::format_time(now()),
        "links": links,
    });
    Ok(answer(out, v, "application/geo+json", &format!("{} — items", c.1)))
}

/// The features of stored layer `id` in the caller's jurisdiction meeting `bbox`, in `window` (incidents) and
/// equal to every filter: how many, and the page from `offset`. `Err(k)`: filter `k` names no property of the layer.
#[allow(clippy::too_many_arguments)]
fn layer_page(
    d: &Dataset,
    id: &str,
    scope: &Scope,
    bbox: Option<geo::Rect<f64>>,
    window: Option<(i64, i64)>,
    filters: &[(&str, &str)],
    offset: usize,
    limit: usize,
) -> Result<(usize, Vec<Value>), String> {
    let mut idx = crate::http::units::layer_indices(d, id, bbox, &scope.jurisdiction).unwrap_or_default();
    if let Some(r) = bbox {
        idx.retain(|&i| geometry(d, id, i).is_some_and(|g| g.intersects(&r)));
    }
    if let Some((lo, hi)) = window {
        idx.retain(|&i| d.incidents.get(i).is_some_and(|n| lo <= n.occurred_at && n.occurred_at <= hi));
    }
    if filters.is_empty() {
        let page: Vec<usize> = idx.iter().copied().skip(offset).take(limit).collect();
        return Ok((idx.len(), layer_features(d, id, &page)));
    }
    // a filter must name a property the layer has (any feature of it, in or out of the jurisdiction)
    let all = layer_features(d, id, &idx);
    let sample = layer_features(d, id, &[0]);
    if let Some((k, _)) = filters.iter().find(|(k, _)| !sample.iter().chain(&all).any(|f| f["properties"].get(*k).is_some())) {
        return Err((*k).to_owned());
    }
    let hits: Vec<Value> = all.into_iter().filter(|f| matches(f, filters)).collect();
    let n = hits.len();
    Ok((n, hits.into_iter().skip(offset).take(limit).collect()))
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

#[derive(Debug, serde::Deserialize)]
pub(crate) struct ItemQuery {
    f: Option<String>,
}

pub(crate) async fn item(
    State(s): State<Arc<AppState>>,
    Path((id, fid)): Path<(String, String)>,
    Query(q): Query<ItemQuery>,
    headers: HeaderMap,
    scope: Scope,
) -> AppResult {
    let out = Out::of(q.f.as_deref(), &headers)?;
    let c = find_collection(&id)?;
    let d = s.dataset();
    // outside the jurisdiction is not found, as a feature that does not exist
    let not_found = || AppError::not_found(format!("no feature {fid:?} in collection {id:?}"));
    let mut f = if id == cases::ID {
        cases::one(&s, &d, &scope, &fid)?.ok_or_else(not_found)?
    } else {
        let i = stored_item(&d, &id, &scope, &fid).ok_or_else(not_found)?;
        with_id(layer_features(&d, &id, &[i]).into_iter().next().unwrap_or(Value::Null))
    };
    let b = base(&headers);
    let e = urlencode(&fid);
    f["links"] = json!([
        link(format!("{b}/collections/{id}/items/{e}?f=json"), "self", "application/geo+json", "This feature"),
        link(format!("{b}/collections/{id}/items/{e}?f=html"), "alternate", "text/html", "This feature as HTML"),
        link(format!("{b}/collections/{id}"), "collection", "application/json", c.1),
    ]);
    Ok(answer(out, f, "application/geo+json", &format!("{} {fid}", c.1)))
}

/// The index of feature `fid` of stored layer `layer` if it lies in the caller's jurisdiction.
fn stored_item(d: &Dataset, layer: &str, scope: &Scope, fid: &str) -> Option<usize> {
    let idx = crate::http::units::layer_indices(d, layer, None, &scope.jurisdiction).unwrap_or_default();
    idx.into_iter().find(|&i| {
        let fid_of = match layer {
            "units" => d.hierarchy.units.get(i).map(|u| u.id.0.as_str()),
            "buildings" => d.buildings.get(i).map(|x| x.id.as_str()),
            "cameras" => d.cameras.get(i).map(|x| x.id.as_str()),
            "facilities" => d.facilities.get(i).map(|x| x.id.as_str()),
            "incidents" => d.incidents.get(i).map(|x| x.id.as_str()),
            _ => d.roads.get(i).map(|x| x.id.as_str()),
        };
        fid_of == Some(fid)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetime_windows() {
        assert_eq!(datetime("2026-03-01T00:00:00Z/2026-03-02T00:00:00Z").expect("w"), (1_772_323_200, 1_772_409_600));
        assert_eq!(datetime("../2026-03-01T00:00:00Z").expect("w").0, i64::MIN);
        assert_eq!(datetime("2026-03-01T00:00:00Z/..").expect("w").1, i64::MAX);
        assert!(datetime("2026-03-02T00:00:00Z/2026-03-01T00:00:00Z").is_err());
        assert!(datetime("yesterday").is_err());
    }
}

//! Service life circles for the server (issue 16): the walking network of the
//! loaded `roads` layer, the distances from every building to the nearest
//! facility of a kind, and the shapes drawn from them (catchments, gaps), each
//! computed once per data version and kept in [`ServiceCache`] for the HTTP
//! routes and the tiles; the CLI calls the same functions without the cache.
//!
//! The computation is the engine's (`wangge_engine::service`); this module
//! only picks the inputs out of the [`Dataset`], parses thresholds and masks
//! what lies outside a jurisdiction. With no roads layer every answer says
//! `"method": "straight_line"` with its detour factor.

pub mod shapes;

use std::sync::Arc;

use geo::Point;
use serde_json::{Value, json};
use wangge_engine::dataset::Dataset;
use wangge_engine::service::{self as svc, Attachment, DistanceOptions, Distances, Method, NetworkOptions, WalkNetwork};

pub use shapes::{ServiceShape, ShapeKind};

/// Walking speed for thresholds given in minutes, metres per minute (about 4.8 km/h).
pub const DEFAULT_SPEED_M_PER_MIN: f64 = 80.0;
/// At most this many thresholds in one request.
pub const MAX_THRESHOLDS: usize = 12;
/// Thresholds above this (metres) are refused: life circles are walking distances.
pub const MAX_THRESHOLD_M: f64 = 20_000.0;

/// Why a service request cannot be answered (the client's mistake: a 4xx).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ServiceError {
    #[error("no facilities of kind {kind:?}; kinds are {known}")]
    UnknownKind { kind: String, known: String },
    #[error("{0}")]
    Threshold(String),
}

/// The walking network of one data version and every building's point on it.
#[derive(Debug)]
pub struct Network {
    /// None when the roads layer is empty (straight-line fallback).
    pub net: Option<WalkNetwork>,
    /// Per building: its point (footprint centroid, or a point inside); a building without a footprint
    /// gets a stand-in point and is never reached.
    pub points: Vec<Point<f64>>,
    pub has_point: Vec<bool>,
    /// Per building: where it joins the network (with a network).
    pub attachments: Vec<Option<Attachment>>,
}

/// The distances of one facility kind.
#[derive(Debug)]
pub struct KindService {
    pub kind: String,
    /// Indices of the kind's facilities in the facilities layer, in the order the distances number them.
    pub facilities: Vec<usize>,
    pub points: Vec<Point<f64>>,
    pub distances: Distances,
}

/// Build the network of `d`'s roads and attach every building.
pub fn network(d: &Dataset) -> Network {
    let pts: Vec<Option<Point<f64>>> = d.buildings.iter().map(svc::building_point).collect();
    let stand_in = pts.iter().flatten().next().copied().unwrap_or(Point::new(0.0, 0.0));
    let points: Vec<Point<f64>> = pts.iter().map(|p| p.unwrap_or(stand_in)).collect();
    let has_point = pts.iter().map(Option::is_some).collect();
    let net = (!d.roads.is_empty()).then(|| WalkNetwork::from_roads(&d.roads, &NetworkOptions::default())).filter(|n| !n.is_empty());
    let attachments = net.as_ref().map(|n| n.attach_all(&points)).unwrap_or_default();
    Network { net, points, has_point, attachments }
}

/// The facility kinds present with their counts, by name.
pub fn kinds(d: &Dataset) -> Vec<(String, usize)> {
    let mut m: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for f in &d.facilities {
        *m.entry(f.kind.as_str()).or_default() += 1;
    }
    m.into_iter().map(|(k, n)| (k.to_owned(), n)).collect()
}

/// Distances from every building to the nearest facility of `kind`.
pub fn kind_service(d: &Dataset, n: &Network, kind: &str) -> Result<KindService, ServiceError> {
    let facilities: Vec<usize> = d.facilities.iter().enumerate().filter(|(_, f)| f.kind == kind).map(|(i, _)| i).collect();
    if facilities.is_empty() {
        let known = kinds(d).into_iter().map(|(k, _)| k).collect::<Vec<_>>().join(", ");
        return Err(ServiceError::UnknownKind { kind: kind.to_owned(), known: if known.is_empty() { "none".into() } else { known } });
    }
    let points: Vec<Point<f64>> = facilities.iter().map(|&i| d.facilities[i].position).collect();
    let opts = DistanceOptions::default();
    let mut distances = match &n.net {
        Some(net) => svc::distances_attached(net, n.attachments.clone(), net.attach_all(&points), kind, &opts),
        None => svc::distances(None, &n.points, &points, kind, &opts),
    };
    for (i, has) in n.has_point.iter().enumerate() {
        if !has {
            distances.nearest[i] = None;
        }
    }
    Ok(KindService { kind: kind.to_owned(), facilities, points, distances })
}

/// How the distances were measured, for every answer: `{"method": "network"}` or
/// `{"method": "straight_line", "detour": 1.3}`.
pub fn method_json(m: Method) -> Value {
    match m {
        Method::Network => json!({"method": "network"}),
        Method::StraightLine { detour } => json!({"method": "straight_line", "detour": detour}),
    }
}

/// Thresholds of a request, in metres, and the minutes they came from (when given in minutes).
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    pub metres: Vec<f64>,
    pub minutes: Option<Vec<f64>>,
    pub speed_m_per_min: f64,
}

fn numbers(what: &str, s: &str) -> Result<Vec<f64>, ServiceError> {
    let v: Vec<f64> = s
        .split(',')
        .map(|x| x.trim().parse::<f64>().map_err(|_| ServiceError::Threshold(format!("{what} {x:?}: expected a number"))))
        .collect::<Result<_, _>>()?;
    if v.is_empty() || v.len() > MAX_THRESHOLDS {
        return Err(ServiceError::Threshold(format!("{what}: give 1 to {MAX_THRESHOLDS} values")));
    }
    Ok(v)
}

/// `threshold=500` or `threshold=300,500,1000` (metres), or `minutes=5,10,15` at `speed` metres a minute
/// (default 80); neither: GB 50180-2018's 300, 500 and 1000 m.
pub fn thresholds(threshold: Option<&str>, minutes: Option<&str>, speed: Option<f64>) -> Result<Thresholds, ServiceError> {
    let speed = speed.unwrap_or(DEFAULT_SPEED_M_PER_MIN);
    if !(speed.is_finite() && speed > 0.0 && speed <= 1000.0) {
        return Err(ServiceError::Threshold(format!("speed {speed}: expected metres per minute, above 0 and at most 1000")));
    }
    let (metres, minutes) = match (threshold, minutes) {
        (Some(_), Some(_)) => return Err(ServiceError::Threshold("give threshold (metres) or minutes, not both".into())),
        (Some(t), None) => (numbers("threshold", t)?, None),
        (None, Some(m)) => {
            let m = numbers("minutes", m)?;
            (m.iter().map(|x| x * speed).collect(), Some(m))
        }
        (None, None) => (svc::DEFAULT_THRESHOLDS_M.to_vec(), None),
    };
    if let Some(bad) = metres.iter().find(|m| !(m.is_finite() && **m > 0.0 && **m <= MAX_THRESHOLD_M)) {
        return Err(ServiceError::Threshold(format!("threshold {bad} m: expected above 0 and at most {MAX_THRESHOLD_M} m")));
    }
    Ok(Thresholds { metres, minutes, speed_m_per_min: speed })
}

/// The key of cached shapes: data version, kind, threshold (f64 bits), jurisdiction, which shapes.
type ShapeKey = (String, String, u64, String, ShapeKind);

/// Networks and distances per data version, and the shapes per (kind, threshold, jurisdiction).
#[derive(Debug)]
pub struct ServiceCache {
    networks: moka::sync::Cache<String, Arc<Network>>,
    kinds: moka::sync::Cache<(String, String), Arc<KindService>>,
    shapes: moka::sync::Cache<ShapeKey, Arc<Vec<ServiceShape>>>,
}

impl Default for ServiceCache {
    fn default() -> Self {
        ServiceCache { networks: moka::sync::Cache::new(2), kinds: moka::sync::Cache::new(32), shapes: moka::sync::Cache::new(256) }
    }
}

impl ServiceCache {
    /// The network of `d` (built once per data version).
    pub fn network(&self, d: &Dataset) -> Arc<Network> {
        self.networks.get_with(d.data_version(), || Arc::new(network(d)))
    }

    /// The distances of `kind` in `d` (computed once per data version and kind).
    pub fn kind(&self, d: &Dataset, kind: &str) -> Result<Arc<KindService>, ServiceError> {
        let key = (d.data_version(), kind.to_owned());
        if let Some(k) = self.kinds.get(&key) {
            return Ok(k);
        }
        let k = Arc::new(kind_service(d, &self.network(d), kind)?);
        self.kinds.insert(key, k.clone());
        Ok(k)
    }

    /// Catchment or gap shapes of `kind` at `threshold_m` inside jurisdiction `j` (computed once per
    /// data version, kind, threshold and jurisdiction).
    pub fn shapes(
        &self,
        d: &Dataset,
        kind: &str,
        threshold_m: f64,
        j: &wangge_engine::units::jurisdiction::Jurisdiction,
        what: ShapeKind,
    ) -> Result<Arc<Vec<ServiceShape>>, ServiceError> {
        let key = (d.data_version(), kind.to_owned(), threshold_m.to_bits(), j.key().to_owned(), what);
        if let Some(s) = self.shapes.get(&key) {
            return Ok(s);
        }
        let k = self.kind(d, kind)?;
        let n = self.network(d);
        let s = Arc::new(match what {
            ShapeKind::Catchment => shapes::catchment(d, &n, &k, threshold_m, j),
            ShapeKind::Gap => shapes::gaps(d, &k, threshold_m, j),
        });
        self.shapes.insert(key, s.clone());
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_in_metres_or_minutes() {
        assert_eq!(thresholds(None, None, None).map(|t| t.metres), Ok(vec![300.0, 500.0, 1000.0]));
        assert_eq!(thresholds(Some("500"), None, None).map(|t| t.metres), Ok(vec![500.0]));
        let t = thresholds(None, Some("5,10"), Some(60.0)).expect("minutes");
        assert_eq!((t.metres, t.minutes), (vec![300.0, 600.0], Some(vec![5.0, 10.0])));
        for (t, m, s) in [(Some("x"), None, None), (Some("-5"), None, None), (Some("500"), Some("5"), None), (None, Some("5"), Some(0.0))] {
            assert!(matches!(thresholds(t, m, s), Err(ServiceError::Threshold(_))), "{t:?} {m:?} {s:?}");
        }
        assert!(thresholds(Some("1e9"), None, None).is_err());
        assert!(thresholds(Some(&vec!["100"; 13].join(",")), None, None).is_err());
    }
}

//! The shapes drawn from a kind's distances, limited to a jurisdiction:
//! catchments (the reached network buffered, clipped to the jurisdiction's
//! root unit) and gaps (clusters of the homes beyond reach inside it).

use geo::{BooleanOps, BoundingRect, MultiPolygon, Rect};
use wangge_engine::dataset::Dataset;
use wangge_engine::service::{self as svc, Distances, NetworkOptions, WalkNetwork};
use wangge_engine::units::jurisdiction::Jurisdiction;

use super::{KindService, Network};

/// Which shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ShapeKind {
    Catchment,
    Gap,
}

/// One catchment or gap polygon (lon/lat) with its figures.
#[derive(Debug, Clone)]
pub struct ServiceShape {
    pub area: MultiPolygon<f64>,
    pub bbox: Option<Rect<f64>>,
    pub threshold_m: f64,
    /// Buildings reached (catchment) or beyond reach (gap), inside the jurisdiction.
    pub buildings: u32,
    pub households: u64,
    /// Indices of those buildings (gaps only; a catchment's are every reached building).
    pub members: Vec<u32>,
}

fn households(d: &Dataset, b: impl IntoIterator<Item = u32>) -> u64 {
    b.into_iter().map(|b| u64::from(d.buildings.get(b as usize).and_then(|b| b.households).unwrap_or(0))).sum()
}

/// The catchment of `k` at `threshold_m`, clipped to the jurisdiction's root unit.
pub fn catchment(d: &Dataset, n: &Network, k: &KindService, threshold_m: f64, j: &Jurisdiction) -> Vec<ServiceShape> {
    if j.is_void() {
        return Vec::new();
    }
    let empty;
    let net = match &n.net {
        Some(net) => net,
        None => {
            empty = WalkNetwork::build(&[], &NetworkOptions::default());
            &empty
        }
    };
    let Some(c) = svc::catchments(net, &k.points, &[threshold_m], svc::DEFAULT_WIDTH_M, &k.distances).into_iter().next() else {
        return Vec::new();
    };
    let area = match j.root {
        Some(r) => c.area.intersection(&d.hierarchy.units[r].geometry),
        None => c.area,
    };
    let reached: Vec<u32> = c.buildings.into_iter().filter(|&b| j.building(d, b as usize)).collect();
    if area.0.is_empty() {
        return Vec::new();
    }
    vec![ServiceShape {
        bbox: area.bounding_rect(),
        area,
        threshold_m,
        buildings: reached.len() as u32,
        households: households(d, reached.iter().copied()),
        members: Vec::new(),
    }]
}

/// The gaps of `k` at `threshold_m`: clusters of the homes inside the jurisdiction beyond reach.
pub fn gaps(d: &Dataset, k: &KindService, threshold_m: f64, j: &Jurisdiction) -> Vec<ServiceShape> {
    if j.is_void() {
        return Vec::new();
    }
    // buildings outside the jurisdiction count as reached, so no gap holds them
    let nearest = k.distances.nearest.iter().enumerate().map(|(b, n)| if j.building(d, b) { *n } else { Some((0, 0.0)) }).collect();
    let masked = Distances { kind: k.kind.clone(), method: k.distances.method, nearest, island: Vec::new(), field: None };
    svc::gaps(d, &masked, threshold_m)
        .into_iter()
        .map(|(area, members)| ServiceShape {
            bbox: area.bounding_rect(),
            area,
            threshold_m,
            buildings: members.len() as u32,
            households: households(d, members.iter().copied()),
            members,
        })
        .collect()
}

//! Service gaps: where homes lie beyond reach of a facility kind, as polygons.
//!
//! Method: the buildings farther than the threshold (or unreachable) are clustered —
//! two belong together when their points lie within `2 × GAP_RADIUS_M` (union–find over
//! a hash grid of that cell size) — and each cluster becomes the union of discs of
//! `GAP_RADIUS_M` around its buildings' points ([`super::raster`], 5 m cells: within
//! 3.5 m of the exact union), with the buildings it holds. Clusters come largest first.
//!
//! Complexity: O(B) expected for the clustering plus the raster of each cluster.
//!
//! Reference: the homes in a gap are exactly the buildings outside the threshold
//! (the unit test checks the partition).

use std::collections::HashMap;

use geo::{BoundingRect, MultiPoint, MultiPolygon, Point};

use super::attach::building_point;
use super::catchment::discs;
use super::dijkstra::Distances;
use crate::dataset::Dataset;
use crate::geometry::projection::LocalProjection;

/// Radius drawn around each home beyond reach, metres.
pub const GAP_RADIUS_M: f64 = 30.0;

fn find(p: &mut [u32], mut x: u32) -> u32 {
    while p[x as usize] != x {
        p[x as usize] = p[p[x as usize] as usize];
        x = p[x as usize];
    }
    x
}

/// Gap polygons (lon/lat) with the buildings in each, largest cluster first.
pub fn gaps(dataset: &Dataset, d: &Distances, threshold_m: f64) -> Vec<(MultiPolygon<f64>, Vec<u32>)> {
    let outside: Vec<(u32, Point<f64>)> = dataset
        .buildings
        .iter()
        .enumerate()
        .filter(|(i, _)| d.nearest.get(*i).copied().flatten().is_none_or(|(_, m)| m.is_nan() || m > threshold_m))
        .filter_map(|(i, b)| building_point(b).map(|p| (i as u32, p)))
        .collect();
    let Some(bb) = MultiPoint(outside.iter().map(|x| x.1).collect()).bounding_rect() else { return Vec::new() };
    let proj = LocalProjection::for_rect(bb);
    let link = 2.0 * GAP_RADIUS_M;
    let pts: Vec<_> = outside.iter().map(|(_, p)| proj.project(p.0)).collect();
    let mut grid: HashMap<(i64, i64), Vec<u32>> = HashMap::new();
    let mut parent: Vec<u32> = (0..pts.len() as u32).collect();
    for (k, c) in pts.iter().enumerate() {
        let cell = ((c.x / link).floor() as i64, (c.y / link).floor() as i64);
        for dx in -1..=1 {
            for dy in -1..=1 {
                for &o in grid.get(&(cell.0 + dx, cell.1 + dy)).map_or(&[][..], Vec::as_slice) {
                    let q = pts[o as usize];
                    if (q.x - c.x).hypot(q.y - c.y) <= link {
                        let (a, b) = (find(&mut parent, k as u32), find(&mut parent, o));
                        parent[a.max(b) as usize] = a.min(b);
                    }
                }
            }
        }
        grid.entry(cell).or_default().push(k as u32);
    }
    let mut clusters: HashMap<u32, Vec<usize>> = HashMap::new();
    for k in 0..pts.len() {
        let r = find(&mut parent, k as u32);
        clusters.entry(r).or_default().push(k);
    }
    let mut out: Vec<(MultiPolygon<f64>, Vec<u32>)> = clusters
        .into_values()
        .map(|members| {
            let points: Vec<Point<f64>> = members.iter().map(|&k| outside[k].1).collect();
            (discs(&points, GAP_RADIUS_M), members.iter().map(|&k| outside[k].0).collect())
        })
        .collect();
    out.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.1.cmp(&b.1)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::coverage::tests::dataset;
    use crate::service::dijkstra::Method;
    use geo::Contains;

    #[test]
    fn gaps_hold_exactly_the_homes_outside() {
        let ds = dataset();
        let d = Distances {
            kind: "k".into(),
            method: Method::Network,
            nearest: vec![Some((0, 250.0)), Some((0, 700.0)), None, Some((0, 900.0))],
            island: vec![false; 4],
            field: None,
        };
        let g = gaps(&ds, &d, 500.0);
        let mut all: Vec<u32> = g.iter().flat_map(|x| x.1.clone()).collect();
        all.sort_unstable();
        assert_eq!(all, vec![1, 2, 3]);
        // buildings b (120.002) and c (120.011) are ~800 m apart: separate clusters; x is far
        assert_eq!(g.len(), 3);
        for (poly, members) in &g {
            for &m in members {
                let p = building_point(&ds.buildings[m as usize]).expect("point");
                assert!(poly.contains(&p));
            }
        }
        assert!(gaps(&ds, &d, 1000.0).iter().all(|x| x.1 == vec![2]));
    }
}

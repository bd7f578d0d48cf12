//! Proposed alliances on a generated brick lattice (labelled generated):
//! every group is contiguous by an independent check (boundary sampled every
//! 0.5 m, each sample's distance to the other unit's boundary measured with
//! geo), sizes stay in range, straddling groups cross parent borders, and
//! the result is the same for the same seed.

use geo::{Distance, Euclidean, Length, LineString, MultiPolygon, Point};
use wangge_engine::geometry::projection::LocalProjection;
use wangge_engine::groups::adjacency::{AdjacencyOptions, Contact, adjacency};
use wangge_engine::groups::alliance::{AllianceSpec, UnitGraph, propose};
use wangge_engine::synth::{LatticeSpec, lattice_units};

fn rings(m: &MultiPolygon<f64>) -> Vec<LineString<f64>> {
    m.0.iter().flat_map(|p| std::iter::once(p.exterior().clone()).chain(p.interiors().iter().cloned())).collect()
}

/// Length of a's boundary within 2 m of b's, by sampling every 0.5 m.
fn shared_by_sampling(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> f64 {
    let rb = rings(b);
    let mut len = 0.0;
    for r in rings(a) {
        for l in r.lines() {
            let d = Euclidean.length(&l);
            let steps = (d / 0.5).ceil().max(1.0) as usize;
            for s in 0..steps {
                let t = (s as f64 + 0.5) / steps as f64;
                let p = Point::new(l.start.x + t * (l.end.x - l.start.x), l.start.y + t * (l.end.y - l.start.y));
                if rb.iter().any(|r| Euclidean.distance(&p, r) <= 2.0) {
                    len += d / steps as f64;
                }
            }
        }
    }
    len
}

#[test]
fn proposed_groups_are_contiguous_in_range_and_deterministic() {
    let units = lattice_units(&LatticeSpec { cols: 9, rows: 7, cell_m: 250.0, densify: 3, seed: 11, origin: (120.35, 36.07) });
    let n = units.len();
    let geoms: Vec<&MultiPolygon<f64>> = units.iter().map(|u| &u.geometry).collect();
    let adj = adjacency(&geoms, &AdjacencyOptions::default());
    let proj = LocalProjection::new(120.36, 36.08);
    let metric: Vec<MultiPolygon<f64>> = units.iter().map(|u| proj.project_multi(&u.geometry)).collect();
    let graph = UnitGraph {
        edges: adj.pairs.iter().filter(|p| p.contact == Contact::Rook).map(|p| (p.a, p.b, p.shared_m)).collect(),
        weight: (0..n).map(|i| 300.0 + ((i * 37) % 11) as f64 * 20.0).collect(),
        area_m2: metric.iter().map(geo::Area::unsigned_area).collect(),
        perimeter_m: metric.iter().map(|m| rings(m).iter().map(|r| Euclidean.length(r)).sum()).collect(),
        parent: Vec::new(),
        ids: Vec::new(),
    };
    // parents in vertical bands of three columns; for straddling groups bands
    // of two (so that every unit lies on a parent border and a solution exists)
    for straddle in [false, true] {
        let band = if straddle { 2 } else { 3 };
        let graph = UnitGraph { parent: (0..n).map(|i| Some((i % 9) / band)).collect(), ..graph.clone() };
        let spec = AllianceSpec { groups: None, min_size: 3, max_size: 5, straddle, seed: 42 };
        let a = propose(&graph, &spec).expect("propose");
        assert!(a.problems.is_empty(), "straddle {straddle}: {:?}", a.problems);
        let mut seen = vec![0; n];
        for g in &a.groups {
            assert!((3..=5).contains(&g.members.len()), "size {}", g.members.len());
            if straddle {
                let first = graph.parent[g.members[0]];
                assert!(g.members.iter().any(|&u| graph.parent[u] != first), "group under one parent: {:?}", g.members);
            }
            // independent contiguity: union-find over member pairs sharing ≥ 1 m of boundary by sampling
            let m = &g.members;
            let mut comp: Vec<usize> = (0..m.len()).collect();
            fn root(c: &mut [usize], mut x: usize) -> usize {
                while c[x] != x {
                    x = c[x];
                }
                x
            }
            for i in 0..m.len() {
                for j in i + 1..m.len() {
                    if Euclidean.distance(&metric[m[i]], &metric[m[j]]) <= 2.0 && shared_by_sampling(&metric[m[i]], &metric[m[j]]) >= 1.0 {
                        let (ri, rj) = (root(&mut comp, i), root(&mut comp, j));
                        comp[ri] = rj;
                    }
                }
            }
            let r0 = root(&mut comp, 0);
            assert!((0..m.len()).all(|i| root(&mut comp, i) == r0), "group {m:?} is not contiguous");
            for &u in m {
                seen[u] += 1;
            }
        }
        assert!(seen.iter().all(|&s| s == 1), "every unit in exactly one group");
        let again = propose(&graph, &spec).expect("propose");
        let members = |x: &wangge_engine::groups::alliance::Alliances| x.groups.iter().map(|g| g.members.clone()).collect::<Vec<_>>();
        assert_eq!(members(&a), members(&again), "same seed, same groups");
    }
}

//! Property: on a generated brick lattice of grids, every random building
//! that meets the lattice is assigned to exactly one leaf unit — one that
//! holds the largest share of its footprint by a plain all-pairs
//! intersection written here — and a building meeting no unit to none.

use geo::{Area, BooleanOps, BoundingRect, LineString, MultiPolygon, Polygon};
use proptest::prelude::*;
use wangge_engine::geometry::projection::LocalProjection;
use wangge_engine::model::{Attributes, Building};
use wangge_engine::synth::{LatticeSpec, inside_point, lattice_units};
use wangge_engine::units::assign::assign_buildings;
use wangge_engine::units::hierarchy::Hierarchy;

fn square(proj: &LocalProjection, x: f64, y: f64, side: f64) -> MultiPolygon<f64> {
    let h = side / 2.0;
    let ring = LineString::from(vec![(x - h, y - h), (x + h, y - h), (x + h, y + h), (x - h, y + h), (x - h, y - h)]);
    proj.unproject_multi(&MultiPolygon(vec![Polygon::new(ring, vec![])]))
}

proptest! {
    #![proptest_config(crate::props::config(24, 0x9e37_79b9_7f4a_7c15))]

    #[test]
    fn every_building_in_exactly_one_leaf(
        cols in 2usize..5,
        rows in 2usize..5,
        cell_m in 80.0f64..250.0,
        densify in 0usize..3,
        seed in 0u64..1_000,
        spots in prop::collection::vec((0usize..16, -0.7f64..0.7, -0.7f64..0.7, 3.0f64..40.0), 1..25),
    ) {
        let spec = LatticeSpec { cols, rows, cell_m, densify, seed, origin: (120.38, 36.06) };
        let units = lattice_units(&spec);
        let h = Hierarchy::build(units.clone()).expect("a lattice is a hierarchy");
        let bb = units.iter().filter_map(|u| u.geometry.bounding_rect()).reduce(wangge_engine::geometry::index::rect_union).expect("bounds");
        let proj = LocalProjection::for_rect(bb);
        let buildings: Vec<Building> = spots
            .iter()
            .enumerate()
            .map(|(n, &(k, dx, dy, side))| {
                let c = inside_point(&units[k % units.len()]).expect("a grid has an inside point");
                let m = proj.project(c);
                Building {
                    id: format!("B{n}"),
                    footprint: square(&proj, m.x + dx * cell_m, m.y + dy * cell_m, side),
                    households: None,
                    population: None,
                    floors: None,
                    height: None,
                    attributes: Attributes::default(),
                }
            })
            .collect();
        let got = assign_buildings(&h, &buildings);
        prop_assert_eq!(got.len(), buildings.len());
        for (b, a) in buildings.iter().zip(&got) {
            let fp = proj.project_multi(&b.footprint);
            let shares: Vec<f64> = h.units.iter().map(|u| fp.intersection(&proj.project_multi(&u.geometry)).unsigned_area()).collect();
            let best = shares.iter().copied().fold(0.0, f64::max);
            if best <= 1e-6 {
                prop_assert!(a.leaf.is_none(), "{} meets no unit but went to {:?}", b.id, a.leaf);
                continue;
            }
            let leaf = a.leaf.expect("a building meeting the lattice has a leaf");
            prop_assert!(h.children[leaf].is_empty(), "{} assigned to a unit with children", b.id);
            prop_assert!(shares[leaf] >= best - 1e-6 * fp.unsigned_area().max(1.0), "{}: leaf share {} < best {}", b.id, shares[leaf], best);
            // the leaves' shares add up to the footprint (leaves do not overlap)
            let inside: f64 = shares.iter().sum();
            prop_assert!(inside <= fp.unsigned_area() * (1.0 + 1e-6) + 1e-6);
        }
    }
}

//! Property: after a random sequence of camera additions, moves and
//! deletions applied incrementally (`CameraEdit`), the coverage map's
//! per-unit figures equal a full recompute from the edited cameras.

use geo::Point;
use proptest::prelude::*;
use wangge_engine::cameras::edit::CameraEdit;
use wangge_engine::cameras::map::CameraCoverage;
use wangge_engine::dataset::Dataset;
use wangge_engine::model::{Attributes, Camera, CameraKind, CameraView, Layer, Metres};
use wangge_engine::synth::{BuildingSpec, LatticeSpec, generate_buildings, generate_cameras, lattice_units};
use wangge_engine::units::integrity::IntegrityConfig;

fn town(seed: u64) -> Dataset {
    let units = lattice_units(&LatticeSpec { cols: 2, rows: 2, cell_m: 120.0, densify: 0, seed, origin: (120.38, 36.06) });
    let buildings = generate_buildings(&units, &BuildingSpec { per_leaf: 3, straddle_share: 0.0, seed });
    let cameras = generate_cameras(&buildings, 0.5, seed);
    let mut d = Dataset::empty(IntegrityConfig::default());
    for l in [Layer::Units(units), Layer::Buildings(buildings), Layer::Cameras(cameras)] {
        d.set(l).expect("valid layer");
    }
    d.rebuild();
    d
}

/// An edit drawn from numbers: 0 add, 1 move, 2 delete (a move or delete of no camera adds one).
fn edit(d: &Dataset, n: usize, (op, at, fx, fy, heading, fov, range): (u8, usize, f64, f64, f64, f64, f64)) -> CameraEdit {
    let Some(bb) = d.bounds() else { unreachable!("the town has bounds") };
    let position = Point::new(bb.min().x + fx * bb.width(), bb.min().y + fy * bb.height());
    let dome = fov >= 300.0;
    let camera = Camera {
        id: format!("P{n}"),
        position,
        view: CameraView { heading_deg: heading, fov_deg: if dome { 360.0 } else { fov }, range_m: Metres(range), height_m: Metres(4.0) },
        kind: if dome { CameraKind::Dome } else { CameraKind::Fixed },
        attributes: Attributes::default(),
    };
    match (op, d.cameras.len()) {
        (_, 0) | (0, _) => CameraEdit::Add(camera),
        (1, len) => CameraEdit::Replace(at % len, camera),
        (_, len) => CameraEdit::Remove(at % len),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn incremental_edits_equal_a_full_recompute(
        seed in 0u64..500,
        edits in prop::collection::vec((0u8..3, 0usize..50, 0.0f64..1.0, 0.0f64..1.0, 0.0f64..360.0, 30.0f64..360.0, 10.0f64..80.0), 1..6),
    ) {
        let mut d = town(seed);
        let _ = d.coverage();
        for (n, e) in edits.into_iter().enumerate() {
            let e = edit(&d, n, e);
            CameraCoverage::apply(&mut d, e);
        }
        let ours = d.coverage().units.clone();
        let full = CameraCoverage::compute(&d);
        prop_assert_eq!(ours.len(), full.units.len());
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * b.abs().max(1.0) + 1e-3;
        for (i, (a, b)) in ours.iter().zip(&full.units).enumerate() {
            prop_assert!(close(a.ground_m2, b.ground_m2), "unit {i} ground {} vs {}", a.ground_m2, b.ground_m2);
            prop_assert!(close(a.covered_m2, b.covered_m2), "unit {i} covered {} vs {}", a.covered_m2, b.covered_m2);
            prop_assert!(close(a.facade_seen_m, b.facade_seen_m), "unit {i} facade seen {} vs {}", a.facade_seen_m, b.facade_seen_m);
            prop_assert_eq!((a.cameras, a.buildings, a.buildings_unseen), (b.cameras, b.buildings, b.buildings_unseen), "unit {}", i);
        }
        prop_assert_eq!(d.coverage().views.len(), d.cameras.len());
    }
}

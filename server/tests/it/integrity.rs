//! Integrity against the shapely/pyproj oracle on a hand-made fixture
//! (overlap, gap, sliver, hole, multipolygon, child outside parent, cut and
//! unassigned buildings), and on the real 市南区 streets.

use crate::common::{fixture, shinan};
use serde_json::Value;
use wangge::import::{ImportOptions, Layer, read_path};
use wangge_engine::model::LayerKind;
use wangge_engine::units::assign::assign_buildings;
use wangge_engine::units::hierarchy::Hierarchy;
use wangge_engine::units::integrity::{GapKind, IntegrityConfig, check};

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-9)
}

#[test]
fn hand_made_fixture_matches_shapely_and_pyproj() {
    let Ok(Layer::Units(units)) = read_path(&fixture("integrity/units.geojson"), &ImportOptions::new(LayerKind::Units)) else {
        panic!("units")
    };
    let Ok(Layer::Buildings(buildings)) = read_path(&fixture("integrity/buildings.geojson"), &ImportOptions::new(LayerKind::Buildings))
    else {
        panic!("buildings")
    };
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("integrity/expected.json")).expect("expected.json")).expect("json");
    let h = Hierarchy::build(units).expect("hierarchy");
    let a = assign_buildings(&h, &buildings);
    let r = check(&h, &buildings, &a, &IntegrityConfig::default());

    assert_eq!(r.overlaps.len(), 1, "{:?}", r.overlaps);
    let eo = &expected["overlaps"][0];
    assert_eq!((r.overlaps[0].a.as_str(), r.overlaps[0].b.as_str()), (eo["a"].as_str().expect("a"), eo["b"].as_str().expect("b")));
    assert!(rel(r.overlaps[0].area_m2, eo["area_m2"].as_f64().expect("area")) < 0.002, "{}", r.overlaps[0].area_m2);

    assert_eq!(r.outside_parent.len(), 1);
    assert_eq!(r.outside_parent[0].unit, "c5");
    assert!(rel(r.outside_parent[0].area_m2, expected["outside_parent"][0]["area_m2"].as_f64().expect("a")) < 0.002);

    let mut gaps = r.gaps.clone();
    gaps.sort_by(|x, y| x.area_m2.total_cmp(&y.area_m2));
    let eg = expected["gaps"].as_array().expect("gaps");
    assert_eq!(gaps.len(), eg.len(), "{gaps:?}");
    for (g, e) in gaps.iter().zip(eg) {
        assert!(rel(g.area_m2, e["area_m2"].as_f64().expect("a")) < 0.002, "{} vs {e}", g.area_m2);
        assert!(rel(g.width_m, e["width_m"].as_f64().expect("w")) < 0.01, "{} vs {e}", g.width_m);
        let want = if e["width_m"].as_f64().expect("w") < 2.0 { GapKind::Sliver } else { GapKind::Gap };
        assert_eq!(g.kind, want);
    }
    assert_eq!(r.summary.slivers, 1);
    assert_eq!(r.summary.gaps, 2);

    assert_eq!(r.buildings_unassigned, vec!["b3".to_owned()]);
    assert_eq!(r.buildings_cut.len(), 1);
    assert_eq!(r.buildings_cut[0].building, "b2");
    assert_eq!(r.buildings_cut[0].leaf, expected["buildings_cut"][0]["leaf"].as_str().expect("leaf"));
    let other = r.buildings_cut[0].others[0].1;
    assert!(rel(other, expected["buildings_cut"][0]["shares_m2"]["c3"].as_f64().expect("c3")) < 0.002, "{other}");

    // loads: b1 (60 households) in c1, b2 (40) in c1; the parent sums them
    let load = |id: &str| r.loads.iter().find(|l| l.unit == id).expect("load").clone();
    assert_eq!(load("c1").households, 100);
    assert_eq!(load("P").households, 100);
    assert_eq!(load("c1").status, "under");
    assert_eq!(load("P").status, "no_norm");
}

#[test]
fn a_wider_sliver_tolerance_turns_no_real_gap_into_a_sliver() {
    let Ok(Layer::Units(units)) = read_path(&fixture("integrity/units.geojson"), &ImportOptions::new(LayerKind::Units)) else {
        panic!("units")
    };
    let h = Hierarchy::build(units).expect("hierarchy");
    let cfg = IntegrityConfig { sliver_width_m: 60.0, ..Default::default() };
    let r = check(&h, &[], &[], &cfg);
    assert_eq!((r.summary.slivers, r.summary.gaps), (2, 1));
}

#[test]
fn shinan_streets_leave_the_sea_uncovered_and_it_is_reported() {
    let h = Hierarchy::build(shinan()).expect("hierarchy");
    let r = check(&h, &[], &[], &IntegrityConfig::default());
    let uncovered = r.summary.gap_m2 + r.summary.sliver_m2;
    // ../shared/data/qingdao/MANIFEST.md: 5,093,460 m² of 33,463,654 m² (UTM 51N), 14 pieces
    assert!(rel(uncovered, 5_093_460.0) < 0.005, "uncovered {uncovered}");
    assert!(r.summary.gaps >= 5, "{:?}", r.summary);
    assert!(r.summary.overlap_m2 < 1_000.0, "{:?}", r.summary);
    let district_area = r.loads.len();
    assert_eq!(district_area, 12);
}

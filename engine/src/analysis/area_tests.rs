//! Area figures against the unit panel, the coverage figures and a plain recount.

use geo::{Area, BooleanOps, BoundingRect, Contains, MultiPolygon, Point, Polygon, polygon};

use super::*;
use crate::analysis::area_incidents::{IncidentQuery, LiveCase, Window, incidents};
use crate::model::{Layer, Level, Unit, UnitId};
use crate::synth::{BuildingSpec, IncidentSpec, LatticeSpec, generate_buildings, generate_cameras, generate_incidents, lattice_units};
use crate::units::integrity::IntegrityConfig;

/// A district of 5 × 4 grids with generated buildings, cameras and incidents.
pub(crate) fn city() -> Dataset {
    let mut grids = lattice_units(&LatticeSpec { cols: 5, rows: 4, cell_m: 250.0, densify: 2, seed: 3, origin: (120.38, 36.06) });
    let bb = grids.iter().filter_map(|u| u.geometry.bounding_rect()).reduce(rect_union).expect("grids");
    let root = Unit {
        id: UnitId::from("d"),
        parent: None,
        level: Level("district".into()),
        name: "district".into(),
        geometry: MultiPolygon(vec![bb.to_polygon()]),
        attributes: Default::default(),
    };
    for g in &mut grids {
        g.parent = Some(UnitId::from("d"));
    }
    let buildings = generate_buildings(&grids, &BuildingSpec { per_leaf: 14, straddle_share: 0.1, seed: 5 });
    let cameras = generate_cameras(&buildings, 0.25, 9);
    let incidents = generate_incidents(&buildings, &grids, &IncidentSpec { count: 600, from: 1_767_225_600, to: 1_775_001_600, seed: 4 });
    let mut units = vec![root];
    units.extend(grids);
    let mut d = Dataset::empty(IntegrityConfig::default());
    for l in [Layer::Units(units), Layer::Buildings(buildings), Layer::Cameras(cameras), Layer::Incidents(incidents)] {
        d.set(l).expect("valid layer");
    }
    d.rebuild();
    d
}

fn drawn(d: &Dataset, p: Polygon<f64>) -> AreaShape {
    AreaShape::drawn(d, MultiPolygon(vec![p])).expect("a valid polygon")
}

/// A quadrilateral across several grids, cutting buildings.
fn slanted(d: &Dataset) -> Polygon<f64> {
    let b = d.bounds().expect("bounds");
    let (w, h) = (b.width(), b.height());
    let at = |fx: f64, fy: f64| (b.min().x + fx * w, b.min().y + fy * h);
    Polygon::new(vec![at(0.13, 0.21), at(0.71, 0.08), at(0.83, 0.66), at(0.31, 0.87), at(0.13, 0.21)].into(), vec![])
}

#[test]
fn a_unit_equals_its_panel_and_coverage_figures() {
    let d = city();
    let cov = d.coverage();
    for u in 0..d.hierarchy.len() {
        let f = figures(&d, &AreaShape::unit(&d, u), &Jurisdiction::everything());
        let load = &d.report.loads[u];
        let c = &cov.units[u];
        assert_eq!((f.buildings.len() as u64, f.households, f.population), (load.buildings, load.households, load.population), "unit {u}");
        assert_eq!((f.uncovered.len() as u64, f.uncovered_households), (c.buildings_unseen, c.households_unseen), "unit {u}");
        assert_eq!(f.cameras.len() as u64, c.cameras, "unit {u}");
        assert_eq!((f.ground_m2, f.covered_m2, f.covered_share, f.area_m2), (c.ground_m2, c.covered_m2, c.ground_share, d.unit_area_m2[u]));
        assert!(f.generated || u == 0, "generated grids are labelled");
    }
    // the grids' buildings add up to the district's
    let root = figures(&d, &AreaShape::unit(&d, 0), &Jurisdiction::everything());
    assert_eq!(root.buildings.len(), d.buildings.len() - d.report.buildings_unassigned.len());
    assert!(root.uncovered.len() < root.buildings.len() && root.cameras.len() == d.cameras.len());
}

#[test]
fn a_drawn_polygon_equals_a_plain_recount() {
    let d = city();
    let p = slanted(&d);
    let mp = MultiPolygon(vec![p.clone()]);
    let f = figures(&d, &drawn(&d, p.clone()), &Jurisdiction::everything());
    // every building: more than half its footprint inside
    let want: Vec<usize> = (0..d.buildings.len())
        .filter(|&b| {
            let fp = &d.buildings[b].footprint;
            fp.intersection(&mp).unsigned_area() / fp.unsigned_area() > 0.5
        })
        .collect();
    assert_eq!(f.buildings, want);
    assert!(want.len() > 50 && want.len() < d.buildings.len(), "{}", want.len());
    let cut = want.iter().filter(|&&b| !mp.contains(&d.buildings[b].footprint)).count();
    assert!(cut > 0, "the boundary cuts some buildings counted");
    let hh: u64 = want.iter().map(|&b| u64::from(d.buildings[b].households.unwrap_or(0))).sum();
    assert_eq!(f.households, hh);
    let cov = d.coverage();
    let unseen: Vec<usize> = want.iter().copied().filter(|&b| cov.facades[b].seen_m < UNSEEN_BELOW_M).collect();
    assert_eq!(f.uncovered, unseen);
    let cams: Vec<usize> = (0..d.cameras.len()).filter(|&c| p.contains(&d.cameras[c].position)).collect();
    assert_eq!(f.cameras, cams);
    assert!(!cams.is_empty());
    let area = LocalProjection::for_rect(p.bounding_rect().expect("box")).project_polygon(&p).unsigned_area();
    assert!((f.area_m2 - area).abs() < 1e-6 * area);
    assert!(f.covered_share > 0.0 && f.covered_share < 1.0 && f.ground_m2 < f.area_m2, "{f:?}");
    // incidents: every loaded one whose point lies inside
    let inc = incidents(&d, &drawn(&d, p.clone()), &Jurisdiction::everything(), &IncidentQuery::default(), |_| {});
    let want = d.incidents.iter().filter(|i| p.contains(&i.position)).count() as u64;
    assert_eq!(inc.counts.total, want);
    assert_eq!(inc.counts.by_class.values().sum::<u64>(), want);
    assert_eq!(inc.weekly.iter().map(|w| w.count).sum::<u64>(), want);
}

#[test]
fn a_polygon_around_one_grid_has_its_covered_share() {
    let d = city();
    let cov = d.coverage();
    let u = 7;
    let g = d.hierarchy.units[u].geometry.0[0].clone();
    let f = figures(&d, &drawn(&d, g), &Jurisdiction::everything());
    let c = &cov.units[u];
    assert!((f.ground_m2 - c.ground_m2).abs() < 1e-3 * c.ground_m2, "{} vs {}", f.ground_m2, c.ground_m2);
    assert!((f.covered_share - c.ground_share).abs() < 1e-3, "{} vs {}", f.covered_share, c.ground_share);
}

#[test]
fn a_scoped_polygon_counts_only_the_jurisdiction() {
    let d = city();
    let u = 7;
    let j = Jurisdiction::of(&d, Some(&d.hierarchy.units[u].id.0));
    let b = d.bounds().expect("bounds");
    let everything = drawn(&d, geo::Rect::new((b.min().x - 0.001, b.min().y - 0.001), (b.max().x + 0.001, b.max().y + 0.001)).to_polygon());
    let f = figures(&d, &everything, &j);
    let mine = figures(&d, &AreaShape::unit(&d, u), &Jurisdiction::everything());
    assert_eq!((f.buildings.clone(), f.households, f.population), (mine.buildings.clone(), mine.households, mine.population));
    assert_eq!(f.cameras, mine.cameras);
    assert!((f.area_m2 - mine.area_m2).abs() < 1e-3 * mine.area_m2, "{} vs {}", f.area_m2, mine.area_m2);
    assert!((f.covered_share - mine.covered_share).abs() < 1e-3);
    let live_units = vec!["d".to_owned(), d.hierarchy.units[u].id.0.clone()];
    let other_units = vec!["d".to_owned(), "elsewhere".to_owned()];
    let c = d.hierarchy.units[u].geometry.bounding_rect().expect("box").center();
    let inc = incidents(&d, &everything, &j, &IncidentQuery::default(), |visit| {
        for (id, units) in [("in", &live_units), ("out", &other_units)] {
            visit(LiveCase { id, lon: c.x, lat: c.y, occurred_at: 1_770_000_000, category: "其他", status: "reported", units });
        }
    });
    let want = (0..d.incidents.len()).filter(|&n| j.incident(&d, n)).count() as u64 + 1;
    assert_eq!(inc.counts.total, want);
    assert!(inc.cases.iter().any(|r| r.id == "in" && r.live) && !inc.cases.iter().any(|r| r.id == "out"));
}

#[test]
fn periods_classes_and_comparison() {
    let d = city();
    let area = AreaShape::unit(&d, 0);
    let j = Jurisdiction::everything();
    let (a, b) = (1_770_000_000, 1_772_000_000);
    let q = IncidentQuery {
        period: Window { from: Some(a), to: Some(b) },
        classes: Some(vec!["环境卫生".into(), "矛盾纠纷".into()]),
        compare: Some(Window { from: Some(b), to: None }),
        ..IncidentQuery::default()
    };
    let r = incidents(&d, &area, &j, &q, |_| {});
    let keep = |i: &crate::model::Incident| i.category == "环境卫生" || i.category == "矛盾纠纷";
    let main = d.incidents.iter().filter(|i| keep(i) && (a..b).contains(&i.occurred_at) && d.incident_unit[0].is_some()).count();
    let in_area = |i: &&crate::model::Incident| d.locator.locate_point(i.position).is_some();
    assert_eq!(r.counts.total as usize, d.incidents.iter().filter(in_area).filter(|i| keep(i) && (a..b).contains(&i.occurred_at)).count());
    assert!(main > 0 && r.counts.by_class.keys().all(|k| k == "环境卫生" || k == "矛盾纠纷"));
    let cmp = r.compare.expect("compare");
    assert_eq!(cmp.total as usize, d.incidents.iter().filter(in_area).filter(|i| keep(i) && i.occurred_at >= b).count());
    assert!(r.weekly.len() >= 3 && r.weekly.iter().all(|w| w.week.starts_with("2026-W")));
    assert!(r.generated);
}

#[test]
fn hot_spots_lie_inside_and_are_significant() {
    let d = city();
    let p = slanted(&d);
    let area = drawn(&d, p.clone());
    let r = incidents(
        &d,
        &area,
        &Jurisdiction::everything(),
        &IncidentQuery { res: h3o::Resolution::Nine, ..IncidentQuery::default() },
        |_| {},
    );
    assert!(!r.hotspots.is_empty(), "a clustered layer has hot spots");
    for s in &r.hotspots {
        assert!(p.contains(&Point::new(s.lon, s.lat)) && s.q < 0.05 && s.hot == (s.z > 0.0), "{s:?}");
    }
}

#[test]
fn bad_polygons_are_refused() {
    let d = city();
    let bow = polygon![(x: 120.38, y: 36.06), (x: 120.39, y: 36.07), (x: 120.39, y: 36.06), (x: 120.38, y: 36.07)];
    assert!(matches!(AreaShape::drawn(&d, MultiPolygon(vec![bow])), Err(AreaError::Invalid(m)) if m.contains("self-intersection")));
    let huge = geo::Rect::new((119.0, 35.0), (122.0, 38.0)).to_polygon();
    let e = AreaShape::drawn(&d, MultiPolygon(vec![huge])).expect_err("too big");
    assert!(matches!(e, AreaError::TooBig { .. }) && e.to_string().contains("km²"), "{e}");
    let many: Vec<(f64, f64)> = (0..=MAX_VERTICES + 1)
        .map(|k| {
            let a = k as f64 / (MAX_VERTICES + 1) as f64 * std::f64::consts::TAU;
            (120.39 + 0.001 * a.cos(), 36.065 + 0.001 * a.sin())
        })
        .collect();
    let e = AreaShape::drawn(&d, MultiPolygon(vec![Polygon::new(many.into(), vec![])])).expect_err("too many");
    assert!(matches!(e, AreaError::TooManyVertices { .. }), "{e}");
    assert_eq!(AreaShape::drawn(&d, MultiPolygon(vec![])).err(), Some(AreaError::Empty));
}

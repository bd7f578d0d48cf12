//! Oracle tests of the review: incremental validation equals a full one
//! after random edits, and the households moved equal a brute-force recount.

use std::collections::BTreeMap;

use geo::{Area, BooleanOps, BoundingRect, Contains, Coord, MultiPolygon, Point, Rect};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::cameras::map::CameraCoverage;
use crate::dataset::Dataset;
use crate::geometry::projection::LocalProjection;
use crate::model::{Building, Camera, CameraKind, CameraView, Incident, Layer, Level, Unit, UnitId};
use crate::review::{DiffInputs, FindingKind, Overrides, ReviewConfig, Validator, diff};
use crate::synth::{BuildingSpec, LatticeSpec, generate_buildings, lattice_units};
use crate::units::integrity::IntegrityConfig;

/// A district, two communities (west and east halves) and 8 × 6 grids with buildings.
pub(crate) fn fixture() -> (Vec<Unit>, Vec<Building>) {
    let mut grids = lattice_units(&LatticeSpec { cols: 8, rows: 6, cell_m: 300.0, densify: 2, seed: 5, origin: (120.38, 36.06) });
    let buildings = generate_buildings(&grids, &BuildingSpec { per_leaf: 8, straddle_share: 0.1, seed: 3 });
    let union = |gs: &[&Unit]| geo::unary_union(gs.iter().flat_map(|g| g.geometry.0.iter()));
    let west: Vec<&Unit> = grids.iter().filter(|g| col(g) < 4).collect();
    let east: Vec<&Unit> = grids.iter().filter(|g| col(g) >= 4).collect();
    let mk = |id: &str, parent: Option<&str>, level: &str, geometry: MultiPolygon<f64>| Unit {
        id: id.into(),
        parent: parent.map(UnitId::from),
        level: Level(level.into()),
        name: id.into(),
        geometry,
        attributes: Default::default(),
    };
    let (w, e) = (union(&west), union(&east));
    let mut units = vec![mk("d", None, "district", w.union(&e)), mk("cw", Some("d"), "community", w), mk("ce", Some("d"), "community", e)];
    for g in &mut grids {
        g.parent = Some(if col(g) < 4 { "cw" } else { "ce" }.into());
    }
    units.extend(grids);
    (units, buildings)
}

fn col(u: &Unit) -> usize {
    u.id.0.rsplit('-').next().and_then(|c| c.parse().ok()).unwrap_or(0)
}

fn grids(units: &[Unit]) -> Vec<usize> {
    (0..units.len()).filter(|&i| units[i].level.0 == "grid").collect()
}

/// One random edit; returns the ids it changed.
fn random_edit(units: &mut Vec<Unit>, buildings: &[Building], ov: &mut Overrides, rng: &mut ChaCha8Rng, k: usize) -> Vec<UnitId> {
    let gs = grids(units);
    let g = gs[rng.random_range(0..gs.len())];
    let id = units[g].id.clone();
    let proj = LocalProjection::for_rect(units[g].geometry.bounding_rect().expect("box"));
    match rng.random_range(0..6) {
        0 => {
            // move one vertex of the exterior by up to 25 m
            let (dx, dy) = (rng.random_range(-25.0..25.0), rng.random_range(-25.0..25.0));
            let (kx, ky) = proj.scale();
            let p = &mut units[g].geometry.0[0];
            let n = p.exterior().0.len();
            let v = rng.random_range(0..n - 1);
            p.exterior_mut(|r| {
                r.0[v].x += dx / kx;
                r.0[v].y += dy / ky;
                if v == 0 {
                    r.0[n - 1] = r.0[0];
                }
            });
            vec![id]
        }
        1 => {
            // split by a north–south line through the middle
            let r = units[g].geometry.bounding_rect().expect("box");
            let c = r.center();
            let left = MultiPolygon(vec![Rect::new((r.min().x - 1.0, r.min().y - 1.0), (c.x, r.max().y + 1.0)).to_polygon()]);
            let right = MultiPolygon(vec![Rect::new((c.x, r.min().y - 1.0), (r.max().x + 1.0, r.max().y + 1.0)).to_polygon()]);
            let mut other = units[g].clone();
            other.id = UnitId(format!("{id}-s{k}"));
            other.geometry = units[g].geometry.intersection(&right);
            units[g].geometry = units[g].geometry.intersection(&left);
            units.push(other.clone());
            vec![id, other.id]
        }
        2 => {
            // merge with the grid to the east under the same parent, if any
            let c = units[g].geometry.bounding_rect().expect("box").center();
            let Some(j) = gs.iter().copied().find(|&j| {
                j != g
                    && units[j].parent == units[g].parent
                    && units[j].geometry.bounding_rect().is_some_and(|r| r.min().x > c.x && r.min().y < c.y && r.max().y > c.y)
            }) else {
                return vec![];
            };
            let merged = units[g].geometry.union(&units[j].geometry);
            units[g].geometry = merged;
            let gone = units.remove(j).id;
            vec![id, gone]
        }
        3 => {
            units.remove(g);
            vec![id]
        }
        4 => {
            units[g].parent = Some(if units[g].parent.as_ref().is_some_and(|p| p.0 == "cw") { "ce" } else { "cw" }.into());
            vec![id]
        }
        _ => {
            let b = &buildings[rng.random_range(0..buildings.len())];
            ov.insert(b.id.clone(), id);
            vec![]
        }
    }
}

#[test]
fn incremental_validation_equals_a_full_one_after_random_edits() {
    let (mut units, buildings) = fixture();
    let mut ov = Overrides::new();
    let cfg = ReviewConfig { alliances: vec![grids(&units).iter().take(6).map(|&i| units[i].id.clone()).collect()], ..Default::default() };
    let mut v = Validator::new(units.clone(), &buildings, &ov, cfg).expect("valid");
    assert!(v.report().ab.as_ref().is_some_and(|a| a.pairs_total >= 20), "{:?}", v.report().ab);
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let mut kinds_seen = std::collections::BTreeSet::new();
    for k in 0..24 {
        let changed = random_edit(&mut units, &buildings, &mut ov, &mut rng, k);
        let hint = (k % 2 == 0).then_some(changed.as_slice());
        let inc = v.revalidate(units.clone(), hint, &buildings, &ov).expect("valid").clone();
        let full = Validator::new(units.clone(), &buildings, &ov, v.config().clone()).expect("valid");
        assert_eq!(inc.summary, full.report().summary, "edit {k} ({changed:?})");
        for (a, b) in inc.findings.iter().zip(&full.report().findings) {
            assert_eq!(a, b, "edit {k}");
        }
        assert_eq!(inc, *full.report(), "edit {k}");
        kinds_seen.extend(inc.findings.iter().map(|f| f.kind));
    }
    // the edits produced the problems they should
    for kind in [FindingKind::Overlap, FindingKind::OutsideParent, FindingKind::BuildingCut, FindingKind::LoadUnder] {
        assert!(kinds_seen.contains(&kind), "{kind:?} never found: {kinds_seen:?}");
    }
}

/// The leaf holding the largest share of each footprint, over every leaf (no index, no shortcut).
fn brute_leaves(units: &[Unit], buildings: &[Building], ov: &Overrides) -> Vec<Option<UnitId>> {
    let is_leaf = |u: &Unit| !units.iter().any(|c| c.parent.as_ref() == Some(&u.id));
    buildings
        .iter()
        .map(|b| {
            if let Some(t) = ov.get(&b.id) {
                return Some(t.clone());
            }
            let proj = LocalProjection::for_rect(b.footprint.bounding_rect().expect("box"));
            let fp = proj.project_multi(&b.footprint);
            let mut best: Option<(f64, &UnitId)> = None;
            for u in units.iter().filter(|u| is_leaf(u)) {
                let a = fp.intersection(&proj.project_multi(&u.geometry)).unsigned_area();
                if a > 1e-9 && best.is_none_or(|(x, _)| a > x) {
                    best = Some((a, &u.id));
                }
            }
            best.map(|(_, id)| id.clone())
        })
        .collect()
}

fn brute_incidents(units: &[Unit], incidents: &[Incident], unit: &UnitId) -> u64 {
    let parent = |u: &Unit| u.parent.as_ref().and_then(|p| units.iter().find(|x| &x.id == p));
    let depth = |u: &Unit| std::iter::successors(Some(u), |x| parent(x)).count();
    incidents
        .iter()
        .filter(|n| {
            let deepest = units.iter().filter(|u| u.geometry.contains(&n.position)).max_by_key(|u| depth(u));
            std::iter::successors(deepest, |x| parent(x)).any(|x| &x.id == unit)
        })
        .count() as u64
}

#[test]
fn households_moved_equal_a_brute_force_recount() {
    let (base_units, buildings) = fixture();
    let base = Validator::new(base_units.clone(), &buildings, &Overrides::new(), ReviewConfig::default()).expect("valid");
    let mut units = base_units.clone();
    let mut ov = Overrides::new();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for k in 0..10 {
        random_edit(&mut units, &buildings, &mut ov, &mut rng, k);
    }
    let edited = Validator::new(units.clone(), &buildings, &ov, base.config().clone()).expect("valid");
    let incidents: Vec<Incident> = (0..400)
        .map(|k| Incident {
            id: format!("i{k}"),
            position: Point::new(rng.random_range(120.379..120.41), rng.random_range(36.059..36.077)),
            category: "x".into(),
            occurred_at: 0,
            status: "open".into(),
            attributes: Default::default(),
        })
        .collect();
    let d = diff(&base, &edited, &DiffInputs { buildings: &buildings, incidents: &incidents, coverage: None }).expect("diff");
    let (before, after) = (brute_leaves(&base_units, &buildings, &Overrides::new()), brute_leaves(&units, &buildings, &ov));
    let mut flows: BTreeMap<(Option<UnitId>, Option<UnitId>), u64> = BTreeMap::new();
    let mut moved = 0u64;
    for (k, b) in buildings.iter().enumerate() {
        if before[k] != after[k] {
            let hh = u64::from(b.households.unwrap_or(0));
            moved += hh;
            *flows.entry((before[k].clone(), after[k].clone())).or_default() += hh;
        }
    }
    assert!(moved > 0, "the edits moved no households");
    assert_eq!(d.totals.households, moved);
    let got: BTreeMap<(Option<UnitId>, Option<UnitId>), u64> =
        d.flows.iter().map(|f| ((f.from.clone(), f.to.clone()), f.households)).collect();
    assert_eq!(got, flows);
    // incidents per unit: brute force (the deepest unit holding the point, then up its parents)
    for row in &d.units {
        for (layer, count) in [(&base_units, row.incidents_before), (&units, row.incidents_after)] {
            assert_eq!(count, brute_incidents(layer, &incidents, &row.unit), "unit {} incidents", row.unit);
        }
    }
    assert!(!d.units_added.is_empty() || !d.units_removed.is_empty() || !d.units_reshaped.is_empty());
    assert_eq!(d.moves_geojson()["features"].as_array().map(Vec::len), Some(d.moves.len()));
}

#[test]
fn covered_share_of_an_unchanged_leaf_equals_the_coverage_map() {
    let (units, buildings) = fixture();
    let mut d = Dataset::empty(IntegrityConfig::default());
    let g = units.iter().find(|u| u.id.0 == "grid-2-2").expect("grid").clone();
    let c: Coord<f64> = g.geometry.bounding_rect().expect("box").center();
    let cameras = vec![Camera {
        id: "c1".into(),
        position: Point::from(c),
        view: CameraView::dome(120.0, 6.0),
        kind: CameraKind::Dome,
        attributes: Default::default(),
    }];
    for l in [Layer::Units(units.clone()), Layer::Buildings(buildings.clone()), Layer::Cameras(cameras)] {
        d.set(l).expect("layer");
    }
    d.rebuild();
    let cov = CameraCoverage::compute(&d);
    let base = Validator::new(units.clone(), &buildings, &Overrides::new(), ReviewConfig::default()).expect("valid");
    // reassign one building of grid-2-2 elsewhere: the grid is listed with its (unchanged) share
    let b = (0..buildings.len()).find(|&k| base.leaf_of_building(k) == Some(&g.id)).expect("a building in the grid");
    let ov: Overrides = [(buildings[b].id.clone(), UnitId::from("grid-0-0"))].into();
    let edited = Validator::new(units, &buildings, &ov, base.config().clone()).expect("valid");
    let diff = diff(&base, &edited, &DiffInputs { buildings: &buildings, incidents: &[], coverage: Some(&cov) }).expect("diff");
    let row = diff.units.iter().find(|r| r.unit == g.id).expect("row");
    let map = cov.units[d.hierarchy.get(&g.id).expect("unit")].ground_share;
    let got = row.covered_share_before.expect("share");
    assert!(map > 0.1 && (got - map).abs() < 1e-9, "{got} vs the map's {map}");
    assert_eq!(row.covered_share_after, row.covered_share_before);
    assert_eq!(row.households_before - row.households_after, u64::from(buildings[b].households.unwrap_or(0)));
    assert_eq!(diff.totals.buildings, 1);
}

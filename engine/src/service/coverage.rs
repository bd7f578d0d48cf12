//! Service coverage per unit: buildings, households and population within each
//! walking threshold of the nearest facility of a kind, and the buildings outside.
//!
//! Method: each building counts in its leaf unit (`Dataset::building_assignment`, the
//! leaf holding the largest share of its footprint) and in every ancestor of it; it is
//! within a threshold when its distance ([`super::dijkstra`]) is at most the threshold,
//! and outside when it is beyond the largest threshold or unreachable (an island, no
//! facility, or past `max_m`). Households and population are the layer's values (a
//! building without them adds 0). Buildings assigned to no leaf are not counted.
//!
//! Complexity: O(B · depth · thresholds).
//!
//! Reference: GB 50180-2018 life circles; the shares are `within / total` of these counts.

use crate::dataset::Dataset;

use super::dijkstra::Distances;

/// One unit's figures for one facility kind.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitServiceCoverage {
    pub unit: usize,
    pub buildings: u32,
    pub households: u64,
    pub population: u64,
    /// (threshold metres, buildings, households, population) within it, in the given order.
    pub within: Vec<(f64, u32, u64, u64)>,
    /// Buildings beyond the largest threshold or unreachable (indices into the buildings layer).
    pub outside: Vec<u32>,
}

/// Figures for every unit of the hierarchy (index = unit).
pub fn coverage_per_unit(dataset: &Dataset, d: &Distances, thresholds_m: &[f64]) -> Vec<UnitServiceCoverage> {
    let h = &dataset.hierarchy;
    let mut out: Vec<UnitServiceCoverage> = (0..h.len())
        .map(|unit| UnitServiceCoverage {
            unit,
            buildings: 0,
            households: 0,
            population: 0,
            within: thresholds_m.iter().map(|&t| (t, 0, 0, 0)).collect(),
            outside: Vec::new(),
        })
        .collect();
    let largest = thresholds_m.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    for (b, building) in dataset.buildings.iter().enumerate() {
        let Some(leaf) = dataset.building_assignment.get(b).and_then(|a| a.leaf) else { continue };
        let hh = u64::from(building.households.unwrap_or(0));
        let pop = u64::from(building.population.unwrap_or(0));
        let dist = d.nearest.get(b).copied().flatten().map(|(_, m)| m);
        let outside = dist.is_none_or(|m| m.is_nan() || m > largest);
        for u in h.chain(leaf) {
            let c = &mut out[u];
            c.buildings += 1;
            c.households += hh;
            c.population += pop;
            for w in &mut c.within {
                if dist.is_some_and(|m| m <= w.0) {
                    w.1 += 1;
                    w.2 += hh;
                    w.3 += pop;
                }
            }
            if outside {
                c.outside.push(b as u32);
            }
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::{Attributes, Building, Layer, Level, Unit, UnitId};
    use crate::service::dijkstra::Method;
    use crate::units::integrity::IntegrityConfig;
    use geo::{MultiPolygon, Rect};

    fn square(x: f64, y: f64, s: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![Rect::new((x, y), (x + s, y + s)).to_polygon()])
    }

    /// A district with two grids side by side and three buildings (one outside both grids).
    pub(crate) fn dataset() -> Dataset {
        let unit = |id: &str, parent: Option<&str>, level: &str, g| Unit {
            id: UnitId::from(id),
            parent: parent.map(UnitId::from),
            level: Level(level.into()),
            name: id.into(),
            geometry: g,
            attributes: Attributes::default(),
        };
        let b = |id: &str, x: f64, hh: Option<u32>| Building {
            id: id.into(),
            footprint: square(x, 36.0001, 0.0001),
            households: hh,
            population: hh.map(|h| h * 3),
            floors: None,
            height: None,
            attributes: Attributes::default(),
        };
        let mut d = Dataset::empty(IntegrityConfig::default());
        let units = vec![
            unit("d", None, "district", square(120.0, 36.0, 0.02)),
            unit("g1", Some("d"), "grid", MultiPolygon(vec![Rect::new((120.0, 36.0), (120.01, 36.02)).to_polygon()])),
            unit("g2", Some("d"), "grid", MultiPolygon(vec![Rect::new((120.01, 36.0), (120.02, 36.02)).to_polygon()])),
        ];
        d.set(Layer::Units(units)).expect("units");
        d.set(Layer::Buildings(vec![b("a", 120.001, Some(10)), b("b", 120.002, None), b("c", 120.011, Some(5)), b("x", 121.0, Some(7))]))
            .expect("b");
        d.rebuild();
        d
    }

    #[test]
    fn counts_up_the_chain() {
        let ds = dataset();
        let d = Distances {
            kind: "k".into(),
            method: Method::Network,
            nearest: vec![Some((0, 250.0)), Some((0, 700.0)), None, Some((0, 10.0))],
            island: vec![false, false, true, false],
            field: None,
        };
        let c = coverage_per_unit(&ds, &d, &[300.0, 500.0]);
        assert_eq!(c.len(), 3);
        let g1 = &c[1];
        assert_eq!((g1.buildings, g1.households, g1.population), (2, 10, 30));
        assert_eq!(g1.within, vec![(300.0, 1, 10, 30), (500.0, 1, 10, 30)]);
        assert_eq!(g1.outside, vec![1]);
        assert_eq!(c[2].outside, vec![2]);
        let top = &c[0];
        assert_eq!((top.buildings, top.households, top.within[0].1), (3, 15, 1));
        assert_eq!(top.outside, vec![1, 2]);
    }
}

//! Incident counts per H3 cell for heatmaps and hot spots (JSON and tiles).
//!
//! The loaded incidents layer goes through the engine's columnar index
//! (`wangge_engine::heatindex`, exact to `LatLng::to_cell` at res 5–11), built
//! once per dataset version on first use and grouped by (category, status), so
//! a window, a category and a status are slices of it. A unit filter is not
//! in the index: such queries, and the live incidents (a short, growing
//! list), are counted directly.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use h3o::{CellIndex, Resolution};
use wangge_engine::heatindex::HeatIndex;

use crate::live::Live;
use crate::state::Dataset;

/// The index over a dataset's loaded incidents, with the (category, status) of each group.
#[derive(Debug)]
pub struct LoadedHeat {
    pub index: HeatIndex,
    groups: Vec<(String, String)>,
}

impl LoadedHeat {
    /// None when the incidents have more (category, status) pairs than the index takes (65,535).
    pub fn build(d: &Dataset) -> Option<LoadedHeat> {
        let mut ids: HashMap<(&str, &str), u16> = HashMap::new();
        let mut groups: Vec<(String, String)> = Vec::new();
        let mut group = Vec::with_capacity(d.incidents.len());
        for i in &d.incidents {
            let key = (i.category.as_str(), i.status.as_str());
            let g = match ids.get(&key) {
                Some(&g) => g,
                None => {
                    let g = u16::try_from(groups.len()).ok().filter(|&g| g < u16::MAX)?;
                    ids.insert(key, g);
                    groups.push((key.0.to_owned(), key.1.to_owned()));
                    g
                }
            };
            group.push(g);
        }
        let points: Vec<(f64, f64)> = d.incidents.iter().map(|i| (i.position.x(), i.position.y())).collect();
        let times: Vec<i64> = d.incidents.iter().map(|i| i.occurred_at).collect();
        let labels = groups.iter().map(|(c, s)| format!("{c}/{s}")).collect();
        Some(LoadedHeat { index: HeatIndex::build(&points, &times, &group, labels), groups })
    }
}

/// What a heatmap query selects.
#[derive(Debug, Clone, Default)]
pub struct Filter<'a> {
    /// Window [from, to), Unix seconds.
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub category: Option<&'a str>,
    pub status: Option<&'a str>,
    /// A unit (index into the hierarchy): its incidents at any level below.
    pub unit: Option<usize>,
}

impl Filter<'_> {
    fn when(&self, t: i64) -> bool {
        self.from.is_none_or(|f| t >= f) && self.to.is_none_or(|e| t < e)
    }

    fn kind(&self, category: &str, status: &str) -> bool {
        self.category.is_none_or(|c| c == category) && self.status.is_none_or(|s| s == status)
    }
}

/// The index of a dataset's loaded incidents, built on first use.
pub fn index(d: &Dataset) -> Option<&LoadedHeat> {
    d.heat.get_or_init(|| LoadedHeat::build(d).map(Arc::new)).as_deref()
}

/// Counts per cell at `res` of the incidents (loaded and live) a filter selects, and their total.
pub fn counts(d: &Dataset, live: &Live, f: &Filter, res: Resolution) -> (BTreeMap<CellIndex, u64>, u64) {
    let mut out: BTreeMap<CellIndex, u64> = BTreeMap::new();
    let h = &d.hierarchy;
    match (f.unit, index(d)) {
        (None, Some(heat)) => {
            let keep = |g: usize| heat.groups.get(g).is_some_and(|(c, s)| f.kind(c, s));
            for (c, n) in heat.index.counts(u8::from(res), f.from.unwrap_or(i64::MIN), f.to.unwrap_or(i64::MAX), keep) {
                *out.entry(c).or_default() += u64::from(n);
            }
        }
        _ => {
            let pts = d
                .incidents
                .iter()
                .enumerate()
                .filter(|(_, i)| f.when(i.occurred_at) && f.kind(&i.category, &i.status))
                .filter(|(n, _)| f.unit.is_none_or(|u| d.incident_unit.get(*n).copied().flatten().is_some_and(|l| h.chain(l).contains(&u))))
                .map(|(_, i)| (i.position.x(), i.position.y()));
            out = wangge_engine::hotspot::counts_by_cell(pts, res);
        }
    }
    let unit_id = f.unit.map(|u| h.units[u].id.0.as_str());
    let mut pts = Vec::new();
    live.each(|i| {
        if f.when(i.occurred_at) && f.kind(&i.category, i.status.as_str()) && unit_id.is_none_or(|u| i.units.iter().any(|x| x == u)) {
            pts.push((i.lon, i.lat));
        }
    });
    for (c, n) in wangge_engine::hotspot::counts_by_cell(pts, res) {
        *out.entry(c).or_default() += n;
    }
    let total = out.values().sum();
    (out, total)
}

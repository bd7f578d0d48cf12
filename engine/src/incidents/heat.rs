//! Incident counts per H3 cell for heatmaps and hot spots, over a dataset's
//! loaded incidents and the live incidents a caller passes in.
//!
//! Method: the loaded incidents go through the columnar index of
//! `incidents::heatindex` (exact to `LatLng::to_cell` at res 5–11), built
//! once per dataset on first use and grouped by (category, status), so a
//! window, a category and a status are slices of it: O(log n + cells) a
//! query. A unit filter is not in the index: such queries, and the live
//! incidents (a short, growing list), are counted directly
//! (`incidents::hotspot::counts_by_cell`, O(n)).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use h3o::{CellIndex, Resolution};

use crate::dataset::Dataset;
use crate::incidents::heatindex::HeatIndex;
use crate::incidents::hotspot::counts_by_cell;

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

/// A live incident as the counts see it (borrowed from wherever the live list is kept).
#[derive(Debug, Clone, Copy)]
pub struct LivePoint<'a> {
    pub lon: f64,
    pub lat: f64,
    /// Unix seconds.
    pub occurred_at: i64,
    pub category: &'a str,
    pub status: &'a str,
    /// Ids of the units holding it, from the top level down.
    pub units: &'a [String],
}

/// Incidents per H3 cell and their total.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HeatCounts {
    pub cells: BTreeMap<CellIndex, u64>,
    pub total: u64,
}

/// The index of a dataset's loaded incidents, built on first use.
pub fn index(d: &Dataset) -> Option<&LoadedHeat> {
    d.heat.get_or_init(|| LoadedHeat::build(d).map(Arc::new)).as_deref()
}

/// Counts per cell at `res` of the incidents a filter selects: the dataset's
/// loaded ones and the live ones `each_live` hands to the visitor it is
/// given (so a caller can visit its list under its own lock, without a copy).
pub fn counts(d: &Dataset, f: &Filter, res: Resolution, each_live: impl FnOnce(&mut dyn FnMut(LivePoint<'_>))) -> HeatCounts {
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
                .filter(|(n, _)| f.unit.is_none_or(|u| d.incident_in(*n, u)))
                .map(|(_, i)| (i.position.x(), i.position.y()));
            out = counts_by_cell(pts, res);
        }
    }
    let unit_id = f.unit.map(|u| h.units[u].id.0.as_str());
    let mut pts = Vec::new();
    each_live(&mut |i: LivePoint<'_>| {
        if f.when(i.occurred_at) && f.kind(i.category, i.status) && unit_id.is_none_or(|u| i.units.iter().any(|x| x == u)) {
            pts.push((i.lon, i.lat));
        }
    });
    for (c, n) in counts_by_cell(pts, res) {
        *out.entry(c).or_default() += n;
    }
    let total = out.values().sum();
    HeatCounts { cells: out, total }
}

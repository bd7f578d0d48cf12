//! Incident counts per H3 cell for heatmaps and hot spots: the engine's
//! counts (`wangge_engine::incidents::heat`) over the dataset and the live
//! incidents ([`Live::each_in`], [`Live::each_open_and_closed_cells`]).
//!
//! A heatmap of every case (no period, class or status) at one of
//! [`HEAT_RES`](crate::live::closed::HEAT_RES) (every resolution a heatmap takes), such as the screen's, takes
//! the closed cases from their counts per cell kept in memory
//! ([`crate::live::closed`]); any other reads the closed cases of its period
//! from the store.

use std::collections::BTreeMap;

use h3o::{CellIndex, Resolution};
use wangge_engine::dataset::Dataset;
use wangge_engine::incidents::heat::{self, LivePoint};

pub use wangge_engine::incidents::heat::Filter;

use crate::live::closed::HeatLevel;
use crate::live::{Live, LiveError, LiveIncident};

/// Counts per cell at `res` of the incidents (loaded and live: open from
/// memory, closed from their counts per cell or from the store) a filter
/// selects, and their total.
pub fn counts(d: &Dataset, live: &Live, f: &Filter, res: Resolution) -> Result<(BTreeMap<CellIndex, u64>, u64), LiveError> {
    let every_case = f.from.is_none() && f.to.is_none() && f.category.is_none() && f.status.is_none();
    match every_case.then(|| counts_kept(d, live, f, res)).flatten() {
        Some(c) => Ok(c),
        None => counts_read(d, live, f, res),
    }
}

fn point(i: &LiveIncident) -> LivePoint<'_> {
    LivePoint { lon: i.lon, lat: i.lat, occurred_at: i.occurred_at, category: &i.category, status: i.status.as_str(), units: &i.units }
}

/// [`counts`] with the closed cases read from the store (those of the filter's period only).
pub fn counts_read(d: &Dataset, live: &Live, f: &Filter, res: Resolution) -> Result<(BTreeMap<CellIndex, u64>, u64), LiveError> {
    let mut read = Ok(());
    let c = heat::counts(d, f, res, |visit| {
        read = live.each_in(false, crate::live::occurred_from_to(f.from, f.to), |i| visit(point(i)));
    });
    read?;
    Ok((c.cells, c.total))
}

/// [`counts`] of every case (a unit filter only) at one of [`crate::live::closed::HEAT_RES`], with the closed cases from their counts per
/// cell: nothing is read from the store. None at another resolution.
pub(crate) fn counts_kept(d: &Dataset, live: &Live, f: &Filter, res: Resolution) -> Option<(BTreeMap<CellIndex, u64>, u64)> {
    let level = HeatLevel::of(res)?;
    let unit = f.unit.and_then(|u| d.hierarchy.units.get(u)).map(|u| u.id.0.as_str());
    let mut closed: BTreeMap<CellIndex, u64> = BTreeMap::new();
    let mut c = heat::counts(d, f, res, |visit| {
        live.each_open_and_closed_cells(
            level,
            |i| visit(point(i)),
            |units, cells| {
                if unit.is_none_or(|u| units.iter().any(|x| x == u)) {
                    for (cell, n) in cells {
                        *closed.entry(*cell).or_insert(0) += n;
                    }
                }
            },
        );
    });
    for (cell, n) in closed {
        *c.cells.entry(cell).or_insert(0) += n;
        c.total += n;
    }
    Some((c.cells, c.total))
}

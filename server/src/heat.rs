//! Incident counts per H3 cell for heatmaps and hot spots: the engine's
//! counts (`wangge_engine::incidents::heat`) over the dataset and the live
//! incidents, visited under the live list's lock.

use std::collections::BTreeMap;

use h3o::{CellIndex, Resolution};
use wangge_engine::dataset::Dataset;
use wangge_engine::incidents::heat::{self, LivePoint};

pub use wangge_engine::incidents::heat::Filter;

use crate::live::{Live, LiveError};

/// Counts per cell at `res` of the incidents (loaded and live: open from
/// memory, closed from the store) a filter selects, and their total.
pub fn counts(d: &Dataset, live: &Live, f: &Filter, res: Resolution) -> Result<(BTreeMap<CellIndex, u64>, u64), LiveError> {
    let mut read = Ok(());
    let c = heat::counts(d, f, res, |visit| {
        read = live.each_in(false, crate::live::occurred_from_to(f.from, f.to), |i| {
            visit(LivePoint {
                lon: i.lon,
                lat: i.lat,
                occurred_at: i.occurred_at,
                category: &i.category,
                status: i.status.as_str(),
                units: &i.units,
            })
        })
    });
    read?;
    Ok((c.cells, c.total))
}

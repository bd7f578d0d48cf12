//! Closed cases leave memory: a case refused, resolved or evaluated is kept
//! in the store only ([`super::LivePersistence`]); the live list keeps the open
//! ones, and [`Closed`] sums what the screen's figures need of the closed
//! ones (the KPI [`Tally`], the intake of the last days and the cases per H3
//! cell at the resolutions of [`HEAT_RES`]) per group of cases a viewer sees
//! or not alike: the units holding them and the departments of their current
//! dispatch. So memory holds O(open cases + groups × cells), not O(every
//! case ever reported), and today's figures and the heatmap of every case
//! stay those of every case without reading the store.
//!
//! Whatever needs the closed cases themselves (the incident list, a heatmap
//! of a period, class or status, the area query, the SQL views, evaluation, a
//! step on a resolved case) reads them from the store ([`Live::each_all`],
//! [`Live::find`]).

use std::collections::{BTreeMap, HashMap};

use h3o::{CellIndex, LatLng, Resolution};
use wangge_engine::incidents::kpi::{KpiIncident, Tally};
use wangge_engine::incidents::lifecycle::last_dispatch;
use wangge_engine::incidents::screen::local_day;

use super::persist::{Lookup, Occurred, occurred_in};
use super::{Inner, Live, LiveError, LiveIncident};

/// The district's clock for "today" (UTC+8), as the screen counts days.
pub const DAY_OFFSET_S: i64 = 8 * 3600;
/// Days of intake kept per group (today's figure needs one; a few more for a clock around midnight).
const DAYS_KEPT: i64 = 3;
/// The resolutions at which closed cases are counted per cell, every one a heatmap takes (each apart: a point's
/// cell at a coarser resolution is not always the parent of its finer one): a heatmap of every case (the screen's,
/// at 9; the map's heat tiles, 5 to 11 by zoom) sums these counts instead of reading the store. At the finest, 11,
/// a cell is ≈ 2,150 m², so a district of 30 km² has ≈ 14,000 cells to count in, however many cases it keeps.
pub const HEAT_RES: std::ops::RangeInclusive<u8> = 5..=11;
const HEAT_LEVELS: usize = (*HEAT_RES.end() - *HEAT_RES.start() + 1) as usize;

/// A resolution of [`HEAT_RES`]: which of a group's counts per cell ([`Sums::cells`]) a heatmap at it sums.
#[derive(Debug, Clone, Copy)]
pub struct HeatLevel(usize);

impl HeatLevel {
    /// The level of `res`; None when the closed cases are not counted at it.
    pub fn of(res: Resolution) -> Option<Self> {
        HEAT_RES.clone().position(|r| r == u8::from(res)).map(HeatLevel)
    }
}

/// Which cases a viewer sees alike: the units holding them (top down) and the departments of their current dispatch.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Group {
    pub units: Vec<String>,
    pub departments: Vec<String>,
}

/// What is kept of a group's closed cases.
#[derive(Debug, Clone, Default)]
pub struct Sums {
    pub tally: Tally,
    /// Local day (at [`DAY_OFFSET_S`]) of receipt → cases, for the last [`DAYS_KEPT`] days seen.
    pub received: BTreeMap<i64, u64>,
    /// Cases per H3 cell at each of [`HEAT_RES`], coarsest first (a case whose position is not a valid lon/lat is in
    /// no cell, as in a heatmap).
    pub cells: [BTreeMap<CellIndex, u64>; HEAT_LEVELS],
}

/// The closed cases summed per group.
#[derive(Debug, Default)]
pub struct Closed {
    pub groups: HashMap<Group, Sums>,
}

fn group_of(i: &LiveIncident) -> Group {
    Group { units: i.units.clone(), departments: departments(i).to_vec() }
}

/// The departments of a case's current dispatch.
pub(crate) fn departments(i: &LiveIncident) -> &[String] {
    last_dispatch(&i.transitions).map_or(&[][..], |d| &d.step.departments[..])
}

fn kpi_of(i: &LiveIncident) -> KpiIncident<'_> {
    KpiIncident { category: &i.category, status: i.status, transitions: &i.transitions, urges: i.urges.len() }
}

impl Closed {
    /// Count a closed case in (`sign` 1) or out (-1, before it takes another step).
    pub fn count(&mut self, i: &LiveIncident, sign: i8) {
        let g = self.groups.entry(group_of(i)).or_default();
        g.tally.count(&kpi_of(i), sign);
        let day = local_day(i.received_at, DAY_OFFSET_S);
        let n = g.received.entry(day).or_insert(0);
        *n = if sign < 0 { n.saturating_sub(1) } else { *n + 1 };
        if let Some(&last) = g.received.keys().next_back() {
            g.received.retain(|&d, &mut n| d > last - DAYS_KEPT && n > 0);
        }
        let Ok(p) = LatLng::new(i.lat, i.lon) else { return };
        for (cells, r) in g.cells.iter_mut().zip(HEAT_RES) {
            let Ok(res) = Resolution::try_from(r) else { continue };
            let c = p.to_cell(res);
            if sign > 0 {
                *cells.entry(c).or_insert(0) += 1;
            } else {
                let n = cells.get_mut(&c);
                debug_assert!(n.is_some(), "{}: counted out of cell {c} it was never counted in", i.id);
                if let Some(n) = n {
                    *n = n.saturating_sub(1);
                    if *n == 0 {
                        cells.remove(&c);
                    }
                }
            }
        }
    }

    /// The tally of the groups `keep` accepts (by units and departments).
    pub fn tally(&self, keep: impl Fn(&[String], &[String]) -> bool) -> Tally {
        let mut t = Tally::default();
        for (g, s) in &self.groups {
            if keep(&g.units, &g.departments) {
                t.merge(&s.tally);
            }
        }
        t
    }
}

/// What the live state holds in memory ([`Live::held`]), for the memory line of `wangge serve`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Held {
    /// Open cases in the live list.
    pub open: usize,
    /// Groups of closed cases summed.
    pub groups: usize,
    /// Their counts per H3 cell, over every resolution of [`HEAT_RES`].
    pub cells: usize,
    /// Bytes of the filters of their ids and idempotency keys (1.5–3.6 a case each: [`super::seen`]).
    pub filters: usize,
}

impl std::fmt::Display for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "live: open cases {}, groups of closed cases {}, their cells {}, filters of their ids and keys {:.1} KiB",
            self.open,
            self.groups,
            self.cells,
            self.filters as f64 / 1024.0
        )
    }
}

impl Inner {
    /// How many cases there are, open and closed.
    pub(super) fn total(&self) -> u64 {
        self.list.len() as u64 + self.closed.groups.values().map(|s| s.tally.incidents).sum::<u64>()
    }

    /// The case at `i` leaves the list (the last one takes its place); its sums are kept.
    pub(super) fn evict(&mut self, i: usize) {
        let inc = self.list.swap_remove(i);
        self.by_id.remove(&inc.id);
        if let Some(k) = &inc.key {
            self.by_key.remove(k);
        }
        if let Some(moved) = self.list.get(i) {
            self.by_id.insert(moved.id.clone(), i);
            if let Some(k) = &moved.key {
                self.by_key.insert(k.clone(), i);
            }
        }
        self.keep_closed(&inc);
    }

    /// A closed case joins its group's sums, its id and key the filters.
    pub(super) fn keep_closed(&mut self, inc: &LiveIncident) {
        self.closed.count(inc, 1);
        self.closed_ids.add(&inc.id);
        if let Some(k) = &inc.key {
            self.closed_keys.add(k);
        }
    }
}

impl Live {
    /// Visit every case once, open (from memory, under the live list's lock:
    /// keep `f` short) and closed (from the store, with their steps when
    /// `steps`, without the lock: a read of a long history takes a second or
    /// more, and intake goes on beside it). A case seen open that closes before
    /// the store is read is skipped there; a case reported after the open ones
    /// were seen is seen only if it closed before the store was read. Such
    /// reads take turns with each other, as they did on the store's one
    /// connection, so several at once do not multiply what DuckDB holds.
    pub fn each_all(&self, steps: bool, f: impl FnMut(&LiveIncident)) -> Result<(), LiveError> {
        self.each_in(steps, None, f)
    }

    /// [`Live::each_all`] for the cases that occurred in `occurred` only: the
    /// store reads the closed ones of that window, not every closed case.
    pub fn each_in(&self, steps: bool, occurred: Occurred, mut f: impl FnMut(&LiveIncident)) -> Result<(), LiveError> {
        let _turn = super::lock(&self.reading);
        let seen_open: std::collections::HashSet<String> = {
            let inner = self.lock();
            let mut ids = std::collections::HashSet::with_capacity(inner.list.len());
            for i in inner.list.iter().filter(|i| occurred_in(occurred, i.occurred_at)) {
                ids.insert(i.id.clone());
                f(i);
            }
            ids
        };
        self.persist
            .closed(steps, occurred, &mut |i| {
                if !seen_open.contains(&i.id) {
                    f(&i);
                }
            })
            .map_err(LiveError::Load)
    }

    /// Every case `keep` accepts, open and closed, with their steps (copies).
    pub fn all_where(&self, keep: impl Fn(&LiveIncident) -> bool) -> Result<Vec<LiveIncident>, LiveError> {
        self.all_in(None, keep)
    }

    /// What a heatmap of every case at a resolution of [`HEAT_RES`] (its
    /// [`HeatLevel`]) needs, without reading the store: the open cases go to
    /// `open`, and the units and the counts per cell at that resolution of each
    /// group of closed cases to `closed`; both under the live list's lock, so
    /// no case is seen twice or missed while it closes.
    pub fn each_open_and_closed_cells(
        &self,
        HeatLevel(level): HeatLevel,
        mut open: impl FnMut(&LiveIncident),
        mut closed: impl FnMut(&[String], &BTreeMap<CellIndex, u64>),
    ) {
        let inner = self.lock();
        inner.list.iter().for_each(&mut open);
        for (g, s) in &inner.closed.groups {
            closed(&g.units, &s.cells[level]);
        }
    }

    /// [`Live::all_where`] for the cases that occurred in `occurred` only.
    pub fn all_in(&self, occurred: Occurred, keep: impl Fn(&LiveIncident) -> bool) -> Result<Vec<LiveIncident>, LiveError> {
        let mut out = Vec::new();
        self.each_in(true, occurred, |i| {
            if keep(i) {
                out.push(i.clone());
            }
        })?;
        Ok(out)
    }

    /// How many cases (open and closed) the groups `keep` accepts hold.
    pub fn count_where(&self, keep: impl Fn(&[String], &[String]) -> bool) -> u64 {
        let inner = self.lock();
        let open = inner.list.iter().filter(|i| keep(&i.units, departments(i))).count() as u64;
        open + inner.closed.groups.iter().filter(|(g, _)| keep(&g.units, &g.departments)).map(|(_, s)| s.tally.incidents).sum::<u64>()
    }

    /// How many cases `keep` accepts were received on local day `day` (at [`DAY_OFFSET_S`]), open and closed.
    pub fn received_on(&self, day: i64, keep: impl Fn(&[String], &[String]) -> bool) -> u64 {
        let inner = self.lock();
        let open =
            inner.list.iter().filter(|i| local_day(i.received_at, DAY_OFFSET_S) == day && keep(&i.units, departments(i))).count() as u64;
        open + inner
            .closed
            .groups
            .iter()
            .filter(|(g, _)| keep(&g.units, &g.departments))
            .map(|(_, s)| s.received.get(&day).copied().unwrap_or(0))
            .sum::<u64>()
    }

    /// Whether an id is taken: by an open case, one being written, or a closed one (in the store).
    pub(super) fn taken(&self, inner: &Inner, id: &str) -> Result<bool, LiveError> {
        if inner.by_id.contains_key(id) || inner.inflight_ids.contains(id) {
            return Ok(true);
        }
        Ok(!self.closed_ids(inner, &[id])?.is_empty())
    }

    /// The closed case holding idempotency key `k`, from the store when the filter perhaps holds it.
    pub(super) fn closed_by_key(&self, inner: &Inner, k: &str) -> Result<Option<LiveIncident>, LiveError> {
        if !inner.closed_keys.perhaps(k) {
            return Ok(None);
        }
        self.persist.find(Lookup::Key(k)).map_err(LiveError::Load)
    }

    /// Which of `ids` closed cases hold (from the store, for those the filter perhaps holds).
    pub(super) fn closed_ids(&self, inner: &Inner, ids: &[&str]) -> Result<Vec<String>, LiveError> {
        let perhaps: Vec<&str> = ids.iter().copied().filter(|id| inner.closed_ids.perhaps(id)).collect();
        if perhaps.is_empty() {
            return Ok(Vec::new());
        }
        self.persist.kept_ids(&perhaps).map_err(LiveError::Load)
    }

    /// How much the live state holds in memory: open cases, groups of closed cases and their counts per cell.
    pub fn held(&self) -> Held {
        let inner = self.lock();
        let cells = inner.closed.groups.values().map(|s| s.cells.iter().map(BTreeMap::len).sum::<usize>()).sum();
        Held {
            open: inner.list.len(),
            groups: inner.closed.groups.len(),
            cells,
            filters: inner.closed_ids.bytes() + inner.closed_keys.bytes(),
        }
    }

    /// How many cases the live list holds in memory (the open ones).
    pub fn in_memory(&self) -> usize {
        self.lock().list.len()
    }

    /// One case with its steps, from memory or (closed) from the store.
    pub fn find(&self, id: &str) -> Result<Option<LiveIncident>, LiveError> {
        if let Some(i) = self.lock().list_get(id) {
            return Ok(Some(i.clone()));
        }
        self.persist.find(Lookup::Id(id)).map_err(LiveError::Load)
    }
}

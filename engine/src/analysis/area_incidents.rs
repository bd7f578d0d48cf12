//! The incidents of an area (`analysis::area`): how many, by class and by
//! status, per ISO week in local time, the Gi* hot spots inside, and the same
//! counts for a second period with the differences.
//!
//! Which incidents: the dataset's loaded ones and the live ones the caller
//! hands in (as the heat counts take them, `incidents::heat`). A unit area
//! holds a loaded incident by the unit holding its point and a live one by
//! its chain of unit ids, as the unit's trend counts them; a drawn polygon
//! holds one whose point lies inside it, when it lies inside the
//! jurisdiction. A period is `[from, to)` on the time it happened; classes
//! are the taxonomy's categories.
//!
//! Weeks: ISO 8601 weeks (Monday to Sunday) of the local date at the given
//! offset (UTC+8 for the district), labelled `2026-W14` by the ISO
//! week-numbering year, from the first to the last week with an incident
//! (or the whole period when it is given and spans at most 520 weeks), empty
//! weeks as zeros.
//!
//! Hot spots: `incidents::hotspot::gi_star` over the H3 counts of the area's
//! incidents only, keeping the cells whose centre lies in the area and whose
//! Benjamini–Hochberg q-value is below 0.05 (hot: z > 0, cold: z < 0).
//!
//! Method: an R-tree query of the area's box over the loaded incidents and one
//! pass over the live ones; O(log n + k + l) for k candidates and l live
//! incidents, plus the weeks and the hot spots' O(c·k²) over c cells.

use std::collections::BTreeMap;

use h3o::{CellIndex, LatLng, Resolution};

use crate::analysis::area::AreaShape;
use crate::dataset::Dataset;
use crate::incidents::hotspot::{counts_by_cell, gi_star};
use crate::incidents::trend::{Period, period_start};
use crate::time::{civil_from_days, days_from_civil};
use crate::units::assign::PreparedPolygon;
use crate::units::jurisdiction::Jurisdiction;

/// False discovery rate at which a cell is a hot or cold spot.
pub const HOTSPOT_FDR: f64 = 0.05;

/// A time window `[from, to)`, Unix seconds; open ends allowed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    pub from: Option<i64>,
    pub to: Option<i64>,
}

impl Window {
    pub fn holds(&self, t: i64) -> bool {
        self.from.is_none_or(|f| t >= f) && self.to.is_none_or(|e| t < e)
    }
}

/// A live incident as the area sees it (borrowed from wherever the live list is kept).
#[derive(Debug, Clone, Copy)]
pub struct LiveCase<'a> {
    pub id: &'a str,
    pub lon: f64,
    pub lat: f64,
    /// Unix seconds.
    pub occurred_at: i64,
    pub category: &'a str,
    pub status: &'a str,
    /// Ids of the units holding it, from the top level down.
    pub units: &'a [String],
}

/// What to count.
#[derive(Debug, Clone)]
pub struct IncidentQuery {
    pub period: Window,
    /// Categories to keep (None: all).
    pub classes: Option<Vec<String>>,
    /// A second period to compare with.
    pub compare: Option<Window>,
    /// Count the loaded incidents (a department sees only live cases dispatched to it).
    pub loaded: bool,
    /// Local time offset for weeks, seconds east of UTC.
    pub offset_s: i64,
    /// H3 resolution and ring size of the hot spots.
    pub res: Resolution,
    pub k: u32,
}

impl Default for IncidentQuery {
    fn default() -> Self {
        IncidentQuery {
            period: Window::default(),
            classes: None,
            compare: None,
            loaded: true,
            offset_s: 8 * 3600,
            res: Resolution::Eight,
            k: 1,
        }
    }
}

/// One incident counted.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseRow {
    pub id: String,
    pub lon: f64,
    pub lat: f64,
    pub occurred_at: i64,
    pub category: String,
    pub status: String,
    /// Reported over HTTP (else loaded from a layer).
    pub live: bool,
}

/// Incidents in one ISO week.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Week {
    /// `2026-W14`.
    pub week: String,
    /// The Monday, `2026-03-30`.
    pub from: String,
    pub count: u64,
}

/// A hot or cold spot inside the area.
#[derive(Debug, Clone, PartialEq)]
pub struct Spot {
    pub cell: CellIndex,
    pub lon: f64,
    pub lat: f64,
    pub count: u64,
    pub z: f64,
    pub p: f64,
    pub q: f64,
    pub hot: bool,
}

/// The counts of one period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counts {
    pub total: u64,
    pub by_class: BTreeMap<String, u64>,
    pub by_status: BTreeMap<String, u64>,
}

impl Counts {
    fn add(&mut self, category: &str, status: &str) {
        self.total += 1;
        *self.by_class.entry(category.to_owned()).or_default() += 1;
        *self.by_status.entry(status.to_owned()).or_default() += 1;
    }
}

/// The incident figures of an area.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaIncidents {
    pub counts: Counts,
    pub weekly: Vec<Week>,
    pub hotspots: Vec<Spot>,
    /// Every incident counted, loaded first (in layer order), then live (in the order handed in).
    pub cases: Vec<CaseRow>,
    /// The second period's counts, when asked.
    pub compare: Option<Counts>,
    /// Whether any loaded incident counted carries the generated label.
    pub generated: bool,
}

/// Count the incidents of `area` inside `j`: the loaded ones of `d` and the
/// live ones `each_live` hands to the visitor it is given.
pub fn incidents(
    d: &Dataset,
    area: &AreaShape,
    j: &Jurisdiction,
    q: &IncidentQuery,
    each_live: impl FnOnce(&mut dyn FnMut(LiveCase<'_>)),
) -> AreaIncidents {
    let class_ok = |c: &str| q.classes.as_ref().is_none_or(|cs| cs.iter().any(|x| x == c));
    let windows = std::iter::once(q.period).chain(q.compare);
    let wanted = |t: i64| windows.clone().any(|w| w.holds(t));
    let mut all: Vec<CaseRow> = Vec::new();
    let mut generated = false;
    if q.loaded
        && let Some(bb) = area.bbox(d)
    {
        let mut idx: Vec<usize> = d.incident_index.query_rect(bb).collect();
        idx.sort_unstable();
        for n in idx {
            let i = &d.incidents[n];
            if !wanted(i.occurred_at) || !class_ok(&i.category) {
                continue;
            }
            let (x, y) = (i.position.x(), i.position.y());
            if area.holds_point(j, x, y, d.incident_unit.get(n).copied().flatten()) {
                generated |= Dataset::is_generated(&i.attributes);
                all.push(CaseRow {
                    id: i.id.clone(),
                    lon: x,
                    lat: y,
                    occurred_at: i.occurred_at,
                    category: i.category.clone(),
                    status: i.status.clone(),
                    live: false,
                });
            }
        }
    }
    each_live(&mut |c: LiveCase<'_>| {
        if wanted(c.occurred_at) && class_ok(c.category) && area.holds_chain(d, j, c.lon, c.lat, c.units) {
            all.push(CaseRow {
                id: c.id.to_owned(),
                lon: c.lon,
                lat: c.lat,
                occurred_at: c.occurred_at,
                category: c.category.to_owned(),
                status: c.status.to_owned(),
                live: true,
            });
        }
    });
    let compare = q.compare.map(|w| {
        let mut c = Counts::default();
        for r in all.iter().filter(|r| w.holds(r.occurred_at)) {
            c.add(&r.category, &r.status);
        }
        c
    });
    let cases: Vec<CaseRow> = all.into_iter().filter(|r| q.period.holds(r.occurred_at)).collect();
    let mut counts = Counts::default();
    for r in &cases {
        counts.add(&r.category, &r.status);
    }
    AreaIncidents {
        weekly: weeks(cases.iter().map(|r| r.occurred_at), q.period, q.offset_s),
        hotspots: hotspots(d, area, &cases, q.res, q.k),
        counts,
        cases,
        compare,
        generated,
    }
}

/// The ISO week-numbering year and week of a day number (days since 1970-01-01).
pub fn iso_week(day: i64) -> (i64, u32) {
    // the Thursday of the day's week decides the year
    let monday = day - (day + 3).rem_euclid(7);
    let thursday = monday + 3;
    let (y, _, _) = civil_from_days(thursday);
    let week = (thursday - days_from_civil(y, 1, 1)) / 7 + 1;
    (y, week as u32)
}

/// Incidents per ISO week of the local date at `offset_s`.
pub fn weeks(times: impl Iterator<Item = i64>, period: Window, offset_s: i64) -> Vec<Week> {
    let mut per: BTreeMap<i64, u64> = BTreeMap::new();
    for t in times {
        *per.entry(period_start(t, Period::Week, offset_s)).or_default() += 1;
    }
    let week_s = 7 * 86_400;
    let (mut first, mut last) = match (per.keys().next(), per.keys().next_back()) {
        (Some(&a), Some(&b)) => (Some(a), Some(b)),
        _ => (None, None),
    };
    if let (Some(f), Some(t)) = (period.from, period.to)
        && t > f
        && (t - f) / week_s <= 520
    {
        first = Some(period_start(f, Period::Week, offset_s));
        last = Some(period_start(t - 1, Period::Week, offset_s));
    }
    let (Some(first), Some(last)) = (first, last) else { return Vec::new() };
    let mut out = Vec::new();
    let mut w = first;
    while w <= last {
        let day = (w + offset_s).div_euclid(86_400);
        let (y, n) = iso_week(day);
        let (cy, cm, cd) = civil_from_days(day);
        out.push(Week {
            week: format!("{y:04}-W{n:02}"),
            from: format!("{cy:04}-{cm:02}-{cd:02}"),
            count: per.get(&w).copied().unwrap_or(0),
        });
        w += week_s;
    }
    out
}

/// Gi* hot and cold spots of the counted cases, cells whose centre lies in the area.
fn hotspots(d: &Dataset, area: &AreaShape, cases: &[CaseRow], res: Resolution, k: u32) -> Vec<Spot> {
    let counts = counts_by_cell(cases.iter().map(|c| (c.lon, c.lat)), res);
    if counts.is_empty() {
        return Vec::new();
    }
    let unit_poly = area.unit_index().map(|u| PreparedPolygon::new(&d.hierarchy.units[u].geometry));
    let inside = |lon: f64, lat: f64| match (area, &unit_poly) {
        (AreaShape::Drawn(o), _) => o.contains(lon, lat),
        (_, Some(p)) => p.contains(lon, lat),
        _ => false,
    };
    let mut out: Vec<Spot> = gi_star(&counts, k)
        .into_iter()
        .filter(|h| h.q < HOTSPOT_FDR && h.z != 0.0)
        .filter_map(|h| {
            let c = LatLng::from(h.cell);
            inside(c.lng(), c.lat()).then_some(Spot {
                cell: h.cell,
                lon: c.lng(),
                lat: c.lat(),
                count: h.count,
                z: h.z,
                p: h.p,
                q: h.q,
                hot: h.z > 0.0,
            })
        })
        .collect();
    out.sort_by(|a, b| b.z.total_cmp(&a.z).then(a.cell.cmp(&b.cell)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_time;

    #[test]
    fn iso_weeks_at_year_ends() {
        // 2026-01-01 is a Thursday: week 1 of 2026; 2027-01-01 a Friday: week 53 of 2026
        let day = |s: &str| parse_time(s, 0).map(|t| t / 86_400).expect("date");
        assert_eq!(iso_week(day("2026-01-01")), (2026, 1));
        assert_eq!(iso_week(day("2025-12-29")), (2026, 1));
        assert_eq!(iso_week(day("2027-01-01")), (2026, 53));
        assert_eq!(iso_week(day("2027-01-04")), (2027, 1));
        assert_eq!(iso_week(day("2026-03-30")), (2026, 14));
        assert_eq!(iso_week(day("2024-12-30")), (2025, 1));
    }

    #[test]
    fn weeks_in_local_time_with_empty_weeks() {
        let t = |s: &str| parse_time(s, 8 * 3600).expect("time");
        // Sunday 23:30 in UTC+8 is still week 13; Monday 00:30 is week 14
        let times = [t("2026-03-29T23:30:00+08:00"), t("2026-03-30T00:30:00+08:00"), t("2026-04-14T12:00:00+08:00")];
        let w = weeks(times.into_iter(), Window::default(), 8 * 3600);
        let got: Vec<(&str, &str, u64)> = w.iter().map(|w| (w.week.as_str(), w.from.as_str(), w.count)).collect();
        assert_eq!(
            got,
            vec![
                ("2026-W13", "2026-03-23", 1),
                ("2026-W14", "2026-03-30", 1),
                ("2026-W15", "2026-04-06", 0),
                ("2026-W16", "2026-04-13", 1)
            ]
        );
        // a period given: its weeks, even empty ones
        let p = Window { from: Some(t("2026-03-16")), to: Some(t("2026-04-20")) };
        let w = weeks(times.into_iter(), p, 8 * 3600);
        assert_eq!(w.first().map(|w| w.week.as_str()), Some("2026-W12"));
        assert_eq!(w.last().map(|w| w.week.as_str()), Some("2026-W16"));
        assert_eq!(w.iter().map(|w| w.count).sum::<u64>(), 3);
        assert!(weeks(std::iter::empty(), Window::default(), 0).is_empty());
    }
}

//! A unit's incident trend and resolution shares: incidents per week or
//! month with the change against the previous period, and at which level
//! resolved incidents were resolved (小事不出楼栋、纠纷不出网格、矛盾不出社区).
//!
//! Method: each incident's period start in local civil time (weeks start on
//! Monday; `time::civil_from_days`, Hinnant's algorithm), counted in a
//! B-tree; shares of the resolved ones per level. O(n log p) for p periods.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::dataset::Dataset;
use crate::time::{civil_from_days, days_from_civil, format_time_at};

/// The length of a trend's buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    Week,
    Month,
}

impl Period {
    /// `week` or `month`.
    pub fn parse(s: &str) -> Option<Period> {
        match s {
            "week" => Some(Period::Week),
            "month" => Some(Period::Month),
            _ => None,
        }
    }
}

/// One incident as the trend sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendRow {
    /// When it happened, Unix seconds.
    pub at: i64,
    /// The level that resolved it, if it is resolved (`unknown` when not said).
    pub resolved_level: Option<String>,
}

/// Incidents in one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bucket {
    /// The period's start, RFC 3339 at the local offset.
    pub start: String,
    pub count: u64,
}

/// Incidents per period and the change of the last against the one before.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trend {
    pub period: Period,
    pub buckets: Vec<Bucket>,
    pub last: Option<u64>,
    pub previous: Option<u64>,
    pub change: Option<i64>,
    pub change_pct: Option<f64>,
}

/// Where the resolved incidents were resolved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resolution {
    pub resolved: u64,
    pub by_level: BTreeMap<String, u64>,
    pub share_building_grid: f64,
    pub share_grid: f64,
    pub share_community: f64,
    pub share_above_community: f64,
}

/// A unit's incidents: how many, whether generated, the trend and the resolution shares.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitIncidents {
    pub unit: String,
    pub incidents: usize,
    pub generated: bool,
    pub trend: Trend,
    pub resolution: Resolution,
}

impl UnitIncidents {
    /// The figures of `rows`, periods in local time at `offset_s` seconds east of UTC.
    pub fn compute(unit: String, generated: bool, rows: &[TrendRow], period: Period, offset_s: i64) -> UnitIncidents {
        UnitIncidents { unit, incidents: rows.len(), generated, trend: trend(rows, period, offset_s), resolution: resolution(rows) }
    }
}

/// The start (Unix seconds) of the week (Monday) or month holding `t`, in local time at `offset_s`.
pub fn period_start(t: i64, period: Period, offset_s: i64) -> i64 {
    let days = (t + offset_s).div_euclid(86_400);
    let start_day = match period {
        Period::Month => {
            let (y, m, _) = civil_from_days(days);
            days_from_civil(y, m, 1)
        }
        // 1970-01-01 was a Thursday
        Period::Week => days - (days + 3).rem_euclid(7),
    };
    start_day * 86_400 - offset_s
}

/// Incidents per period, the last two and their change.
pub fn trend(rows: &[TrendRow], period: Period, offset_s: i64) -> Trend {
    let mut buckets: BTreeMap<i64, u64> = BTreeMap::new();
    for r in rows {
        *buckets.entry(period_start(r.at, period, offset_s)).or_insert(0) += 1;
    }
    let counts: Vec<u64> = buckets.values().copied().collect();
    let (last, previous) = (counts.last().copied(), counts.len().checked_sub(2).map(|i| counts[i]));
    Trend {
        period,
        buckets: buckets.iter().map(|(t, n)| Bucket { start: format_time_at(*t, offset_s), count: *n }).collect(),
        last,
        previous,
        change: last.zip(previous).map(|(a, b)| a as i64 - b as i64),
        change_pct: last.zip(previous).and_then(|(a, b)| (b > 0).then(|| (a as f64 - b as f64) / b as f64 * 100.0)),
    }
}

/// Resolved incidents per level and the shares of the building grid, grid, community and above.
pub fn resolution(rows: &[TrendRow]) -> Resolution {
    let mut by_level: BTreeMap<String, u64> = BTreeMap::new();
    for lvl in rows.iter().filter_map(|r| r.resolved_level.clone()) {
        *by_level.entry(lvl).or_insert(0) += 1;
    }
    let resolved: u64 = by_level.values().sum();
    let share = |levels: &[&str]| {
        if resolved > 0 {
            by_level.iter().filter(|(k, _)| levels.contains(&k.as_str())).map(|(_, v)| *v).sum::<u64>() as f64 / resolved as f64
        } else {
            0.0
        }
    };
    Resolution {
        resolved,
        share_building_grid: share(&["building_grid"]),
        share_grid: share(&["grid"]),
        share_community: share(&["community"]),
        share_above_community: share(&["street", "district"]),
        by_level,
    }
}

/// The rows of a dataset's loaded incidents under `unit`: resolved (or
/// evaluated) ones at their `resolved_level` attribute, `unknown` without one.
pub fn loaded_rows(d: &Dataset, unit: usize) -> Vec<TrendRow> {
    d.incidents
        .iter()
        .enumerate()
        .filter(|(n, _)| d.incident_in(*n, unit))
        .map(|(_, i)| TrendRow {
            at: i.occurred_at,
            resolved_level: (i.status == "resolved" || i.status == "evaluated")
                .then(|| i.attributes.get("resolved_level").and_then(Value::as_str).unwrap_or("unknown").to_owned()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_time;

    fn row(t: &str, level: Option<&str>) -> TrendRow {
        TrendRow { at: parse_time(t, 8 * 3600).expect("time"), resolved_level: level.map(str::to_owned) }
    }

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first_local_time() {
        const TZ: i64 = 8 * 3600;
        // Sunday 2026-03-01 23:30 +08:00 is in the week of Monday 2026-02-23
        let t = parse_time("2026-03-01T23:30:00+08:00", TZ).expect("time");
        assert_eq!(format_time_at(period_start(t, Period::Week, TZ), TZ), "2026-02-23T00:00:00+08:00");
        assert_eq!(format_time_at(period_start(t, Period::Month, TZ), TZ), "2026-03-01T00:00:00+08:00");
        let monday = parse_time("2026-03-02T00:00:00+08:00", TZ).expect("time");
        assert_eq!(period_start(monday, Period::Week, TZ), monday);
    }

    #[test]
    fn change_and_shares() {
        let rows = [
            row("2026-03-02", Some("grid")),
            row("2026-03-09", None),
            row("2026-03-10", Some("street")),
            row("2026-03-11", Some("building_grid")),
            row("2026-03-12", Some("unknown")),
        ];
        let u = UnitIncidents::compute("g1".into(), false, &rows, Period::Week, 8 * 3600);
        assert_eq!(u.incidents, 5);
        assert_eq!((u.trend.last, u.trend.previous, u.trend.change, u.trend.change_pct), (Some(4), Some(1), Some(3), Some(300.0)));
        let r = &u.resolution;
        assert_eq!((r.resolved, r.share_grid, r.share_above_community, r.share_community), (4, 0.25, 0.25, 0.0));
        let v = serde_json::to_value(&u).expect("json");
        assert_eq!(v["trend"]["period"], "week");
        assert_eq!(v["trend"]["buckets"][0], serde_json::json!({"start": "2026-03-02T00:00:00+08:00", "count": 1}));
        let empty = UnitIncidents::compute("g1".into(), true, &[], Period::Month, 0);
        assert_eq!((empty.trend.change, empty.trend.change_pct, empty.resolution.share_grid), (None, None, 0.0));
    }
}

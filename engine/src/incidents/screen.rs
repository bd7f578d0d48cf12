//! Figures of the command-center screen beyond the KPI ([`super::kpi`]):
//! open cases by the response level holding them and by class, and a day's
//! intake against the mean of the same weekday over the loaded history.
//!
//! Method: one pass over the cases for the open table (O(n)); for the
//! weekday means one pass over the history's times, counting incidents per
//! local day, then dividing each weekday's total by how many such days the
//! history spans from its first to its last day (days without incidents
//! count as zero) — O(n + days). Days are civil days at a fixed UTC offset
//! (the district's clock, +08:00 for China), as [`super::trend`] counts weeks.

use std::collections::BTreeMap;

use serde::Serialize;

use super::lifecycle::{Status, Transition, last_dispatch};

/// Key of the open cases not yet dispatched to a level (reported, accepted, called).
pub const UNDISPATCHED: &str = "undispatched";

/// One open or closed case as the table sees it.
#[derive(Debug, Clone, Copy)]
pub struct OpenCase<'a> {
    pub category: &'a str,
    pub status: Status,
    pub transitions: &'a [Transition],
}

/// Open cases (not refused, resolved or evaluated) by level and class.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct OpenTable {
    /// `level` (a response level, or [`UNDISPATCHED`]) → class → count.
    pub by_level: BTreeMap<String, BTreeMap<String, u64>>,
    /// class → count, over every level.
    pub by_class: BTreeMap<String, u64>,
    pub total: u64,
}

/// The open cases of `cases` by the level of their current dispatch (or
/// [`UNDISPATCHED`]) and by class.
pub fn open_table<'a>(cases: impl IntoIterator<Item = OpenCase<'a>>) -> OpenTable {
    let mut t = OpenTable::default();
    for c in cases {
        if matches!(c.status, Status::Refused | Status::Resolved | Status::Evaluated) {
            continue;
        }
        let level = last_dispatch(c.transitions).and_then(|d| d.step.level).map_or(UNDISPATCHED, |l| l.as_str());
        *t.by_level.entry(level.to_owned()).or_default().entry(c.category.to_owned()).or_insert(0) += 1;
        *t.by_class.entry(c.category.to_owned()).or_insert(0) += 1;
        t.total += 1;
    }
    t
}

/// The local civil day number (days since 1970-01-01) of Unix time `t` at UTC offset `offset_s`.
pub fn local_day(t: i64, offset_s: i64) -> i64 {
    (t + offset_s).div_euclid(86_400)
}

/// The weekday of a day number: 0 = Monday … 6 = Sunday (1970-01-01 was a Thursday).
pub fn weekday(day: i64) -> usize {
    // day 0 is Thursday = 3
    usize::try_from((day + 3).rem_euclid(7)).unwrap_or(0)
}

/// The loaded history summarised by weekday.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct WeekdayMeans {
    /// First and last day of the history (day numbers), if it has any incident.
    pub first_day: Option<i64>,
    pub last_day: Option<i64>,
    /// Monday … Sunday: incidents in the history on that weekday.
    pub totals: [u64; 7],
    /// Monday … Sunday: how many such days the history spans.
    pub days: [u64; 7],
}

impl WeekdayMeans {
    /// Counts `times` (Unix seconds) per weekday at `offset_s`.
    pub fn of(times: impl IntoIterator<Item = i64>, offset_s: i64) -> WeekdayMeans {
        let mut m = WeekdayMeans::default();
        for t in times {
            let d = local_day(t, offset_s);
            m.totals[weekday(d)] += 1;
            m.first_day = Some(m.first_day.map_or(d, |f| f.min(d)));
            m.last_day = Some(m.last_day.map_or(d, |l| l.max(d)));
        }
        if let (Some(f), Some(l)) = (m.first_day, m.last_day) {
            // whole weeks give each weekday one day; the remainder from `f` on one more
            let span = l - f + 1;
            let weeks = u64::try_from(span / 7).unwrap_or(0);
            m.days = [weeks; 7];
            for k in 0..span % 7 {
                m.days[weekday(f + k)] += 1;
            }
        }
        m
    }

    /// The mean count of a weekday (0 = Monday), None when the history has no such day.
    pub fn mean(&self, weekday: usize) -> Option<f64> {
        let days = *self.days.get(weekday)?;
        (days > 0).then(|| self.totals[weekday] as f64 / days as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incidents::lifecycle::{ResponseLevel, Step};
    use crate::time::{days_from_civil, parse_time};

    const TZ: i64 = 8 * 3600;

    #[test]
    fn weekdays_from_the_calendar() {
        // 2026-12-01 is a Tuesday, 2026-03-01 a Sunday
        assert_eq!(weekday(days_from_civil(2026, 12, 1)), 1);
        assert_eq!(weekday(days_from_civil(2026, 3, 1)), 6);
        // 23:30 UTC on a Monday is Tuesday in China
        let t = parse_time("2026-11-30T23:30:00Z", 0).expect("time");
        assert_eq!(weekday(local_day(t, TZ)), 1);
        assert_eq!(weekday(local_day(t, 0)), 0);
    }

    #[test]
    fn weekday_means_count_empty_days_as_zero() {
        let at = |s: &str| parse_time(s, TZ).expect("time");
        // Mon 2026-11-02 … Sun 2026-11-15: two weeks; 3 incidents on the first Monday, 1 on the second, 2 on a Wednesday
        let times = [
            at("2026-11-02T09:00:00"),
            at("2026-11-02T10:00:00"),
            at("2026-11-02T23:59:00"),
            at("2026-11-09T08:00:00"),
            at("2026-11-04T12:00:00"),
            at("2026-11-04T13:00:00"),
            at("2026-11-15T12:00:00"),
        ];
        let m = WeekdayMeans::of(times, TZ);
        assert_eq!(m.days, [2; 7]);
        assert_eq!(m.mean(0), Some(2.0));
        assert_eq!(m.mean(2), Some(1.0));
        assert_eq!(m.mean(1), Some(0.0));
        assert_eq!(m.mean(6), Some(0.5));
        // brute force: walk the days
        let (f, l) = (m.first_day.expect("first"), m.last_day.expect("last"));
        for w in 0..7 {
            let days = (f..=l).filter(|&d| weekday(d) == w).count() as u64;
            let n = times.iter().filter(|&&t| weekday(local_day(t, TZ)) == w).count() as u64;
            assert_eq!((m.days[w], m.totals[w]), (days, n), "weekday {w}");
        }
        assert_eq!(WeekdayMeans::of([], TZ).mean(0), None);
    }

    #[test]
    fn open_cases_by_the_level_of_their_dispatch() {
        let dispatch = |level| Transition {
            from: Status::Reported,
            step: Step { level: Some(level), ..Step::to(Status::Dispatched, "x") },
            at: 0,
            user: None,
            role: None,
            kind: None,
            due: None,
        };
        let grid = [dispatch(ResponseLevel::Grid)];
        let cases = [
            OpenCase { category: "环境", status: Status::Reported, transitions: &[] },
            OpenCase { category: "环境", status: Status::Dispatched, transitions: &grid },
            OpenCase { category: "安全", status: Status::InProgress, transitions: &grid },
            OpenCase { category: "安全", status: Status::Resolved, transitions: &grid },
            OpenCase { category: "安全", status: Status::Refused, transitions: &[] },
        ];
        let t = open_table(cases);
        assert_eq!(t.total, 3);
        assert_eq!(t.by_level[UNDISPATCHED]["环境"], 1);
        assert_eq!(t.by_level["grid"]["环境"], 1);
        assert_eq!(t.by_level["grid"]["安全"], 1);
        assert_eq!(t.by_class["安全"], 1);
    }
}

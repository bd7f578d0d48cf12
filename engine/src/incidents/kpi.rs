//! Figures for command-center screens over the live incidents: counts by
//! status, open, overdue and urged (督办) cases, rework and escalations, where
//! resolved incidents were resolved (小事不出楼栋、纠纷不出网格、矛盾不出社区)
//! and the mean satisfaction.
//!
//! Method: one pass over the incidents, O(n · t) for t transitions each;
//! open means not refused, resolved or evaluated; overdue means dispatched or
//! in progress past the deadline of the current dispatch (`lifecycle::past_due`).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::incidents::lifecycle::{Deadlines, ResponseLevel, Status, Transition, past_due, resolved_level, rework_and_escalations};
use crate::time::format_time;

/// A live incident as the figures see it.
#[derive(Debug, Clone, Copy)]
pub struct KpiIncident<'a> {
    pub category: &'a str,
    pub status: Status,
    pub transitions: &'a [Transition],
    /// How many urges (督办) it has had.
    pub urges: usize,
}

/// The figures (JSON as the `/api/kpi` answer and the `kpi` event).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Kpi {
    /// The version of the live list they were computed from.
    pub version: u64,
    /// When (RFC 3339, UTC).
    pub at: String,
    pub incidents: usize,
    pub by_status: BTreeMap<&'static str, u64>,
    pub open: u64,
    pub overdue: u64,
    /// Open cases urged (督办) at least once.
    pub urged: u64,
    /// Cases sent back at least once (rework).
    pub reworked: u64,
    /// Cases escalated at least once.
    pub escalated: u64,
    pub resolved_by_level: BTreeMap<&'static str, u64>,
    pub share_building_grid: Option<f64>,
    pub share_grid: Option<f64>,
    pub share_community: Option<f64>,
    pub share_above_community: Option<f64>,
    pub satisfaction_mean: Option<f64>,
    /// How many incidents have a satisfaction rating.
    pub evaluated: u64,
}

/// What the figures add up over cases whatever their status: kept for the
/// closed cases that left the live list (their share of the figures stays).
/// Integer sums only, so a tally's figures equal those of its cases.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub incidents: u64,
    /// Per [`Status::ALL`] position.
    pub by_status: [u64; 9],
    /// Resolved or evaluated cases per [`ResponseLevel::ALL`] position (of their last resolution).
    pub resolved_by_level: [u64; 5],
    pub reworked: u64,
    pub escalated: u64,
    /// The sum and count of the last satisfaction ratings.
    pub satisfaction_sum: u64,
    pub rated: u64,
}

impl Tally {
    /// Count one case in (`sign` 1) or out (`sign` -1: a closed case taking another step).
    pub fn count(&mut self, i: &KpiIncident<'_>, sign: i8) {
        let add = |x: &mut u64, n: u64| *x = if sign < 0 { x.saturating_sub(n) } else { *x + n };
        add(&mut self.incidents, 1);
        if let Some(p) = Status::ALL.iter().position(|s| *s == i.status) {
            add(&mut self.by_status[p], 1);
        }
        if matches!(i.status, Status::Resolved | Status::Evaluated)
            && let Some(p) = resolved_level(i.transitions).and_then(|l| ResponseLevel::ALL.iter().position(|x| *x == l))
        {
            add(&mut self.resolved_by_level[p], 1);
        }
        let (r, e) = rework_and_escalations(i.transitions);
        add(&mut self.reworked, u64::from(r > 0));
        add(&mut self.escalated, u64::from(e > 0));
        if let Some(s) = i.transitions.iter().rev().find_map(|t| t.step.satisfaction) {
            add(&mut self.satisfaction_sum, u64::from(s));
            add(&mut self.rated, 1);
        }
    }

    /// Add another tally.
    pub fn merge(&mut self, o: &Tally) {
        self.incidents += o.incidents;
        for (a, b) in self.by_status.iter_mut().zip(o.by_status) {
            *a += b;
        }
        for (a, b) in self.resolved_by_level.iter_mut().zip(o.resolved_by_level) {
            *a += b;
        }
        self.reworked += o.reworked;
        self.escalated += o.escalated;
        self.satisfaction_sum += o.satisfaction_sum;
        self.rated += o.rated;
    }
}

/// The figures of `incidents` at `now` (Unix seconds), for version `version` of their list.
pub fn figures<'a>(incidents: impl IntoIterator<Item = KpiIncident<'a>>, deadlines: &Deadlines, now: i64, version: u64) -> Kpi {
    figures_with(incidents, &Tally::default(), deadlines, now, version)
}

/// The figures of `incidents` and of the closed cases summed in `closed`
/// (which are neither open nor overdue), at `now`.
pub fn figures_with<'a>(
    incidents: impl IntoIterator<Item = KpiIncident<'a>>,
    closed: &Tally,
    deadlines: &Deadlines,
    now: i64,
    version: u64,
) -> Kpi {
    let mut all = closed.clone();
    let (mut open, mut overdue, mut urged) = (0u64, 0u64, 0u64);
    for i in incidents {
        all.count(&i, 1);
        if !i.status.is_closed() {
            open += 1;
            overdue += u64::from(past_due(i.status, i.category, i.transitions, deadlines, now).is_some());
            urged += u64::from(i.urges > 0);
        }
    }
    let by_status: BTreeMap<&'static str, u64> = Status::ALL.iter().zip(all.by_status).map(|(s, n)| (s.as_str(), n)).collect();
    let by_level: BTreeMap<&'static str, u64> =
        ResponseLevel::ALL.iter().zip(all.resolved_by_level).map(|(l, n)| (l.as_str(), n)).collect();
    let resolved: u64 = by_level.values().sum();
    let share = |levels: &[&str]| {
        (resolved > 0).then(|| levels.iter().map(|l| by_level.get(l).copied().unwrap_or(0)).sum::<u64>() as f64 / resolved as f64)
    };
    Kpi {
        version,
        at: format_time(now),
        incidents: usize::try_from(all.incidents).unwrap_or(usize::MAX),
        open,
        overdue,
        urged,
        reworked: all.reworked,
        escalated: all.escalated,
        share_building_grid: share(&["building_grid"]),
        share_grid: share(&["grid"]),
        share_community: share(&["community"]),
        share_above_community: share(&["street", "district"]),
        satisfaction_mean: (all.rated > 0).then(|| all.satisfaction_sum as f64 / all.rated as f64),
        evaluated: all.rated,
        by_status,
        resolved_by_level: by_level,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incidents::lifecycle::Step;

    fn t(to: Status, level: Option<ResponseLevel>, satisfaction: Option<u8>, at: i64) -> Transition {
        let step = Step { level, satisfaction, ..Step::to(to, "a") };
        Transition { from: Status::Reported, step, at, user: None, role: None, kind: None, due: None }
    }

    #[test]
    fn nothing_and_a_mix() {
        let k = figures([], &Deadlines::default(), 0, 7);
        assert_eq!((k.incidents, k.open, k.overdue, k.evaluated, k.version), (0, 0, 0, 0, 7));
        assert_eq!((k.share_grid, k.satisfaction_mean), (None, None));
        assert_eq!(k.at, "1970-01-01T00:00:00Z");
        let d = Deadlines([("治安".to_owned(), [(ResponseLevel::Grid, 1.0)].into_iter().collect())].into_iter().collect());
        let late = [t(Status::Dispatched, Some(ResponseLevel::Grid), None, 0)];
        let done = [t(Status::Resolved, Some(ResponseLevel::Street), None, 0), t(Status::Evaluated, None, Some(4), 10)];
        let grid = [t(Status::Resolved, Some(ResponseLevel::Grid), None, 0)];
        let list = [
            KpiIncident { category: "治安", status: Status::Dispatched, transitions: &late, urges: 1 },
            KpiIncident { category: "治安", status: Status::Evaluated, transitions: &done, urges: 0 },
            KpiIncident { category: "治安", status: Status::Resolved, transitions: &grid, urges: 0 },
            KpiIncident { category: "其他", status: Status::Reported, transitions: &[], urges: 0 },
            KpiIncident { category: "其他", status: Status::Refused, transitions: &[], urges: 0 },
        ];
        let k = figures(list, &d, 3_601, 1);
        assert_eq!((k.incidents, k.open, k.overdue, k.urged, k.evaluated), (5, 2, 1, 1, 1), "refused is not open");
        assert_eq!(k.by_status["refused"], 1);
        assert_eq!((k.by_status["dispatched"], k.by_status["called"]), (1, 0));
        assert_eq!((k.resolved_by_level["street"], k.resolved_by_level["grid"]), (1, 1));
        assert_eq!((k.share_grid, k.share_above_community, k.share_community), (Some(0.5), Some(0.5), Some(0.0)));
        assert_eq!(k.satisfaction_mean, Some(4.0));
        assert_eq!(figures(list, &d, 3_600, 1).overdue, 0, "not past the hour yet");
    }

    #[test]
    fn a_tally_of_closed_cases_gives_the_same_figures() {
        let d = Deadlines::default();
        let done = [t(Status::Resolved, Some(ResponseLevel::Street), None, 0), t(Status::Evaluated, None, Some(4), 10)];
        let grid = [t(Status::Resolved, Some(ResponseLevel::Grid), None, 0)];
        let closed = [
            KpiIncident { category: "治安", status: Status::Evaluated, transitions: &done, urges: 0 },
            KpiIncident { category: "治安", status: Status::Resolved, transitions: &grid, urges: 0 },
            KpiIncident { category: "其他", status: Status::Refused, transitions: &[], urges: 0 },
        ];
        let open = [KpiIncident { category: "其他", status: Status::Reported, transitions: &[], urges: 0 }];
        let mut tally = Tally::default();
        for i in &closed {
            tally.count(i, 1);
        }
        let whole = figures(closed.iter().chain(&open).copied(), &d, 5, 2);
        assert_eq!(figures_with(open, &tally, &d, 5, 2), whole);
        // a case counted out leaves no trace
        let mut t2 = tally.clone();
        t2.count(&closed[1], -1);
        t2.count(&closed[1], 1);
        assert_eq!(t2, tally);
    }
}

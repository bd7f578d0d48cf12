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

/// The figures of `incidents` at `now` (Unix seconds), for version `version` of their list.
pub fn figures<'a>(incidents: impl IntoIterator<Item = KpiIncident<'a>>, deadlines: &Deadlines, now: i64, version: u64) -> Kpi {
    let mut by_status: BTreeMap<&'static str, u64> = Status::ALL.iter().map(|s| (s.as_str(), 0)).collect();
    let mut by_level: BTreeMap<&'static str, u64> = ResponseLevel::ALL.iter().map(|l| (l.as_str(), 0)).collect();
    let (mut n, mut open, mut overdue, mut sat, mut rated) = (0usize, 0u64, 0u64, 0.0, 0u64);
    let (mut urged, mut reworked, mut escalated) = (0u64, 0u64, 0u64);
    for i in incidents {
        n += 1;
        *by_status.entry(i.status.as_str()).or_insert(0) += 1;
        if matches!(i.status, Status::Resolved | Status::Evaluated) {
            if let Some(l) = resolved_level(i.transitions) {
                *by_level.entry(l.as_str()).or_insert(0) += 1;
            }
        } else if i.status != Status::Refused {
            open += 1;
            overdue += u64::from(past_due(i.status, i.category, i.transitions, deadlines, now).is_some());
            urged += u64::from(i.urges > 0);
        }
        let (r, e) = rework_and_escalations(i.transitions);
        reworked += u64::from(r > 0);
        escalated += u64::from(e > 0);
        if let Some(s) = i.transitions.iter().rev().find_map(|t| t.step.satisfaction) {
            sat += f64::from(s);
            rated += 1;
        }
    }
    let resolved: u64 = by_level.values().sum();
    let share = |levels: &[&str]| {
        (resolved > 0).then(|| levels.iter().map(|l| by_level.get(l).copied().unwrap_or(0)).sum::<u64>() as f64 / resolved as f64)
    };
    Kpi {
        version,
        at: format_time(now),
        incidents: n,
        open,
        overdue,
        urged,
        reworked,
        escalated,
        share_building_grid: share(&["building_grid"]),
        share_grid: share(&["grid"]),
        share_community: share(&["community"]),
        share_above_community: share(&["street", "district"]),
        satisfaction_mean: (rated > 0).then(|| sat / rated as f64),
        evaluated: rated,
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
}

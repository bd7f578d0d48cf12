//! 综合评价: figures of the case loop per unit, per department and per grid
//! worker — cases, closed, closure rate, on-time rate, rework and mean
//! satisfaction.
//!
//! Definitions (per group; a refused report is not a case, it is counted apart):
//! - `cases`: the group's incidents not refused; `closed`: those resolved or
//!   evaluated; `closure_rate` = closed / cases.
//! - `finished`: cases dispatched and then finished — fed back, or closed
//!   without feedback (in_progress → resolved); `on_time`: those whose last
//!   finishing step came no later than the deadline of the dispatch then in
//!   force (a dispatch without a deadline does not count); `on_time_rate` =
//!   on_time / timed finished cases.
//! - `fed_back`: cases fed back at least once; `reworked`: cases sent back at
//!   least once; `rework`: send-backs in all; `rework_rate` = reworked / fed_back.
//! - `satisfaction_mean`: over the cases with an evaluation (the last one).
//!
//! Groups: a unit counts every incident in its subtree (each unit of the
//! incident's chain); a department the cases whose last dispatch names it; a
//! grid worker (by the name in the step's `actor`, or the incident's
//! reporter) the cases they reported, resolved on the spot, closed, verified
//! or sent back.
//!
//! Method: one pass over each case's steps, then a sum per group: O(n · (t + g))
//! for n cases of t steps in g groups each.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::incidents::lifecycle::{Deadlines, Status, StepKind, Transition, dispatch_due, last_dispatch};

/// A case as the figures see it.
#[derive(Debug, Clone, Copy)]
pub struct EvalCase<'a> {
    pub units: &'a [String],
    pub category: &'a str,
    pub status: Status,
    pub reporter: Option<&'a str>,
    pub transitions: &'a [Transition],
}

/// What the figures are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Unit,
    Department,
    GridWorker,
}

impl By {
    pub fn parse(s: &str) -> Option<By> {
        match s {
            "unit" => Some(By::Unit),
            "department" => Some(By::Department),
            "grid_worker" => Some(By::GridWorker),
            _ => None,
        }
    }
}

/// The figures of one group (JSON in `/api/evaluation`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Score {
    /// The unit id, department or grid worker's name.
    pub key: String,
    pub cases: u64,
    pub refused: u64,
    pub closed: u64,
    pub closure_rate: Option<f64>,
    /// Dispatched, finished, with a deadline.
    pub finished: u64,
    pub on_time: u64,
    pub on_time_rate: Option<f64>,
    pub fed_back: u64,
    pub reworked: u64,
    pub rework: u64,
    pub rework_rate: Option<f64>,
    pub rated: u64,
    pub satisfaction_mean: Option<f64>,
}

/// What one case adds to each of its groups.
#[derive(Debug, Clone, Copy, Default)]
struct Facts {
    refused: bool,
    closed: bool,
    /// Some(on time) for a dispatched case finished with a deadline.
    timed: Option<bool>,
    fed_back: bool,
    send_backs: u64,
    satisfaction: Option<u8>,
}

fn facts(c: &EvalCase<'_>, deadlines: &Deadlines) -> Facts {
    let ts = c.transitions;
    let finish = ts.iter().rposition(|t| matches!(t.kind(), Some(StepKind::Feedback | StepKind::Close)));
    let timed = finish.and_then(|i| {
        let d = last_dispatch(&ts[..i])?;
        dispatch_due(c.category, d, deadlines).map(|due| ts[i].at <= due)
    });
    Facts {
        refused: c.status == Status::Refused,
        closed: matches!(c.status, Status::Resolved | Status::Evaluated),
        timed,
        fed_back: ts.iter().any(|t| t.step.to == Status::FedBack),
        send_backs: ts.iter().filter(|t| t.kind() == Some(StepKind::SendBack)).count() as u64,
        satisfaction: ts.iter().rev().find_map(|t| t.step.satisfaction),
    }
}

/// The groups a case counts in.
fn keys<'a>(c: &EvalCase<'a>, by: By) -> BTreeSet<&'a str> {
    match by {
        By::Unit => c.units.iter().map(String::as_str).collect(),
        By::Department => last_dispatch(c.transitions).map(|d| d.step.departments.iter().map(String::as_str).collect()).unwrap_or_default(),
        By::GridWorker => {
            let verifiers = c
                .transitions
                .iter()
                .filter(|t| matches!(t.kind(), Some(StepKind::ResolveOnSpot | StepKind::Close | StepKind::Verify | StepKind::SendBack)));
            c.reporter.into_iter().chain(verifiers.map(|t| t.step.actor.as_str())).filter(|n| !n.trim().is_empty()).collect()
        }
    }
}

fn rate(a: u64, b: u64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// The figures per group, by key.
pub fn evaluate<'a>(cases: impl IntoIterator<Item = EvalCase<'a>>, by: By, deadlines: &Deadlines) -> Vec<Score> {
    let mut groups: BTreeMap<&'a str, (Score, u64)> = BTreeMap::new();
    for c in cases {
        let f = facts(&c, deadlines);
        for k in keys(&c, by) {
            let (s, sat) = groups.entry(k).or_insert_with(|| (Score { key: k.to_owned(), ..Score::default() }, 0));
            if f.refused {
                s.refused += 1;
                continue;
            }
            s.cases += 1;
            s.closed += u64::from(f.closed);
            if let Some(on_time) = f.timed {
                s.finished += 1;
                s.on_time += u64::from(on_time);
            }
            s.fed_back += u64::from(f.fed_back);
            s.reworked += u64::from(f.send_backs > 0);
            s.rework += f.send_backs;
            if let Some(x) = f.satisfaction {
                s.rated += 1;
                *sat += u64::from(x);
            }
        }
    }
    groups
        .into_values()
        .map(|(mut s, sat)| {
            s.closure_rate = rate(s.closed, s.cases);
            s.on_time_rate = rate(s.on_time, s.finished);
            s.rework_rate = rate(s.reworked, s.fed_back);
            s.satisfaction_mean = rate(sat, s.rated);
            s
        })
        .collect()
}

#[cfg(test)]
mod tests;

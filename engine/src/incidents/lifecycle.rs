//! The case loop (GB/T 30428.2's seven steps) on top of the 下呼上应
//! lifecycle: which step may follow which, what each step must carry,
//! deadlines, 督办 (urges) and overdue flags.
//!
//! | step | status | who (see [`authorize`]) |
//! |------|--------|-----|
//! | 1 信息采集 | `reported` (intake: grid worker, the public, a camera, a sensor) | grid worker, dispatcher |
//! | 2 案卷建立 | `accepted`, or `refused` (terminal; reason `duplicate`, `invalid` or `not_ours`, plus a note) | dispatcher |
//! | (社区呼叫) | `called`: optional, between reported/accepted and dispatched | dispatcher |
//! | 3 任务派遣 | `dispatched`: level, departments and a deadline (given, or the taxonomy's hours for category × level) | dispatcher |
//! | 4 任务处理 | `in_progress` | the dispatched department |
//! | 5 处理反馈 | `fed_back`: a note (required) and a photo reference | the dispatched department |
//! | 6 核查结案 | `resolved` (verified and closed), or sent back to `dispatched` / `in_progress` (rework, counted) | grid worker |
//! | 7 综合评价 | `evaluated`: satisfaction 1–5 and a score 0–100 | dispatcher |
//!
//! ```text
//! reported    → accepted | refused | called | dispatched | resolved (on the spot)
//! accepted    → called | dispatched | resolved (on the spot)
//! called      → dispatched | resolved (on the spot)
//! dispatched  → in_progress | dispatched (re-dispatch; to a higher level: escalation)
//! in_progress → fed_back | resolved (closed without feedback) | dispatched (re-dispatch, escalation)
//! fed_back    → resolved (verified) | dispatched | in_progress (sent back: rework)
//! resolved    → evaluated
//! refused, evaluated: final
//! ```
//!
//! **The statuses before the loop** keep their meaning and their steps, so
//! old incidents and old request bodies work: an incident dispatched straight
//! from `reported` (or `called`) was accepted implicitly by the dispatch;
//! `reported → resolved` and `called → resolved` are 小事不出楼栋 — steps 2 to
//! 6 done on the spot by whoever found it; `in_progress → resolved` is 核查结案
//! done without a recorded feedback (step 5 skipped); `resolved` is always
//! "verified and closed", `evaluated` step 7. A transition kept before the
//! loop has no `user`, `role`, `kind` or `due`: its kind follows from its
//! statuses ([`StepKind::of`]) and its deadline from the taxonomy (as before).
//!
//! A dispatch's deadline is kept in its transition (`due`, Unix seconds). A
//! case still `dispatched` or `in_progress` after the deadline of its current
//! dispatch is overdue ([`past_due`]); the server raises one [`Urge`] (督办)
//! per case and deadline. A re-dispatch sets a new deadline.
//!
//! Method: a table of allowed next statuses and per-step checks, O(1) a step
//! (O(d) for d configured departments, O(t) for the t steps already taken).
//! The categories, departments and deadlines come from the taxonomy
//! (`incidents::taxonomy`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use crate::incidents::authorize::{CaseView, Denied, authorize, authorize_report};
use crate::people::Role;

/// Where an incident stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Reported,
    Accepted,
    Refused,
    Called,
    Dispatched,
    InProgress,
    FedBack,
    Resolved,
    Evaluated,
}

impl Status {
    pub const ALL: [Status; 9] = [
        Status::Reported,
        Status::Accepted,
        Status::Refused,
        Status::Called,
        Status::Dispatched,
        Status::InProgress,
        Status::FedBack,
        Status::Resolved,
        Status::Evaluated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Reported => "reported",
            Status::Accepted => "accepted",
            Status::Refused => "refused",
            Status::Called => "called",
            Status::Dispatched => "dispatched",
            Status::InProgress => "in_progress",
            Status::FedBack => "fed_back",
            Status::Resolved => "resolved",
            Status::Evaluated => "evaluated",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The steps allowed from here.
    pub fn next(self) -> &'static [Status] {
        match self {
            Status::Reported => &[Status::Accepted, Status::Refused, Status::Called, Status::Dispatched, Status::Resolved],
            Status::Accepted => &[Status::Called, Status::Dispatched, Status::Resolved],
            Status::Called => &[Status::Dispatched, Status::Resolved],
            Status::Dispatched => &[Status::InProgress, Status::Dispatched],
            Status::InProgress => &[Status::FedBack, Status::Resolved, Status::Dispatched],
            Status::FedBack => &[Status::Resolved, Status::Dispatched, Status::InProgress],
            Status::Resolved => &[Status::Evaluated],
            Status::Refused | Status::Evaluated => &[],
        }
    }

    /// Closed: refused, resolved or evaluated (no more work on it).
    pub fn is_closed(self) -> bool {
        matches!(self, Status::Refused | Status::Resolved | Status::Evaluated)
    }
}

/// The level that responds or resolves (小事不出楼栋、纠纷不出网格、矛盾不出社区).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseLevel {
    BuildingGrid,
    Grid,
    Community,
    Street,
    District,
}

impl ResponseLevel {
    pub const ALL: [ResponseLevel; 5] =
        [ResponseLevel::BuildingGrid, ResponseLevel::Grid, ResponseLevel::Community, ResponseLevel::Street, ResponseLevel::District];

    pub fn as_str(self) -> &'static str {
        match self {
            ResponseLevel::BuildingGrid => "building_grid",
            ResponseLevel::Grid => "grid",
            ResponseLevel::Community => "community",
            ResponseLevel::Street => "street",
            ResponseLevel::District => "district",
        }
    }
}

/// Why a report is refused (案卷建立 not done).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefuseReason {
    /// Reported already (name the case in the note).
    Duplicate,
    /// Not a real problem, or not enough to act on.
    Invalid,
    /// Not this system's or this district's to handle.
    NotOurs,
}

/// A time as posted: Unix seconds or text (ISO 8601, as [`crate::time::parse_time`] reads it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum When {
    Unix(i64),
    Text(String),
}

/// A requested step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub to: Status,
    /// Who takes it; when empty the server fills in the caller's name.
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub level: Option<ResponseLevel>,
    #[serde(default)]
    pub departments: Vec<String>,
    #[serde(default)]
    pub satisfaction: Option<u8>,
    #[serde(default)]
    pub score: Option<f64>,
    #[serde(default)]
    pub note: Option<String>,
    /// A refusal's reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<RefuseReason>,
    /// A dispatch's deadline as given (else the taxonomy's hours for category × level).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<When>,
    /// A feedback's photo (a reference: file name, URL or id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo: Option<String>,
}

impl Step {
    /// A step to `to` taken by `actor`, carrying nothing else.
    pub fn to(to: Status, actor: &str) -> Step {
        Step {
            to,
            actor: actor.to_owned(),
            level: None,
            departments: Vec::new(),
            satisfaction: None,
            score: None,
            note: None,
            reason: None,
            deadline: None,
            photo: None,
        }
    }
}

/// What a step is in the loop (from its statuses; a re-dispatch also from its levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// 案卷建立: reported → accepted.
    Accept,
    /// 案卷建立 refused: reported → refused.
    Refuse,
    /// 社区呼叫: → called.
    Call,
    /// 任务派遣: reported/accepted/called → dispatched.
    Dispatch,
    /// dispatched/in_progress → dispatched at the same or a lower level.
    Redispatch,
    /// dispatched/in_progress → dispatched at a higher level.
    Escalate,
    /// 任务处理: dispatched → in_progress.
    Start,
    /// 处理反馈: in_progress → fed_back.
    Feedback,
    /// 小事不出楼栋: reported/accepted/called → resolved.
    ResolveOnSpot,
    /// 核查结案 without feedback: in_progress → resolved.
    Close,
    /// 核查结案: fed_back → resolved.
    Verify,
    /// Rework: fed_back → dispatched/in_progress.
    SendBack,
    /// 综合评价: resolved → evaluated.
    Evaluate,
}

impl StepKind {
    pub const ALL: [StepKind; 13] = [
        StepKind::Accept,
        StepKind::Refuse,
        StepKind::Call,
        StepKind::Dispatch,
        StepKind::Redispatch,
        StepKind::Escalate,
        StepKind::Start,
        StepKind::Feedback,
        StepKind::ResolveOnSpot,
        StepKind::Close,
        StepKind::Verify,
        StepKind::SendBack,
        StepKind::Evaluate,
    ];

    /// The kind of an allowed step from `from` to `to`; `was`/`now` are the
    /// levels of the current and the new dispatch (a re-dispatch higher is an
    /// escalation). None when the step is not allowed.
    pub fn of(from: Status, to: Status, was: Option<ResponseLevel>, now: Option<ResponseLevel>) -> Option<StepKind> {
        use Status as S;
        if !from.next().contains(&to) {
            return None;
        }
        Some(match (from, to) {
            (_, S::Reported) => return None,
            (_, S::Accepted) => StepKind::Accept,
            (_, S::Refused) => StepKind::Refuse,
            (_, S::Called) => StepKind::Call,
            (S::FedBack, S::Dispatched | S::InProgress) => StepKind::SendBack,
            (S::Dispatched | S::InProgress, S::Dispatched) if matches!((was, now), (Some(a), Some(b)) if b > a) => StepKind::Escalate,
            (S::Dispatched | S::InProgress, S::Dispatched) => StepKind::Redispatch,
            (_, S::Dispatched) => StepKind::Dispatch,
            (_, S::InProgress) => StepKind::Start,
            (_, S::FedBack) => StepKind::Feedback,
            (S::InProgress, S::Resolved) => StepKind::Close,
            (S::FedBack, S::Resolved) => StepKind::Verify,
            (_, S::Resolved) => StepKind::ResolveOnSpot,
            (_, S::Evaluated) => StepKind::Evaluate,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::Accept => "accept",
            StepKind::Refuse => "refuse",
            StepKind::Call => "call",
            StepKind::Dispatch => "dispatch",
            StepKind::Redispatch => "re-dispatch",
            StepKind::Escalate => "escalate",
            StepKind::Start => "start work on",
            StepKind::Feedback => "feed back",
            StepKind::ResolveOnSpot => "resolve on the spot",
            StepKind::Close => "close",
            StepKind::Verify => "verify and close",
            StepKind::SendBack => "send back",
            StepKind::Evaluate => "evaluate",
        }
    }

    /// The roles that may take it (admin may take every step).
    pub fn takers(self) -> &'static [Role] {
        match self {
            StepKind::Accept
            | StepKind::Refuse
            | StepKind::Call
            | StepKind::Dispatch
            | StepKind::Redispatch
            | StepKind::Escalate
            | StepKind::Evaluate => &[Role::Admin, Role::Dispatcher],
            StepKind::Start | StepKind::Feedback => &[Role::Admin, Role::Department],
            StepKind::ResolveOnSpot | StepKind::Close | StepKind::Verify | StepKind::SendBack => &[Role::Admin, Role::GridWorker],
        }
    }
}

/// A step taken, with its time (Unix seconds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    pub from: Status,
    #[serde(flatten)]
    pub step: Step,
    pub at: i64,
    /// The user whose credential took it (absent in steps kept before users).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// That user's role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// What the step was in the loop (absent in steps kept before the loop: see [`Transition::kind`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<StepKind>,
    /// For a dispatch: when the case is due (Unix seconds; absent in dispatches kept before deadlines were kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<i64>,
}

impl Transition {
    /// What the step was: as kept, or from its statuses (an old re-dispatch counts as a re-dispatch, not an escalation).
    pub fn kind(&self) -> Option<StepKind> {
        self.kind.or_else(|| StepKind::of(self.from, self.step.to, None, None))
    }
}

/// 督办: a case seen past the deadline of its current dispatch, once per case and deadline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Urge {
    /// When it was raised (Unix seconds).
    pub at: i64,
    /// The deadline that passed (Unix seconds).
    pub due: i64,
    /// The current dispatch's level and departments.
    pub level: Option<ResponseLevel>,
    pub departments: Vec<String>,
}

/// Why a step was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StepError {
    #[error("cannot go from {from} to {to}; allowed next: {}", allowed_list(.allowed))]
    NotAllowed { from: &'static str, to: &'static str, allowed: Vec<&'static str> },
    #[error("actor: who takes the step is required")]
    NoActor,
    #[error("level: a dispatch names the response level (building_grid … district)")]
    DispatchWithoutLevel,
    #[error("departments: a dispatch names at least one department")]
    DispatchWithoutDepartment,
    #[error("departments: unknown department {department:?}; known: {}", .known.join(", "))]
    UnknownDepartment { department: String, known: Vec<String> },
    #[error("level: a resolution names the level that resolved it")]
    ResolutionWithoutLevel,
    #[error("satisfaction: 1 to 5 is required")]
    Satisfaction { given: Option<u8> },
    #[error("score: 0 to 100 is required")]
    Score { given: Option<f64> },
    #[error("reason: a refusal names its reason (duplicate, invalid or not_ours)")]
    RefusalWithoutReason,
    #[error("note: a feedback says what was done")]
    FeedbackWithoutNote,
    #[error("deadline {given:?}: expected ISO 8601 or Unix seconds")]
    DeadlineUnreadable { given: String },
    #[error("deadline {given}: must be after the dispatch ({at})")]
    DeadlineNotAfter { given: String, at: String },
    #[error("{field}: only {only} carries it, not a step to {to}")]
    FieldNotForStep { field: &'static str, only: &'static str, to: &'static str },
}

fn allowed_list(a: &[&'static str]) -> String {
    if a.is_empty() { "none (the incident is closed)".into() } else { a.join(", ") }
}

/// The configured departments (the taxonomy file's list).
#[derive(Debug, Clone, Default)]
pub struct Flow {
    pub departments: Vec<String>,
}

/// The case a step is taken on: its status, category and the steps taken so far.
#[derive(Debug, Clone, Copy)]
pub struct Case<'a> {
    pub status: Status,
    pub category: &'a str,
    pub transitions: &'a [Transition],
}

impl Flow {
    /// Check a step against the current status alone (no history, no deadlines); the transition to record.
    pub fn step(&self, from: Status, step: Step, at: i64) -> Result<Transition, StepError> {
        self.take(Case { status: from, category: "", transitions: &[] }, &Deadlines::default(), step, at)
    }

    /// Check a step on a case; the transition to record, with its kind and, for a dispatch, its deadline.
    pub fn take(&self, case: Case<'_>, deadlines: &Deadlines, step: Step, at: i64) -> Result<Transition, StepError> {
        let from = case.status;
        let was = last_dispatch(case.transitions).and_then(|d| d.step.level);
        let Some(kind) = StepKind::of(from, step.to, was, step.level) else {
            return Err(StepError::NotAllowed {
                from: from.as_str(),
                to: step.to.as_str(),
                allowed: from.next().iter().map(|s| s.as_str()).collect(),
            });
        };
        if step.actor.trim().is_empty() {
            return Err(StepError::NoActor);
        }
        let to = step.to.as_str();
        if step.reason.is_some() && step.to != Status::Refused {
            return Err(StepError::FieldNotForStep { field: "reason", only: "a refusal", to });
        }
        if step.deadline.is_some() && step.to != Status::Dispatched {
            return Err(StepError::FieldNotForStep { field: "deadline", only: "a dispatch", to });
        }
        if step.photo.is_some() && step.to != Status::FedBack {
            return Err(StepError::FieldNotForStep { field: "photo", only: "a feedback", to });
        }
        let mut due = None;
        match step.to {
            Status::Refused if step.reason.is_none() => return Err(StepError::RefusalWithoutReason),
            Status::Dispatched => {
                let Some(level) = step.level else {
                    return Err(StepError::DispatchWithoutLevel);
                };
                if step.departments.is_empty() {
                    return Err(StepError::DispatchWithoutDepartment);
                }
                if let Some(d) = step.departments.iter().find(|d| !self.departments.contains(d)) {
                    return Err(StepError::UnknownDepartment { department: d.clone(), known: self.departments.clone() });
                }
                due = match &step.deadline {
                    Some(w) => Some(deadline_at(w, at)?),
                    None => deadlines.due(case.category, level, at),
                };
            }
            Status::FedBack if step.note.as_deref().is_none_or(|n| n.trim().is_empty()) => return Err(StepError::FeedbackWithoutNote),
            Status::Resolved if step.level.is_none() => return Err(StepError::ResolutionWithoutLevel),
            Status::Evaluated => {
                if !step.satisfaction.is_some_and(|s| (1..=5).contains(&s)) {
                    return Err(StepError::Satisfaction { given: step.satisfaction });
                }
                if !step.score.is_some_and(|s| s.is_finite() && (0.0..=100.0).contains(&s)) {
                    return Err(StepError::Score { given: step.score });
                }
            }
            _ => {}
        }
        Ok(Transition { from, step, at, user: None, role: None, kind: Some(kind), due })
    }
}

/// A given deadline in Unix seconds, after `at`.
fn deadline_at(w: &When, at: i64) -> Result<i64, StepError> {
    let (t, given) = match w {
        When::Unix(t) => (*t, t.to_string()),
        When::Text(s) => {
            let t = crate::time::parse_time(s, 8 * 3600).ok_or_else(|| StepError::DeadlineUnreadable { given: s.clone() })?;
            (t, s.clone())
        }
    };
    if t <= at {
        return Err(StepError::DeadlineNotAfter { given, at: crate::time::format_time(at) });
    }
    Ok(t)
}

/// The level that resolved an incident: that of its last step to resolved.
pub fn resolved_level(transitions: &[Transition]) -> Option<ResponseLevel> {
    transitions.iter().rev().find(|t| t.step.to == Status::Resolved).and_then(|t| t.step.level)
}

/// The current dispatch: the last step to dispatched.
pub fn last_dispatch(transitions: &[Transition]) -> Option<&Transition> {
    transitions.iter().rev().find(|t| t.step.to == Status::Dispatched)
}

/// When a dispatch is due: as kept, or (kept before deadlines were) from the taxonomy.
pub fn dispatch_due(category: &str, dispatch: &Transition, deadlines: &Deadlines) -> Option<i64> {
    dispatch.due.or_else(|| dispatch.step.level.and_then(|l| deadlines.due(category, l, dispatch.at)))
}

/// The deadline of the current dispatch, if the case has one.
pub fn current_due(category: &str, transitions: &[Transition], deadlines: &Deadlines) -> Option<i64> {
    last_dispatch(transitions).and_then(|d| dispatch_due(category, d, deadlines))
}

/// The deadline a case has passed at `now`, if it is overdue: still
/// dispatched or in progress (not fed back, not closed) after its current
/// dispatch's deadline.
pub fn past_due(status: Status, category: &str, transitions: &[Transition], deadlines: &Deadlines, now: i64) -> Option<i64> {
    if !matches!(status, Status::Dispatched | Status::InProgress) {
        return None;
    }
    current_due(category, transitions, deadlines).filter(|&due| now > due)
}

/// How often a case was sent back (rework) and escalated.
pub fn rework_and_escalations(transitions: &[Transition]) -> (usize, usize) {
    transitions.iter().fold((0, 0), |(r, e), t| match t.kind() {
        Some(StepKind::SendBack) => (r + 1, e),
        Some(StepKind::Escalate) => (r, e + 1),
        _ => (r, e),
    })
}

/// Hours allowed per response level for a category (from the taxonomy file).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Deadlines(pub BTreeMap<String, BTreeMap<ResponseLevel, f64>>);

impl Deadlines {
    /// When an incident of `category` dispatched at `since` to `level` is due (Unix seconds); None without a configured deadline.
    pub fn due(&self, category: &str, level: ResponseLevel, since: i64) -> Option<i64> {
        self.0.get(category).and_then(|m| m.get(&level)).map(|h| since + (h * 3600.0).round() as i64)
    }

    /// Whether an incident dispatched at `since` to `level` is overdue at `now` (not yet resolved).
    pub fn overdue(&self, category: &str, level: ResponseLevel, since: i64, now: i64) -> bool {
        self.due(category, level, since).is_some_and(|due| now > due)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow() -> Flow {
        Flow { departments: vec!["城管".into(), "公安".into()] }
    }

    fn step(to: Status) -> Step {
        let mut s = Step::to(to, "网格员 张三");
        match to {
            Status::Dispatched => {
                s.level = Some(ResponseLevel::Community);
                s.departments = vec!["城管".into()];
            }
            Status::Resolved => s.level = Some(ResponseLevel::Grid),
            Status::Evaluated => {
                s.satisfaction = Some(5);
                s.score = Some(96.0);
            }
            Status::Refused => s.reason = Some(RefuseReason::Duplicate),
            Status::FedBack => s.note = Some("清理完毕".into()),
            _ => {}
        }
        s
    }

    #[test]
    fn every_allowed_and_forbidden_transition() {
        use Status as S;
        let allowed = [
            (S::Reported, S::Accepted, StepKind::Accept),
            (S::Reported, S::Refused, StepKind::Refuse),
            (S::Reported, S::Called, StepKind::Call),
            (S::Reported, S::Dispatched, StepKind::Dispatch),
            (S::Reported, S::Resolved, StepKind::ResolveOnSpot),
            (S::Accepted, S::Called, StepKind::Call),
            (S::Accepted, S::Dispatched, StepKind::Dispatch),
            (S::Accepted, S::Resolved, StepKind::ResolveOnSpot),
            (S::Called, S::Dispatched, StepKind::Dispatch),
            (S::Called, S::Resolved, StepKind::ResolveOnSpot),
            (S::Dispatched, S::InProgress, StepKind::Start),
            (S::Dispatched, S::Dispatched, StepKind::Redispatch),
            (S::InProgress, S::FedBack, StepKind::Feedback),
            (S::InProgress, S::Resolved, StepKind::Close),
            (S::InProgress, S::Dispatched, StepKind::Redispatch),
            (S::FedBack, S::Resolved, StepKind::Verify),
            (S::FedBack, S::Dispatched, StepKind::SendBack),
            (S::FedBack, S::InProgress, StepKind::SendBack),
            (S::Resolved, S::Evaluated, StepKind::Evaluate),
        ];
        let f = flow();
        for from in Status::ALL {
            for to in Status::ALL {
                let r = f.step(from, step(to), 100);
                if let Some(&(_, _, kind)) = allowed.iter().find(|a| (a.0, a.1) == (from, to)) {
                    let t = r.unwrap_or_else(|e| panic!("{from:?} → {to:?}: {e}"));
                    assert_eq!((t.from, t.step.to, t.at, t.kind), (from, to, 100, Some(kind)));
                    assert_eq!(t.kind(), Some(kind));
                } else {
                    assert_eq!(StepKind::of(from, to, None, None), None);
                    let e = r.expect_err("forbidden");
                    let msg = e.to_string();
                    assert!(msg.contains("allowed next"), "{msg}");
                    for n in from.next() {
                        assert!(msg.contains(n.as_str()), "{msg} names {n:?}");
                    }
                }
            }
        }
        // every kind is reached by some pair
        for k in StepKind::ALL {
            assert!(allowed.iter().any(|a| a.2 == k) || k == StepKind::Escalate, "{k:?}");
        }
        assert!(Status::Refused.is_closed() && Status::Evaluated.is_closed() && !Status::FedBack.is_closed());
    }

    #[test]
    fn steps_must_carry_what_they_need() {
        let f = flow();
        let mut s = step(Status::Dispatched);
        s.departments = vec!["水务".into()];
        assert!(f.step(Status::Reported, s, 0).expect_err("unknown department").to_string().contains("水务"));
        let mut s = step(Status::Dispatched);
        s.level = None;
        assert!(f.step(Status::Reported, s, 0).is_err());
        let mut s = step(Status::Evaluated);
        s.satisfaction = Some(6);
        assert!(f.step(Status::Resolved, s, 0).expect_err("satisfaction").to_string().contains("1 to 5"));
        let mut s = step(Status::Resolved);
        s.actor = " ".into();
        assert!(f.step(Status::InProgress, s, 0).is_err());
        let d = Deadlines([("治安".to_owned(), [(ResponseLevel::Grid, 24.0)].into_iter().collect())].into_iter().collect());
        assert!(!d.overdue("治安", ResponseLevel::Grid, 0, 24 * 3600));
        assert!(d.overdue("治安", ResponseLevel::Grid, 0, 24 * 3600 + 1));
        assert!(!d.overdue("其他", ResponseLevel::Grid, 0, 1_000_000));
        // a refusal names its reason; a feedback says what was done; fields belong to their step
        let mut s = step(Status::Refused);
        s.reason = None;
        assert_eq!(f.step(Status::Reported, s, 0), Err(StepError::RefusalWithoutReason));
        let mut s = step(Status::FedBack);
        s.note = Some("  ".into());
        assert_eq!(f.step(Status::InProgress, s, 0), Err(StepError::FeedbackWithoutNote));
        let mut s = step(Status::Called);
        s.photo = Some("p.jpg".into());
        assert!(f.step(Status::Reported, s, 0).expect_err("photo").to_string().starts_with("photo: only a feedback"));
        let mut s = step(Status::InProgress);
        s.deadline = Some(When::Unix(10));
        assert!(f.step(Status::Dispatched, s, 0).expect_err("deadline").to_string().starts_with("deadline: only a dispatch"));
        let mut s = step(Status::Accepted);
        s.reason = Some(RefuseReason::Invalid);
        assert!(f.step(Status::Reported, s, 0).is_err());
        let mut s = step(Status::FedBack);
        s.photo = Some("oss://wangge/2026/11/20/a.jpg".into());
        assert_eq!(
            f.step(Status::InProgress, s, 0).expect("feedback with a photo").step.photo.as_deref(),
            Some("oss://wangge/2026/11/20/a.jpg")
        );
    }

    #[test]
    fn a_dispatch_carries_its_deadline() {
        let f = flow();
        let d = Deadlines([("治安".to_owned(), [(ResponseLevel::Community, 1.5)].into_iter().collect())].into_iter().collect());
        let case = Case { status: Status::Accepted, category: "治安", transitions: &[] };
        // from the taxonomy: 1.5 h after the dispatch
        let t = f.take(case, &d, step(Status::Dispatched), 1_000).expect("dispatch");
        assert_eq!(t.due, Some(1_000 + 5_400));
        // no deadline configured for the category: none
        let other = Case { category: "其他", ..case };
        assert_eq!(f.take(other, &d, step(Status::Dispatched), 1_000).expect("dispatch").due, None);
        // given: Unix seconds or ISO 8601 (+08:00 when no zone is given), after the dispatch
        let mut s = step(Status::Dispatched);
        s.deadline = Some(When::Unix(2_000));
        assert_eq!(f.take(case, &d, s.clone(), 1_000).expect("given").due, Some(2_000));
        assert!(matches!(f.take(case, &d, s, 2_000), Err(StepError::DeadlineNotAfter { .. })));
        let mut s = step(Status::Dispatched);
        s.deadline = Some(When::Text("2026-11-20T18:00:00+08:00".into()));
        assert_eq!(f.take(case, &d, s, 0).expect("iso").due, Some(1_795_168_800));
        let mut s = step(Status::Dispatched);
        s.deadline = Some(When::Text("2026-11-20 18:00".into()));
        assert_eq!(f.take(case, &d, s, 0).expect("local").due, Some(1_795_168_800));
        let mut s = step(Status::Dispatched);
        s.deadline = Some(When::Text("tomorrow".into()));
        assert!(f.take(case, &d, s, 0).expect_err("unreadable").to_string().contains("tomorrow"));
        // the body takes either form
        let b: Step = serde_json::from_value(serde_json::json!({"to": "dispatched", "deadline": 5})).expect("unix");
        assert_eq!(b.deadline, Some(When::Unix(5)));
        let b: Step = serde_json::from_value(serde_json::json!({"to": "dispatched", "deadline": "2026-11-20"})).expect("text");
        assert_eq!(b.deadline, Some(When::Text("2026-11-20".into())));
    }

    #[test]
    fn escalation_rework_and_overdue() {
        let f = flow();
        let d = Deadlines(
            [("治安".to_owned(), [(ResponseLevel::Community, 1.0), (ResponseLevel::Street, 2.0)].into_iter().collect())]
                .into_iter()
                .collect(),
        );
        let mut ts: Vec<Transition> = Vec::new();
        let mut status = Status::Reported;
        let mut go = |s: Step, at: i64, ts: &mut Vec<Transition>| {
            let t = f.take(Case { status, category: "治安", transitions: ts }, &d, s, at).expect("step");
            status = t.step.to;
            ts.push(t);
            status
        };
        go(step(Status::Accepted), 0, &mut ts);
        go(step(Status::Dispatched), 10, &mut ts);
        assert_eq!(current_due("治安", &ts, &d), Some(3_610));
        assert_eq!(past_due(Status::Dispatched, "治安", &ts, &d, 3_610), None);
        assert_eq!(past_due(Status::Dispatched, "治安", &ts, &d, 3_611), Some(3_610));
        // escalated to the street: a new deadline
        let mut up = step(Status::Dispatched);
        up.level = Some(ResponseLevel::Street);
        go(up, 4_000, &mut ts);
        assert_eq!(ts[2].kind, Some(StepKind::Escalate));
        assert_eq!(past_due(Status::Dispatched, "治安", &ts, &d, 5_000), None);
        assert_eq!(current_due("治安", &ts, &d), Some(4_000 + 7_200));
        // the same level again is a re-dispatch
        let mut same = step(Status::Dispatched);
        same.level = Some(ResponseLevel::Street);
        go(same, 4_100, &mut ts);
        assert_eq!(ts[3].kind, Some(StepKind::Redispatch));
        go(step(Status::InProgress), 4_200, &mut ts);
        go(step(Status::FedBack), 4_300, &mut ts);
        // fed back: not overdue whatever the clock says
        assert_eq!(past_due(Status::FedBack, "治安", &ts, &d, 1_000_000), None);
        go(step(Status::InProgress), 4_400, &mut ts);
        assert_eq!(ts.last().and_then(|t| t.kind), Some(StepKind::SendBack));
        go(step(Status::FedBack), 4_500, &mut ts);
        go(step(Status::Resolved), 4_600, &mut ts);
        assert_eq!(ts.last().and_then(|t| t.kind), Some(StepKind::Verify));
        assert_eq!(rework_and_escalations(&ts), (1, 1));
        assert_eq!(past_due(Status::Resolved, "治安", &ts, &d, 1_000_000), None);
    }

    #[test]
    fn transitions_kept_before_the_loop_are_read() {
        // as kept before: no user, role, kind or due
        let old = r#"{"from":"reported","to":"dispatched","actor":"街道","level":"community","departments":["城管"],"satisfaction":null,"score":null,"note":null,"at":100}"#;
        let t: Transition = serde_json::from_str(old).expect("old transition");
        assert_eq!((t.user.as_deref(), t.role, t.kind, t.due), (None, None, None, None));
        assert_eq!(t.kind(), Some(StepKind::Dispatch));
        let d = Deadlines([("治安".to_owned(), [(ResponseLevel::Community, 1.0)].into_iter().collect())].into_iter().collect());
        assert_eq!(current_due("治安", std::slice::from_ref(&t), &d), Some(3_700), "the deadline from the taxonomy");
        // a new one round-trips with its fields
        let mut n = flow().step(Status::Reported, step(Status::Dispatched), 5).expect("dispatch");
        n.user = Some("王".into());
        n.role = Some(Role::Dispatcher);
        let back: Transition = serde_json::from_str(&serde_json::to_string(&n).expect("json")).expect("read back");
        assert_eq!(back, n);
        // an old body without an actor parses (the server fills it in)
        let s: Step = serde_json::from_str(r#"{"to":"called"}"#).expect("no actor");
        assert_eq!(s.actor, "");
    }
}

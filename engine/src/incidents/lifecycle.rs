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
mod tests;

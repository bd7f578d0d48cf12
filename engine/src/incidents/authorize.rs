//! Who may take which step of the case loop (`incidents::lifecycle`).
//!
//! | step | admin | dispatcher | department | grid_worker | screen, planner, analyst |
//! |------|:-----:|:----------:|:----------:|:-----------:|:------------------------:|
//! | report (intake) | ✓ | ✓ in jurisdiction | | ✓ in jurisdiction | |
//! | accept, refuse, call, dispatch, re-dispatch, escalate, evaluate | ✓ | ✓ in jurisdiction | | | |
//! | start work (in_progress), feed back (fed_back) | ✓ | | ✓ when the current dispatch names their department (and in jurisdiction) | | |
//! | resolve on the spot, close, verify, send back | ✓ | | | ✓ in jurisdiction | |
//!
//! A jurisdiction (the actor's unit) contains an incident when the
//! incident's unit chain (its units from the top level down) holds that
//! unit's id; an actor without a unit acts on the whole district. A step the
//! lifecycle does not allow from the current status is left to the lifecycle
//! (409, naming the allowed steps) for any role that takes steps at all.
//!
//! Method: the step's kind ([`StepKind::of`]) and a table of its takers;
//! O(u + d) for u units in the chain and d dispatched departments.

use crate::incidents::lifecycle::{Status, Step, StepKind};
use crate::people::{Actor, Role};

/// What the rules need to know of a case.
#[derive(Debug, Clone, Copy)]
pub struct CaseView<'a> {
    /// The incident's units, from the top level down (empty: outside every unit).
    pub units: &'a [String],
    pub status: Status,
    /// The current dispatch's departments (empty when not dispatched).
    pub departments: &'a [String],
}

/// Why a caller may not take a step: names the role, the step and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct Denied {
    pub reason: String,
}

fn who(actor: &Actor) -> String {
    format!("{} {}", actor.role.as_str(), actor.name)
}

fn roles(rs: &[Role]) -> String {
    rs.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
}

/// Whether the actor's jurisdiction holds an incident with this unit chain.
pub fn within(actor: &Actor, units: &[String]) -> bool {
    actor.unit.as_ref().is_none_or(|u| units.iter().any(|x| x == u))
}

fn outside(actor: &Actor, what: &str, units: &[String]) -> Denied {
    let unit = actor.unit.as_deref().unwrap_or_default();
    let place = if units.is_empty() { "outside every unit".to_owned() } else { format!("in {}", units.join(" › ")) };
    Denied { reason: format!("{} may not {what} outside their jurisdiction, unit {unit}: the incident is {place}", who(actor)) }
}

/// Whether `actor` may take `step` on `case`.
///
/// Every role, admin included, acts only inside its jurisdiction (an admin
/// without a unit: everywhere); inside it an admin may take any step.
pub fn authorize(actor: &Actor, case: &CaseView<'_>, step: &Step) -> Result<(), Denied> {
    let Some(kind) = StepKind::of(case.status, step.to, None, None) else {
        if matches!(actor.role, Role::Screen | Role::Planner | Role::Analyst | Role::Sensor) {
            return Err(Denied { reason: format!("{} may not take lifecycle steps (role {} takes none)", who(actor), actor.role) });
        }
        // refused outside the jurisdiction before the lifecycle could name the case's allowed steps
        if !within(actor, case.units) {
            return Err(outside(actor, &format!("take a step to {}", step.to.as_str()), case.units));
        }
        // not a step of the loop from here: the lifecycle answers, naming the allowed ones
        return Ok(());
    };
    let what = format!("{} ({} → {})", kind.as_str(), case.status.as_str(), step.to.as_str());
    if actor.role != Role::Admin && !kind.takers().contains(&actor.role) {
        return Err(Denied { reason: format!("{} may not {what}: that is for {}", who(actor), roles(kind.takers())) });
    }
    if !within(actor, case.units) {
        return Err(outside(actor, &what, case.units));
    }
    if actor.role == Role::Admin {
        return Ok(());
    }
    if actor.role == Role::Department {
        let Some(mine) = &actor.department else {
            return Err(Denied { reason: format!("{} may not {what}: the user has no department", who(actor)) });
        };
        if !case.departments.iter().any(|d| d == mine) {
            let named = if case.departments.is_empty() { "no department".to_owned() } else { case.departments.join(", ") };
            return Err(Denied {
                reason: format!(
                    "{} may not {what}: not your department's case (the current dispatch names {named}, not {mine})",
                    who(actor)
                ),
            });
        }
    }
    Ok(())
}

/// Whether `actor` may report (intake) an incident with this unit chain.
pub fn authorize_report(actor: &Actor, units: &[String]) -> Result<(), Denied> {
    const REPORTERS: [Role; 3] = [Role::Admin, Role::Dispatcher, Role::GridWorker];
    if !REPORTERS.contains(&actor.role) {
        return Err(Denied { reason: format!("{} may not report incidents: that is for {}", who(actor), roles(&REPORTERS)) });
    }
    if !within(actor, units) {
        return Err(outside(actor, "report an incident", units));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incidents::lifecycle::ResponseLevel;

    /// One step of each kind: the status it is taken from and the step.
    fn steps() -> Vec<(StepKind, Status, Step)> {
        use Status as S;
        let pairs = [
            (StepKind::Accept, S::Reported, S::Accepted),
            (StepKind::Refuse, S::Reported, S::Refused),
            (StepKind::Call, S::Accepted, S::Called),
            (StepKind::Dispatch, S::Called, S::Dispatched),
            (StepKind::Redispatch, S::Dispatched, S::Dispatched),
            (StepKind::Escalate, S::InProgress, S::Dispatched),
            (StepKind::Start, S::Dispatched, S::InProgress),
            (StepKind::Feedback, S::InProgress, S::FedBack),
            (StepKind::ResolveOnSpot, S::Reported, S::Resolved),
            (StepKind::Close, S::InProgress, S::Resolved),
            (StepKind::Verify, S::FedBack, S::Resolved),
            (StepKind::SendBack, S::FedBack, S::Dispatched),
            (StepKind::Evaluate, S::Resolved, S::Evaluated),
        ];
        pairs
            .into_iter()
            .map(|(k, from, to)| {
                let mut s = Step::to(to, "");
                s.level = Some(ResponseLevel::Street);
                (k, from, s)
            })
            .collect()
    }

    /// The rule written out plainly, role by role.
    fn expected(role: Role, kind: StepKind, inside: bool, own_department: bool) -> bool {
        use StepKind as K;
        match role {
            Role::Admin => inside,
            Role::Dispatcher => {
                inside && matches!(kind, K::Accept | K::Refuse | K::Call | K::Dispatch | K::Redispatch | K::Escalate | K::Evaluate)
            }
            Role::Department => inside && own_department && matches!(kind, K::Start | K::Feedback),
            Role::GridWorker => inside && matches!(kind, K::ResolveOnSpot | K::Close | K::Verify | K::SendBack),
            Role::Screen | Role::Planner | Role::Analyst | Role::Sensor => false,
        }
    }

    #[test]
    fn every_role_every_step_inside_and_outside_own_and_other_department() {
        let chain_in: Vec<String> = vec!["district-1".into(), "street-2".into(), "community-3".into(), "grid-4".into()];
        let chain_out: Vec<String> = vec!["district-1".into(), "street-9".into(), "community-8".into(), "grid-7".into()];
        let (mut allowed, mut denied) = (0, 0);
        for role in Role::ALL {
            for (kind, from, step) in steps() {
                for inside in [true, false] {
                    for own in [true, false] {
                        let actor = Actor {
                            name: "某人".into(),
                            role,
                            unit: Some("street-2".into()),
                            department: (role == Role::Department).then(|| "城管执法".into()),
                        };
                        let departments: Vec<String> = vec![if own { "城管执法" } else { "公安派出所" }.into()];
                        let case = CaseView { units: if inside { &chain_in } else { &chain_out }, status: from, departments: &departments };
                        let got = authorize(&actor, &case, &step);
                        let want = expected(role, kind, inside, own);
                        assert_eq!(got.is_ok(), want, "{role} {kind:?} inside {inside} own {own}: {got:?}");
                        if let Err(d) = got {
                            denied += 1;
                            let m = &d.reason;
                            assert!(m.starts_with(&format!("{} 某人 may not", role.as_str())), "{m}");
                            assert!(m.contains(step.to.as_str()) || m.contains("takes none"), "names the step: {m}");
                            // the reason says which rule: the role, the jurisdiction or the department
                            if role != Role::Admin && !kind.takers().contains(&role) {
                                assert!(m.contains("that is for") || m.contains("takes none"), "{m}");
                            } else if !inside {
                                assert!(m.contains("unit street-2") && m.contains("street-9"), "{m}");
                            } else {
                                assert!(m.contains("not your department") && m.contains("公安派出所"), "{m}");
                            }
                        } else {
                            allowed += 1;
                        }
                    }
                }
            }
        }
        // 8 roles × 13 kinds × 2 × 2
        assert_eq!(allowed + denied, Role::ALL.len() * 13 * 4);
        // admin 13 kinds inside (×2 departments) = 26; dispatcher 7 kinds inside = 14; department 2 own inside = 2; grid worker 4 × 2 = 8
        assert_eq!(allowed, 26 + 14 + 2 + 8);
    }

    #[test]
    fn no_unit_is_the_whole_district_and_reports_need_a_reporting_role() {
        let units: Vec<String> = vec!["d".into(), "s".into()];
        let everywhere = Actor { name: "王".into(), role: Role::Dispatcher, unit: None, department: None };
        let case = CaseView { units: &units, status: Status::Reported, departments: &[] };
        assert!(authorize(&everywhere, &case, &Step::to(Status::Accepted, "")).is_ok());
        // a step the lifecycle does not allow is the lifecycle's to refuse (409) for roles that take steps
        assert!(authorize(&everywhere, &case, &Step::to(Status::Evaluated, "")).is_ok());
        let screen = Actor { role: Role::Screen, ..everywhere.clone() };
        assert!(authorize(&screen, &case, &Step::to(Status::Evaluated, "")).expect_err("screen").reason.contains("takes none"));
        let nodept = Actor { role: Role::Department, ..everywhere.clone() };
        let d = CaseView { status: Status::Dispatched, ..case };
        assert!(authorize(&nodept, &d, &Step::to(Status::InProgress, "")).expect_err("no department").reason.contains("no department"));
        for role in Role::ALL {
            let a = Actor { name: "x".into(), role, unit: Some("s".into()), department: None };
            let ok = authorize_report(&a, &units);
            assert_eq!(ok.is_ok(), matches!(role, Role::Admin | Role::Dispatcher | Role::GridWorker), "{role}");
            let out = authorize_report(&a, &["d".into(), "t".into()]);
            assert!(out.is_err(), "{role}: nobody reports outside their jurisdiction");
            if role == Role::GridWorker {
                assert!(out.expect_err("outside").reason.contains("unit s"));
                assert!(authorize_report(&a, &[]).expect_err("nowhere").reason.contains("outside every unit"));
            }
        }
    }
}

//! Every allowed and forbidden step, what each step must carry, deadlines,
//! escalation, rework and overdue, and transitions kept before the loop.

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
        [("治安".to_owned(), [(ResponseLevel::Community, 1.0), (ResponseLevel::Street, 2.0)].into_iter().collect())].into_iter().collect(),
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

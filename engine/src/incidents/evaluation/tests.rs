//! The figures against a recount written plainly over generated cases run
//! through random loops (fixed seed), and a small case worked by hand.

use std::collections::{BTreeMap, BTreeSet};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::incidents::lifecycle::{Case, Flow, RefuseReason, ResponseLevel, Step, When};

const DEPARTMENTS: [&str; 3] = ["城管执法", "公安派出所", "水务"];
const WORKERS: [&str; 4] = ["网格员 张", "网格员 李", "网格员 王", "街道 赵"];

fn deadlines() -> Deadlines {
    let per: BTreeMap<ResponseLevel, f64> = ResponseLevel::ALL.iter().enumerate().map(|(i, l)| (*l, 2.0 + 4.0 * i as f64)).collect();
    // "其他" has no deadline: its dispatches are not timed unless given one
    Deadlines([("环境卫生".to_owned(), per)].into_iter().collect())
}

struct Generated {
    units: Vec<String>,
    category: &'static str,
    status: Status,
    reporter: Option<String>,
    transitions: Vec<Transition>,
}

/// A case walked through the loop at random by the real lifecycle.
fn walk(rng: &mut ChaCha8Rng, flow: &Flow, d: &Deadlines) -> Generated {
    let street = rng.random_range(0..2);
    let community = street * 2 + rng.random_range(0..2);
    let grid = community * 2 + rng.random_range(0..2);
    let units = vec!["district".to_owned(), format!("street-{street}"), format!("community-{community}"), format!("grid-{grid}")];
    let category = if rng.random_bool(0.7) { "环境卫生" } else { "其他" };
    let reporter = rng.random_bool(0.8).then(|| WORKERS[rng.random_range(0..WORKERS.len())].to_owned());
    let (mut status, mut at, mut ts) = (Status::Reported, 1_790_000_000_i64, Vec::<Transition>::new());
    while !status.next().is_empty() && ts.len() < 30 && !rng.random_bool(0.08) {
        let next = status.next();
        let to = next[rng.random_range(0..next.len())];
        at += rng.random_range(0..40_000);
        let mut s = Step::to(to, WORKERS[rng.random_range(0..WORKERS.len())]);
        match to {
            Status::Refused => s.reason = Some(RefuseReason::Invalid),
            Status::Dispatched => {
                s.level = Some(ResponseLevel::ALL[rng.random_range(0..5)]);
                let n = rng.random_range(1..=2);
                s.departments = (0..n).map(|k| DEPARTMENTS[(k + rng.random_range(0..3)) % 3].to_owned()).collect();
                if rng.random_bool(0.3) {
                    s.deadline = Some(When::Unix(at + rng.random_range(1..60_000)));
                }
            }
            Status::FedBack => s.note = Some("处理完毕".into()),
            Status::Resolved => s.level = Some(ResponseLevel::Grid),
            Status::Evaluated => {
                s.satisfaction = Some(rng.random_range(1..=5));
                s.score = Some(80.0);
            }
            _ => {}
        }
        let t = flow.take(Case { status, category, transitions: &ts }, d, s, at).expect("a valid random step");
        status = t.step.to;
        ts.push(t);
    }
    Generated { units, category, status, reporter, transitions: ts }
}

/// The figures recounted plainly from the statuses of each step.
fn recount(cases: &[Generated], by: By, d: &Deadlines) -> BTreeMap<String, Score> {
    let mut out: BTreeMap<String, Score> = BTreeMap::new();
    let mut sums: BTreeMap<String, u64> = BTreeMap::new();
    for c in cases {
        let ts = &c.transitions;
        let mut names: Vec<String> = Vec::new();
        match by {
            By::Unit => names = c.units.clone(),
            By::Department => {
                for t in ts {
                    if t.step.to == Status::Dispatched {
                        names = t.step.departments.clone();
                    }
                }
            }
            By::GridWorker => {
                if let Some(r) = &c.reporter {
                    names.push(r.clone());
                }
                for t in ts {
                    // any resolution, or a send-back from fed_back
                    let verifies = t.step.to == Status::Resolved
                        || (t.from == Status::FedBack && (t.step.to == Status::Dispatched || t.step.to == Status::InProgress));
                    if verifies && !names.contains(&t.step.actor) {
                        names.push(t.step.actor.clone());
                    }
                }
            }
        }
        names.sort();
        names.dedup();
        let mut last_finish = None;
        for (i, t) in ts.iter().enumerate() {
            if t.step.to == Status::FedBack || (t.from == Status::InProgress && t.step.to == Status::Resolved) {
                last_finish = Some(i);
            }
        }
        let mut timed = None;
        if let Some(i) = last_finish {
            let mut dispatch = None;
            for t in &ts[..i] {
                if t.step.to == Status::Dispatched {
                    dispatch = Some(t);
                }
            }
            if let Some(dt) = dispatch {
                let hours = d.0.get(c.category).and_then(|m| m.get(&dt.step.level.expect("level")));
                let due = dt.due.or(hours.map(|h| dt.at + (h * 3600.0) as i64));
                if let Some(due) = due {
                    timed = Some(ts[i].at <= due);
                }
            }
        }
        let send_backs = ts.iter().filter(|t| t.from == Status::FedBack && t.step.to != Status::Resolved).count() as u64;
        let mut satisfaction = None;
        for t in ts {
            if t.step.satisfaction.is_some() {
                satisfaction = t.step.satisfaction;
            }
        }
        for n in names {
            let s = out.entry(n.clone()).or_insert_with(|| Score { key: n.clone(), ..Score::default() });
            if c.status == Status::Refused {
                s.refused += 1;
                continue;
            }
            s.cases += 1;
            if c.status == Status::Resolved || c.status == Status::Evaluated {
                s.closed += 1;
            }
            if let Some(ok) = timed {
                s.finished += 1;
                if ok {
                    s.on_time += 1;
                }
            }
            if ts.iter().any(|t| t.step.to == Status::FedBack) {
                s.fed_back += 1;
            }
            if send_backs > 0 {
                s.reworked += 1;
            }
            s.rework += send_backs;
            if let Some(x) = satisfaction {
                s.rated += 1;
                *sums.entry(n.clone()).or_default() += u64::from(x);
            }
        }
    }
    for (k, s) in out.iter_mut() {
        let r = |a: u64, b: u64| if b == 0 { None } else { Some(a as f64 / b as f64) };
        s.closure_rate = r(s.closed, s.cases);
        s.on_time_rate = r(s.on_time, s.finished);
        s.rework_rate = r(s.reworked, s.fed_back);
        s.satisfaction_mean = r(sums.get(k).copied().unwrap_or(0), s.rated);
    }
    out
}

#[test]
fn figures_equal_a_recount_over_random_loops() {
    let flow = Flow { departments: DEPARTMENTS.iter().map(|d| (*d).to_owned()).collect() };
    let d = deadlines();
    let mut rng = ChaCha8Rng::seed_from_u64(30428);
    let cases: Vec<Generated> = (0..3_000).map(|_| walk(&mut rng, &flow, &d)).collect();
    // the walk reaches every part of the loop
    let all: Vec<&Transition> = cases.iter().flat_map(|c| &c.transitions).collect();
    for k in StepKind::ALL {
        assert!(all.iter().any(|t| t.kind == Some(k)), "no {k:?} in the generated loops");
    }
    fn view(c: &Generated) -> EvalCase<'_> {
        EvalCase { units: &c.units, category: c.category, status: c.status, reporter: c.reporter.as_deref(), transitions: &c.transitions }
    }
    for by in [By::Unit, By::Department, By::GridWorker] {
        let got = evaluate(cases.iter().map(view), by, &d);
        let want = recount(&cases, by, &d);
        assert_eq!(got.iter().map(|s| s.key.clone()).collect::<BTreeSet<_>>(), want.keys().cloned().collect::<BTreeSet<_>>(), "{by:?}");
        for s in &got {
            assert_eq!(s, &want[&s.key], "{by:?} {}", s.key);
        }
        // the figures are not all trivial
        assert!(got.iter().any(|s| s.rework > 0 && s.on_time > 0 && s.on_time < s.finished && s.closed > 0 && s.rated > 0), "{by:?}");
    }
    let units = evaluate(cases.iter().map(view), By::Unit, &d);
    assert_eq!(units.iter().find(|s| s.key == "district").map(|s| s.cases + s.refused), Some(3_000));
}

#[test]
fn one_case_by_hand() {
    let flow = Flow { departments: vec!["城管执法".into()] };
    let d = deadlines();
    let mut ts: Vec<Transition> = Vec::new();
    let mut status = Status::Reported;
    let steps = [
        (Status::Accepted, "调度 周", 0),
        (Status::Dispatched, "调度 周", 100),
        (Status::InProgress, "城管执法", 200),
        (Status::FedBack, "城管执法", 300),
        (Status::InProgress, "网格员 张", 400),
        // grid level deadline: 2 + 4 = 6 h after the dispatch at 100
        (Status::FedBack, "城管执法", 100 + 6 * 3600 + 1),
        (Status::Resolved, "网格员 张", 30_000),
        (Status::Evaluated, "调度 周", 30_100),
    ];
    for (to, who, at) in steps {
        let mut s = Step::to(to, who);
        match to {
            Status::Dispatched => {
                s.level = Some(ResponseLevel::Grid);
                s.departments = vec!["城管执法".into()];
            }
            Status::FedBack => s.note = Some("好了".into()),
            Status::Resolved => s.level = Some(ResponseLevel::Grid),
            Status::Evaluated => {
                s.satisfaction = Some(4);
                s.score = Some(90.0);
            }
            _ => {}
        }
        let t = flow.take(Case { status, category: "环境卫生", transitions: &ts }, &d, s, at).expect("step");
        status = t.step.to;
        ts.push(t);
    }
    let units = vec!["d".to_owned(), "g".to_owned()];
    let c = EvalCase { units: &units, category: "环境卫生", status, reporter: Some("网格员 李"), transitions: &ts };
    let by_dept = evaluate([c], By::Department, &d);
    let s = &by_dept[0];
    assert_eq!(s.key, "城管执法");
    assert_eq!(
        (s.cases, s.closed, s.finished, s.on_time, s.fed_back, s.reworked, s.rework),
        (1, 1, 1, 0, 1, 1, 1),
        "fed back late the second time"
    );
    assert_eq!((s.closure_rate, s.on_time_rate, s.rework_rate, s.satisfaction_mean), (Some(1.0), Some(0.0), Some(1.0), Some(4.0)));
    let gw: Vec<String> = evaluate([c], By::GridWorker, &d).into_iter().map(|s| s.key).collect();
    assert_eq!(gw, vec!["网格员 张", "网格员 李"], "the verifier and the reporter");
    assert_eq!(evaluate([c], By::Unit, &d).len(), 2);
    assert!(evaluate([], By::Unit, &d).is_empty());
    assert_eq!(By::parse("grid_worker"), Some(By::GridWorker));
    assert_eq!(By::parse("team"), None);
}

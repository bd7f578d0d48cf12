//! The live lifecycle on the in-memory persistence (no DuckDB): idempotent
//! intake, all-or-nothing bulk, transition conflicts, a sensor breach opening
//! one incident, failed writes changing nothing, and a reload seeing
//! everything acknowledged. [`scenario`] also runs on the DuckDB store
//! (`crate::store::incidents`), so both implementations keep the same things.

use std::sync::Arc;

use serde_json::{Value, json};
use wangge_engine::incidents::lifecycle::Status;
use wangge_engine::incidents::taxonomy::Taxonomy;
use wangge_engine::units::integrity::IntegrityConfig;

use super::persist::{LivePersistence, MemoryPersistence};
use super::{Live, LiveError, NewIncident, Reading, Sensor, StepBody};
use wangge_engine::dataset::Dataset;

fn taxonomy() -> Taxonomy {
    Taxonomy::parse(super::DEFAULT_TAXONOMY).expect("the built-in taxonomy parses")
}

fn data() -> Dataset {
    Dataset::empty(IntegrityConfig::default())
}

fn new(id: Option<&str>) -> NewIncident {
    NewIncident {
        id: id.map(str::to_owned),
        lon: 120.38,
        lat: 36.06,
        category: "环境卫生".into(),
        item: Some("垃圾堆放".into()),
        occurred_at: Some("2026-11-20T08:00:00+08:00".into()),
        reporter: Some("网格员".into()),
        note: None,
    }
}

fn step(v: Value) -> StepBody {
    serde_json::from_value(v).expect("a step body")
}

fn row(id: &str, category: &str, status: &str) -> wangge_engine::model::Incident {
    wangge_engine::model::Incident {
        id: id.into(),
        position: geo::Point::new(120.38, 36.06),
        category: category.into(),
        occurred_at: 1_790_000_000,
        status: status.into(),
        attributes: Default::default(),
    }
}

fn memory() -> (Arc<MemoryPersistence>, Live) {
    let m = Arc::new(MemoryPersistence::default());
    let live = Live::empty(m.clone(), taxonomy());
    (m, live)
}

fn kept(p: &dyn LivePersistence) -> usize {
    p.load().expect("load").incidents.len()
}

#[test]
fn intake_is_idempotent_per_key_and_ids_are_unique() {
    let (m, live) = memory();
    let d = data();
    let (first, replayed) = live.intake(&d, new(None), Some("k-1".into())).expect("intake");
    assert!(!replayed);
    assert_eq!(first["status"], "reported");
    let (again, replayed) = live.intake(&d, new(None), Some("k-1".into())).expect("retry");
    assert!(replayed);
    assert_eq!(again, first);
    assert_eq!((live.len(), kept(m.as_ref())), (1, 1));
    // an explicit id taken already: 409, nothing kept
    live.intake(&d, new(Some("A")), None).expect("A");
    assert!(matches!(live.intake(&d, new(Some("A")), None), Err(LiveError::Conflict(m)) if m.contains("A")));
    assert!(matches!(live.intake(&d, new(Some(" ")), None), Err(LiveError::Bad(_))));
    // the category and position checks name the field
    let bad = NewIncident { category: "天气".into(), ..new(None) };
    assert!(matches!(live.intake(&d, bad, None), Err(LiveError::Bad(m)) if m.contains("not in the taxonomy")));
    let far = NewIncident { lon: 500.0, ..new(None) };
    assert!(matches!(live.intake(&d, far, None), Err(LiveError::Bad(m)) if m.contains("lon/lat")));
    assert_eq!((live.len(), kept(m.as_ref())), (2, 2));
}

#[test]
fn a_failed_write_acknowledges_nothing_and_the_key_can_be_retried() {
    let (m, live) = memory();
    let d = data();
    m.fail_writes(true);
    let e = live.intake(&d, new(Some("X")), Some("k".into())).expect_err("the write fails");
    assert!(matches!(e, LiveError::Store { what: "the incident", .. }), "{e}");
    assert!(e.to_string().starts_with("the incident was not stored: "), "{e}");
    assert_eq!((live.len(), kept(m.as_ref())), (0, 0));
    m.fail_writes(false);
    let (v, replayed) = live.intake(&d, new(Some("X")), Some("k".into())).expect("the retry works");
    assert!(!replayed, "the failed request left no answer to replay");
    assert_eq!(v["id"], "X");
    assert_eq!((live.len(), kept(m.as_ref())), (1, 1));
}

#[test]
fn concurrent_intakes_are_all_kept() {
    let (m, live) = memory();
    let d = data();
    std::thread::scope(|s| {
        for t in 0..8 {
            let (live, d) = (&live, &d);
            s.spawn(move || {
                for k in 0..25 {
                    live.intake(d, new(Some(&format!("T{t}-{k}"))), Some(format!("key-{t}-{k}"))).expect("intake");
                }
            });
        }
    });
    assert_eq!((live.len(), kept(m.as_ref())), (200, 200));
}

#[test]
fn concurrent_intakes_without_ids_get_distinct_ids() {
    // the generated id once took the list's length, which repeats while an earlier intake is
    // still being committed: a 409 for a request that named no id (seen at 5 POST/s)
    let (m, live) = memory();
    let d = data();
    let ids = std::sync::Mutex::new(std::collections::BTreeSet::new());
    std::thread::scope(|s| {
        for _ in 0..8 {
            let (live, d, ids) = (&live, &d, &ids);
            s.spawn(move || {
                for _ in 0..25 {
                    let (v, _) = live.intake(d, new(None), None).expect("intake without an id");
                    ids.lock().expect("ids").insert(v["id"].as_str().unwrap_or_default().to_owned());
                }
            });
        }
    });
    assert_eq!((live.len(), kept(m.as_ref()), ids.lock().expect("ids").len()), (200, 200, 200));
}

#[test]
fn bulk_is_all_or_nothing() {
    let (m, live) = memory();
    let d = data();
    // bad rows: all named, nothing kept
    let bad = vec![row("B-0", "环境卫生", "reported"), row("B-1", "天气", "reported"), row("B-2", "环境卫生", "lost")];
    let e = live.bulk(&d, bad, None).expect_err("bad rows");
    assert!(matches!(&e, LiveError::Bad(m) if m.contains("B-1") && m.contains("天气") && m.contains("B-2") && m.contains("lost")), "{e}");
    assert!(matches!(live.bulk(&d, Vec::new(), None), Err(LiveError::Bad(_))));
    // an id twice in the file: 409
    let twice = vec![row("D", "环境卫生", "reported"), row("D", "环境卫生", "reported")];
    assert!(matches!(live.bulk(&d, twice, None), Err(LiveError::Conflict(m)) if m.contains('D')));
    // the write fails: nothing in memory either
    let good: Vec<_> = (0..10).map(|n| row(&format!("G-{n}"), "环境卫生", if n < 8 { "reported" } else { "dispatched" })).collect();
    m.fail_writes(true);
    assert!(matches!(live.bulk(&d, good.clone(), Some("b".into())), Err(LiveError::Store { what: "the incidents", .. })));
    assert_eq!((live.len(), kept(m.as_ref())), (0, 0));
    m.fail_writes(false);
    let (v, replayed) = live.bulk(&d, good.clone(), Some("b".into())).expect("bulk");
    assert!(!replayed);
    assert_eq!(v["imported"], 10);
    let (again, replayed) = live.bulk(&d, good.clone(), Some("b".into())).expect("replay");
    assert!(replayed);
    assert_eq!(again["ids"], v["ids"]);
    // the same ids without the key: 409, nothing more kept
    assert!(matches!(live.bulk(&d, good[..2].to_vec(), None), Err(LiveError::Conflict(_))));
    assert_eq!((live.len(), kept(m.as_ref())), (10, 10));
    assert_eq!(live.get("G-9").expect("read").expect("G-9")["status"], "dispatched");
}

#[test]
fn transitions_conflict_when_not_allowed_or_stale() {
    let (m, live) = memory();
    let d = data();
    live.intake(&d, new(Some("I")), None).expect("intake");
    assert!(matches!(live.transition("nope", step(json!({"to": "called", "actor": "a"}))), Err(LiveError::NotFound(_))));
    let e = live.transition("I", step(json!({"to": "evaluated", "actor": "a"}))).expect_err("not allowed");
    assert!(matches!(&e, LiveError::Conflict(m) if m.contains("called, dispatched, resolved")), "{e}");
    let e = live.transition("I", step(json!({"to": "dispatched", "actor": "a", "level": "community"}))).expect_err("no departments");
    assert!(matches!(e, LiveError::Bad(_)), "{e}");
    live.transition("I", step(json!({"to": "called", "actor": "社区"}))).expect("called");
    let dispatch = json!({"from": "called", "to": "dispatched", "actor": "街道", "level": "community", "departments": ["城管执法"]});
    // a failed write: the step did not happen
    m.fail_writes(true);
    assert!(matches!(live.transition("I", step(dispatch.clone())), Err(LiveError::Store { what: "the transition", .. })));
    assert_eq!(live.get("I").expect("read").expect("I")["status"], "called");
    m.fail_writes(false);
    // two concurrent dispatches from "called": one wins, the other is told the status moved
    let results: Vec<Result<Value, LiveError>> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..2).map(|_| s.spawn(|| live.transition("I", step(dispatch.clone())))).collect();
        hs.into_iter().map(|h| h.join().expect("thread")).collect()
    });
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    assert!(results.iter().any(|r| matches!(r, Err(LiveError::Conflict(m)) if m.contains("is dispatched now, not called"))));
    let snap = m.load().expect("load");
    assert_eq!(snap.transitions.len(), 2);
    assert_eq!(snap.incidents[0].status, Status::Dispatched);
}

#[test]
fn a_sensor_breach_opens_one_incident_while_it_is_open() {
    let (m, live) = memory();
    let d = data();
    let gas =
        |id: &str, kind: &str| Sensor { id: id.into(), kind: kind.into(), lon: 120.38, lat: 36.06, name: None, last: None, incident: None };
    live.add_sensor(gas("GAS-1", "gas")).expect("sensor");
    assert!(matches!(live.add_sensor(gas("GAS-1", "gas")), Err(LiveError::Conflict(_))));
    assert!(matches!(live.add_sensor(gas("R", "radon")), Err(LiveError::Bad(m)) if m.contains("gas")));
    let read = |v: f64| live.reading(&d, "GAS-1", Reading { value: v, at: None });
    assert_eq!(read(3.0).expect("normal")["opened_incident"], Value::Null);
    let v = read(35.0).expect("breach");
    let id = v["opened_incident"].as_str().expect("an incident").to_owned();
    assert_eq!(v["sensor"]["alarm"], true);
    assert_eq!(live.get(&id).expect("read").expect("incident")["category"], "安全生产");
    assert_eq!(read(40.0).expect("still")["opened_incident"], Value::Null, "one incident while it is open");
    assert_eq!(live.len(), 1);
    assert!(matches!(live.reading(&d, "NOPE", Reading { value: 1.0, at: None }), Err(LiveError::NotFound(_))));
    // once resolved, the next breach opens a new one
    for s in [
        json!({"to": "called", "actor": "a"}),
        json!({"to": "dispatched", "actor": "a", "level": "community", "departments": ["应急管理"]}),
        json!({"to": "in_progress", "actor": "a"}),
        json!({"to": "resolved", "actor": "a", "level": "community"}),
    ] {
        live.transition(&id, step(s)).expect("step");
    }
    let v = live.reading(&d, "GAS-1", Reading { value: 50.0, at: Some("2026-11-21T10:00:00+08:00".into()) }).expect("breach again");
    assert!(v["opened_incident"].as_str().is_some_and(|n| n != id), "{v}");
    let snap = m.load().expect("load");
    assert_eq!((snap.incidents.len(), snap.sensors.len(), snap.readings.len()), (2, 1, 4));
}

#[test]
fn a_reload_from_memory_sees_everything_acknowledged() {
    scenario(Arc::new(MemoryPersistence::default()));
}

/// Intake, bulk, steps, a sensor and readings through `persist`; then a
/// fresh [`Live::load`] from it answers the same.
pub(crate) fn scenario(persist: Arc<dyn LivePersistence>) {
    let d = data();
    let live = Live::empty(persist.clone(), taxonomy());
    live.intake(&d, new(Some("A")), Some("ka".into())).expect("A");
    live.bulk(&d, vec![row("B", "市容秩序", "dispatched"), row("C", "环境卫生", "reported")], Some("kb".into())).expect("bulk");
    for s in [json!({"to": "called", "actor": "a"}), json!({"to": "resolved", "actor": "a", "level": "grid"})] {
        live.transition("A", step(s)).expect("step");
    }
    // a case dispatched with a deadline, urged once it has passed (raised at a later clock)
    live.intake(&d, new(Some("U")), None).expect("U");
    let due = super::now() + 60;
    live.transition("U", step(json!({"to": "dispatched", "actor": "a", "level": "grid", "departments": ["城管执法"], "deadline": due})))
        .expect("dispatch");
    assert_eq!(live.raise_urges(due).expect("urges"), 0, "not past yet");
    assert_eq!(live.raise_urges(due + 1).expect("urges"), 1);
    live.add_sensor(Sensor {
        id: "S".into(),
        kind: "gas".into(),
        lon: 120.38,
        lat: 36.06,
        name: Some("探头".into()),
        last: None,
        incident: None,
    })
    .expect("sensor");
    let opened = live.reading(&d, "S", Reading { value: 30.0, at: Some("2026-11-20T09:00:00+08:00".into()) }).expect("reading");
    live.reading(&d, "S", Reading { value: 31.0, at: Some("2026-11-20T09:01:00+08:00".into()) }).expect("reading");
    let again = Live::load(persist, taxonomy()).expect("load");
    let ids = |l: &Live| l.all_where(|_| true).expect("all").iter().map(|i| i.id.clone()).collect::<std::collections::BTreeSet<_>>();
    assert_eq!(ids(&again), ids(&live));
    for id in ids(&live) {
        assert_eq!(again.get(&id).expect("read"), live.get(&id).expect("read"), "{id}");
    }
    assert_eq!(again.sensors(), live.sensors());
    assert_eq!(again.sensors()[0]["incident"]["id"], opened["opened_incident"]);
    assert_eq!(again.get("A").expect("read").expect("A")["resolved_level"], "grid");
    // the urge survives: not raised twice for the same deadline
    assert_eq!(again.get("U").expect("read").expect("U")["urges"].as_array().map(Vec::len), Some(1));
    assert_eq!(again.raise_urges(super::now() + 1_000).expect("urges"), 0);
    // the keys survive: a retry after the restart is a replay
    assert!(again.intake(&d, new(Some("A")), Some("ka".into())).expect("replay").1);
    assert!(again.bulk(&d, vec![row("B", "市容秩序", "dispatched")], Some("kb".into())).expect("replay").1);
}

#[test]
fn overdue_cases_are_urged_once_per_deadline_and_counted() {
    let (m, live) = memory();
    let d = data();
    live.intake(&d, new(Some("O")), None).expect("intake");
    live.intake(&d, new(Some("P")), None).expect("intake");
    let t0 = super::now();
    let dispatch = |id: &str, level: &str, due: i64| {
        live.transition(id, step(json!({"to": "dispatched", "actor": "a", "level": level, "departments": ["城管执法"], "deadline": due})))
    };
    dispatch("O", "grid", t0 + 100).expect("dispatch O");
    dispatch("P", "grid", t0 + 100).expect("dispatch P");
    let mut rx = live.events.subscribe();
    assert_eq!(live.raise_urges(t0 + 101).expect("urges"), 2);
    let ev = rx.try_recv().expect("an urge event");
    assert_eq!(ev.kind, "urge");
    let data: Value = serde_json::from_str(&ev.data).expect("json");
    assert_eq!((data["id"].as_str(), data["level"].as_str(), data["departments"][0].as_str()), (Some("O"), Some("grid"), Some("城管执法")));
    assert_eq!(data["deadline"], wangge_engine::time::format_time(t0 + 100));
    // the same second again, and later: nothing new for the same deadline
    assert_eq!(live.raise_urges(t0 + 101).expect("urges"), 0);
    assert_eq!(live.raise_urges(t0 + 500).expect("urges"), 0);
    // P is fed back: not overdue; O is escalated with a new deadline, urged again once that passes
    live.transition("P", step(json!({"to": "in_progress", "actor": "城管执法"}))).expect("start");
    live.transition("P", step(json!({"to": "fed_back", "actor": "城管执法", "note": "清了", "photo": "p-1.jpg"}))).expect("feedback");
    dispatch("O", "street", t0 + 1_000).expect("escalate");
    assert_eq!(live.get("O").expect("read").expect("O")["escalations"], 1);
    assert_eq!(live.raise_urges(t0 + 900).expect("urges"), 0);
    assert_eq!(live.raise_urges(t0 + 1_001).expect("urges"), 1);
    assert_eq!(live.get("O").expect("read").expect("O")["urges"].as_array().map(Vec::len), Some(2));
    // kept beside the steps, numbered with them
    let snap = m.load().expect("load");
    let seqs: Vec<(String, usize)> = snap.urges.iter().map(|u| (u.incident_id.clone(), u.seq)).collect();
    assert_eq!(seqs, vec![("O".into(), 1), ("O".into(), 3), ("P".into(), 1)]);
    // P sent back past its deadline: overdue again, but urged once already for that deadline
    live.transition("P", step(json!({"to": "in_progress", "actor": "网格员"}))).expect("sent back");
    assert_eq!(live.raise_urges(t0 + 1_500).expect("urges"), 0);
    // a failed write raises nothing, and the next look tries again
    live.intake(&d, new(Some("Q")), None).expect("intake");
    dispatch("Q", "grid", t0 + 1_600).expect("dispatch Q");
    m.fail_writes(true);
    assert!(live.raise_urges(t0 + 2_000).is_err());
    assert_eq!(live.get("Q").expect("read").expect("Q")["urges"].as_array().map(Vec::len), Some(0));
    m.fail_writes(false);
    assert_eq!(live.raise_urges(t0 + 2_000).expect("urges"), 1);
    let k = live.kpi();
    assert_eq!(
        (k["overdue"].as_u64(), k["urged"].as_u64(), k["reworked"].as_u64(), k["escalated"].as_u64()),
        (Some(0), Some(3), Some(1), Some(1)),
        "{k}"
    );
}

/// While a bulk import is being written its ids and row keys are taken: an intake replaying one of its row keys, or
/// the same import again, is told to retry (409), not answered by a store failure or a second case; once written,
/// the row key replays the import's case.
#[test]
fn a_bulk_import_being_written_holds_its_row_keys() {
    let p = Arc::new(super::closed_tests::Watched::default());
    let live = Arc::new(Live::empty(p.clone(), taxonomy()));
    let d = Arc::new(data());
    let rows = vec![row("B0", "环境卫生", "reported"), row("B1", "环境卫生", "resolved")];
    let held = super::lock(&p.hold);
    let (l, dd, r) = (live.clone(), d.clone(), rows.clone());
    let import = std::thread::spawn(move || l.bulk(&dd, r, Some("imp".into())));
    let t = std::time::Instant::now();
    while p.waiting.load(std::sync::atomic::Ordering::SeqCst) == 0 {
        assert!(t.elapsed() < std::time::Duration::from_secs(20), "the import never came to its write");
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    // each on a thread of its own: one that went on to write would wait for `hold`
    let (tx, rx) = std::sync::mpsc::channel();
    let (l, dd, r, tx2) = (live.clone(), d.clone(), rows.clone(), tx.clone());
    std::thread::spawn(move || tx.send(l.intake(&dd, new(Some("X")), Some("imp#0".into())).map(|_| ())));
    let (l, dd) = (live.clone(), d.clone());
    std::thread::spawn(move || tx2.send(l.bulk(&dd, r, Some("imp".into())).map(|_| ())));
    let answers: Vec<_> = (0..2).map(|_| rx.recv_timeout(std::time::Duration::from_secs(10))).collect();
    drop(held);
    for a in &answers {
        assert!(matches!(a, Ok(Err(LiveError::Conflict(m))) if m.contains("retry")), "{answers:?}");
    }
    let (v, replayed) = import.join().expect("the import's thread").expect("bulk");
    assert_eq!((v["imported"].as_u64(), replayed), (Some(2), false));
    let (v, replayed) = live.intake(&d, new(Some("X")), Some("imp#0".into())).expect("replay");
    assert_eq!((v["id"].as_str(), replayed), (Some("B0"), true));
    assert!(live.bulk(&d, rows, Some("imp".into())).expect("replay").1);
    assert_eq!(live.len(), 2);
}

//! Closed cases leave memory ([`super::closed`]): a closed case is no longer
//! in the live list but still answers from the store; the figures over open
//! cases in memory plus the closed cases' sums equal the figures over every
//! case (what the live list gave when it kept them all), for the whole
//! district and for a department; a resolved case can still be evaluated,
//! replayed by its key, and its id stays taken; a reload evicts alike.

use std::sync::Arc;

use serde_json::{Value, json};
use wangge_engine::incidents::kpi::{self, KpiIncident};
use wangge_engine::incidents::screen::local_day;
use wangge_engine::incidents::taxonomy::Taxonomy;
use wangge_engine::units::integrity::IntegrityConfig;
use wangge_engine::units::jurisdiction::Jurisdiction;

use super::closed::DAY_OFFSET_S;
use super::persist::{LivePersistence, MemoryPersistence};
use super::{Live, LiveError, LiveIncident, NewIncident, StepBody};
use crate::events::Viewer;
use wangge_engine::dataset::Dataset;

fn taxonomy() -> Taxonomy {
    Taxonomy::parse(super::DEFAULT_TAXONOMY).expect("the built-in taxonomy parses")
}

fn new(id: &str, category: &str) -> NewIncident {
    NewIncident {
        id: Some(id.into()),
        lon: 120.38,
        lat: 36.06,
        category: category.into(),
        item: None,
        occurred_at: None,
        reporter: Some("网格员".into()),
        note: None,
    }
}

fn step(live: &Live, id: &str, v: Value) {
    let b: StepBody = serde_json::from_value(v).expect("a step body");
    live.transition(id, b).unwrap_or_else(|e| panic!("{id}: {e}"));
}

/// The figures over every case kept (open and closed), as the live list gave them when it kept every case.
fn recount(p: &dyn LivePersistence, live: &Live, keep: impl Fn(&LiveIncident) -> bool, version: u64, t: i64) -> Value {
    let all: Vec<LiveIncident> = p.load().expect("load").whole().into_iter().filter(|i| keep(i)).collect();
    let list =
        all.iter().map(|i| KpiIncident { category: &i.category, status: i.status, transitions: &i.transitions, urges: i.urges.len() });
    let mut v = serde_json::to_value(kpi::figures(list, &live.deadlines, t, version)).expect("json");
    v["at"] = Value::Null;
    v
}

fn figures(live: &Live, d: &Dataset, viewer: Viewer<'_>) -> Value {
    let mut v = live.kpi_for(d, viewer);
    v["at"] = Value::Null;
    v
}

/// A mix: open, refused, resolved at three levels, dispatched to two departments then closed, reworked,
/// escalated, evaluated (one after it left memory).
fn mix(live: &Live, d: &Dataset) {
    let cats = ["环境卫生", "市容秩序", "安全生产"];
    for n in 0..18 {
        live.intake(d, new(&format!("C{n}"), cats[n % 3]), Some(format!("key-{n}"))).expect("intake");
    }
    let dispatch = |id: &str, level: &str, dep: &str| {
        step(live, id, json!({"to": "dispatched", "actor": "a", "level": level, "departments": [dep]}));
    };
    // resolved on the spot at three levels
    for (n, level) in [(0, "building_grid"), (1, "grid"), (2, "community"), (3, "grid")] {
        step(live, &format!("C{n}"), json!({"to": "resolved", "actor": "a", "level": level}));
    }
    step(live, "C4", json!({"to": "refused", "actor": "a", "reason": "duplicate", "note": "C0"}));
    // dispatched, worked on, fed back, verified (one sent back once first)
    for (id, dep) in [("C5", "城管执法"), ("C6", "生态环境"), ("C7", "城管执法")] {
        dispatch(id, "grid", dep);
        step(live, id, json!({"to": "in_progress", "actor": "a"}));
        step(live, id, json!({"to": "fed_back", "actor": "a", "note": "done"}));
    }
    step(live, "C7", json!({"to": "in_progress", "actor": "a"}));
    step(live, "C7", json!({"to": "fed_back", "actor": "a", "note": "again"}));
    for id in ["C5", "C6", "C7"] {
        step(live, id, json!({"to": "resolved", "actor": "a", "level": "grid"}));
    }
    // escalated and resolved at the street; escalated and left open
    dispatch("C8", "grid", "城管执法");
    dispatch("C8", "street", "城管执法");
    step(live, "C8", json!({"to": "in_progress", "actor": "a"}));
    step(live, "C8", json!({"to": "resolved", "actor": "a", "level": "street"}));
    dispatch("C9", "grid", "生态环境");
    dispatch("C9", "community", "生态环境");
    // evaluated at once, and evaluated after leaving memory
    step(live, "C1", json!({"to": "evaluated", "actor": "a", "satisfaction": 4, "score": 90}));
    step(live, "C5", json!({"to": "evaluated", "actor": "a", "satisfaction": 2, "score": 60}));
    // open, dispatched to a department
    dispatch("C10", "community", "城管执法");
}

#[test]
fn a_closed_case_leaves_memory_and_the_figures_stay_those_of_every_case() {
    let m = Arc::new(MemoryPersistence::default());
    let live = Live::empty(m.clone(), taxonomy());
    let d = Dataset::empty(IntegrityConfig::default());
    mix(&live, &d);
    let kept = m.load().expect("load").whole();
    let closed: Vec<&LiveIncident> = kept.iter().filter(|i| i.status.is_closed()).collect();
    assert_eq!((kept.len(), closed.len()), (18, 9));
    // only the open cases are in memory; every case still answers
    assert_eq!(live.in_memory(), 9);
    assert_eq!(live.open().len(), 9);
    assert!(live.open().iter().all(|i| !i.status.is_closed()));
    assert_eq!(live.len(), 18);
    for i in &kept {
        let v = live.get(&i.id).expect("read").unwrap_or_else(|| panic!("{} answers", i.id));
        assert_eq!(v["status"], i.status.as_str(), "{}", i.id);
        assert_eq!(v["transitions"].as_array().map(Vec::len), Some(i.transitions.len()), "{}", i.id);
    }
    assert_eq!(live.get("C5").expect("read").expect("C5")["status"], "evaluated");

    // the figures: the same as over every case
    let all = Jurisdiction::everything();
    let t = super::now();
    let version = live.version.load(std::sync::atomic::Ordering::SeqCst);
    let whole = Viewer { jurisdiction: &all, department: None };
    assert_eq!(figures(&live, &d, whole), recount(m.as_ref(), &live, |_| true, version, t));
    for dep in ["城管执法", "生态环境", "民政"] {
        let viewer = Viewer { jurisdiction: &all, department: Some(dep) };
        let want = recount(m.as_ref(), &live, |i| super::kpi::sees_case(&d, viewer, i), version, t);
        assert_eq!(figures(&live, &d, viewer), want, "{dep}");
    }
    let k = figures(&live, &d, whole);
    assert_eq!((k["incidents"].as_u64(), k["open"].as_u64(), k["evaluated"].as_u64()), (Some(18), Some(9), Some(2)), "{k}");
    assert_eq!(k["resolved_by_level"]["grid"], 5, "{k}");
    assert_eq!((k["reworked"].as_u64(), k["escalated"].as_u64()), (Some(1), Some(2)), "{k}");
    // today's intake counts the closed cases
    let today = local_day(t, DAY_OFFSET_S);
    let by_day = kept.iter().filter(|i| local_day(i.received_at, DAY_OFFSET_S) == today).count() as u64;
    assert_eq!(live.received_on(today, |_, _| true), by_day);
    assert_eq!(live.count_where(|_, deps| deps.iter().any(|x| x == "城管执法")), 4);

    // every case, open and closed, once: from memory and the store
    let mut ids: Vec<String> = live.all_where(|_| true).expect("all").into_iter().map(|i| i.id).collect();
    ids.sort();
    let mut want: Vec<String> = kept.iter().map(|i| i.id.clone()).collect();
    want.sort();
    assert_eq!(ids, want);

    // a closed case's key replays, its id stays taken, a step it cannot take is refused
    let (v, replayed) = live.intake(&d, new("C0-again", "环境卫生"), Some("key-0".into())).expect("replay");
    assert!(replayed);
    assert_eq!(v["id"], "C0");
    assert!(matches!(live.intake(&d, new("C0", "环境卫生"), None), Err(LiveError::Conflict(_))));
    let b: StepBody = serde_json::from_value(json!({"to": "in_progress", "actor": "a"})).expect("body");
    assert!(matches!(live.transition("C4", b), Err(LiveError::Conflict(_))));
    let b: StepBody = serde_json::from_value(json!({"to": "accepted", "actor": "a"})).expect("body");
    assert!(matches!(live.transition("NOPE", b), Err(LiveError::NotFound(_))));
    // a generated id does not reuse a closed case's number
    let (v, _) = live.intake(&d, NewIncident { id: None, ..new("x", "环境卫生") }, None).expect("intake");
    assert!(live.get(v["id"].as_str().expect("id")).expect("read").is_some());
    assert_eq!(live.len(), 19);

    // a reload keeps the closed cases in the store only, with the same figures
    let again = Live::load(m.clone(), taxonomy()).expect("load");
    assert_eq!(again.in_memory(), 10);
    let version = again.version.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(figures(&again, &d, whole), recount(m.as_ref(), &again, |_| true, version, t));
    // and the closed cases' keys and ids (read back into the filters)
    let (v, replayed) = again.intake(&d, new("C0-again", "环境卫生"), Some("key-0".into())).expect("replay");
    assert_eq!((v["id"].as_str(), replayed), (Some("C0"), true));
    assert!(matches!(again.intake(&d, new("C0", "环境卫生"), None), Err(LiveError::Conflict(_))));
}

/// [`MemoryPersistence`] counting the lookups of ids and keys, and holding the writes of new incidents while
/// `hold` is locked (`waiting` counts the writes that came to it).
#[derive(Debug, Default)]
pub(crate) struct Watched {
    m: MemoryPersistence,
    asked: std::sync::atomic::AtomicUsize,
    pub(crate) hold: std::sync::Mutex<()>,
    pub(crate) waiting: std::sync::atomic::AtomicUsize,
}

impl LivePersistence for Watched {
    fn load(&self) -> Result<super::persist::LiveSnapshot, super::PersistError> {
        self.m.load()
    }
    fn insert_incidents(&self, batch: &[LiveIncident]) -> Result<(), super::PersistError> {
        self.waiting.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        drop(super::lock(&self.hold));
        self.m.insert_incidents(batch)
    }
    fn append_transition(&self, id: &str, seq: usize, t: &super::Transition) -> Result<(), super::PersistError> {
        self.m.append_transition(id, seq, t)
    }
    fn append_urges(&self, urges: &[super::persist::StoredUrge]) -> Result<(), super::PersistError> {
        self.m.append_urges(urges)
    }
    fn insert_sensor(&self, s: &super::Sensor) -> Result<(), super::PersistError> {
        self.m.insert_sensor(s)
    }
    fn insert_reading(&self, r: &super::persist::SensorReading) -> Result<(), super::PersistError> {
        self.m.insert_reading(r)
    }
    fn closed(&self, steps: bool, o: super::persist::Occurred, visit: &mut dyn FnMut(LiveIncident)) -> Result<(), super::PersistError> {
        self.m.closed(steps, o, visit)
    }
    fn find(&self, by: super::Lookup<'_>) -> Result<Option<LiveIncident>, super::PersistError> {
        if matches!(by, super::Lookup::Key(_)) {
            self.asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        self.m.find(by)
    }
    fn kept_ids(&self, ids: &[&str]) -> Result<Vec<String>, super::PersistError> {
        self.asked.fetch_add(ids.len(), std::sync::atomic::Ordering::SeqCst);
        self.m.kept_ids(ids)
    }
}

/// With many closed cases, a new case's id and key are looked up in the store only when the filters of the closed
/// ones perhaps hold them (at most 2%): an intake takes no store query (it took two or three before, under the
/// live list's lock). A taken id, generated or given, and a replayed key are still found.
#[test]
fn a_new_id_or_key_does_not_ask_the_store() {
    let p = Arc::new(Watched::default());
    let live = Live::empty(p.clone(), taxonomy());
    let d = Dataset::empty(IntegrityConfig::default());
    for n in 0..400 {
        let id = format!("K{n}");
        live.intake(&d, new(&id, "环境卫生"), Some(format!("key-{n}"))).expect("intake");
        step(&live, &id, json!({"to": "resolved", "actor": "a", "level": "grid"}));
    }
    assert_eq!(live.in_memory(), 0);
    let asked = || p.asked.load(std::sync::atomic::Ordering::SeqCst);
    let before = asked();
    for n in 0..500 {
        let (_, replayed) = live.intake(&d, new(&format!("N{n}"), "环境卫生"), Some(format!("new-{n}"))).expect("intake");
        assert!(!replayed);
        live.intake(&d, NewIncident { id: None, ..new("x", "环境卫生") }, Some(format!("gen-{n}"))).expect("intake");
    }
    // 1,000 intakes: 1,000 new ids and 1,000 new keys (at 2% at most, ≤ 40 would ask)
    let n = asked() - before;
    assert!(n <= 40, "{n} store lookups for 2,000 new ids and keys");
    // the closed cases' ids and keys are still found, in the store
    assert!(matches!(live.intake(&d, new("K7", "环境卫生"), None), Err(LiveError::Conflict(_))));
    let (v, replayed) = live.intake(&d, new("other", "环境卫生"), Some("key-9".into())).expect("replay");
    assert_eq!((v["id"].as_str(), replayed), (Some("K9"), true));
    assert!(asked() > before + n);
    assert!(live.held().filters > 0);
}

#[test]
fn memory_holds_the_open_cases_only_however_many_closed() {
    let m = Arc::new(MemoryPersistence::default());
    let live = Live::empty(m, taxonomy());
    let d = Dataset::empty(IntegrityConfig::default());
    for n in 0..300 {
        let id = format!("M{n}");
        live.intake(&d, new(&id, "环境卫生"), None).expect("intake");
        if n >= 5 {
            step(&live, &id, json!({"to": "resolved", "actor": "a", "level": "grid"}));
        }
    }
    assert_eq!(live.in_memory(), 5);
    assert_eq!(live.len(), 300);
    // 295 closed cases at one point, in one group: one count per resolution of HEAT_RES, not one per case
    let levels = super::closed::HEAT_RES.count();
    let held = live.held();
    assert_eq!((held.open, held.groups, held.cells), (5, 1, levels));
    // the filter of the closed ids: its first layer, ≈ 1.5 bytes a case it has room for (no keys: none)
    assert!((1024..16 * 1024).contains(&held.filters), "{held}");
    assert!(held.to_string().contains("open cases 5, groups of closed cases 1, their cells 7, filters"), "{held}");
    let all = Jurisdiction::everything();
    let k = live.kpi_for(&d, Viewer { jurisdiction: &all, department: None });
    assert_eq!((k["incidents"].as_u64(), k["open"].as_u64(), k["resolved_by_level"]["grid"].as_u64()), (Some(300), Some(5), Some(295)));
}

/// Twelve cases an hour apart from 2026-11-01T00:00:00Z, the even ones resolved: a window given to
/// [`Live::all_in`] (and to the store's [`LivePersistence::closed`]) keeps exactly the cases that occurred in it,
/// both ends included, open and closed alike, and `None` keeps them all. Run over memory here and over DuckDB in
/// `store::incidents`.
pub(crate) fn windows_read_what_occurred_in_them(p: Arc<dyn LivePersistence>) {
    let live = Live::empty(p.clone(), taxonomy());
    let d = Dataset::empty(IntegrityConfig::default());
    const T0: i64 = 1_793_491_200; // 2026-11-01T00:00:00Z
    for n in 0..12 {
        let mut b = new(&format!("W{n}"), "环境卫生");
        b.occurred_at = Some(format!("2026-11-01T{n:02}:00:00Z"));
        live.intake(&d, b, None).expect("intake");
        if n % 2 == 0 {
            step(&live, &format!("W{n}"), json!({"to": "resolved", "actor": "a", "level": "grid"}));
        }
    }
    let ids = |w: super::Occurred| {
        let mut v: Vec<String> = live.all_in(w, |_| true).expect("read").into_iter().map(|i| i.id).collect();
        v.sort();
        v
    };
    let expect = |hours: std::ops::RangeInclusive<i64>| {
        let mut v: Vec<String> = hours.map(|n| format!("W{n}")).collect();
        v.sort();
        v
    };
    assert_eq!(ids(None), expect(0..=11));
    assert_eq!(ids(Some((T0 + 3 * 3600, T0 + 6 * 3600))), expect(3..=6), "both ends kept");
    assert_eq!(ids(Some((T0 + 3 * 3600 + 1, T0 + 6 * 3600 - 1))), expect(4..=5));
    assert_eq!(ids(Some((T0 + 20 * 3600, i64::MAX))), Vec::<String>::new());
    assert_eq!(ids(super::occurred_from_to(Some(T0 + 10 * 3600), None)), expect(10..=11));
    assert_eq!(ids(super::occurred_from_to(None, Some(T0 + 2 * 3600))), expect(0..=2), "the store reads a superset of [from, to)");
    // the store alone gives the closed ones of the window, with their steps when asked
    let mut closed = Vec::new();
    p.closed(true, Some((T0 + 2 * 3600, T0 + 8 * 3600)), &mut |i| closed.push((i.id.clone(), i.transitions.len()))).expect("closed");
    closed.sort();
    assert_eq!(closed, vec![("W2".into(), 1), ("W4".into(), 1), ("W6".into(), 1), ("W8".into(), 1)]);
}

#[test]
fn windows_read_what_occurred_in_them_from_memory() {
    windows_read_what_occurred_in_them(Arc::new(MemoryPersistence::default()));
}

/// A closed case's steps come back whole and in order however the store hands its rows over: 1,101 closed cases,
/// the first with one step and the rest with two, so the store's rows (one per step) cross DuckDB's batches of 2,048
/// in the middle of a case. Run over memory here and over DuckDB in `store::incidents`.
pub(crate) fn every_closed_case_comes_back_whole(p: Arc<dyn LivePersistence>) {
    let live = Live::empty(p.clone(), taxonomy());
    let d = Dataset::empty(IntegrityConfig::default());
    for n in 0..1101 {
        let id = format!("S{n:04}");
        live.intake(&d, new(&id, "环境卫生"), None).expect("intake");
        step(&live, &id, json!({"to": "resolved", "actor": "a", "level": "grid"}));
        if n > 0 {
            step(&live, &id, json!({"to": "evaluated", "actor": "a", "satisfaction": 4, "score": 90}));
        }
    }
    let mut got = Vec::new();
    p.closed(true, None, &mut |i| {
        let steps: Vec<&str> = i.transitions.iter().map(|t| t.step.to.as_str()).collect();
        got.push(format!("{} {}", i.id, steps.join(",")));
    })
    .expect("closed");
    let want: Vec<String> = (0..1101).map(|n| format!("S{n:04} {}", if n == 0 { "resolved" } else { "resolved,evaluated" })).collect();
    assert_eq!(got, want);
}

#[test]
fn every_closed_case_comes_back_whole_from_memory() {
    every_closed_case_comes_back_whole(Arc::new(MemoryPersistence::default()));
}

/// The heatmap of every case takes the closed cases from their counts per cell
/// at the resolutions of [`super::closed::HEAT_RES`] (every one a heatmap
/// takes): at each it equals the heatmap read from the store, as cases close
/// (one by one and in a bulk import of closed rows), as a closed one is
/// evaluated, and after a reload. Run over memory here and over DuckDB in
/// `store::incidents`; a unit's and a jurisdiction's are compared over HTTP in
/// `tests/it/closed_cases.rs`.
pub(crate) fn heat_of_every_case_equals_heat_read_from_the_store(p: Arc<dyn LivePersistence>) {
    use crate::heat::{Filter, counts, counts_kept, counts_read};
    let d = Dataset::empty(IntegrityConfig::default());
    let every = Filter { from: None, to: None, category: None, status: None, unit: None };
    let same = |live: &Live, when: &str| {
        for r in super::closed::HEAT_RES {
            let res = h3o::Resolution::try_from(r).expect("res");
            let kept = counts_kept(&d, live, &every, res).unwrap_or_else(|| panic!("res {r}: counted from memory"));
            assert_eq!(kept, counts_read(&d, live, &every, res).expect("read"), "res {r}, {when}");
            assert_eq!(kept, counts(&d, live, &every, res).expect("counts"), "res {r}, {when}");
            assert_eq!(kept.1, live.len() as u64, "res {r}, {when}: every case counted");
        }
    };
    let spread = |n: usize| (120.30 + (n % 7) as f64 * 0.011, 36.05 + (n % 5) as f64 * 0.0037);
    let live = Live::empty(p.clone(), taxonomy());
    for n in 0..60 {
        let id = format!("H{n}");
        let (lon, lat) = spread(n);
        live.intake(&d, NewIncident { lon, lat, ..new(&id, "环境卫生") }, None).expect("intake");
        match n % 4 {
            0 => step(&live, &id, json!({"to": "resolved", "actor": "a", "level": "grid"})),
            1 => step(&live, &id, json!({"to": "refused", "actor": "a", "reason": "invalid"})),
            _ => {}
        }
    }
    same(&live, "closed and open");
    assert_eq!(live.open().len(), 30);
    for n in (0..60).step_by(8) {
        step(&live, &format!("H{n}"), json!({"to": "evaluated", "actor": "a", "satisfaction": 4, "score": 90}));
    }
    step(&live, "H2", json!({"to": "resolved", "actor": "a", "level": "grid"}));
    same(&live, "after evaluation");
    let rows = (0..40)
        .map(|n| {
            let (lon, lat) = spread(n + 3);
            wangge_engine::model::Incident {
                id: format!("B{n}"),
                position: geo::Point::new(lon + 0.002, lat),
                category: "市容秩序".into(),
                occurred_at: 1_793_491_200 + n as i64 * 600,
                status: ["resolved", "reported"][n % 2].into(),
                attributes: Default::default(),
            }
        })
        .collect();
    live.bulk(&d, rows, None).expect("bulk");
    assert_eq!(live.open().len(), 49);
    same(&live, "after a bulk import");
    let cells = counts(&d, &live, &every, h3o::Resolution::Eleven).expect("kept").0.len();
    assert!(cells > 30, "the cases spread over {cells} cells");
    same(&Live::load(p, taxonomy()).expect("reload"), "after a reload");
}

#[test]
fn heat_of_every_case_equals_heat_read_from_memory() {
    heat_of_every_case_equals_heat_read_from_the_store(Arc::new(MemoryPersistence::default()));
}

/// A read of the closed cases holds the live list only while it visits the open ones, and (with the DuckDB store)
/// not the store either: an intake made while the closed cases are being visited is acknowledged before the read
/// ends (before, it waited for the whole read). Every case is seen once; the one reported during the read, after the
/// open ones were seen, is not in it.
pub(crate) fn intake_goes_on_beside_a_read_of_the_closed_cases(p: Arc<dyn LivePersistence>) {
    let live = Arc::new(Live::empty(p, taxonomy()));
    let d = Arc::new(Dataset::empty(IntegrityConfig::default()));
    for n in 0..3 {
        let id = format!("R{n}");
        live.intake(&d, new(&id, "环境卫生"), None).expect("intake");
        step(&live, &id, json!({"to": "resolved", "actor": "a", "level": "grid"}));
    }
    live.intake(&d, new("OPEN", "环境卫生"), None).expect("intake");
    let (mut seen, mut beside) = (Vec::new(), None);
    live.each_all(true, |i| {
        seen.push(i.id.clone());
        if i.status.is_closed() && beside.is_none() {
            let (tx, rx) = std::sync::mpsc::channel();
            let (l, d) = (live.clone(), d.clone());
            std::thread::spawn(move || tx.send(l.intake(&d, new("BESIDE", "环境卫生"), None).map(|_| ())));
            beside = Some(rx.recv_timeout(std::time::Duration::from_secs(20)));
        }
    })
    .expect("read");
    assert!(matches!(beside, Some(Ok(Ok(())))), "the intake beside the read: {beside:?}");
    seen.sort();
    assert_eq!(seen, ["OPEN", "R0", "R1", "R2"]);
    assert!(live.get("BESIDE").expect("read").is_some());
    assert_eq!(live.len(), 5);
}

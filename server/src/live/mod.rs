//! Live incidents: intake over HTTP (idempotent, durable before the answer),
//! the 下呼上应 lifecycle with every transition kept, sensors, and the events
//! they publish.
//!
//! One mutex orders intake and transitions, so two transitions on one
//! incident cannot both win. What is acknowledged is kept through a
//! [`LivePersistence`] (the DuckDB store, or memory) before the answer.
//! Every write names the actor (`wangge_engine::people::Actor`) taking it and is checked against the
//! engine's rules (`lifecycle::authorize`, `authorize_report`): a step or a
//! report outside one's role or jurisdiction is [`LiveError::Forbidden`].
//! Files: [`intake`] (one incident, group commit), [`bulk`] (many, all or
//! nothing), [`transitions`] (lifecycle steps), [`urge`] (督办 of overdue
//! cases), [`sensors`] (sensors and readings), [`kpi`] (screen figures and
//! evaluation), [`persist`] (the persistence trait), [`closed`] (closed cases
//! leave memory: kept in the store, summed for the figures).

pub mod bulk;
pub mod closed;
#[cfg(test)]
pub(crate) mod closed_tests;
pub mod intake;
pub mod kpi;
pub mod persist;
mod seen;
pub mod sensors;
#[cfg(test)]
pub(crate) mod tests;
pub mod transitions;
pub mod urge;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::Deserialize;
use serde_json::{Value, json};
use wangge_engine::incidents::lifecycle::{self, Deadlines, Flow, ResponseLevel, Status, Step, Transition, Urge};
use wangge_engine::incidents::taxonomy::Taxonomy;

pub use persist::{LivePersistence, Lookup, MemoryPersistence, Occurred, PersistError, occurred_from_to, occurred_in};
pub use sensors::{Reading, Sensor};

/// The built-in taxonomy (`data/taxonomy.json`).
pub const DEFAULT_TAXONOMY: &str = include_str!("../../../data/taxonomy.json");

/// An incident reported over HTTP.
#[derive(Debug, Clone)]
pub struct LiveIncident {
    pub id: String,
    pub key: Option<String>,
    pub lon: f64,
    pub lat: f64,
    pub occurred_at: i64,
    pub received_at: i64,
    pub category: String,
    pub item: Option<String>,
    pub status: Status,
    /// Ids of the units holding it, from the top level down.
    pub units: Vec<String>,
    pub reporter: Option<String>,
    pub note: Option<String>,
    pub transitions: Vec<Transition>,
    /// 督办 raised on it, oldest first.
    pub urges: Vec<Urge>,
}

impl LiveIncident {
    /// How many records (steps and urges) it has kept: the `seq` of the next one.
    pub fn records(&self) -> usize {
        self.transitions.len() + self.urges.len()
    }
}

/// A new incident as posted.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewIncident {
    pub id: Option<String>,
    pub lon: f64,
    pub lat: f64,
    pub category: String,
    pub item: Option<String>,
    /// ISO 8601; the time of receipt when absent.
    pub occurred_at: Option<String>,
    pub reporter: Option<String>,
    pub note: Option<String>,
}

/// A step as posted: the lifecycle step and, optionally, the status the client saw.
#[derive(Debug, Clone, Deserialize)]
pub struct StepBody {
    #[serde(default)]
    pub from: Option<Status>,
    #[serde(flatten)]
    pub step: Step,
}

/// Why a live operation failed (the API maps these to 400, 404, 409, 500).
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// The request is not valid; the message names the field and the value.
    #[error("{0}")]
    Bad(String),
    /// No incident or sensor with that id.
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with the current state (a taken id, a step from a status the incident left).
    #[error("{0}")]
    Conflict(String),
    /// The caller's role or jurisdiction does not allow it; the message names the role, the step and why.
    #[error("{0}")]
    Forbidden(String),
    /// The change was not kept, so it did not happen; `what` names it.
    #[error("{what} was not stored: {source}")]
    Store {
        what: &'static str,
        #[source]
        source: PersistError,
    },
    /// What was kept cannot be read back.
    #[error("{0}")]
    Load(#[source] PersistError),
}

impl LiveError {
    /// A request with idempotency key `k` (a single report's, or an import's row key) is still being written.
    fn in_flight(k: &str) -> LiveError {
        LiveError::Conflict(format!("a request with Idempotency-Key {k} is being processed; retry it"))
    }
}

#[derive(Debug, Default)]
struct Inner {
    /// The open cases (a closed one leaves: [`closed`]).
    list: Vec<LiveIncident>,
    /// The closed cases summed.
    closed: closed::Closed,
    /// The ids and idempotency keys of the closed cases, as a filter: only a "perhaps" asks the store.
    closed_ids: seen::Seen,
    closed_keys: seen::Seen,
    by_id: HashMap<String, usize>,
    by_key: HashMap<String, usize>,
    sensors: std::collections::BTreeMap<String, Sensor>,
    /// Ids and keys of incidents being written (not yet acknowledged).
    inflight_ids: std::collections::HashSet<String>,
    inflight_keys: std::collections::HashSet<String>,
}

/// Live incidents, their lifecycle and the event stream.
#[derive(Debug)]
pub struct Live {
    /// Bumped by every change (intake, transition, sensor, reading): keys heatmap caches and the SQL views.
    pub version: std::sync::atomic::AtomicU64,
    inner: Mutex<Inner>,
    /// Where acknowledged changes are kept.
    persist: Arc<dyn LivePersistence>,
    group: Mutex<intake::Group>,
    written: std::sync::Condvar,
    pub events: crate::events::EventLog,
    pub taxonomy: Taxonomy,
    flow: Flow,
    pub deadlines: Deadlines,
    /// The last KPI figures: (version, 10-second bucket, figures).
    kpi_cache: Mutex<Option<(u64, i64, Value)>>,
    /// Reads of the closed cases take turns (each may hold a sort of the whole history in DuckDB's memory); intake
    /// does not wait for them ([`Live::each_in`]).
    reading: Mutex<()>,
    /// The second of the last look for overdue cases ([`Live::raise_urges`]).
    urged_at: std::sync::atomic::AtomicI64,
    /// The last KPI figures per jurisdiction ([`Live::kpi_for`]).
    scoped_kpi: Mutex<kpi::ScopedKpi>,
}

pub use crate::sync::lock;

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

impl Live {
    /// Empty, with a taxonomy, keeping what it acknowledges in memory only.
    pub fn new(taxonomy: Taxonomy) -> Live {
        Live::empty(Arc::new(MemoryPersistence::default()), taxonomy)
    }

    /// Empty, keeping what it acknowledges in `persist` (which is not read).
    pub fn empty(persist: Arc<dyn LivePersistence>, taxonomy: Taxonomy) -> Live {
        let events = crate::events::EventLog::default();
        Live {
            version: std::sync::atomic::AtomicU64::new(0),
            inner: Mutex::new(Inner::default()),
            persist,
            group: Mutex::new(intake::Group::default()),
            written: std::sync::Condvar::new(),
            events,
            flow: taxonomy.flow(),
            deadlines: taxonomy.deadlines(),
            kpi_cache: Mutex::new(None),
            reading: Mutex::new(()),
            urged_at: std::sync::atomic::AtomicI64::new(i64::MIN),
            scoped_kpi: Mutex::new(kpi::ScopedKpi::new()),
            taxonomy,
        }
    }

    /// Everything `persist` keeps (incidents with their steps, sensors with
    /// their last reading), kept there from now on.
    pub fn load(persist: Arc<dyn LivePersistence>, taxonomy: Taxonomy) -> Result<Live, LiveError> {
        let mut snap = persist.load().map_err(LiveError::Load)?;
        let live = Live::empty(persist, taxonomy);
        let mut inner = live.lock();
        let (sensors, readings) = (std::mem::take(&mut snap.sensors), std::mem::take(&mut snap.readings));
        for inc in snap.whole() {
            inner.insert(inc);
        }
        for s in sensors {
            inner.sensors.insert(s.id.clone(), s);
        }
        for r in readings {
            if let Some(s) = inner.sensors.get_mut(&r.sensor_id) {
                s.last = Some((r.at, r.value));
                if r.incident.is_some() {
                    s.incident = r.incident;
                }
            }
        }
        drop(inner);
        Ok(live)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        lock(&self.inner)
    }

    /// How many live incidents there are, open and closed.
    pub fn len(&self) -> usize {
        usize::try_from(self.count_where(|_, _| true)).unwrap_or(usize::MAX)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every open live incident (a copy; the closed ones are in the store: [`Live::all_where`]).
    pub fn open(&self) -> Vec<LiveIncident> {
        self.lock().list.clone()
    }

    /// Visit every open live incident under the lock (no copy; keep `f` short;
    /// the closed ones too: [`Live::each_all`]).
    pub fn each_open(&self, mut f: impl FnMut(&LiveIncident)) {
        for i in &self.lock().list {
            f(i);
        }
    }

    /// One incident as JSON (a closed one from the store).
    pub fn get(&self, id: &str) -> Result<Option<Value>, LiveError> {
        Ok(self.find(id)?.map(|i| self.json(&i)))
    }

    /// The incident as JSON, with its deadline, overdue flag, urges, rework and escalations.
    pub fn json(&self, i: &LiveIncident) -> Value {
        let t = now();
        // the current dispatch: the last transition to dispatched
        let dispatch = lifecycle::last_dispatch(&i.transitions);
        let due = dispatch.and_then(|d| lifecycle::dispatch_due(&i.category, d, &self.deadlines));
        let overdue = lifecycle::past_due(i.status, &i.category, &i.transitions, &self.deadlines, t).is_some();
        let deadline_h =
            dispatch.and_then(|t| t.step.level).and_then(|l| self.deadlines.0.get(&i.category).and_then(|m| m.get(&l)).copied());
        let (rework, escalations) = lifecycle::rework_and_escalations(&i.transitions);
        json!({
            "id": i.id, "lon": i.lon, "lat": i.lat,
            "occurred_at": wangge_engine::time::format_time(i.occurred_at), "received_at": wangge_engine::time::format_time(i.received_at),
            "category": i.category, "item": i.item, "status": i.status.as_str(), "units": i.units,
            "reporter": i.reporter, "note": i.note,
            "allowed_next": i.status.next().iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            "transitions": i.transitions, "deadline_h": deadline_h, "overdue": overdue,
            "deadline": due.map(wangge_engine::time::format_time),
            "urges": i.urges, "rework": rework, "escalations": escalations,
            "resolved_level": lifecycle::resolved_level(&i.transitions).map(ResponseLevel::as_str),
        })
    }
}

impl Inner {
    /// A new case: an open one joins the list, a closed one its sums.
    fn insert(&mut self, inc: LiveIncident) {
        if inc.status.is_closed() {
            self.keep_closed(&inc);
            return;
        }
        let i = self.list.len();
        self.by_id.insert(inc.id.clone(), i);
        if let Some(k) = &inc.key {
            self.by_key.insert(k.clone(), i);
        }
        self.list.push(inc);
    }

    /// An open case by id.
    fn list_get(&self, id: &str) -> Option<&LiveIncident> {
        self.by_id.get(id).map(|&i| &self.list[i])
    }
}

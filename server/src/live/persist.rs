//! Where the live lifecycle keeps what it acknowledges: the
//! [`LivePersistence`] trait, implemented by the DuckDB store
//! (`crate::store::incidents`) and by [`MemoryPersistence`] (unit tests, and a
//! server started without a store file).
//!
//! Every write either lands whole or fails whole; the lifecycle answers only
//! after the write returned, so an acknowledged change survives a restart.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use wangge_engine::incidents::lifecycle::{Transition, Urge};

use super::{LiveIncident, Sensor, lock};

/// A lifecycle step as kept: the `seq`-th step of an incident.
#[derive(Debug, Clone)]
pub struct StoredTransition {
    pub incident_id: String,
    pub seq: usize,
    pub transition: Transition,
}

/// An urge (督办) as kept: the `seq`-th record of an incident (steps and urges share the numbering).
#[derive(Debug, Clone)]
pub struct StoredUrge {
    pub incident_id: String,
    pub seq: usize,
    pub urge: Urge,
}

/// A sensor reading as kept, with the breach it showed and the incident it opened.
#[derive(Debug, Clone, PartialEq)]
pub struct SensorReading {
    pub sensor_id: String,
    /// Seconds since 1970.
    pub at: i64,
    pub value: f64,
    pub breach: Option<String>,
    pub incident: Option<String>,
}

/// Everything kept, for a restart.
#[derive(Debug, Clone, Default)]
pub struct LiveSnapshot {
    /// In order of receipt (then id), each with its current status and no transitions.
    pub incidents: Vec<LiveIncident>,
    /// By incident, then in the order taken.
    pub transitions: Vec<StoredTransition>,
    /// By incident, then in the order raised.
    pub urges: Vec<StoredUrge>,
    /// By id, without their last reading.
    pub sensors: Vec<Sensor>,
    /// In the order taken.
    pub readings: Vec<SensorReading>,
}

/// Why a write or a load failed (cloned to every request of a group commit).
#[derive(Debug, Clone, thiserror::Error)]
pub enum PersistError {
    /// The backend failed (for the store: a [`crate::store::StoreError`]).
    #[error(transparent)]
    Backend(Arc<dyn std::error::Error + Send + Sync>),
    /// The backend refused the write (a duplicate key, or a failure asked for by a test).
    #[error("{0}")]
    Refused(String),
}

/// When cases occurred (`occurred_at`, Unix seconds), both ends included: `None` for
/// every time. A reader's window narrowed to what the store reads, so a request for
/// the last hours does not read the whole history of closed cases.
pub type Occurred = Option<(i64, i64)>;

/// The [`Occurred`] that holds the window from `from` up to `to` (excluded), open at an end that is `None`.
pub fn occurred_from_to(from: Option<i64>, to: Option<i64>) -> Occurred {
    match (from, to) {
        (None, None) => None,
        (from, to) => Some((from.unwrap_or(i64::MIN), to.unwrap_or(i64::MAX))),
    }
}

/// Whether a case that occurred at `t` lies in `occurred`.
pub fn occurred_in(occurred: Occurred, t: i64) -> bool {
    occurred.is_none_or(|(lo, hi)| lo <= t && t <= hi)
}

/// What the live lifecycle needs from a store.
pub trait LivePersistence: Send + Sync + std::fmt::Debug {
    /// Everything kept.
    fn load(&self) -> Result<LiveSnapshot, PersistError>;
    /// Keep new incidents, all or none (ids and idempotency keys are unique).
    fn insert_incidents(&self, batch: &[LiveIncident]) -> Result<(), PersistError>;
    /// Keep an incident's `seq`-th step and its new status (`t.step.to`), both or neither.
    fn append_transition(&self, incident_id: &str, seq: usize, t: &Transition) -> Result<(), PersistError>;
    /// Keep urges (督办), all or none; each is its incident's `seq`-th record and changes no status.
    fn append_urges(&self, urges: &[StoredUrge]) -> Result<(), PersistError>;
    /// Keep a new sensor (ids are unique).
    fn insert_sensor(&self, s: &Sensor) -> Result<(), PersistError>;
    /// Keep a reading.
    fn insert_reading(&self, r: &SensorReading) -> Result<(), PersistError>;
    /// Visit every closed incident (refused, resolved, evaluated) that occurred
    /// in `occurred` (all when `None`) in order of receipt, with its steps and
    /// urges when `steps` (else without), one at a time.
    fn closed(&self, steps: bool, occurred: Occurred, visit: &mut dyn FnMut(LiveIncident)) -> Result<(), PersistError>;
    /// One incident with its steps and urges.
    fn find(&self, by: Lookup<'_>) -> Result<Option<LiveIncident>, PersistError>;
    /// Which of `ids` are kept.
    fn kept_ids(&self, ids: &[&str]) -> Result<Vec<String>, PersistError>;
}

/// How [`LivePersistence::find`] looks an incident up.
#[derive(Debug, Clone, Copy)]
pub enum Lookup<'a> {
    Id(&'a str),
    /// Its idempotency key.
    Key(&'a str),
}

impl LiveSnapshot {
    /// The incidents with their steps and urges attached.
    pub fn whole(self) -> Vec<LiveIncident> {
        let mut list = self.incidents;
        let at: std::collections::HashMap<String, usize> = list.iter().enumerate().map(|(n, i)| (i.id.clone(), n)).collect();
        for t in self.transitions {
            if let Some(&n) = at.get(&t.incident_id) {
                list[n].transitions.push(t.transition);
            }
        }
        for u in self.urges {
            if let Some(&n) = at.get(&u.incident_id) {
                list[n].urges.push(u.urge);
            }
        }
        list
    }
}

impl LiveSnapshot {
    /// Whether an incident's `seq`-th record (a step or an urge) is kept.
    fn taken(&self, incident_id: &str, seq: usize) -> bool {
        self.transitions.iter().any(|x| x.incident_id == incident_id && x.seq == seq)
            || self.urges.iter().any(|x| x.incident_id == incident_id && x.seq == seq)
    }
}

/// Keeps everything in memory, with the same uniqueness rules as the store's
/// tables; [`MemoryPersistence::fail_writes`] makes every write fail (tests).
#[derive(Debug, Default)]
pub struct MemoryPersistence {
    data: Mutex<LiveSnapshot>,
    failing: AtomicBool,
}

impl MemoryPersistence {
    /// From now on every write fails (`true`) or works again (`false`).
    pub fn fail_writes(&self, fail: bool) {
        self.failing.store(fail, Ordering::SeqCst);
    }

    fn check(&self) -> Result<(), PersistError> {
        if self.failing.load(Ordering::SeqCst) { Err(PersistError::Refused("writes are failing (as asked)".into())) } else { Ok(()) }
    }
}

impl LivePersistence for MemoryPersistence {
    fn load(&self) -> Result<LiveSnapshot, PersistError> {
        let mut s = lock(&self.data).clone();
        s.incidents.sort_by(|a, b| (a.received_at, &a.id).cmp(&(b.received_at, &b.id)));
        s.transitions.sort_by(|a, b| (&a.incident_id, a.seq).cmp(&(&b.incident_id, b.seq)));
        s.urges.sort_by(|a, b| (&a.incident_id, a.seq).cmp(&(&b.incident_id, b.seq)));
        s.sensors.sort_by(|a, b| a.id.cmp(&b.id));
        s.readings.sort_by_key(|r| r.at);
        Ok(s)
    }

    fn insert_incidents(&self, batch: &[LiveIncident]) -> Result<(), PersistError> {
        self.check()?;
        let mut d = lock(&self.data);
        let mut ids: std::collections::HashSet<&str> = d.incidents.iter().map(|i| i.id.as_str()).collect();
        let mut keys: std::collections::HashSet<&str> = d.incidents.iter().filter_map(|i| i.key.as_deref()).collect();
        for i in batch {
            if !ids.insert(&i.id) {
                return Err(PersistError::Refused(format!("duplicate incident id {}", i.id)));
            }
            if let Some(k) = &i.key
                && !keys.insert(k)
            {
                return Err(PersistError::Refused(format!("duplicate idempotency key {k}")));
            }
        }
        d.incidents.extend(batch.iter().map(|i| LiveIncident { transitions: Vec::new(), urges: Vec::new(), ..i.clone() }));
        Ok(())
    }

    fn append_transition(&self, incident_id: &str, seq: usize, t: &Transition) -> Result<(), PersistError> {
        self.check()?;
        let mut d = lock(&self.data);
        if d.taken(incident_id, seq) {
            return Err(PersistError::Refused(format!("step {seq} of incident {incident_id} is kept already")));
        }
        d.transitions.push(StoredTransition { incident_id: incident_id.to_owned(), seq, transition: t.clone() });
        if let Some(i) = d.incidents.iter_mut().find(|i| i.id == incident_id) {
            i.status = t.step.to;
        }
        Ok(())
    }

    fn append_urges(&self, urges: &[StoredUrge]) -> Result<(), PersistError> {
        self.check()?;
        let mut d = lock(&self.data);
        for (n, u) in urges.iter().enumerate() {
            if d.taken(&u.incident_id, u.seq) || urges[..n].iter().any(|x| x.incident_id == u.incident_id && x.seq == u.seq) {
                return Err(PersistError::Refused(format!("record {} of incident {} is kept already", u.seq, u.incident_id)));
            }
        }
        d.urges.extend(urges.iter().cloned());
        Ok(())
    }

    fn insert_sensor(&self, s: &Sensor) -> Result<(), PersistError> {
        self.check()?;
        let mut d = lock(&self.data);
        if d.sensors.iter().any(|x| x.id == s.id) {
            return Err(PersistError::Refused(format!("duplicate sensor id {}", s.id)));
        }
        d.sensors.push(Sensor { last: None, incident: None, ..s.clone() });
        Ok(())
    }

    fn insert_reading(&self, r: &SensorReading) -> Result<(), PersistError> {
        self.check()?;
        lock(&self.data).readings.push(r.clone());
        Ok(())
    }

    fn closed(&self, steps: bool, occurred: Occurred, visit: &mut dyn FnMut(LiveIncident)) -> Result<(), PersistError> {
        for mut i in self.load()?.whole().into_iter().filter(|i| i.status.is_closed() && occurred_in(occurred, i.occurred_at)) {
            if !steps {
                i.transitions.clear();
                i.urges.clear();
            }
            visit(i);
        }
        Ok(())
    }

    fn find(&self, by: Lookup<'_>) -> Result<Option<LiveIncident>, PersistError> {
        let d = lock(&self.data);
        let Some(i) = d.incidents.iter().find(|i| match by {
            Lookup::Id(id) => i.id == id,
            Lookup::Key(k) => i.key.as_deref() == Some(k),
        }) else {
            return Ok(None);
        };
        let mut i = i.clone();
        let mut steps: Vec<&StoredTransition> = d.transitions.iter().filter(|t| t.incident_id == i.id).collect();
        steps.sort_by_key(|t| t.seq);
        i.transitions = steps.into_iter().map(|t| t.transition.clone()).collect();
        let mut urges: Vec<&StoredUrge> = d.urges.iter().filter(|u| u.incident_id == i.id).collect();
        urges.sort_by_key(|u| u.seq);
        i.urges = urges.into_iter().map(|u| u.urge.clone()).collect();
        Ok(Some(i))
    }

    fn kept_ids(&self, ids: &[&str]) -> Result<Vec<String>, PersistError> {
        let d = lock(&self.data);
        Ok(ids.iter().filter(|id| d.incidents.iter().any(|i| i.id == **id)).map(|id| (*id).to_owned()).collect())
    }
}

//! The event log behind the live stream: every event gets the next id and
//! stays in a bounded buffer, so a client that reconnects with the last id it
//! saw gets what it missed, or is told to resynchronise when that is gone.
//!
//! Who is sent which event ([`Event::visible`], the same for live events and
//! a replay after `Last-Event-ID`), by kind:
//! - `incident`, `transition`, `urge` (a case): only inside the subscriber's
//!   jurisdiction (the case's unit chain names their unit or one below it)
//!   and, for a `department` user, only when the case's current dispatch
//!   names their department (an `incident` event, not yet dispatched, goes
//!   to no department);
//! - `sensor`: only when the sensor's position is inside the jurisdiction;
//! - `bulk` (a count, no features) and `resync`: to everyone, as they are;
//! - `kpi` is not in the log: the stream computes each subscriber's own
//!   figures (per distinct jurisdiction, `Live::kpi_for`);
//! - any other kind: to the whole district's subscribers only, until it is
//!   given a rule here (nothing leaks by default).
//!
//! The whole district (`Jurisdiction::is_everything`, not a department) is
//! sent everything without looking at the event. Otherwise the event's data
//! is parsed once, on first look, and shared by every subscriber.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::broadcast;
use wangge_engine::dataset::Dataset;
use wangge_engine::units::jurisdiction::Jurisdiction;

/// How many past events a reconnecting client can be given.
pub const REPLAY_CAPACITY: usize = 4096;

/// One event of the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Increasing from 1, without gaps.
    pub id: u64,
    /// `incident`, `transition`, `bulk`, `sensor`, …
    pub kind: String,
    /// JSON text.
    pub data: String,
    /// Where it lies, read from `data` on first look.
    place: OnceLock<Place>,
}

/// Where an event lies, for choosing its subscribers.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Place {
    /// A case: the ids of its units and the departments of its current dispatch.
    Case { units: Vec<String>, departments: Vec<String> },
    /// A point (WGS84 lon, lat) as bits, so the place is `Eq`.
    Point(u64, u64),
    /// Carries no feature: everyone may have it.
    Nowhere,
    /// Not known (or not readable): the whole district's only.
    Unknown,
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect()).unwrap_or_default()
}

impl Place {
    fn read(kind: &str, data: &str) -> Place {
        match kind {
            "bulk" | "resync" => return Place::Nowhere,
            "incident" | "transition" | "urge" | "sensor" => {}
            _ => return Place::Unknown,
        }
        let Ok(v) = serde_json::from_str::<serde_json::Value>(data) else { return Place::Unknown };
        if kind == "sensor" {
            return match (v["lon"].as_f64(), v["lat"].as_f64()) {
                (Some(x), Some(y)) => Place::Point(x.to_bits(), y.to_bits()),
                _ => Place::Unknown,
            };
        }
        let units = strings(&v["units"]);
        // an urge names its dispatch's departments; a case carries its steps, the current dispatch is the last to dispatched
        let departments = match v["transitions"].as_array() {
            Some(steps) => steps.iter().rev().find(|t| t["to"] == "dispatched").map(|t| strings(&t["departments"])).unwrap_or_default(),
            None => strings(&v["departments"]),
        };
        Place::Case { units, departments }
    }
}

/// Who is looking at the stream: their jurisdiction and, for a `department` user, their department.
#[derive(Debug, Clone, Copy)]
pub struct Viewer<'a> {
    pub jurisdiction: &'a Jurisdiction,
    pub department: Option<&'a str>,
}

impl Viewer<'_> {
    /// The whole district, not limited to a department's cases: sees every event.
    pub fn sees_all(&self) -> bool {
        self.jurisdiction.is_everything() && self.department.is_none()
    }
}

impl Event {
    /// An event (its place is read on first look).
    pub fn new(id: u64, kind: &str, data: String) -> Event {
        Event { id, kind: kind.to_owned(), data, place: OnceLock::new() }
    }

    /// Whether `viewer` is sent this event (see the module doc for each kind).
    pub fn visible(&self, d: &Dataset, viewer: Viewer<'_>) -> bool {
        if viewer.sees_all() {
            return true;
        }
        let j = viewer.jurisdiction;
        match self.place.get_or_init(|| Place::read(&self.kind, &self.data)) {
            Place::Nowhere => true,
            Place::Unknown => false,
            Place::Point(x, y) => j.point(d, geo::Point::new(f64::from_bits(*x), f64::from_bits(*y))),
            Place::Case { units, departments } => {
                j.chain(d, units) && viewer.department.is_none_or(|dep| departments.iter().any(|x| x == dep))
            }
        }
    }
}

/// What a client reconnecting after `last_id` is owed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replay {
    /// Every event after `last_id`, oldest first (possibly none).
    Events(Vec<Arc<Event>>),
    /// Events after `last_id` have left the buffer (or the id is from the future):
    /// the client must reload its state.
    Resync,
}

#[derive(Debug, Default)]
struct Log {
    next_id: u64,
    buffer: VecDeque<Arc<Event>>,
}

/// Publishes events with ids, keeps the last [`REPLAY_CAPACITY`] of them.
#[derive(Debug)]
pub struct EventLog {
    log: Mutex<Log>,
    tx: broadcast::Sender<Arc<Event>>,
    capacity: usize,
    /// Differs between runs of the server, so ids of an earlier run are not taken for this run's.
    epoch: u64,
}

impl Default for EventLog {
    fn default() -> Self {
        Self::with_capacity(REPLAY_CAPACITY)
    }
}

impl EventLog {
    /// A log that keeps `capacity` events for replay (at least one).
    pub fn with_capacity(capacity: usize) -> EventLog {
        let (tx, _) = broadcast::channel(capacity.max(1));
        let epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
        EventLog { log: Mutex::new(Log { next_id: 1, buffer: VecDeque::new() }), tx, capacity: capacity.max(1), epoch }
    }

    /// This run's epoch (milliseconds since 1970 at start); a stream's event id is `EPOCH-ID`.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Give the event the next id, keep it and send it to every subscriber.
    pub fn publish(&self, kind: &str, data: String) -> u64 {
        let mut log = crate::sync::lock(&self.log);
        let e = Arc::new(Event::new(log.next_id, kind, data));
        log.next_id += 1;
        if log.buffer.len() == self.capacity {
            log.buffer.pop_front();
        }
        log.buffer.push_back(e.clone());
        // sent under the lock, so subscribers see ids in order
        let _ = self.tx.send(e.clone());
        e.id
    }

    /// New events from now on. Take it before [`EventLog::since`] so nothing falls between the two.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.tx.subscribe()
    }

    /// The id of the last event published (0 when none).
    pub fn last_id(&self) -> u64 {
        crate::sync::lock(&self.log).next_id - 1
    }

    /// The events after `last_id` still in the buffer, or [`Replay::Resync`] when some are gone.
    pub fn since(&self, last_id: u64) -> Replay {
        let log = crate::sync::lock(&self.log);
        if last_id >= log.next_id {
            return Replay::Resync;
        }
        let oldest = log.buffer.front().map_or(log.next_id, |e| e.id);
        if last_id + 1 < oldest {
            return Replay::Resync;
        }
        Replay::Events(log.buffer.iter().filter(|e| e.id > last_id).cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::{EventLog, Replay};

    fn ids(r: Replay) -> Vec<u64> {
        match r {
            Replay::Events(v) => v.iter().map(|e| e.id).collect(),
            Replay::Resync => panic!("resync"),
        }
    }

    #[test]
    fn ids_increase_and_replay_what_was_missed() {
        let log = EventLog::with_capacity(3);
        assert_eq!(log.last_id(), 0);
        assert_eq!(ids(log.since(0)), Vec::<u64>::new());
        let mut rx = log.subscribe();
        for k in 0..3 {
            assert_eq!(log.publish("incident", format!("{{\"n\":{k}}}")), k + 1);
        }
        assert_eq!(rx.try_recv().map(|e| e.id).ok(), Some(1));
        assert_eq!(ids(log.since(1)), vec![2, 3]);
        assert_eq!(ids(log.since(3)), Vec::<u64>::new());
        log.publish("bulk", "{}".into());
        // event 1 has left the buffer of 3: a client that saw nothing must resync, one that saw 1 need not
        assert_eq!(log.since(0), Replay::Resync);
        assert_eq!(ids(log.since(1)), vec![2, 3, 4]);
        // an id from the future (a restarted server) means resync
        assert_eq!(log.since(99), Replay::Resync);
    }
}

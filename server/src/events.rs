//! The event log behind the live stream: every event gets the next id and
//! stays in a bounded buffer, so a client that reconnects with the last id it
//! saw gets what it missed, or is told to resynchronise when that is gone.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;

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
        let e = Arc::new(Event { id: log.next_id, kind: kind.to_owned(), data });
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

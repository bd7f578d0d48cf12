//! The server-sent event stream: live events with ids `EPOCH-ID`, resumed after
//! `Last-Event-ID` from the event log's buffer, `resync` when that is not possible.
//!
//! Each subscriber is sent only what lies inside their jurisdiction: the
//! rule for each event kind is [`crate::events`]'s ([`Event::visible`]),
//! applied to live events and to a replay alike (ids skipped for a
//! subscriber leave no gap they must fill: the next id they see is simply
//! larger); `kpi` carries the subscriber's own figures ([`Live::kpi_for`],
//! shared by the subscribers of one jurisdiction).
//!
//! [`Event::visible`]: crate::events::Event::visible
//! [`Live::kpi_for`]: crate::live::Live::kpi_for

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use super::AppState;
use super::access::{Action, Routes, Scope};
use crate::events::{EventLog, Replay, Viewer};

pub(crate) fn routes() -> Routes {
    Routes::new().get("/api/stream", Action::Read, stream)
}

/// A `Last-Event-ID` of this server: `EPOCH-ID`.
fn parse_last_id(v: &str) -> Option<(u64, u64)> {
    let (e, i) = v.trim().split_once('-')?;
    Some((e.parse().ok()?, i.parse().ok()?))
}

impl Scope {
    /// The caller as the event stream and the case filters see them.
    pub(crate) fn viewer(&self) -> Viewer<'_> {
        Viewer { jurisdiction: &self.jurisdiction, department: self.department() }
    }
}

fn event(log: &EventLog, e: &crate::events::Event) -> Event {
    Event::default().id(format!("{}-{}", log.epoch(), e.id)).event(e.kind.as_str()).data(e.data.as_str())
}

/// The `resync` event: the client reloads its state; its id covers every event published so far,
/// which the stream will not send (the reloaded state holds them).
fn resync(log: &EventLog, reason: &str) -> (Event, u64) {
    let upto = log.last_id();
    let data = json!({"reason": reason, "last_id": upto}).to_string();
    (Event::default().id(format!("{}-{upto}", log.epoch())).event("resync").data(data), upto)
}

/// The stream's state between two events.
struct Conn {
    s: Arc<AppState>,
    rx: tokio::sync::broadcast::Receiver<Arc<crate::events::Event>>,
    stop: tokio::sync::watch::Receiver<bool>,
    tick: tokio::time::Interval,
    /// Events to send before the next live one (the replay, a resync).
    pending: VecDeque<Event>,
    /// Live events up to this id were sent (or covered by a resync): skip them.
    seen: u64,
    /// The last KPI figures sent.
    last_kpi: String,
    /// Who is listening.
    scope: Scope,
    /// The data their jurisdiction was built on (rebuilt when the data changes).
    data: Arc<wangge_engine::dataset::Dataset>,
}

impl Conn {
    /// Whether this subscriber is sent `e` (the jurisdiction of the data of the moment).
    fn visible(&mut self, e: &crate::events::Event) -> bool {
        if self.scope.viewer().sees_all() {
            return true;
        }
        self.refresh();
        e.visible(&self.data, self.scope.viewer())
    }

    /// The jurisdiction in the data of the moment (a new data version can move units).
    fn refresh(&mut self) {
        let d = self.s.dataset();
        if !Arc::ptr_eq(&d, &self.data) {
            self.scope.jurisdiction = self.s.jurisdiction(self.scope.actor.unit.as_deref());
            self.data = d;
        }
    }
}

/// Server-sent events: `incident`, `transition`, `bulk` and `sensor` as they happen (id `EPOCH-ID`),
/// those inside the caller's jurisdiction only; `kpi` (the caller's own figures) on connect and
/// whenever they change (checked every 500 ms); `resync` when the events a client missed are gone.
/// Ends when the server shuts down.
pub(crate) async fn stream(
    State(s): State<Arc<AppState>>,
    scope: Scope,
    headers: HeaderMap,
) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    let log = &s.live.events;
    // subscribe first, then replay: nothing falls between the two, duplicates are skipped by id
    let rx = log.subscribe();
    let mut pending = VecDeque::new();
    let mut seen = 0;
    if let Some(v) = headers.get("last-event-id") {
        match v.to_str().ok().and_then(parse_last_id) {
            Some((epoch, id)) if epoch == log.epoch() => match log.since(id) {
                Replay::Events(events) => {
                    seen = events.last().map_or(id, |e| e.id);
                    let d = s.dataset();
                    pending.extend(events.iter().filter(|e| e.visible(&d, scope.viewer())).map(|e| event(log, e)));
                }
                Replay::Resync => {
                    let (ev, upto) = resync(log, "the events since your last one are no longer kept");
                    pending.push_back(ev);
                    seen = upto;
                }
            },
            Some(_) => {
                let (ev, upto) = resync(log, "the server restarted");
                pending.push_back(ev);
                seen = upto;
            }
            None => {
                let (ev, upto) = resync(log, "Last-Event-ID is not one of this server's");
                pending.push_back(ev);
                seen = upto;
            }
        }
    }
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(500));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let stop = s.shutdown.subscribe();
    let data = s.dataset();
    let conn = Conn { s, rx, stop, tick, pending, seen, last_kpi: String::new(), scope, data };
    let events = futures_util::stream::unfold(conn, |mut c| async move {
        let ev = next(&mut c).await?;
        Some((Ok(ev), c))
    });
    Sse::new(events).keep_alive(KeepAlive::default())
}

/// The next event to send, or None when the server shuts down.
async fn next(c: &mut Conn) -> Option<Event> {
    loop {
        if *c.stop.borrow() {
            return None;
        }
        if let Some(ev) = c.pending.pop_front() {
            return Some(ev);
        }
        tokio::select! {
            changed = c.stop.changed() => if changed.is_err() { return None },
            m = c.rx.recv() => match m {
                Ok(e) if e.id <= c.seen => continue,
                Ok(e) => {
                    c.seen = e.id;
                    if c.visible(&e) {
                        return Some(event(&c.s.live.events, &e));
                    }
                }
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "event stream client fell behind; sending resync");
                    let (ev, upto) = resync(&c.s.live.events, "you fell behind");
                    c.seen = upto;
                    return Some(ev);
                }
                Err(RecvError::Closed) => return None,
            },
            _ = c.tick.tick() => {
                let mut k = if c.scope.viewer().sees_all() {
                    c.s.live.kpi()
                } else {
                    c.refresh();
                    c.s.live.kpi_for(&c.data, c.scope.viewer())
                };
                // "at" changes every call; compare the figures only
                let at = k.as_object_mut().and_then(|o| o.remove("at"));
                let figures = k.to_string();
                if figures != c.last_kpi {
                    c.last_kpi = figures;
                    if let (Some(o), Some(at)) = (k.as_object_mut(), at) {
                        o.insert("at".into(), at);
                    }
                    return Some(Event::default().event("kpi").data(k.to_string()));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn last_event_id_is_epoch_dash_id() {
        assert_eq!(super::parse_last_id("1764600000000-42"), Some((1_764_600_000_000, 42)));
        assert_eq!(super::parse_last_id(" 7-0 "), Some((7, 0)));
        assert_eq!(super::parse_last_id("42"), None);
        assert_eq!(super::parse_last_id("a-1"), None);
    }
}

//! The server-sent event stream: live events with ids `EPOCH-ID`, resumed after
//! `Last-Event-ID` from the event log's buffer, `resync` when that is not possible.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use super::AppState;
use super::access::{Action, Routes};
use crate::events::{EventLog, Replay};

pub(crate) fn routes() -> Routes {
    Routes::new().get("/api/stream", Action::Read, stream)
}

/// A `Last-Event-ID` of this server: `EPOCH-ID`.
fn parse_last_id(v: &str) -> Option<(u64, u64)> {
    let (e, i) = v.trim().split_once('-')?;
    Some((e.parse().ok()?, i.parse().ok()?))
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
}

/// Server-sent events: `incident`, `transition`, `bulk` and `sensor` as they happen (id `EPOCH-ID`);
/// `kpi` on connect and whenever the figures change (checked every 500 ms); `resync` when the
/// events a client missed are gone. Ends when the server shuts down.
pub(crate) async fn stream(
    State(s): State<Arc<AppState>>,
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
                    pending.extend(events.iter().map(|e| event(log, e)));
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
    let conn = Conn { s, rx, stop, tick, pending, seen, last_kpi: String::new() };
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
                    return Some(event(&c.s.live.events, &e));
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
                let mut k = c.s.live.kpi();
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

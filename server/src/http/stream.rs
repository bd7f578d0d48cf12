//! The server-sent event stream: every event with an id (`EPOCH-N`); a client
//! reconnecting with `Last-Event-ID` first gets what it missed from the event
//! log's buffer, or a `resync` event when that is gone (or it fell behind
//! while connected), telling it to reload its state.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use futures_util::Stream;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use super::AppState;
use crate::events::Replay;

pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new().route("/api/stream", get(stream))
}

/// What a reconnecting client is owed before the live events.
fn backlog(s: &AppState, last_event_id: Option<&str>) -> (VecDeque<Event>, u64) {
    let log = &s.live.events;
    let Some(last) = last_event_id else { return (VecDeque::new(), 0) };
    let ours = last.split_once('-').and_then(|(epoch, id)| Some((epoch.parse::<u64>().ok()?, id.parse::<u64>().ok()?)));
    let reason = match ours {
        Some((epoch, id)) if epoch == log.epoch() => match log.since(id) {
            Replay::Events(v) => {
                let sent = v.last().map_or(id, |e| e.id);
                return (v.iter().map(|e| frame(log.epoch(), e)).collect(), sent);
            }
            Replay::Resync => "the events after Last-Event-ID are no longer kept",
        },
        Some(_) => "Last-Event-ID is from an earlier run of the server",
        None => "Last-Event-ID is not an id of this stream",
    };
    (VecDeque::from([resync(reason)]), 0)
}

fn frame(epoch: u64, e: &crate::events::Event) -> Event {
    Event::default().id(format!("{epoch}-{}", e.id)).event(e.kind.as_str()).data(e.data.as_str())
}

fn resync(reason: &str) -> Event {
    Event::default().event("resync").data(json!({"reason": reason}).to_string())
}

/// Server-sent events: `incident`, `transition`, `bulk` and `sensor` as they
/// happen (with ids); `kpi` on connect and whenever the figures change
/// (checked every 500 ms); `resync` when events were lost. Ends when the
/// server shuts down.
pub(crate) async fn stream(State(s): State<Arc<AppState>>, headers: HeaderMap) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    // subscribe before reading the backlog, so nothing falls between the two; duplicates are skipped by id
    let rx = s.live.events.subscribe();
    let (queue, sent) = backlog(&s, headers.get("last-event-id").and_then(|v| v.to_str().ok()));
    let closing = s.live.closing();
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(500));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let state = Conn { rx, tick, s, last_kpi: String::new(), queue, sent, closing };
    let events = futures_util::stream::unfold(state, |mut c| async move {
        let ev = c.next().await?;
        Some((Ok(ev), c))
    });
    Sse::new(events).keep_alive(KeepAlive::default())
}

/// One open stream.
struct Conn {
    rx: tokio::sync::broadcast::Receiver<Arc<crate::events::Event>>,
    tick: tokio::time::Interval,
    s: Arc<AppState>,
    last_kpi: String,
    /// Replayed events (or a resync) still to send.
    queue: VecDeque<Event>,
    /// The id of the last event sent.
    sent: u64,
    closing: tokio::sync::watch::Receiver<bool>,
}

impl Conn {
    /// The next event to send; `None` ends the stream.
    async fn next(&mut self) -> Option<Event> {
        if *self.closing.borrow() {
            return None;
        }
        if let Some(e) = self.queue.pop_front() {
            return Some(e);
        }
        loop {
            tokio::select! {
                m = self.rx.recv() => match m {
                    Ok(e) if e.id <= self.sent => continue,
                    Ok(e) => {
                        self.sent = e.id;
                        return Some(frame(self.s.live.events.epoch(), &e));
                    }
                    Err(RecvError::Lagged(n)) => return Some(resync(&format!("{n} events were missed while this client fell behind"))),
                    Err(RecvError::Closed) => return None,
                },
                _ = self.closing.changed() => return None,
                _ = self.tick.tick() => {
                    let mut k = self.s.live.kpi();
                    // "at" changes every call; compare the figures only
                    let at = k.as_object_mut().and_then(|o| o.remove("at"));
                    let figures = k.to_string();
                    if figures != self.last_kpi {
                        self.last_kpi = figures;
                        if let (Some(o), Some(at)) = (k.as_object_mut(), at) {
                            o.insert("at".into(), at);
                        }
                        return Some(Event::default().event("kpi").data(k.to_string()));
                    }
                }
            }
        }
    }
}

//! The server-sent event stream.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::routing::get;

use super::AppState;

pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new().route("/api/stream", get(stream))
}

/// Server-sent events: `incident`, `transition` and `sensor` as they happen;
/// `kpi` on connect and whenever the figures change (checked every 500 ms).
pub(crate) async fn stream(
    State(s): State<Arc<AppState>>,
) -> axum::response::sse::Sse<impl futures_util::Stream<Item = Result<axum::response::sse::Event, std::convert::Infallible>>> {
    use axum::response::sse::{Event, KeepAlive, Sse};
    use tokio::sync::broadcast::error::RecvError;
    let rx = s.live.events.subscribe();
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(500));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let events = futures_util::stream::unfold((rx, tick, s, String::new()), |(mut rx, mut tick, s, mut last)| async move {
        loop {
            tokio::select! {
                m = rx.recv() => match m {
                    Ok(e) => {
                        let ev = Event::default().id(format!("{}-{}", s.live.events.epoch(), e.id)).event(e.kind.as_str()).data(e.data.as_str());
                        return Some((Ok(ev), (rx, tick, s, last)));
                    }
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => return None,
                },
                _ = tick.tick() => {
                    let mut k = s.live.kpi();
                    // "at" changes every call; compare the figures only
                    let at = k.as_object_mut().and_then(|o| o.remove("at"));
                    let figures = k.to_string();
                    if figures != last {
                        last = figures;
                        if let (Some(o), Some(at)) = (k.as_object_mut(), at) {
                            o.insert("at".into(), at);
                        }
                        return Some((Ok(Event::default().event("kpi").data(k.to_string())), (rx, tick, s, last)));
                    }
                }
            }
        }
    });
    Sse::new(events).keep_alive(KeepAlive::default())
}

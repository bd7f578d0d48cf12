//! Lifecycle steps: checked against the flow and the status the client saw
//! (two concurrent steps from one status: one wins, the other gets 409), kept
//! before the answer.

use serde_json::Value;
use wangge_engine::incidents::lifecycle::StepError;

use super::{Live, LiveError, StepBody, now};

impl Live {
    /// Take a lifecycle step; the transition is written before the answer.
    pub fn transition(&self, id: &str, body: StepBody) -> Result<Value, LiveError> {
        let mut inner = self.lock();
        let i = *inner.by_id.get(id).ok_or_else(|| LiveError::NotFound(format!("no live incident with id {id}")))?;
        let cur = inner.list[i].status;
        let allowed = || cur.next().iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
        if let Some(from) = body.from
            && from != cur
        {
            return Err(LiveError::Conflict(format!(
                "incident {id} is {} now, not {}; allowed next: {}",
                cur.as_str(),
                from.as_str(),
                allowed()
            )));
        }
        let t = self.flow.step(cur, body.step, now()).map_err(|e| match e {
            StepError::NotAllowed { .. } => LiveError::Conflict(e.to_string()),
            _ => LiveError::Bad(e.to_string()),
        })?;
        // kept before the answer, under the lock: a second step on this incident waits and then sees the new status
        self.persist
            .append_transition(id, inner.list[i].transitions.len(), &t)
            .map_err(|source| LiveError::Store { what: "the transition", source })?;
        let inc = &mut inner.list[i];
        inc.status = t.step.to;
        inc.transitions.push(t);
        let v = self.json(inc);
        self.version.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.events.publish("transition", v.to_string());
        Ok(v)
    }
}

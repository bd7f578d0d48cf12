//! Lifecycle steps: checked against who takes them (role, jurisdiction,
//! department), the flow and the status the client saw (two concurrent steps
//! from one status: one wins, the other gets 409), kept before the answer.

use serde_json::Value;
use wangge_engine::incidents::lifecycle::{self, Case, CaseView, StepError};
use wangge_engine::people::Actor;

use super::{Live, LiveError, Lookup, StepBody, now};

impl Live {
    /// Take a lifecycle step as the open local mode's admin ([`Actor::local`]).
    pub fn transition(&self, id: &str, body: StepBody) -> Result<Value, LiveError> {
        self.transition_by(id, body, &Actor::local())
    }

    /// Take a lifecycle step as `by`; the transition (with `by`'s name and
    /// role) is written before the answer. A body without an actor takes `by`'s name.
    pub fn transition_by(&self, id: &str, mut body: StepBody, by: &Actor) -> Result<Value, LiveError> {
        let mut inner = self.lock();
        // an open case is in memory; a closed one (a resolved case evaluated) comes back from the store
        let mut stored = None;
        let (at, inc) = match inner.by_id.get(id) {
            Some(&i) => (Some(i), &inner.list[i]),
            None => {
                stored = self.persist.find(Lookup::Id(id)).map_err(LiveError::Load)?;
                (None, stored.as_ref().ok_or_else(|| LiveError::NotFound(format!("no live incident with id {id}")))?)
            }
        };
        let cur = inc.status;
        let departments = lifecycle::last_dispatch(&inc.transitions).map_or(&[][..], |d| &d.step.departments[..]);
        let view = CaseView { units: &inc.units, status: cur, departments };
        lifecycle::authorize(by, &view, &body.step).map_err(|d| LiveError::Forbidden(format!("incident {id}: {d}")))?;
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
        if body.step.actor.trim().is_empty() {
            body.step.actor = by.name.clone();
        }
        let case = Case { status: cur, category: &inc.category, transitions: &inc.transitions };
        let mut t = self.flow.take(case, &self.deadlines, body.step, now()).map_err(|e| match e {
            StepError::NotAllowed { .. } => LiveError::Conflict(e.to_string()),
            _ => LiveError::Bad(e.to_string()),
        })?;
        t.user = Some(by.name.clone());
        t.role = Some(by.role);
        // kept before the answer, under the lock: a second step on this incident waits and then sees the new status
        self.persist.append_transition(id, inc.records(), &t).map_err(|source| LiveError::Store { what: "the transition", source })?;
        let v = match at {
            Some(i) => {
                let inc = &mut inner.list[i];
                inc.status = t.step.to;
                inc.transitions.push(t);
                let v = self.json(inc);
                if inc.status.is_closed() {
                    inner.evict(i);
                }
                v
            }
            None => {
                let Some(mut inc) = stored else {
                    return Err(LiveError::NotFound(format!("no live incident with id {id}")));
                };
                inner.closed.count(&inc, -1);
                inc.status = t.step.to;
                inc.transitions.push(t);
                let v = self.json(&inc);
                // a closed case steps only to another closed status (resolved → evaluated)
                inner.insert(inc);
                v
            }
        };
        self.version.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.events.publish("transition", v.to_string());
        Ok(v)
    }
}

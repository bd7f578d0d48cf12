//! 督办: a case seen past the deadline of its current dispatch (still
//! dispatched or in progress) gets one urge per deadline — kept (the
//! transitions table, marked `"kind": "urge"`), put on the stream (`urge`) and
//! counted in the KPI figures. A re-dispatch sets a new deadline, which can be
//! urged again.
//!
//! Looked for whenever the KPI figures are asked for (every open stream's
//! 500 ms tick, `/api/kpi`), at most once a second; O(n) for n live incidents.

use serde_json::json;
use wangge_engine::incidents::lifecycle::{self, Urge};

use super::persist::StoredUrge;
use super::{Live, LiveError};

impl Live {
    /// Raise an urge on every case overdue at `now` and not urged for its
    /// current deadline; how many were raised. Nothing is raised (and the
    /// next call tries again) when the urges cannot be kept.
    pub fn raise_urges(&self, now: i64) -> Result<usize, LiveError> {
        if self.urged_at.swap(now, std::sync::atomic::Ordering::SeqCst) == now {
            return Ok(0);
        }
        let mut inner = self.lock();
        let mut new: Vec<(usize, StoredUrge)> = Vec::new();
        for (n, i) in inner.list.iter().enumerate() {
            let Some(due) = lifecycle::past_due(i.status, &i.category, &i.transitions, &self.deadlines, now) else {
                continue;
            };
            if i.urges.iter().any(|u| u.due == due) {
                continue;
            }
            let d = lifecycle::last_dispatch(&i.transitions);
            let urge = Urge {
                at: now,
                due,
                level: d.and_then(|d| d.step.level),
                departments: d.map(|d| d.step.departments.clone()).unwrap_or_default(),
            };
            new.push((n, StoredUrge { incident_id: i.id.clone(), seq: i.records(), urge }));
        }
        if new.is_empty() {
            return Ok(0);
        }
        let kept: Vec<StoredUrge> = new.iter().map(|(_, u)| u.clone()).collect();
        if let Err(source) = self.persist.append_urges(&kept) {
            self.urged_at.store(i64::MIN, std::sync::atomic::Ordering::SeqCst);
            return Err(LiveError::Store { what: "the urges", source });
        }
        for (n, u) in &new {
            let i = &mut inner.list[*n];
            i.urges.push(u.urge.clone());
            let data = json!({
                "id": i.id, "category": i.category, "units": i.units, "status": i.status.as_str(),
                "deadline": wangge_engine::time::format_time(u.urge.due), "at": wangge_engine::time::format_time(u.urge.at),
                "level": u.urge.level, "departments": u.urge.departments,
            });
            self.events.publish("urge", data.to_string());
        }
        self.version.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(new.len())
    }
}

//! Intake of one incident: validated against the taxonomy, assigned to its
//! units, allowed to the reporting roles inside their jurisdiction
//! (`lifecycle::authorize_report`), kept before the answer, and exactly once
//! per idempotency key. Concurrent intakes share one write (group commit).

use std::collections::HashMap;

use serde_json::Value;
use wangge_engine::incidents::lifecycle::{self, Status};
use wangge_engine::people::Actor;

use super::{Live, LiveError, LiveIncident, NewIncident, PersistError, lock, now};
use wangge_engine::dataset::Dataset;

/// Group commit: incidents waiting to be written, and who writes.
#[derive(Debug, Default)]
pub(super) struct Group {
    queue: Vec<(u64, LiveIncident)>,
    writing: bool,
    next: u64,
    done: HashMap<u64, Result<(), PersistError>>,
}

impl Live {
    /// Take a new incident reported by the system (a sensor; the open local
    /// mode): validated, assigned to its units, written (committed) before the
    /// answer. With an idempotency key seen before, the first answer again (and `true`).
    pub fn intake(&self, d: &Dataset, body: NewIncident, key: Option<String>) -> Result<(Value, bool), LiveError> {
        self.take_in(d, body, key, None)
    }

    /// [`Live::intake`] reported by `by`, who must be allowed to report
    /// there; a body without a reporter takes `by`'s name (not the open local mode's).
    pub fn intake_by(&self, d: &Dataset, body: NewIncident, key: Option<String>, by: &Actor) -> Result<(Value, bool), LiveError> {
        self.take_in(d, body, key, Some(by))
    }

    fn take_in(&self, d: &Dataset, mut body: NewIncident, key: Option<String>, by: Option<&Actor>) -> Result<(Value, bool), LiveError> {
        let placed = wangge_engine::geometry::validate::lonlat_in_range(body.lon, body.lat);
        let h = &d.hierarchy;
        let units: Vec<String> = if placed {
            d.locator
                .locate(body.lon, body.lat)
                .map_or(Vec::new(), |leaf| h.chain(leaf).into_iter().rev().map(|u| h.units[u].id.0.clone()).collect())
        } else {
            Vec::new()
        };
        if let Some(by) = by {
            if placed {
                lifecycle::authorize_report(by, &units).map_err(|e| LiveError::Forbidden(e.to_string()))?;
            }
            if body.reporter.is_none() && *by != Actor::local() {
                body.reporter = Some(by.name.clone());
            }
        }
        let mut inner = self.lock();
        if let Some(k) = &key {
            if let Some(&i) = inner.by_key.get(k) {
                return Ok((self.json(&inner.list[i]), true));
            }
            // a closed case is in the store only
            if let Some(i) = self.closed_by_key(&inner, k)? {
                return Ok((self.json(&i), true));
            }
        }
        if !placed {
            return Err(LiveError::Bad(format!("lon/lat {}, {}: not a WGS84 position", body.lon, body.lat)));
        }
        self.taxonomy.class_of(&body.category, body.item.as_deref()).map_err(|e| LiveError::Bad(e.to_string()))?;
        let received_at = now();
        let occurred_at = match &body.occurred_at {
            Some(t) => wangge_engine::time::parse_time(t, 8 * 3600)
                .ok_or_else(|| LiveError::Bad(format!("occurred_at {t:?}: expected ISO 8601")))?,
            None => received_at,
        };
        let id = match body.id {
            Some(id) if id.trim().is_empty() => return Err(LiveError::Bad("id: empty".into())),
            Some(id) if self.taken(&inner, &id)? => return Err(LiveError::Conflict(format!("an incident with id {id} exists"))),
            Some(id) => id,
            // the next free number: requests still being committed hold theirs (inflight_ids)
            None => {
                let mut n = inner.total() + 1;
                loop {
                    let id = format!("INC-{received_at}-{n}");
                    if !self.taken(&inner, &id)? {
                        break id;
                    }
                    n += 1;
                }
            }
        };
        if let Some(k) = &key
            && inner.inflight_keys.contains(k)
        {
            return Err(LiveError::in_flight(k));
        }
        let inc = LiveIncident {
            id,
            key,
            lon: body.lon,
            lat: body.lat,
            occurred_at,
            received_at,
            category: body.category,
            item: body.item,
            status: Status::Reported,
            units,
            reporter: body.reporter,
            note: body.note,
            transitions: Vec::new(),
            urges: Vec::new(),
        };
        inner.inflight_ids.insert(inc.id.clone());
        if let Some(k) = &inc.key {
            inner.inflight_keys.insert(k.clone());
        }
        drop(inner);
        // committed (with whatever else is waiting) before the answer
        let written = self.write_grouped(inc.clone());
        let mut inner = self.lock();
        inner.inflight_ids.remove(&inc.id);
        if let Some(k) = &inc.key {
            inner.inflight_keys.remove(k);
        }
        written.map_err(|source| LiveError::Store { what: "the incident", source })?;
        let v = self.json(&inc);
        inner.insert(inc);
        self.version.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.events.publish("incident", v.to_string());
        Ok((v, false))
    }

    /// Group commit: queue the incident; the first waiting thread writes
    /// everything queued in one transaction, the others wait for it.
    fn write_grouped(&self, inc: LiveIncident) -> Result<(), PersistError> {
        let mut g = lock(&self.group);
        let ticket = g.next;
        g.next += 1;
        g.queue.push((ticket, inc));
        loop {
            if let Some(r) = g.done.remove(&ticket) {
                return r;
            }
            if !g.writing {
                g.writing = true;
                let (tickets, batch): (Vec<u64>, Vec<LiveIncident>) = std::mem::take(&mut g.queue).into_iter().unzip();
                drop(g);
                let r = self.persist.insert_incidents(&batch);
                g = lock(&self.group);
                g.writing = false;
                for t in &tickets {
                    g.done.insert(*t, r.clone());
                }
                self.written.notify_all();
                continue;
            }
            g = match self.written.wait(g) {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
        }
    }
}

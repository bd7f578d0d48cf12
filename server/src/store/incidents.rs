//! The live incidents and their lifecycle steps (`live_incidents`,
//! `incident_transitions`), and the store as the live lifecycle's
//! [`LivePersistence`] (the sensor half is in [`super::sensors`]).
//!
//! `incident_transitions` also keeps the urges (督办) raised on overdue
//! cases: their body is an [`Urge`] marked `"kind": "urge"` (no step kind is
//! called so), numbered in the same `seq` as the incident's steps.

use std::sync::{Arc, Mutex};

use duckdb::params;
use wangge_engine::incidents::lifecycle::{Status, Transition, Urge};

use super::{Ctx, Result, Store, StoreError};
use crate::live::persist::{LiveSnapshot, PersistError, SensorReading, StoredTransition, StoredUrge};
use crate::live::{LiveIncident, LivePersistence, Sensor, lock};

impl Store {
    /// Keep new live incidents in one transaction (all or none).
    pub fn insert_live_incidents(&self, batch: &[LiveIncident]) -> Result<()> {
        self.transaction("storing live incidents", |s| {
            // the appender writes rows in bulk (a prepared INSERT costs about 1 ms a row)
            let mut a = s.conn.appender("live_incidents").ctx(|| "storing live incidents".into())?;
            for inc in batch {
                a.append_row(params![
                    inc.id,
                    inc.key,
                    inc.lon,
                    inc.lat,
                    inc.occurred_at,
                    inc.received_at,
                    inc.category,
                    inc.item,
                    inc.status.as_str(),
                    serde_json::to_string(&inc.units).unwrap_or_default(),
                    inc.reporter,
                    inc.note
                ])
                .ctx(|| format!("storing live incident {}", inc.id))?;
            }
            a.flush().ctx(|| format!("storing {} live incidents", batch.len()))
        })
    }

    /// Keep an incident's `seq`-th lifecycle step and its new status, in one transaction.
    pub fn append_transition(&self, incident_id: &str, seq: usize, t: &Transition) -> Result<()> {
        self.transaction("storing a transition", |s| {
            let what = || format!("storing step {seq} of live incident {incident_id}");
            s.conn
                .execute(
                    "INSERT INTO incident_transitions VALUES (?, ?, ?, ?)",
                    params![incident_id, seq as i64, t.at, serde_json::to_string(t).unwrap_or_default()],
                )
                .ctx(what)?;
            s.conn.execute("UPDATE live_incidents SET status = ? WHERE id = ?", params![t.step.to.as_str(), incident_id]).ctx(what)?;
            Ok(())
        })
    }

    /// Keep urges (督办) in one transaction (all or none), beside the steps; no status changes.
    pub fn append_urges(&self, urges: &[StoredUrge]) -> Result<()> {
        self.transaction("storing urges", |s| {
            for u in urges {
                let mut body = serde_json::to_value(&u.urge).unwrap_or_default();
                if let Some(o) = body.as_object_mut() {
                    o.insert("kind".into(), URGE.into());
                }
                s.conn
                    .execute(
                        "INSERT INTO incident_transitions VALUES (?, ?, ?, ?)",
                        params![u.incident_id, u.seq as i64, u.urge.at, body.to_string()],
                    )
                    .ctx(|| format!("storing urge {} of live incident {}", u.seq, u.incident_id))?;
            }
            Ok(())
        })
    }

    /// Every live incident in order of receipt, with its current status (no transitions).
    pub fn live_incidents(&self) -> Result<Vec<LiveIncident>> {
        type Row = (String, Option<String>, f64, f64, i64, i64, String, Option<String>, String, String, Option<String>, Option<String>);
        let rows: Vec<Row> = (|| -> duckdb::Result<Vec<Row>> {
            let mut q = self.conn.prepare(
                "SELECT id, idempotency_key, lon, lat, occurred_at, received_at, category, item, status, units, reporter, note FROM live_incidents ORDER BY received_at, id",
            )?;
            q.query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                    r.get(10)?,
                    r.get(11)?,
                ))
            })?
            .collect()
        })()
        .ctx(|| "reading the live incidents".into())?;
        let field = |id: &str, field, reason: String| StoreError::Field { table: "live_incidents", id: id.to_owned(), field, reason };
        rows.into_iter()
            .map(|(id, key, lon, lat, occurred_at, received_at, category, item, status, units, reporter, note)| {
                let status = Status::parse(&status).ok_or_else(|| field(&id, "status", format!("unknown status {status:?}")))?;
                let units: Vec<String> = serde_json::from_str(&units).map_err(|e| field(&id, "units", e.to_string()))?;
                Ok(LiveIncident {
                    id,
                    key,
                    lon,
                    lat,
                    occurred_at,
                    received_at,
                    category,
                    item,
                    status,
                    units,
                    reporter,
                    note,
                    transitions: Vec::new(),
                    urges: Vec::new(),
                })
            })
            .collect()
    }

    /// Every lifecycle step and every urge, by incident and in the order taken.
    pub fn transitions(&self) -> Result<(Vec<StoredTransition>, Vec<StoredUrge>)> {
        let rows: Vec<(String, i64, String)> = (|| -> duckdb::Result<Vec<(String, i64, String)>> {
            let mut q = self.conn.prepare("SELECT incident_id, seq, body FROM incident_transitions ORDER BY incident_id, seq")?;
            q.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect()
        })()
        .ctx(|| "reading the incident transitions".into())?;
        let (mut steps, mut urges) = (Vec::new(), Vec::new());
        for (incident_id, seq, body) in rows {
            let bad = |e: serde_json::Error| StoreError::Field {
                table: "incident_transitions",
                id: format!("{incident_id} step {seq}"),
                field: "body",
                reason: e.to_string(),
            };
            let v: serde_json::Value = serde_json::from_str(&body).map_err(bad)?;
            let seq_u = seq.max(0) as usize;
            if v.get("kind").and_then(serde_json::Value::as_str) == Some(URGE) {
                let urge: Urge = serde_json::from_value(v).map_err(bad)?;
                urges.push(StoredUrge { incident_id, seq: seq_u, urge });
            } else {
                let transition: Transition = serde_json::from_value(v).map_err(bad)?;
                steps.push(StoredTransition { incident_id, seq: seq_u, transition });
            }
        }
        Ok((steps, urges))
    }

    /// Everything the live lifecycle keeps, for a restart.
    pub fn live_snapshot(&self) -> Result<LiveSnapshot> {
        let (transitions, urges) = self.transitions()?;
        Ok(LiveSnapshot {
            incidents: self.live_incidents()?,
            transitions,
            urges,
            sensors: self.sensors()?,
            readings: self.sensor_readings()?,
        })
    }
}

/// The marker of an urge's body in `incident_transitions`.
const URGE: &str = "urge";

fn backend(e: StoreError) -> PersistError {
    PersistError::Backend(Arc::new(e))
}

/// The store shared by the HTTP state and the live lifecycle (one lock orders their writes).
impl LivePersistence for Mutex<Store> {
    fn load(&self) -> std::result::Result<LiveSnapshot, PersistError> {
        lock(self).live_snapshot().map_err(backend)
    }

    fn insert_incidents(&self, batch: &[LiveIncident]) -> std::result::Result<(), PersistError> {
        lock(self).insert_live_incidents(batch).map_err(backend)
    }

    fn append_transition(&self, incident_id: &str, seq: usize, t: &Transition) -> std::result::Result<(), PersistError> {
        lock(self).append_transition(incident_id, seq, t).map_err(backend)
    }

    fn append_urges(&self, urges: &[StoredUrge]) -> std::result::Result<(), PersistError> {
        lock(self).append_urges(urges).map_err(backend)
    }

    fn insert_sensor(&self, s: &Sensor) -> std::result::Result<(), PersistError> {
        lock(self).insert_sensor(s).map_err(backend)
    }

    fn insert_reading(&self, r: &SensorReading) -> std::result::Result<(), PersistError> {
        lock(self).insert_reading(r).map_err(backend)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::{Store, StoreError};
    use crate::live::lock;

    #[test]
    fn the_store_keeps_what_the_lifecycle_acknowledges() {
        let store = Arc::new(Mutex::new(Store::memory().expect("memory")));
        crate::live::tests::scenario(store.clone());
        let n = lock(&store).row_counts().expect("counts");
        // A, B, C, U and the one the sensor opened; three steps and an urge; one sensor, two readings
        let live: Vec<i64> = ["live_incidents", "incident_transitions", "sensors", "sensor_readings"].iter().map(|t| n[*t]).collect();
        assert_eq!(live, vec![5, 4, 1, 2]);
    }

    #[test]
    fn a_damaged_row_names_the_incident_and_the_field() {
        let s = Store::memory().expect("memory");
        s.conn
            .execute_batch("INSERT INTO live_incidents VALUES ('Z', NULL, 120, 36, 0, 0, '环境卫生', NULL, 'lost', '[]', NULL, NULL)")
            .expect("insert");
        let e = s.live_incidents().expect_err("unknown status");
        assert!(matches!(&e, StoreError::Field { id, field: "status", .. } if id == "Z"), "{e}");
        assert!(e.to_string().contains("lost"), "{e}");
    }
}

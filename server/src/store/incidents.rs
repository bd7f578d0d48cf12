//! The live incidents and their lifecycle steps (`live_incidents`,
//! `incident_transitions`), and the store as the live lifecycle's
//! [`LivePersistence`] (the sensor half is in [`super::sensors`]).
//!
//! `incident_transitions` also keeps the urges (督办) raised on overdue
//! cases: their body is an [`Urge`] marked `"kind": "urge"` (no step kind is
//! called so), numbered in the same `seq` as the incident's steps.

use std::sync::{Arc, Mutex};

use duckdb::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use duckdb::arrow::compute::cast;
use duckdb::arrow::datatypes::{DataType, Float64Type, Int64Type};
use duckdb::params;
use wangge_engine::incidents::lifecycle::{Status, Transition, Urge};

use super::{Ctx, Result, Store, StoreError};
use crate::live::persist::{LiveSnapshot, Lookup, Occurred, PersistError, SensorReading, StoredTransition, StoredUrge};
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
        let mut out = Vec::new();
        self.visit_incidents("", &[], false, &mut |i| out.push(i))?;
        Ok(out)
    }

    /// Visit the live incidents `filter` (a SQL condition on `i`, with `args`)
    /// selects, in order of receipt, one at a time; with their steps and urges when `steps`.
    fn visit_incidents(&self, filter: &str, args: &[&dyn duckdb::ToSql], steps: bool, visit: &mut dyn FnMut(LiveIncident)) -> Result<()> {
        let join = if steps {
            "t.seq, t.body FROM live_incidents i LEFT JOIN incident_transitions t ON t.incident_id = i.id"
        } else {
            "NULL::INTEGER, NULL::TEXT FROM live_incidents i"
        };
        let cond = if filter.is_empty() { String::new() } else { format!("WHERE {filter}") };
        let sql = format!(
            "SELECT i.id, i.idempotency_key, i.lon, i.lat, i.occurred_at, i.received_at, i.category, i.item, i.status, i.units, i.reporter, i.note, {join} {cond} ORDER BY i.received_at, i.id{}",
            if steps { ", t.seq" } else { "" }
        );
        let what = || "reading the live incidents".to_owned();
        let mut q = self.conn.prepare(&sql).ctx(what)?;
        // streamed a batch at a time: `query` would hold the whole result in DuckDB's memory, so a read of
        // every closed case (a heatmap of a long period, the area query) would grow with the history kept and fail
        // under a small `--store-memory-limit` (benches/RESULTS.md, soak 14)
        let mut cur: Option<LiveIncident> = None;
        for batch in q.stream_arrow(args).ctx(what)? {
            let b = Rows::new(&batch.ctx(what)?)?;
            for n in 0..b.len {
                let id = b.text(0, n).unwrap_or_default().to_owned();
                if cur.as_ref().is_none_or(|c| c.id != id) {
                    if let Some(c) = cur.take() {
                        visit(c);
                    }
                    cur = Some(b.incident(n, id)?);
                }
                if let (Some(c), Some(seq), Some(body)) = (cur.as_mut(), b.int(12, n), b.text(13, n)) {
                    match record(&c.id, seq, body)? {
                        Record::Step(t) => c.transitions.push(t),
                        Record::Urge(u) => c.urges.push(u),
                    }
                }
            }
        }
        if let Some(c) = cur {
            visit(c);
        }
        Ok(())
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
            let seq_u = seq.max(0) as usize;
            match record(&incident_id, seq, &body)? {
                Record::Urge(urge) => urges.push(StoredUrge { incident_id, seq: seq_u, urge }),
                Record::Step(transition) => steps.push(StoredTransition { incident_id, seq: seq_u, transition }),
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

/// One record of `incident_transitions`.
enum Record {
    Step(Transition),
    Urge(Urge),
}

/// A record's body read back.
fn record(incident_id: &str, seq: i64, body: &str) -> Result<Record> {
    let bad = |e: serde_json::Error| StoreError::Field {
        table: "incident_transitions",
        id: format!("{incident_id} step {seq}"),
        field: "body",
        reason: e.to_string(),
    };
    let v: serde_json::Value = serde_json::from_str(body).map_err(bad)?;
    Ok(if v.get("kind").and_then(serde_json::Value::as_str) == Some(URGE) {
        Record::Urge(serde_json::from_value(v).map_err(bad)?)
    } else {
        Record::Step(serde_json::from_value(v).map_err(bad)?)
    })
}

/// A batch of `visit_incidents`' rows, its columns cast to the types read (DuckDB hands text as Utf8 or Utf8View).
struct Rows {
    len: usize,
    cols: Vec<ArrayRef>,
}

impl Rows {
    fn new(b: &RecordBatch) -> Result<Self> {
        use DataType::{Float64, Int64, Utf8};
        let types = [Utf8, Utf8, Float64, Float64, Int64, Int64, Utf8, Utf8, Utf8, Utf8, Utf8, Utf8, Int64, Utf8];
        if b.num_columns() != types.len() {
            return Err(StoreError::Corrupt(format!("reading the live incidents: {} columns, not {}", b.num_columns(), types.len())));
        }
        let cols = (b.columns().iter().zip(&types))
            .map(|(c, t)| cast(c, t))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| StoreError::Corrupt(format!("reading the live incidents: {e}")))?;
        Ok(Rows { len: b.num_rows(), cols })
    }

    fn text(&self, col: usize, n: usize) -> Option<&str> {
        let a = self.cols[col].as_string::<i32>();
        a.is_valid(n).then(|| a.value(n))
    }

    fn int(&self, col: usize, n: usize) -> Option<i64> {
        let a = self.cols[col].as_primitive::<Int64Type>();
        a.is_valid(n).then(|| a.value(n))
    }

    fn float(&self, col: usize, n: usize) -> Option<f64> {
        let a = self.cols[col].as_primitive::<Float64Type>();
        a.is_valid(n).then(|| a.value(n))
    }

    /// Columns 0–11 of row `n` (id given), without steps.
    fn incident(&self, n: usize, id: String) -> Result<LiveIncident> {
        let field = |field, reason: String| StoreError::Field { table: "live_incidents", id: id.clone(), field, reason };
        let owned = |col| self.text(col, n).map(str::to_owned);
        let status = self.text(8, n).unwrap_or_default();
        let status = Status::parse(status).ok_or_else(|| field("status", format!("unknown status {status:?}")))?;
        let units: Vec<String> = serde_json::from_str(self.text(9, n).unwrap_or_default()).map_err(|e| field("units", e.to_string()))?;
        let (Some(lon), Some(lat), Some(occurred_at), Some(received_at), Some(category)) =
            (self.float(2, n), self.float(3, n), self.int(4, n), self.int(5, n), owned(6))
        else {
            return Err(field("lon, lat, occurred_at, received_at or category", "missing".into()));
        };
        Ok(LiveIncident {
            key: owned(1),
            lon,
            lat,
            occurred_at,
            received_at,
            category,
            item: owned(7),
            status,
            units,
            reporter: owned(10),
            note: owned(11),
            transitions: Vec::new(),
            urges: Vec::new(),
            id,
        })
    }
}

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

    fn closed(&self, steps: bool, occurred: Occurred, visit: &mut dyn FnMut(LiveIncident)) -> std::result::Result<(), PersistError> {
        const CLOSED: &str = "i.status IN ('refused', 'resolved', 'evaluated')";
        // on a connection of its own: the read (a long history takes a second or more) holds neither the store's
        // lock nor its connection, so the intake's writes go on beside it; it sees what was committed when it began
        let conn = lock(self).conn.try_clone().ctx(|| "opening a reader of the store".into()).map_err(backend)?;
        let s = Store { conn };
        match occurred {
            // the window in the scan: DuckDB skips the row groups whose occurred_at lies outside it
            Some((lo, hi)) => s.visit_incidents(&format!("{CLOSED} AND i.occurred_at BETWEEN ? AND ?"), &[&lo, &hi], steps, visit),
            None => s.visit_incidents(CLOSED, &[], steps, visit),
        }
        .map_err(backend)
    }

    fn find(&self, by: Lookup<'_>) -> std::result::Result<Option<LiveIncident>, PersistError> {
        let (filter, value) = match by {
            Lookup::Id(id) => ("i.id = ?", id),
            Lookup::Key(k) => ("i.idempotency_key = ?", k),
        };
        let s = lock(self);
        // the row by its index, then its records by theirs (a join would hash every record each time)
        let mut found = None;
        s.visit_incidents(filter, &[&value], false, &mut |i| found = Some(i)).map_err(backend)?;
        if let Some(i) = found.as_mut() {
            let rows: Vec<(i64, String)> = (|| -> duckdb::Result<Vec<(i64, String)>> {
                let mut q = s.conn.prepare("SELECT seq, body FROM incident_transitions WHERE incident_id = ? ORDER BY seq")?;
                q.query_map([&i.id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect()
            })()
            .ctx(|| format!("reading the steps of live incident {}", i.id))
            .map_err(backend)?;
            for (seq, body) in rows {
                match record(&i.id, seq, &body).map_err(backend)? {
                    Record::Step(t) => i.transitions.push(t),
                    Record::Urge(u) => i.urges.push(u),
                }
            }
        }
        Ok(found)
    }

    fn kept_ids(&self, ids: &[&str]) -> std::result::Result<Vec<String>, PersistError> {
        let s = lock(self);
        (|| -> duckdb::Result<Vec<String>> {
            let mut out = Vec::new();
            if ids.len() <= 64 {
                // a few: each by the primary key's index
                let mut q = s.conn.prepare("SELECT id FROM live_incidents WHERE id = ?")?;
                for id in ids {
                    if q.exists([id])? {
                        out.push((*id).to_owned());
                    }
                }
                return Ok(out);
            }
            let want: std::collections::HashSet<&str> = ids.iter().copied().collect();
            let mut q = s.conn.prepare("SELECT id FROM live_incidents")?;
            let mut rows = q.query([])?;
            while let Some(r) = rows.next()? {
                let id: String = r.get(0)?;
                if want.contains(id.as_str()) {
                    out.push(id);
                }
            }
            Ok(out)
        })()
        .ctx(|| "reading the live incident ids".into())
        .map_err(backend)
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
    fn windows_read_what_occurred_in_them_from_the_store() {
        crate::live::closed_tests::windows_read_what_occurred_in_them(Arc::new(Mutex::new(Store::memory().expect("memory"))));
    }

    #[test]
    fn every_closed_case_comes_back_whole_from_the_store() {
        crate::live::closed_tests::every_closed_case_comes_back_whole(Arc::new(Mutex::new(Store::memory().expect("memory"))));
    }

    #[test]
    fn heat_of_every_case_equals_heat_read_from_the_store() {
        crate::live::closed_tests::heat_of_every_case_equals_heat_read_from_the_store(Arc::new(Mutex::new(
            Store::memory().expect("memory"),
        )));
    }

    #[test]
    fn intake_goes_on_beside_a_read_of_the_closed_cases() {
        crate::live::closed_tests::intake_goes_on_beside_a_read_of_the_closed_cases(Arc::new(Mutex::new(Store::memory().expect("memory"))));
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

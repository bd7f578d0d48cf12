//! Live incidents: intake over HTTP (idempotent, durable before the answer),
//! the 下呼上应 lifecycle with every transition kept, and the event stream.
//!
//! Incidents reported over HTTP live in their own tables (`live_incidents`,
//! `incident_transitions`) next to the versioned layers; one mutex orders
//! intake and transitions, so two transitions on one incident cannot both
//! win.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::Deserialize;
use serde_json::{Value, json};
use wangge_engine::dataset::Dataset;
use wangge_engine::geometry::validate::lonlat_in_range;
use wangge_engine::incidents::kpi::{self, KpiIncident};
use wangge_engine::incidents::lifecycle::{Deadlines, Flow, ResponseLevel, Status, Step, StepError, Transition};
use wangge_engine::incidents::taxonomy::{CategoryError, Taxonomy};

use crate::store::Store;

/// The built-in taxonomy (`data/taxonomy.json`).
pub const DEFAULT_TAXONOMY: &str = include_str!("../../data/taxonomy.json");

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS live_incidents (
    id TEXT PRIMARY KEY, idempotency_key TEXT UNIQUE, lon DOUBLE NOT NULL, lat DOUBLE NOT NULL,
    occurred_at BIGINT NOT NULL, received_at BIGINT NOT NULL, category TEXT NOT NULL, item TEXT,
    status TEXT NOT NULL, units TEXT NOT NULL, reporter TEXT, note TEXT);
CREATE TABLE IF NOT EXISTS sensors (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, lon DOUBLE NOT NULL, lat DOUBLE NOT NULL, name TEXT);
CREATE TABLE IF NOT EXISTS sensor_readings (
    sensor_id TEXT NOT NULL, taken_at BIGINT NOT NULL, value DOUBLE NOT NULL, breach TEXT, incident_id TEXT);
CREATE TABLE IF NOT EXISTS incident_transitions (
    incident_id TEXT NOT NULL, seq INTEGER NOT NULL, taken_at BIGINT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (incident_id, seq));
";

/// An incident reported over HTTP.
#[derive(Debug, Clone)]
pub struct LiveIncident {
    pub id: String,
    pub key: Option<String>,
    pub lon: f64,
    pub lat: f64,
    pub occurred_at: i64,
    pub received_at: i64,
    pub category: String,
    pub item: Option<String>,
    pub status: Status,
    /// Ids of the units holding it, from the top level down.
    pub units: Vec<String>,
    pub reporter: Option<String>,
    pub note: Option<String>,
    pub transitions: Vec<Transition>,
}

/// A new incident as posted.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewIncident {
    pub id: Option<String>,
    pub lon: f64,
    pub lat: f64,
    pub category: String,
    pub item: Option<String>,
    /// ISO 8601; the time of receipt when absent.
    pub occurred_at: Option<String>,
    pub reporter: Option<String>,
    pub note: Option<String>,
}

/// A step as posted: the lifecycle step and, optionally, the status the client saw.
#[derive(Debug, Clone, Deserialize)]
pub struct StepBody {
    #[serde(default)]
    pub from: Option<Status>,
    #[serde(flatten)]
    pub step: Step,
}

/// Why a live operation failed (the API maps these to 400, 404, 409, 500).
#[derive(Debug)]
pub enum LiveError {
    Bad(String),
    NotFound(String),
    Conflict(String),
    Store(String),
}

#[derive(Debug, Default)]
struct Inner {
    list: Vec<LiveIncident>,
    by_id: HashMap<String, usize>,
    by_key: HashMap<String, usize>,
    sensors: std::collections::BTreeMap<String, Sensor>,
    /// Ids and keys of incidents being written (not yet acknowledged).
    inflight_ids: std::collections::HashSet<String>,
    inflight_keys: std::collections::HashSet<String>,
}

/// Group commit: incidents waiting to be written, and who writes.
#[derive(Debug, Default)]
struct Group {
    queue: Vec<(u64, LiveIncident)>,
    writing: bool,
    next: u64,
    done: HashMap<u64, Result<(), String>>,
}

/// A sensor on the map (gas, water, power, smoke, camera status…).
#[derive(Debug, Clone, serde::Serialize, Deserialize)]
pub struct Sensor {
    pub id: String,
    pub kind: String,
    pub lon: f64,
    pub lat: f64,
    #[serde(default)]
    pub name: Option<String>,
    /// Last reading (time, value).
    #[serde(default, skip_deserializing)]
    pub last: Option<(i64, f64)>,
    /// The incident its last breach opened, while that incident is open.
    #[serde(default, skip_deserializing)]
    pub incident: Option<String>,
}

/// A reading as posted.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reading {
    pub value: f64,
    /// ISO 8601; the time of receipt when absent.
    pub at: Option<String>,
}

/// Live incidents, their lifecycle and the event stream.
#[derive(Debug)]
pub struct Live {
    /// Bumped by every change (intake, transition): keys heatmap caches.
    pub version: std::sync::atomic::AtomicU64,
    inner: Mutex<Inner>,
    group: Mutex<Group>,
    written: std::sync::Condvar,
    pub events: crate::events::EventLog,
    pub taxonomy: Taxonomy,
    flow: Flow,
    pub deadlines: Deadlines,
    /// The last KPI figures: (version, 10-second bucket, figures).
    kpi_cache: Mutex<Option<(u64, i64, Value)>>,
}

/// Lock a mutex, recovering the data if a holder panicked (the state it guards stays usable).
pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

impl Live {
    /// Empty, with a taxonomy.
    pub fn new(taxonomy: Taxonomy) -> Live {
        let events = crate::events::EventLog::default();
        Live {
            version: std::sync::atomic::AtomicU64::new(0),
            inner: Mutex::new(Inner::default()),
            group: Mutex::new(Group::default()),
            written: std::sync::Condvar::new(),
            events,
            flow: taxonomy.flow(),
            deadlines: taxonomy.deadlines(),
            kpi_cache: Mutex::new(None),
            taxonomy,
        }
    }

    /// Create the tables if needed and load what they hold.
    pub fn load(store: &Store, taxonomy: Taxonomy) -> Result<Live, String> {
        let c = store.connection();
        c.execute_batch(SCHEMA).map_err(|e| e.to_string())?;
        let live = Live::new(taxonomy);
        let mut inner = live.lock();
        let mut q = c
            .prepare("SELECT id, idempotency_key, lon, lat, occurred_at, received_at, category, item, status, units, reporter, note FROM live_incidents ORDER BY received_at, id")
            .map_err(|e| e.to_string())?;
        let rows = q
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, f64>(2)?,
                    r.get::<_, f64>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, Option<String>>(7)?,
                    r.get::<_, String>(8)?,
                    r.get::<_, String>(9)?,
                    r.get::<_, Option<String>>(10)?,
                    r.get::<_, Option<String>>(11)?,
                ))
            })
            .map_err(|e| e.to_string())?;
        for row in rows {
            let (id, key, lon, lat, occurred_at, received_at, category, item, status, units, reporter, note) =
                row.map_err(|e| e.to_string())?;
            let status = Status::parse(&status).ok_or_else(|| format!("live incident {id}: unknown status {status:?}"))?;
            let units: Vec<String> = serde_json::from_str(&units).map_err(|e| e.to_string())?;
            let inc = LiveIncident {
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
            };
            inner.insert(inc);
        }
        let mut q = c.prepare("SELECT incident_id, body FROM incident_transitions ORDER BY incident_id, seq").map_err(|e| e.to_string())?;
        let rows = q.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))).map_err(|e| e.to_string())?;
        for row in rows {
            let (id, body) = row.map_err(|e| e.to_string())?;
            let t: Transition = serde_json::from_str(&body).map_err(|e| e.to_string())?;
            if let Some(&i) = inner.by_id.get(&id) {
                inner.list[i].transitions.push(t);
            }
        }
        let mut q = c.prepare("SELECT id, kind, lon, lat, name FROM sensors ORDER BY id").map_err(|e| e.to_string())?;
        let rows = q
            .query_map([], |r| {
                Ok(Sensor { id: r.get(0)?, kind: r.get(1)?, lon: r.get(2)?, lat: r.get(3)?, name: r.get(4)?, last: None, incident: None })
            })
            .map_err(|e| e.to_string())?;
        for row in rows {
            let s = row.map_err(|e| e.to_string())?;
            inner.sensors.insert(s.id.clone(), s);
        }
        let mut q = c
            .prepare("SELECT sensor_id, taken_at, value, incident_id FROM sensor_readings ORDER BY taken_at")
            .map_err(|e| e.to_string())?;
        let rows = q
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, f64>(2)?, r.get::<_, Option<String>>(3)?)))
            .map_err(|e| e.to_string())?;
        for row in rows {
            let (id, at, v, inc) = row.map_err(|e| e.to_string())?;
            if let Some(s) = inner.sensors.get_mut(&id) {
                s.last = Some((at, v));
                if inc.is_some() {
                    s.incident = inc;
                }
            }
        }
        drop(inner);
        Ok(live)
    }

    /// Register a sensor.
    pub fn add_sensor(&self, store: Option<&Mutex<Store>>, s: Sensor) -> Result<Value, LiveError> {
        if s.id.trim().is_empty() {
            return Err(LiveError::Bad("id: empty".into()));
        }
        if !self.taxonomy.sensor_kinds.contains_key(&s.kind) {
            let kinds: Vec<&str> = self.taxonomy.sensor_kinds.keys().map(String::as_str).collect();
            return Err(LiveError::Bad(format!("kind {:?}: use one of {}", s.kind, kinds.join(", "))));
        }
        if !lonlat_in_range(s.lon, s.lat) {
            return Err(LiveError::Bad(format!("lon/lat {}, {}: not a WGS84 position", s.lon, s.lat)));
        }
        let mut inner = self.lock();
        if inner.sensors.contains_key(&s.id) {
            return Err(LiveError::Conflict(format!("a sensor with id {} exists", s.id)));
        }
        if let Some(store) = store {
            let st = lock(store);
            st.connection()
                .execute("INSERT INTO sensors VALUES (?, ?, ?, ?, ?)", duckdb::params![s.id, s.kind, s.lon, s.lat, s.name])
                .map_err(|e| LiveError::Store(format!("the sensor was not stored: {e}")))?;
        }
        let v = self.sensor_json(&s, &inner);
        inner.sensors.insert(s.id.clone(), s);
        Ok(v)
    }

    fn sensor_json(&self, s: &Sensor, inner: &Inner) -> Value {
        let kind = self.taxonomy.sensor_kinds.get(&s.kind);
        let breach = s.last.and_then(|(_, v)| kind.and_then(|k| k.breach(v)));
        let open = s.incident.as_ref().and_then(|id| inner.by_id.get(id)).map(|&i| &inner.list[i]);
        json!({
            "id": s.id, "kind": s.kind, "lon": s.lon, "lat": s.lat, "name": s.name,
            "unit": kind.map(|k| &k.unit), "min": kind.and_then(|k| k.min), "max": kind.and_then(|k| k.max),
            "last": s.last.map(|(t, v)| json!({"at": crate::timefmt::format_time(t), "value": v})),
            "alarm": breach.is_some(), "breach": breach,
            "incident": open.map(|i| json!({"id": i.id, "status": i.status.as_str()})),
        })
    }

    /// Every sensor with its state.
    pub fn sensors(&self) -> Vec<Value> {
        let inner = self.lock();
        inner.sensors.values().map(|s| self.sensor_json(s, &inner)).collect()
    }

    /// Record a reading; past its threshold it opens an incident (one while that incident is open).
    pub fn reading(&self, d: &Dataset, store: Option<&Mutex<Store>>, id: &str, r: Reading) -> Result<Value, LiveError> {
        if !r.value.is_finite() {
            return Err(LiveError::Bad(format!("value {}: not a number", r.value)));
        }
        let at = match &r.at {
            Some(t) => crate::timefmt::parse_time(t, 8 * 3600).ok_or_else(|| LiveError::Bad(format!("at {t:?}: expected ISO 8601")))?,
            None => now(),
        };
        let (sensor, breach, open) = {
            let inner = self.lock();
            let s = inner.sensors.get(id).ok_or_else(|| LiveError::NotFound(format!("no sensor with id {id}")))?.clone();
            let kind = self.taxonomy.sensor_kinds.get(&s.kind).cloned();
            let breach = kind.as_ref().and_then(|k| k.breach(r.value)).map(|b| (b, kind));
            let open = s
                .incident
                .as_ref()
                .and_then(|i| inner.by_id.get(i))
                .is_some_and(|&i| !matches!(inner.list[i].status, Status::Resolved | Status::Evaluated));
            (s, breach, open)
        };
        // a breach opens an incident unless the sensor's last one is still open; the key makes a repeated reading exactly-once
        let mut opened = None;
        if let Some((why, Some(kind))) = &breach
            && !open
        {
            let body = NewIncident {
                id: None,
                lon: sensor.lon,
                lat: sensor.lat,
                category: kind.category.clone(),
                item: kind.item.clone(),
                occurred_at: Some(crate::timefmt::format_time(at)),
                reporter: Some(format!("sensor {id}")),
                note: Some(format!("{} {}: {why}", sensor.kind, id)),
            };
            let (v, _) = self.intake(d, store, body, Some(format!("sensor-{id}-{at}")))?;
            opened = v["id"].as_str().map(str::to_owned);
        }
        if let Some(store) = store {
            let st = lock(store);
            st.connection()
                .execute(
                    "INSERT INTO sensor_readings VALUES (?, ?, ?, ?, ?)",
                    duckdb::params![id, at, r.value, breach.as_ref().map(|b| b.0.clone()), opened],
                )
                .map_err(|e| LiveError::Store(format!("the reading was not stored: {e}")))?;
        }
        let mut inner = self.lock();
        let v = {
            let s = inner.sensors.get_mut(id).ok_or_else(|| LiveError::NotFound(format!("no sensor with id {id}")))?;
            s.last = Some((at, r.value));
            if opened.is_some() {
                s.incident = opened.clone();
            }
            s.clone()
        };
        let out = self.sensor_json(&v, &inner);
        inner.sensors.insert(v.id.clone(), v);
        self.events.publish("sensor", out.to_string());
        Ok(json!({"sensor": out, "opened_incident": opened}))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        lock(&self.inner)
    }

    /// How many live incidents there are.
    pub fn len(&self) -> usize {
        self.lock().list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every live incident (a copy).
    pub fn all(&self) -> Vec<LiveIncident> {
        self.lock().list.clone()
    }

    /// Visit every live incident under the lock (no copy; keep `f` short).
    pub fn each(&self, mut f: impl FnMut(&LiveIncident)) {
        for i in &self.lock().list {
            f(i);
        }
    }

    /// Figures for command-center screens over the live incidents: counts by
    /// status, open, overdue, where resolved incidents were resolved (小事不出楼栋、
    /// 纠纷不出网格、矛盾不出社区) and the mean satisfaction. Computed once per
    /// change and per 10 s (overdue flags move with the clock).
    pub fn kpi(&self) -> Value {
        let version = self.version.load(std::sync::atomic::Ordering::SeqCst);
        let t = now();
        {
            let c = lock(&self.kpi_cache);
            if let Some((v, b, k)) = &*c
                && *v == version
                && *b == t / 10
            {
                return k.clone();
            }
        }
        let inner = self.lock();
        let list = inner.list.iter().map(|i| KpiIncident { category: &i.category, status: i.status, transitions: &i.transitions });
        let k = serde_json::to_value(kpi::figures(list, &self.deadlines, t, version)).unwrap_or(Value::Null);
        drop(inner);
        *lock(&self.kpi_cache) = Some((version, t / 10, k.clone()));
        k
    }

    /// One incident as JSON.
    pub fn get(&self, id: &str) -> Option<Value> {
        let inner = self.lock();
        inner.by_id.get(id).map(|&i| self.json(&inner.list[i]))
    }

    /// The incident as JSON, with its overdue flag.
    pub fn json(&self, i: &LiveIncident) -> Value {
        // the current dispatch: the last transition to dispatched, unless resolved since
        let dispatch = i.transitions.iter().rev().find(|t| t.step.to == Status::Dispatched);
        let open = !matches!(i.status, Status::Resolved | Status::Evaluated);
        let overdue = open && dispatch.is_some_and(|t| t.step.level.is_some_and(|l| self.deadlines.overdue(&i.category, l, t.at, now())));
        let deadline_h =
            dispatch.and_then(|t| t.step.level).and_then(|l| self.deadlines.0.get(&i.category).and_then(|m| m.get(&l)).copied());
        json!({
            "id": i.id, "lon": i.lon, "lat": i.lat,
            "occurred_at": crate::timefmt::format_time(i.occurred_at), "received_at": crate::timefmt::format_time(i.received_at),
            "category": i.category, "item": i.item, "status": i.status.as_str(), "units": i.units,
            "reporter": i.reporter, "note": i.note,
            "allowed_next": i.status.next().iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            "transitions": i.transitions, "deadline_h": deadline_h, "overdue": overdue,
            "resolved_level": i.transitions.iter().rev().find(|t| t.step.to == Status::Resolved).and_then(|t| t.step.level).map(ResponseLevel::as_str),
        })
    }

    /// Take a new incident: validated, assigned to its units, written (committed) before the answer.
    /// With an idempotency key seen before, the first answer again (and `true`).
    pub fn intake(
        &self,
        d: &Dataset,
        store: Option<&Mutex<Store>>,
        body: NewIncident,
        key: Option<String>,
    ) -> Result<(Value, bool), LiveError> {
        let mut inner = self.lock();
        if let Some(k) = &key
            && let Some(&i) = inner.by_key.get(k)
        {
            return Ok((self.json(&inner.list[i]), true));
        }
        if !lonlat_in_range(body.lon, body.lat) {
            return Err(LiveError::Bad(format!("lon/lat {}, {}: not a WGS84 position", body.lon, body.lat)));
        }
        self.taxonomy.class_of(&body.category, body.item.as_deref()).map_err(|e| LiveError::Bad(e.to_string()))?;
        let received_at = now();
        let occurred_at = match &body.occurred_at {
            Some(t) => {
                crate::timefmt::parse_time(t, 8 * 3600).ok_or_else(|| LiveError::Bad(format!("occurred_at {t:?}: expected ISO 8601")))?
            }
            None => received_at,
        };
        let id = match body.id {
            Some(id) if id.trim().is_empty() => return Err(LiveError::Bad("id: empty".into())),
            Some(id) => id,
            None => format!("INC-{received_at}-{}", inner.list.len() + 1),
        };
        if inner.by_id.contains_key(&id) || inner.inflight_ids.contains(&id) {
            return Err(LiveError::Conflict(format!("an incident with id {id} exists")));
        }
        if let Some(k) = &key
            && inner.inflight_keys.contains(k)
        {
            return Err(LiveError::Conflict(format!("a request with Idempotency-Key {k} is being processed; retry it")));
        }
        let h = &d.hierarchy;
        let units: Vec<String> = d
            .locator
            .locate(body.lon, body.lat)
            .map_or(Vec::new(), |leaf| h.chain(leaf).into_iter().rev().map(|u| h.units[u].id.0.clone()).collect());
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
        };
        inner.inflight_ids.insert(inc.id.clone());
        if let Some(k) = &inc.key {
            inner.inflight_keys.insert(k.clone());
        }
        drop(inner);
        // committed (with whatever else is waiting) before the answer
        let written = match store {
            Some(store) => self.write_grouped(store, inc.clone()),
            None => Ok(()),
        };
        let mut inner = self.lock();
        inner.inflight_ids.remove(&inc.id);
        if let Some(k) = &inc.key {
            inner.inflight_keys.remove(k);
        }
        written.map_err(|e| LiveError::Store(format!("the incident was not stored: {e}")))?;
        let v = self.json(&inc);
        inner.insert(inc);
        self.version.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.events.publish("incident", v.to_string());
        Ok((v, false))
    }

    /// Take many incidents at once (a CSV or GeoJSON file read by the
    /// importer): all or nothing — every row is checked against the taxonomy
    /// and the lifecycle's statuses and for duplicate ids first, then all are
    /// assigned to their units and written in one transaction before the
    /// answer. They enter the lifecycle at the status given (default
    /// reported); their earlier history is not known. With an idempotency key
    /// seen before, the first answer again (and `true`).
    pub fn bulk(
        &self,
        d: &Dataset,
        store: Option<&Mutex<Store>>,
        rows: Vec<wangge_engine::model::Incident>,
        key: Option<String>,
    ) -> Result<(Value, bool), LiveError> {
        let row_key = |k: &str, n: usize| format!("{k}#{n}");
        let mut inner = self.lock();
        if let Some(k) = &key
            && inner.by_key.contains_key(&row_key(k, 0))
        {
            let ids: Vec<&str> = (0..).map_while(|n| inner.by_key.get(&row_key(k, n)).map(|&i| inner.list[i].id.as_str())).collect();
            return Ok((json!({"imported": ids.len(), "ids": ids}), true));
        }
        if rows.is_empty() {
            return Err(LiveError::Bad("no incidents in the file".into()));
        }
        let received_at = now();
        let mut problems = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut dup = Vec::new();
        for (n, r) in rows.iter().enumerate() {
            let what = format!("incident {} (feature {n})", r.id);
            let item = r.attributes.get("item").and_then(Value::as_str).filter(|i| !i.is_empty());
            match self.taxonomy.class_of(&r.category, item) {
                Ok(_) => {}
                Err(CategoryError::UnknownCategory { category, .. }) => {
                    problems.push(format!("{what}: category {category:?} is not in the taxonomy"))
                }
                Err(CategoryError::UnknownItem { item, class, .. }) => {
                    problems.push(format!("{what}: item {item:?} is not an item of {class}"))
                }
            }
            if Status::parse(&r.status).is_none() {
                let all: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
                problems.push(format!("{what}: status {:?} is not one of {}", r.status, all.join(", ")));
            }
            if !seen.insert(r.id.as_str()) || inner.by_id.contains_key(&r.id) || inner.inflight_ids.contains(&r.id) {
                dup.push(r.id.clone());
            }
        }
        if !problems.is_empty() {
            let n = problems.len();
            problems.truncate(5);
            return Err(LiveError::Bad(format!("{n} rows are not valid, nothing was imported: {}", problems.join("; "))));
        }
        if !dup.is_empty() {
            let n = dup.len();
            dup.truncate(5);
            return Err(LiveError::Conflict(format!(
                "{n} ids exist already or twice in the file, nothing was imported: {}",
                dup.join(", ")
            )));
        }
        let h = &d.hierarchy;
        let str_attr = |r: &wangge_engine::model::Incident, k: &str| {
            r.attributes.get(k).and_then(Value::as_str).filter(|v| !v.is_empty()).map(str::to_owned)
        };
        let incs: Vec<LiveIncident> = rows
            .iter()
            .enumerate()
            .map(|(n, r)| LiveIncident {
                id: r.id.clone(),
                key: key.as_deref().map(|k| row_key(k, n)),
                lon: r.position.x(),
                lat: r.position.y(),
                occurred_at: r.occurred_at,
                received_at,
                category: r.category.clone(),
                item: str_attr(r, "item"),
                status: Status::parse(&r.status).unwrap_or(Status::Reported),
                units: d
                    .locator
                    .locate(r.position.x(), r.position.y())
                    .map_or(Vec::new(), |leaf| h.chain(leaf).into_iter().rev().map(|u| h.units[u].id.0.clone()).collect()),
                reporter: str_attr(r, "reporter"),
                note: str_attr(r, "note"),
                transitions: Vec::new(),
            })
            .collect();
        for i in &incs {
            inner.inflight_ids.insert(i.id.clone());
        }
        drop(inner);
        let written = match store {
            Some(store) => write_batch(store, incs.iter()),
            None => Ok(()),
        };
        let mut inner = self.lock();
        for i in &incs {
            inner.inflight_ids.remove(&i.id);
        }
        written.map_err(|e| LiveError::Store(format!("the incidents were not stored: {e}")))?;
        let ids: Vec<String> = incs.iter().map(|i| i.id.clone()).collect();
        let unplaced = incs.iter().filter(|i| i.units.is_empty()).count();
        for i in incs {
            inner.insert(i);
        }
        self.version.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.events.publish("bulk", json!({"imported": ids.len()}).to_string());
        Ok((json!({"imported": ids.len(), "ids": ids, "outside_every_unit": unplaced}), false))
    }

    /// Group commit: queue the incident; the first waiting thread writes
    /// everything queued in one transaction, the others wait for it.
    fn write_grouped(&self, store: &Mutex<Store>, inc: LiveIncident) -> Result<(), String> {
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
                let batch = std::mem::take(&mut g.queue);
                drop(g);
                let r = write_batch(store, batch.iter().map(|b| &b.1));
                g = lock(&self.group);
                g.writing = false;
                for (t, _) in &batch {
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

    /// Take a lifecycle step; the transition is written before the answer.
    pub fn transition(&self, store: Option<&Mutex<Store>>, id: &str, body: StepBody) -> Result<Value, LiveError> {
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
        if let Some(store) = store {
            let st = lock(store);
            let c = st.connection();
            let write = || -> duckdb::Result<()> {
                c.execute_batch("BEGIN TRANSACTION")?;
                c.execute(
                    "INSERT INTO incident_transitions VALUES (?, ?, ?, ?)",
                    duckdb::params![id, inner.list[i].transitions.len() as i64, t.at, serde_json::to_string(&t).unwrap_or_default()],
                )?;
                c.execute("UPDATE live_incidents SET status = ? WHERE id = ?", duckdb::params![t.step.to.as_str(), id])?;
                c.execute_batch("COMMIT")
            };
            if let Err(e) = write() {
                let _ = c.execute_batch("ROLLBACK");
                return Err(LiveError::Store(format!("the transition was not stored: {e}")));
            }
        }
        let inc = &mut inner.list[i];
        inc.status = t.step.to;
        inc.transitions.push(t);
        let v = self.json(inc);
        self.version.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.events.publish("transition", v.to_string());
        Ok(v)
    }
}

/// Write incidents in one transaction.
fn write_batch<'a>(store: &Mutex<Store>, batch: impl Iterator<Item = &'a LiveIncident>) -> Result<(), String> {
    let st = lock(store);
    let c = st.connection();
    let run = || -> duckdb::Result<()> {
        c.execute_batch("BEGIN TRANSACTION")?;
        {
            // the appender writes rows in bulk (a prepared INSERT costs about 1 ms a row)
            let mut a = c.appender("live_incidents")?;
            for inc in batch {
                a.append_row(duckdb::params![
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
                ])?;
            }
            a.flush()?;
        }
        c.execute_batch("COMMIT")
    };
    run().map_err(|e| {
        let _ = c.execute_batch("ROLLBACK");
        e.to_string()
    })
}

impl Inner {
    fn insert(&mut self, inc: LiveIncident) {
        let i = self.list.len();
        self.by_id.insert(inc.id.clone(), i);
        if let Some(k) = &inc.key {
            self.by_key.insert(k.clone(), i);
        }
        self.list.push(inc);
    }
}

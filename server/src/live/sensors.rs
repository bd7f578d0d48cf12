//! Sensors on the map and their readings: a reading past its kind's
//! threshold opens one incident, and no other while that one is open.

use serde::Deserialize;
use serde_json::{Value, json};

use super::persist::SensorReading;
use super::{Inner, Live, LiveError, NewIncident, now};
use wangge_engine::dataset::Dataset;

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

impl Live {
    /// Register a sensor.
    pub fn add_sensor(&self, s: Sensor) -> Result<Value, LiveError> {
        if s.id.trim().is_empty() {
            return Err(LiveError::Bad("id: empty".into()));
        }
        if !self.taxonomy.sensor_kinds.contains_key(&s.kind) {
            let kinds: Vec<&str> = self.taxonomy.sensor_kinds.keys().map(String::as_str).collect();
            return Err(LiveError::Bad(format!("kind {:?}: use one of {}", s.kind, kinds.join(", "))));
        }
        if !wangge_engine::geometry::validate::lonlat_in_range(s.lon, s.lat) {
            return Err(LiveError::Bad(format!("lon/lat {}, {}: not a WGS84 position", s.lon, s.lat)));
        }
        let mut inner = self.lock();
        if inner.sensors.contains_key(&s.id) {
            return Err(LiveError::Conflict(format!("a sensor with id {} exists", s.id)));
        }
        self.persist.insert_sensor(&s).map_err(|source| LiveError::Store { what: "the sensor", source })?;
        let v = self.sensor_json(&s, &inner);
        inner.sensors.insert(s.id.clone(), s);
        self.version.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(v)
    }

    fn sensor_json(&self, s: &Sensor, inner: &Inner) -> Value {
        let kind = self.taxonomy.sensor_kinds.get(&s.kind);
        let breach = s.last.and_then(|(_, v)| kind.and_then(|k| k.breach(v)));
        // its last incident: open (in memory) or closed (in the store)
        let incident = s.incident.as_ref().and_then(|id| match inner.list_get(id) {
            Some(i) => Some(json!({"id": i.id, "status": i.status.as_str()})),
            None => match self.persist.find(super::Lookup::Id(id)) {
                Ok(found) => found.map(|i| json!({"id": i.id, "status": i.status.as_str()})),
                Err(e) => {
                    tracing::warn!(error = %e, incident = %id, "a sensor's incident not read back from the store");
                    Some(json!({"id": id, "status": null}))
                }
            },
        });
        json!({
            "id": s.id, "kind": s.kind, "lon": s.lon, "lat": s.lat, "name": s.name,
            "unit": kind.map(|k| &k.unit), "min": kind.and_then(|k| k.min), "max": kind.and_then(|k| k.max),
            "last": s.last.map(|(t, v)| json!({"at": wangge_engine::time::format_time(t), "value": v})),
            "alarm": breach.is_some(), "breach": breach,
            "incident": incident,
        })
    }

    /// Where sensor `id` is (lon, lat), if it is registered.
    pub fn sensor_position(&self, id: &str) -> Option<(f64, f64)> {
        self.lock().sensors.get(id).map(|s| (s.lon, s.lat))
    }

    /// Every sensor with its state.
    pub fn sensors(&self) -> Vec<Value> {
        let inner = self.lock();
        inner.sensors.values().map(|s| self.sensor_json(s, &inner)).collect()
    }

    /// Record a reading; past its threshold it opens an incident (one while that incident is open).
    pub fn reading(&self, d: &Dataset, id: &str, r: Reading) -> Result<Value, LiveError> {
        if !r.value.is_finite() {
            return Err(LiveError::Bad(format!("value {}: not a number", r.value)));
        }
        let at = match &r.at {
            Some(t) => {
                wangge_engine::time::parse_time(t, 8 * 3600).ok_or_else(|| LiveError::Bad(format!("at {t:?}: expected ISO 8601")))?
            }
            None => now(),
        };
        let (sensor, breach, open) = {
            let inner = self.lock();
            let s = inner.sensors.get(id).ok_or_else(|| LiveError::NotFound(format!("no sensor with id {id}")))?.clone();
            let kind = self.taxonomy.sensor_kinds.get(&s.kind).cloned();
            let breach = kind.as_ref().and_then(|k| k.breach(r.value)).map(|b| (b, kind));
            let open = s.incident.as_ref().and_then(|i| inner.by_id.get(i)).is_some_and(|&i| !inner.list[i].status.is_closed());
            (s, breach, open)
        };
        // a breach opens an incident, reported by the system as "sensor:<id>", unless the sensor's last one is
        // still open; the key makes a repeated reading exactly-once
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
                occurred_at: Some(wangge_engine::time::format_time(at)),
                reporter: Some(format!("sensor:{id}")),
                note: Some(format!("{} {}: {why}", sensor.kind, id)),
            };
            let (v, _) = self.intake(d, body, Some(format!("sensor-{id}-{at}")))?;
            opened = v["id"].as_str().map(str::to_owned);
        }
        let kept = SensorReading {
            sensor_id: id.to_owned(),
            at,
            value: r.value,
            breach: breach.as_ref().map(|b| b.0.clone()),
            incident: opened.clone(),
        };
        self.persist.insert_reading(&kept).map_err(|source| LiveError::Store { what: "the reading", source })?;
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
        self.version.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.events.publish("sensor", out.to_string());
        Ok(json!({"sensor": out, "opened_incident": opened}))
    }
}

//! Sensors and their readings (`sensors`, `sensor_readings`).

use duckdb::params;

use super::{Ctx, Result, Store};
use crate::live::Sensor;
use crate::live::persist::SensorReading;

impl Store {
    /// Keep a new sensor (its id is the primary key).
    pub fn insert_sensor(&self, s: &Sensor) -> Result<()> {
        self.conn
            .execute("INSERT INTO sensors VALUES (?, ?, ?, ?, ?)", params![s.id, s.kind, s.lon, s.lat, s.name])
            .ctx(|| format!("storing sensor {}", s.id))?;
        Ok(())
    }

    /// Keep a reading with the breach it showed and the incident it opened.
    pub fn insert_reading(&self, r: &SensorReading) -> Result<()> {
        self.conn
            .execute("INSERT INTO sensor_readings VALUES (?, ?, ?, ?, ?)", params![r.sensor_id, r.at, r.value, r.breach, r.incident])
            .ctx(|| format!("storing a reading of sensor {}", r.sensor_id))?;
        Ok(())
    }

    /// Every sensor by id (without its last reading).
    pub fn sensors(&self) -> Result<Vec<Sensor>> {
        (|| -> duckdb::Result<Vec<Sensor>> {
            let mut q = self.conn.prepare("SELECT id, kind, lon, lat, name FROM sensors ORDER BY id")?;
            q.query_map([], |r| {
                Ok(Sensor { id: r.get(0)?, kind: r.get(1)?, lon: r.get(2)?, lat: r.get(3)?, name: r.get(4)?, last: None, incident: None })
            })?
            .collect()
        })()
        .ctx(|| "reading the sensors".into())
    }

    /// Every reading in the order taken.
    pub fn sensor_readings(&self) -> Result<Vec<SensorReading>> {
        (|| -> duckdb::Result<Vec<SensorReading>> {
            let mut q =
                self.conn.prepare("SELECT sensor_id, taken_at, value, breach, incident_id FROM sensor_readings ORDER BY taken_at")?;
            q.query_map([], |r| {
                Ok(SensorReading { sensor_id: r.get(0)?, at: r.get(1)?, value: r.get(2)?, breach: r.get(3)?, incident: r.get(4)? })
            })?
            .collect()
        })()
        .ctx(|| "reading the sensor readings".into())
    }
}

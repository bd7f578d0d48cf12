//! One SQL sandbox: a separate in-memory DuckDB database holding the tables
//! of [`super::tables`] for one jurisdiction, filled from the in-memory
//! `Dataset` and the live incident list through the appender, then
//! hardened.
//!
//! Hardening: the database is opened with external access off (no file,
//! URL or other database can be read or written: `read_csv`, `COPY`,
//! `ATTACH`, `FROM 'x.csv'` all fail inside DuckDB), extension autoloading
//! and autoinstalling off, community and unsigned extensions off, a memory
//! cap and two threads; once filled, `lock_configuration` makes every later
//! `SET`/`RESET`/`PRAGMA` that changes a setting fail. Each query runs on a
//! fresh connection ([`Sandbox::connection`]), so even a temporary object
//! could not outlive it. The store's own database is never touched: it
//! needs files for imports, exports and backups.
//!
//! Method: one pass over each layer, keeping what the jurisdiction holds
//! (`Jurisdiction::unit/building/camera/facility/incident/chain`), O(n) rows
//! appended; the live incidents are replaced (one transaction) when the live
//! list's version moved since the last query.

use std::sync::Mutex;
use std::time::Instant;

use duckdb::types::{TimeUnit, Value};
use duckdb::{Appender, AppenderParams, Config, Connection, params};
use geo::{Area, BoundingRect, InteriorPoint};
use wangge_engine::dataset::Dataset;
use wangge_engine::geometry::projection::LocalProjection;
use wangge_engine::incidents::lifecycle;
use wangge_engine::units::jurisdiction::Jurisdiction;

use super::tables;
use crate::live::{Live, LiveIncident};

/// Memory DuckDB may use per sandbox.
pub const MAX_MEMORY: &str = "1GB";
/// Threads per sandbox (the server shares its cores with everything else).
pub const THREADS: i64 = 2;

/// A filled, hardened database for one jurisdiction.
pub struct Sandbox {
    /// The connection that filled it; clones run the queries. Under its lock: the live version held.
    owner: Mutex<(Connection, Option<u64>)>,
    /// How long filling took (ms).
    pub build_ms: f64,
    /// Rows appended per table.
    pub rows: Vec<(&'static str, usize)>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox").field("build_ms", &self.build_ms).field("rows", &self.rows).finish()
    }
}

fn hardened() -> duckdb::Result<Config> {
    Config::default()
        .enable_external_access(false)?
        .enable_autoload_extension(false)?
        .with("autoinstall_known_extensions", "false")?
        .with("allow_community_extensions", "false")?
        .max_memory(MAX_MEMORY)?
        .threads(THREADS)
}

fn chain_ids(d: &Dataset, leaf: Option<usize>) -> (Value, Value) {
    let Some(l) = leaf else { return (Value::Null, Value::List(Vec::new())) };
    let h = &d.hierarchy;
    let ids = h.chain(l).into_iter().rev().map(|i| Value::Text(h.units[i].id.0.clone())).collect();
    (Value::Text(h.units[l].id.0.clone()), Value::List(ids))
}

fn text(s: Option<&str>) -> Value {
    s.map_or(Value::Null, |s| Value::Text(s.to_owned()))
}

fn ts(secs: i64) -> Value {
    Value::Timestamp(TimeUnit::Microsecond, secs.saturating_mul(1_000_000))
}

fn area_m2(g: &geo::MultiPolygon<f64>) -> f64 {
    g.bounding_rect().map_or(0.0, |r| LocalProjection::for_rect(r).project_multi(g).unsigned_area())
}

/// A point inside a (multi)polygon, as (lon, lat) values.
fn inside_point(g: &geo::MultiPolygon<f64>) -> (Option<f64>, Option<f64>) {
    g.interior_point().map_or((None, None), |p| (Some(p.x()), Some(p.y())))
}

impl Sandbox {
    /// Fill a new sandbox with what `j` holds of `d` and of the live incidents, and harden it.
    pub fn build(d: &Dataset, j: &Jurisdiction, live: &Live) -> duckdb::Result<Sandbox> {
        let t0 = Instant::now();
        let conn = Connection::open_in_memory_with_flags(hardened()?)?;
        conn.execute_batch(&tables::ddl())?;
        conn.execute_batch(tables::INCIDENTS_VIEW)?;
        let mut rows = Vec::with_capacity(FROM_DATASET.len());
        for &(table, push) in FROM_DATASET {
            rows.push((table, fill(&conn, table, |r| push(r, d, j))?));
        }
        conn.execute_batch("SET lock_configuration = true;")?;
        let s = Sandbox { owner: Mutex::new((conn, None)), build_ms: t0.elapsed().as_secs_f64() * 1e3, rows };
        s.refresh_live(d, j, live)?;
        Ok(s)
    }

    /// Replace the live incidents and the sensors when the live list changed since the last call.
    pub fn refresh_live(&self, d: &Dataset, j: &Jurisdiction, live: &Live) -> duckdb::Result<()> {
        let mut g = crate::sync::lock(&self.owner);
        let version = live.version.load(std::sync::atomic::Ordering::SeqCst);
        if g.1 == Some(version) {
            return Ok(());
        }
        // open cases from memory, closed ones from the store
        let inside: Vec<LiveIncident> =
            live.all_where(|i| j.chain(d, &i.units)).map_err(|e| duckdb::Error::ToSqlConversionFailure(Box::new(e)))?;
        let tx = g.0.transaction()?;
        tx.execute_batch("DELETE FROM live_incidents; DELETE FROM sensors;")?;
        fill(&tx, "live_incidents", |r| live_incidents(r, &inside))?;
        fill(&tx, "sensors", |r| sensors(r, d, j, &live.sensors()))?;
        tx.commit()?;
        g.1 = Some(version);
        Ok(())
    }

    /// A fresh connection to the sandbox for one query (its own temporary catalog and interrupt).
    pub fn connection(&self) -> duckdb::Result<Connection> {
        crate::sync::lock(&self.owner).0.try_clone()
    }
}

/// Rows appended to one table, counted.
struct Rows<'c> {
    appender: Appender<'c>,
    n: usize,
}

impl Rows<'_> {
    fn push<P: AppenderParams>(&mut self, row: P) -> duckdb::Result<()> {
        self.appender.append_row(row)?;
        self.n += 1;
        Ok(())
    }
}

/// Append to `table` the rows `f` pushes; how many.
fn fill(conn: &Connection, table: &str, f: impl FnOnce(&mut Rows<'_>) -> duckdb::Result<()>) -> duckdb::Result<usize> {
    let mut rows = Rows { appender: conn.appender(table)?, n: 0 };
    f(&mut rows)?;
    rows.appender.flush()?;
    Ok(rows.n)
}

/// Pushes the rows one base table takes from the dataset.
type FromDataset = fn(&mut Rows<'_>, &Dataset, &Jurisdiction) -> duckdb::Result<()>;

/// The base tables filled from the dataset once, in order, each with its rows (`live_incidents` and
/// `sensors`: [`Sandbox::refresh_live`]).
const FROM_DATASET: &[(&str, FromDataset)] = &[
    ("units", units),
    ("unit_tree", unit_tree),
    ("buildings", buildings),
    ("cameras", cameras),
    ("facilities", facilities),
    ("loaded_incidents", loaded_incidents),
    ("coverage", coverage),
];

fn units(r: &mut Rows<'_>, d: &Dataset, j: &Jurisdiction) -> duckdb::Result<()> {
    let h = &d.hierarchy;
    for (i, u) in h.units.iter().enumerate().filter(|(i, _)| j.unit(*i)) {
        let load = d.report.loads.get(i);
        let (lon, lat) = inside_point(&u.geometry);
        r.push(params![
            u.id.0,
            u.name,
            u.level.0,
            u.parent.as_ref().map(|p| p.0.as_str()),
            h.chain(i).len() as i32 - 1,
            load.map(|l| l.households as i64),
            load.map(|l| l.population as i64),
            load.map(|l| l.buildings as i64),
            d.unit_area_m2.get(i).copied(),
            Dataset::is_generated(&u.attributes),
            lon,
            lat,
            crate::wkb::encode(&geo::Geometry::MultiPolygon(u.geometry.clone())),
        ])?;
    }
    Ok(())
}

fn unit_tree(r: &mut Rows<'_>, d: &Dataset, j: &Jurisdiction) -> duckdb::Result<()> {
    let h = &d.hierarchy;
    for i in (0..h.len()).filter(|&i| j.unit(i)) {
        // ancestors above the jurisdiction's root are outside it and left out
        for (dist, anc) in h.chain(i).into_iter().enumerate().take_while(|(_, a)| j.unit(*a)) {
            r.push(params![h.units[i].id.0, h.units[anc].id.0, h.units[anc].level.0, dist as i32])?;
        }
    }
    Ok(())
}

fn buildings(r: &mut Rows<'_>, d: &Dataset, j: &Jurisdiction) -> duckdb::Result<()> {
    for (i, b) in d.buildings.iter().enumerate().filter(|(i, _)| j.building(d, *i)) {
        let (leaf, units) = chain_ids(d, d.building_assignment.get(i).and_then(|x| x.leaf));
        let (lon, lat) = inside_point(&b.footprint);
        r.push(params![
            b.id,
            leaf,
            units,
            b.households,
            b.population,
            b.floors,
            b.height.map(|m| m.0),
            area_m2(&b.footprint),
            lon,
            lat,
            crate::wkb::encode(&geo::Geometry::MultiPolygon(b.footprint.clone())),
        ])?;
    }
    Ok(())
}

fn cameras(r: &mut Rows<'_>, d: &Dataset, j: &Jurisdiction) -> duckdb::Result<()> {
    for (_, c) in d.cameras.iter().enumerate().filter(|(i, _)| j.camera(d, *i)) {
        let (leaf, units) = chain_ids(d, d.locator.locate_point(c.position));
        let v = c.effective_view();
        r.push(params![
            c.id,
            c.kind.as_str(),
            v.heading_deg,
            v.fov_deg,
            v.range_m.0,
            v.height_m.0,
            leaf,
            units,
            c.position.x(),
            c.position.y()
        ])?;
    }
    Ok(())
}

fn facilities(r: &mut Rows<'_>, d: &Dataset, j: &Jurisdiction) -> duckdb::Result<()> {
    for (_, f) in d.facilities.iter().enumerate().filter(|(i, _)| j.facility(d, *i)) {
        let (leaf, units) = chain_ids(d, d.locator.locate_point(f.position));
        r.push(params![f.id, f.kind, f.name, leaf, units, f.position.x(), f.position.y()])?;
    }
    Ok(())
}

fn loaded_incidents(r: &mut Rows<'_>, d: &Dataset, j: &Jurisdiction) -> duckdb::Result<()> {
    for (k, inc) in d.incidents.iter().enumerate().filter(|(k, _)| j.incident(d, *k)) {
        let (leaf, units) = chain_ids(d, d.incident_unit.get(k).copied().flatten());
        r.push(params![
            inc.id,
            inc.category,
            text(inc.attributes.get("item").and_then(|v| v.as_str())),
            inc.status,
            ts(inc.occurred_at),
            Value::Null,
            Value::Null,
            Dataset::is_generated(&inc.attributes),
            leaf,
            units,
            inc.position.x(),
            inc.position.y()
        ])?;
    }
    Ok(())
}

fn coverage(r: &mut Rows<'_>, d: &Dataset, j: &Jurisdiction) -> duckdb::Result<()> {
    let cov = d.coverage();
    for (i, c) in cov.units.iter().enumerate().filter(|(i, _)| j.unit(*i)) {
        let u = &d.hierarchy.units[i];
        r.push(params![
            u.id.0,
            u.name,
            u.level.0,
            c.ground_m2,
            c.covered_m2,
            c.ground_share,
            c.facade_m,
            c.facade_seen_m,
            c.facade_share,
            c.buildings as i64,
            c.buildings_unseen as i64,
            c.households_unseen as i64,
            c.cameras as i64,
            c.area_m2,
            c.cameras_per_km2
        ])?;
    }
    Ok(())
}

/// The live incidents `j` holds (open ones from memory, closed ones from the store, as `Live::all_where` gives them).
fn live_incidents(r: &mut Rows<'_>, inside: &[LiveIncident]) -> duckdb::Result<()> {
    for i in inside {
        let leaf = i.units.last().map_or(Value::Null, |u| Value::Text(u.clone()));
        let units = Value::List(i.units.iter().map(|u| Value::Text(u.clone())).collect());
        let resolved = lifecycle::resolved_level(&i.transitions).map(|l| l.as_str());
        r.push(params![
            i.id,
            i.category,
            i.item,
            i.status.as_str(),
            ts(i.occurred_at),
            ts(i.received_at),
            resolved,
            false,
            leaf,
            units,
            i.lon,
            i.lat
        ])?;
    }
    Ok(())
}

/// The sensors (as `Live::sensors` shows them) located inside `j`.
fn sensors(r: &mut Rows<'_>, d: &Dataset, j: &Jurisdiction, list: &[serde_json::Value]) -> duckdb::Result<()> {
    for s in list {
        let (Some(lon), Some(lat)) = (s["lon"].as_f64(), s["lat"].as_f64()) else { continue };
        let p = geo::Point::new(lon, lat);
        if !j.point(d, p) {
            continue;
        }
        let (leaf, units) = chain_ids(d, d.locator.locate_point(p));
        let last_at = s["last"]["at"].as_str().and_then(|t| wangge_engine::time::parse_time(t, 0)).map_or(Value::Null, ts);
        r.push(params![
            s["id"].as_str(),
            s["kind"].as_str(),
            s["name"].as_str(),
            s["unit"].as_str(),
            s["min"].as_f64(),
            s["max"].as_f64(),
            last_at,
            s["last"]["value"].as_f64(),
            s["alarm"].as_bool(),
            s["breach"].as_str(),
            s["incident"]["id"].as_str(),
            leaf,
            units,
            lon,
            lat
        ])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_base_table_is_filled_once() {
        // live_incidents and sensors: refresh_live
        let mut filled: Vec<&str> = super::FROM_DATASET.iter().map(|(t, _)| *t).chain(["live_incidents", "sensors"]).collect();
        let mut want: Vec<&str> = super::tables::TABLES.iter().filter(|t| t.kind == "table").map(|t| t.name).collect();
        filled.sort_unstable();
        want.sort_unstable();
        assert_eq!(filled, want);
    }
}

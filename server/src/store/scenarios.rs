//! Planning scenarios and layer publications (issue 15).
//!
//! A scenario row holds a draft of the units layer (the engine's
//! `planning::DraftRecord` as JSON), its op log and cursor, the version of the
//! units layer it started from and a revision that every write raises by one:
//! a write names the revision it was based on and a stale one is refused with
//! the current revision ([`Written::Stale`]), so of two planners on one scenario
//! the second learns it and reloads (optimistic concurrency).
//!
//! Publishing writes the draft as the next units version with
//! [`Store::write_layer`] (one transaction with the integrity report) and, in
//! the same transaction, who published it, when, why, from which scenario, or
//! which version it rolls back to (`layer_publications`).

use duckdb::{OptionalExt, params};
use serde::Serialize;
use wangge_engine::model::{Layer, LayerKind};

use super::{Ctx, Result, Store, StoreError};

/// One scenario as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioRow {
    pub id: String,
    pub name: String,
    pub author: String,
    /// The unit whose subtree the scenario plans (its author's jurisdiction; none: the whole district).
    pub unit: Option<String>,
    pub description: String,
    /// The units version the scenario started from.
    pub base_version: i32,
    pub revision: i64,
    /// The op log (JSON array of the engine's `planning::Op`).
    #[serde(skip)]
    pub ops: String,
    pub cursor: i64,
    /// The current draft (JSON of the engine's `planning::DraftRecord`).
    #[serde(skip)]
    pub draft: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// The units version it was last published as.
    pub published_version: Option<i32>,
}

/// The outcome of a conditional write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Written; the new revision.
    Done(i64),
    /// The caller's revision is not the current one (given).
    Stale(i64),
    /// No such scenario.
    Missing,
}

/// Who wrote a layer version and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Publication {
    pub author: String,
    pub message: String,
    pub scenario: Option<String>,
    pub rollback_of: Option<i32>,
    pub at_ms: i64,
}

/// One units version with its publication (none for versions written by an import).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionRecord {
    pub version: i32,
    pub features: i64,
    pub source: Option<String>,
    pub created_at: String,
    #[serde(flatten)]
    pub publication: Option<Publication>,
}

const COLUMNS: &str =
    "id, name, author, unit, description, base_version, revision, ops, op_cursor, draft, created_at, updated_at, published_version";

fn row(r: &duckdb::Row<'_>) -> duckdb::Result<ScenarioRow> {
    Ok(ScenarioRow {
        id: r.get(0)?,
        name: r.get(1)?,
        author: r.get(2)?,
        unit: r.get(3)?,
        description: r.get(4)?,
        base_version: r.get(5)?,
        revision: r.get(6)?,
        ops: r.get(7)?,
        cursor: r.get(8)?,
        draft: r.get(9)?,
        created_at: r.get(10)?,
        updated_at: r.get(11)?,
        published_version: r.get(12)?,
    })
}

impl Store {
    /// Add a scenario; false when its id or name is taken.
    pub fn scenario_create(&self, s: &ScenarioRow) -> Result<bool> {
        let taken: i64 = self
            .conn
            .query_row("SELECT count(*) FROM scenarios WHERE id = ? OR name = ?", params![s.id, s.name], |r| r.get(0))
            .ctx(|| format!("looking for scenario {}", s.name))?;
        if taken > 0 {
            return Ok(false);
        }
        self.conn
            .execute(
                &format!("INSERT INTO scenarios ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                params![
                    s.id,
                    s.name,
                    s.author,
                    s.unit,
                    s.description,
                    s.base_version,
                    s.revision,
                    s.ops,
                    s.cursor,
                    s.draft,
                    s.created_at,
                    s.updated_at,
                    s.published_version
                ],
            )
            .ctx(|| format!("storing scenario {}", s.name))?;
        Ok(true)
    }

    /// Every scenario, newest first.
    pub fn scenarios(&self) -> Result<Vec<ScenarioRow>> {
        (|| -> duckdb::Result<Vec<ScenarioRow>> {
            let mut st = self.conn.prepare(&format!("SELECT {COLUMNS} FROM scenarios ORDER BY created_at DESC, id"))?;
            st.query_map([], row)?.collect()
        })()
        .ctx(|| "listing the scenarios".into())
    }

    /// The scenario with this id (or, failing that, this name).
    pub fn scenario(&self, id_or_name: &str) -> Result<Option<ScenarioRow>> {
        (|| -> duckdb::Result<Option<ScenarioRow>> {
            let mut st =
                self.conn.prepare(&format!("SELECT {COLUMNS} FROM scenarios WHERE id = ? OR name = ? ORDER BY id = ? DESC LIMIT 1"))?;
            st.query_row(params![id_or_name, id_or_name, id_or_name], row).optional()
        })()
        .ctx(|| format!("reading scenario {id_or_name}"))
    }

    /// Replace the draft and op log of scenario `id` if its revision is still `based_on`.
    pub fn scenario_update(&self, id: &str, based_on: i64, ops: &str, cursor: i64, draft: &str, now_ms: i64) -> Result<Written> {
        self.transaction(&format!("updating scenario {id}"), |s| {
            let current: Option<i64> = s
                .conn
                .query_row("SELECT revision FROM scenarios WHERE id = ?", params![id], |r| r.get(0))
                .optional()
                .ctx(|| format!("reading the revision of scenario {id}"))?;
            let Some(current) = current else { return Ok(Written::Missing) };
            if current != based_on {
                return Ok(Written::Stale(current));
            }
            s.conn
                .execute(
                    "UPDATE scenarios SET ops = ?, op_cursor = ?, draft = ?, revision = ?, updated_at = ? WHERE id = ?",
                    params![ops, cursor, draft, current + 1, now_ms, id],
                )
                .ctx(|| format!("writing scenario {id}"))?;
            Ok(Written::Done(current + 1))
        })
    }

    /// Remove a scenario; whether it was there.
    pub fn scenario_delete(&self, id: &str) -> Result<bool> {
        let n = self.conn.execute("DELETE FROM scenarios WHERE id = ?", params![id]).ctx(|| format!("deleting scenario {id}"))?;
        Ok(n > 0)
    }

    /// Write `units` as the next units version with its publication, in one transaction with the integrity report
    /// `report` computes over the new state (as an import does). The scenario, if any, records the version.
    pub fn publish_units(
        &mut self,
        units: &Layer,
        source: &str,
        p: &Publication,
        report: impl FnOnce(&Store) -> Result<Option<(i32, i32, String)>>,
    ) -> Result<i32> {
        if units.kind() != LayerKind::Units {
            return Err(StoreError::Corrupt(format!("publishing a {} layer as units", units.kind())));
        }
        self.write_layer(units, source, "wgs84", |s| {
            let v: i32 = s
                .conn
                .query_row("SELECT max(version) FROM layer_versions WHERE layer = 'units'", [], |r| r.get(0))
                .ctx(|| "numbering the published units version".into())?;
            s.conn
                .execute(
                    "INSERT INTO layer_publications (layer, version, author, message, scenario, rollback_of, at_ms) VALUES ('units', ?, ?, ?, ?, ?, ?)",
                    params![v, p.author, p.message, p.scenario, p.rollback_of, p.at_ms],
                )
                .ctx(|| format!("recording who published units version {v}"))?;
            if let Some(id) = &p.scenario {
                s.conn
                    .execute("UPDATE scenarios SET published_version = ? WHERE id = ?", params![v, id])
                    .ctx(|| format!("marking scenario {id} published"))?;
            }
            report(s)
        })
    }

    /// Every units version with its publication, newest first.
    pub fn unit_versions(&self) -> Result<Vec<VersionRecord>> {
        (|| -> duckdb::Result<Vec<VersionRecord>> {
            let mut st = self.conn.prepare(
                "SELECT v.version, v.features, v.source, strftime(v.created_at, '%Y-%m-%dT%H:%M:%SZ'), p.author, p.message, p.scenario, p.rollback_of, p.at_ms \
                 FROM layer_versions v LEFT JOIN layer_publications p ON p.layer = v.layer AND p.version = v.version \
                 WHERE v.layer = 'units' ORDER BY v.version DESC",
            )?;
            st.query_map([], |r| {
                let author: Option<String> = r.get(4)?;
                let publication = match author {
                    Some(author) => Some(Publication {
                        author,
                        message: r.get(5)?,
                        scenario: r.get(6)?,
                        rollback_of: r.get(7)?,
                        at_ms: r.get(8)?,
                    }),
                    None => None,
                };
                Ok(VersionRecord { version: r.get(0)?, features: r.get(1)?, source: r.get(2)?, created_at: r.get(3)?, publication })
            })?
            .collect()
        })()
        .ctx(|| "listing the units versions".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(id: &str) -> ScenarioRow {
        ScenarioRow {
            id: id.into(),
            name: format!("name {id}"),
            author: "li".into(),
            unit: None,
            description: String::new(),
            base_version: 1,
            revision: 0,
            ops: "[]".into(),
            cursor: 0,
            draft: "{}".into(),
            created_at: 1,
            updated_at: 1,
            published_version: None,
        }
    }

    #[test]
    fn a_stale_revision_is_refused_with_the_current_one() {
        let s = Store::memory().expect("memory");
        assert!(s.scenario_create(&scenario("a")).expect("create"));
        assert!(!s.scenario_create(&scenario("a")).expect("again"), "the id is taken");
        assert_eq!(s.scenario_update("a", 0, "[1]", 1, "{\"x\":1}", 2).expect("write"), Written::Done(1));
        assert_eq!(s.scenario_update("a", 0, "[2]", 1, "{}", 3).expect("stale"), Written::Stale(1));
        assert_eq!(s.scenario_update("b", 0, "[]", 0, "{}", 3).expect("missing"), Written::Missing);
        let got = s.scenario("name a").expect("read").expect("there");
        assert_eq!((got.revision, got.ops.as_str(), got.cursor), (1, "[1]", 1));
        assert!(s.scenario_delete("a").expect("delete"));
        assert!(s.scenarios().expect("list").is_empty());
    }
}

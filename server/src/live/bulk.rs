//! Many incidents at once (a CSV or GeoJSON file read by the importer): all
//! or nothing, kept in one write before the answer.

use serde_json::{Value, json};
use wangge_engine::incidents::lifecycle::{self, Status};
use wangge_engine::incidents::taxonomy::CategoryError;
use wangge_engine::people::Actor;

use super::{Live, LiveError, LiveIncident, now};
use wangge_engine::dataset::Dataset;

impl Live {
    /// Take many incidents at once (a CSV or GeoJSON file read by the
    /// importer): all or nothing — every row is checked against the taxonomy
    /// and the lifecycle's statuses and for duplicate ids first, then all are
    /// assigned to their units and written in one transaction before the
    /// answer. They enter the lifecycle at the status given (default
    /// reported); their earlier history is not known. With an idempotency key
    /// seen before, the first answer again (and `true`).
    pub fn bulk(&self, d: &Dataset, rows: Vec<wangge_engine::model::Incident>, key: Option<String>) -> Result<(Value, bool), LiveError> {
        self.bulk_by(d, rows, key, &Actor::local())
    }

    /// [`Live::bulk`] reported by `by`: every row must fall in `by`'s
    /// jurisdiction (and `by` be allowed to report), else nothing is imported
    /// and the rows outside are named.
    pub fn bulk_by(
        &self,
        d: &Dataset,
        rows: Vec<wangge_engine::model::Incident>,
        key: Option<String>,
        by: &Actor,
    ) -> Result<(Value, bool), LiveError> {
        // the role first (one's own unit is inside one's jurisdiction), each row's place below
        lifecycle::authorize_report(by, by.unit.as_slice()).map_err(|e| LiveError::Forbidden(e.to_string()))?;
        let row_key = |k: &str, n: usize| format!("{k}#{n}");
        let mut inner = self.lock();
        if let Some(k) = &key {
            if inner.inflight_keys.contains(&row_key(k, 0)) {
                return Err(LiveError::in_flight(k));
            }
            // each row's case: open (in memory) or closed (in the store)
            let mut ids: Vec<String> = Vec::new();
            loop {
                let rk = row_key(k, ids.len());
                match inner.by_key.get(&rk) {
                    Some(&i) => ids.push(inner.list[i].id.clone()),
                    None => match self.closed_by_key(&inner, &rk)? {
                        Some(i) => ids.push(i.id),
                        None => break,
                    },
                }
            }
            if !ids.is_empty() {
                return Ok((json!({"imported": ids.len(), "ids": ids}), true));
            }
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
        // closed cases are in the store only
        let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).filter(|id| !dup.iter().any(|d| d == id)).collect();
        dup.extend(self.closed_ids(&inner, &ids)?);
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
                urges: Vec::new(),
            })
            .collect();
        let outside: Vec<String> =
            incs.iter().filter_map(|i| lifecycle::authorize_report(by, &i.units).err().map(|e| format!("{}: {e}", i.id))).collect();
        if !outside.is_empty() {
            let n = outside.len();
            return Err(LiveError::Forbidden(format!(
                "{n} rows may not be reported by you, nothing was imported: {}",
                outside[..n.min(3)].join("; ")
            )));
        }
        // ids and row keys held while written: an intake or another import with one of them waits its turn (409)
        for i in &incs {
            inner.inflight_ids.insert(i.id.clone());
            if let Some(k) = &i.key {
                inner.inflight_keys.insert(k.clone());
            }
        }
        drop(inner);
        let written = self.persist.insert_incidents(&incs);
        let mut inner = self.lock();
        for i in &incs {
            inner.inflight_ids.remove(&i.id);
            if let Some(k) = &i.key {
                inner.inflight_keys.remove(k);
            }
        }
        written.map_err(|source| LiveError::Store { what: "the incidents", source })?;
        let ids: Vec<String> = incs.iter().map(|i| i.id.clone()).collect();
        let unplaced = incs.iter().filter(|i| i.units.is_empty()).count();
        for i in incs {
            inner.insert(i);
        }
        self.version.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.events.publish("bulk", json!({"imported": ids.len()}).to_string());
        Ok((json!({"imported": ids.len(), "ids": ids, "outside_every_unit": unplaced}), false))
    }
}

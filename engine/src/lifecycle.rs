//! The 下呼上应 incident lifecycle: which step may follow which, what each
//! step must carry, deadlines and overdue flags.
//!
//! reported → called (社区呼叫) | dispatched (分级响应) | resolved (on the spot)
//! called → dispatched | resolved
//! dispatched → in_progress | dispatched (escalated to another level)
//! in_progress → resolved | dispatched (escalated)
//! resolved → evaluated
//! A dispatch names the response level and departments from the configured
//! list; a resolution names the level that resolved it; an evaluation gives
//! satisfaction 1–5 and a score 0–100. Every transition keeps its time and actor.

use serde::{Deserialize, Serialize};

/// Where an incident stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Reported,
    Called,
    Dispatched,
    InProgress,
    Resolved,
    Evaluated,
}

impl Status {
    pub const ALL: [Status; 6] =
        [Status::Reported, Status::Called, Status::Dispatched, Status::InProgress, Status::Resolved, Status::Evaluated];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Reported => "reported",
            Status::Called => "called",
            Status::Dispatched => "dispatched",
            Status::InProgress => "in_progress",
            Status::Resolved => "resolved",
            Status::Evaluated => "evaluated",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The steps allowed from here.
    pub fn next(self) -> &'static [Status] {
        match self {
            Status::Reported => &[Status::Called, Status::Dispatched, Status::Resolved],
            Status::Called => &[Status::Dispatched, Status::Resolved],
            Status::Dispatched => &[Status::InProgress, Status::Dispatched],
            Status::InProgress => &[Status::Resolved, Status::Dispatched],
            Status::Resolved => &[Status::Evaluated],
            Status::Evaluated => &[],
        }
    }
}

/// The level that responds or resolves (小事不出楼栋、纠纷不出网格、矛盾不出社区).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseLevel {
    BuildingGrid,
    Grid,
    Community,
    Street,
    District,
}

impl ResponseLevel {
    pub const ALL: [ResponseLevel; 5] =
        [ResponseLevel::BuildingGrid, ResponseLevel::Grid, ResponseLevel::Community, ResponseLevel::Street, ResponseLevel::District];

    pub fn as_str(self) -> &'static str {
        match self {
            ResponseLevel::BuildingGrid => "building_grid",
            ResponseLevel::Grid => "grid",
            ResponseLevel::Community => "community",
            ResponseLevel::Street => "street",
            ResponseLevel::District => "district",
        }
    }
}

/// A requested step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub to: Status,
    pub actor: String,
    #[serde(default)]
    pub level: Option<ResponseLevel>,
    #[serde(default)]
    pub departments: Vec<String>,
    #[serde(default)]
    pub satisfaction: Option<u8>,
    #[serde(default)]
    pub score: Option<f64>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A step taken, with its time (Unix seconds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    pub from: Status,
    #[serde(flatten)]
    pub step: Step,
    pub at: i64,
}

/// Why a step was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StepError {
    #[error("cannot go from {from} to {to}; allowed next: {}", allowed_list(.allowed))]
    NotAllowed { from: &'static str, to: &'static str, allowed: Vec<&'static str> },
    #[error("{0}")]
    Missing(String),
}

fn allowed_list(a: &[&'static str]) -> String {
    if a.is_empty() { "none (the incident is closed)".into() } else { a.join(", ") }
}

/// The configured departments (the taxonomy file's list).
#[derive(Debug, Clone, Default)]
pub struct Flow {
    pub departments: Vec<String>,
}

impl Flow {
    /// Check a step against the current status; the transition to record.
    pub fn step(&self, from: Status, step: Step, at: i64) -> Result<Transition, StepError> {
        if !from.next().contains(&step.to) {
            return Err(StepError::NotAllowed {
                from: from.as_str(),
                to: step.to.as_str(),
                allowed: from.next().iter().map(|s| s.as_str()).collect(),
            });
        }
        if step.actor.trim().is_empty() {
            return Err(StepError::Missing("actor: who takes the step is required".into()));
        }
        match step.to {
            Status::Dispatched => {
                if step.level.is_none() {
                    return Err(StepError::Missing("level: a dispatch names the response level (building_grid … district)".into()));
                }
                if step.departments.is_empty() {
                    return Err(StepError::Missing("departments: a dispatch names at least one department".into()));
                }
                if let Some(d) = step.departments.iter().find(|d| !self.departments.contains(d)) {
                    return Err(StepError::Missing(format!(
                        "departments: unknown department {d:?}; known: {}",
                        self.departments.join(", ")
                    )));
                }
            }
            Status::Resolved if step.level.is_none() => {
                return Err(StepError::Missing("level: a resolution names the level that resolved it".into()));
            }
            Status::Evaluated => {
                if !step.satisfaction.is_some_and(|s| (1..=5).contains(&s)) {
                    return Err(StepError::Missing("satisfaction: 1 to 5 is required".into()));
                }
                if !step.score.is_some_and(|s| s.is_finite() && (0.0..=100.0).contains(&s)) {
                    return Err(StepError::Missing("score: 0 to 100 is required".into()));
                }
            }
            _ => {}
        }
        Ok(Transition { from, step, at })
    }
}

/// Hours allowed per response level for a category (from the taxonomy file).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Deadlines(pub std::collections::BTreeMap<String, std::collections::BTreeMap<ResponseLevel, f64>>);

impl Deadlines {
    /// Whether an incident dispatched at `since` to `level` is overdue at `now` (not yet resolved).
    pub fn overdue(&self, category: &str, level: ResponseLevel, since: i64, now: i64) -> bool {
        self.0.get(category).and_then(|m| m.get(&level)).is_some_and(|h| (now - since) as f64 > h * 3600.0)
    }
}

/// The incident taxonomy: classes with items, departments, deadlines (a JSON file, `data/taxonomy.json` by default).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Taxonomy {
    pub classes: Vec<TaxonomyClass>,
    pub departments: Vec<String>,
    #[serde(default)]
    pub deadlines_h: std::collections::BTreeMap<String, std::collections::BTreeMap<ResponseLevel, f64>>,
    /// Thresholds per sensor kind.
    #[serde(default)]
    pub sensor_kinds: std::collections::BTreeMap<String, SensorKind>,
}

/// A sensor kind: its unit, the allowed range, and the incident a reading outside it opens.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SensorKind {
    pub unit: String,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    pub category: String,
    #[serde(default)]
    pub item: Option<String>,
}

impl SensorKind {
    /// Why a reading is past the threshold, if it is.
    pub fn breach(&self, value: f64) -> Option<String> {
        if self.min.is_some_and(|m| value < m) {
            return Some(format!("{value} {} below {}", self.unit, self.min.unwrap_or_default()));
        }
        if self.max.is_some_and(|m| value > m) {
            return Some(format!("{value} {} above {}", self.unit, self.max.unwrap_or_default()));
        }
        None
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct TaxonomyClass {
    pub name: String,
    pub items: Vec<String>,
}

impl Taxonomy {
    /// Parse and check a taxonomy: names unique, deadlines for known classes and positive.
    pub fn parse(text: &str) -> Result<Taxonomy, String> {
        let t: Taxonomy = serde_json::from_str(text).map_err(|e| format!("taxonomy: {e}"))?;
        let mut names: Vec<&str> = t.classes.iter().map(|c| c.name.as_str()).collect();
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(format!("taxonomy: class {:?} listed twice", w[0]));
        }
        for (class, per) in &t.deadlines_h {
            if !names.contains(&class.as_str()) {
                return Err(format!("taxonomy: deadline for unknown class {class:?}"));
            }
            if let Some((l, h)) = per.iter().find(|(_, h)| !(h.is_finite() && **h > 0.0)) {
                return Err(format!("taxonomy: deadline of {class:?} at {} must be more than 0 hours, not {h}", l.as_str()));
            }
        }
        if t.departments.is_empty() {
            return Err("taxonomy: no departments to dispatch to".into());
        }
        for (k, sk) in &t.sensor_kinds {
            if !names.contains(&sk.category.as_str()) {
                return Err(format!("taxonomy: sensor kind {k:?} opens incidents of unknown class {:?}", sk.category));
            }
            if sk.min.is_none() && sk.max.is_none() {
                return Err(format!("taxonomy: sensor kind {k:?} has neither min nor max"));
            }
        }
        Ok(t)
    }

    pub fn flow(&self) -> Flow {
        Flow { departments: self.departments.clone() }
    }

    pub fn deadlines(&self) -> Deadlines {
        Deadlines(self.deadlines_h.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow() -> Flow {
        Flow { departments: vec!["城管".into(), "公安".into()] }
    }

    fn step(to: Status) -> Step {
        let mut s =
            Step { to, actor: "网格员 张三".into(), level: None, departments: vec![], satisfaction: None, score: None, note: None };
        match to {
            Status::Dispatched => {
                s.level = Some(ResponseLevel::Community);
                s.departments = vec!["城管".into()];
            }
            Status::Resolved => s.level = Some(ResponseLevel::Grid),
            Status::Evaluated => {
                s.satisfaction = Some(5);
                s.score = Some(96.0);
            }
            _ => {}
        }
        s
    }

    #[test]
    fn every_allowed_and_forbidden_transition() {
        let allowed = [
            (Status::Reported, Status::Called),
            (Status::Reported, Status::Dispatched),
            (Status::Reported, Status::Resolved),
            (Status::Called, Status::Dispatched),
            (Status::Called, Status::Resolved),
            (Status::Dispatched, Status::InProgress),
            (Status::Dispatched, Status::Dispatched),
            (Status::InProgress, Status::Resolved),
            (Status::InProgress, Status::Dispatched),
            (Status::Resolved, Status::Evaluated),
        ];
        let f = flow();
        for from in Status::ALL {
            for to in Status::ALL {
                let r = f.step(from, step(to), 100);
                if allowed.contains(&(from, to)) {
                    let t = r.unwrap_or_else(|e| panic!("{from:?} → {to:?}: {e}"));
                    assert_eq!((t.from, t.step.to, t.at), (from, to, 100));
                } else {
                    let e = r.expect_err("forbidden");
                    let msg = e.to_string();
                    assert!(msg.contains("allowed next"), "{msg}");
                    for n in from.next() {
                        assert!(msg.contains(n.as_str()), "{msg} names {n:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_default_taxonomy_covers_the_generated_categories() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/taxonomy.json")).expect("data/taxonomy.json");
        let t = Taxonomy::parse(&text).expect("valid");
        for c in crate::synth::CATEGORIES {
            assert!(t.classes.iter().any(|k| k.name == c), "{c}");
            assert_eq!(t.deadlines_h.get(c).map(|m| m.len()), Some(5), "{c}: a deadline per level");
        }
        assert!(t.flow().departments.contains(&"城管执法".to_owned()));
        let gas = &t.sensor_kinds["gas"];
        assert!(gas.breach(25.0).is_some_and(|m| m.contains("above")) && gas.breach(5.0).is_none());
        assert!(t.sensor_kinds["water_pressure"].breach(0.1).is_some_and(|m| m.contains("below")));
        assert!(Taxonomy::parse(r#"{"classes":[{"name":"a","items":[]},{"name":"a","items":[]}],"departments":["x"]}"#).is_err());
        assert!(Taxonomy::parse(r#"{"classes":[{"name":"a","items":[]}],"departments":["x"],"deadlines_h":{"a":{"grid":0}}}"#).is_err());
    }

    #[test]
    fn steps_must_carry_what_they_need() {
        let f = flow();
        let mut s = step(Status::Dispatched);
        s.departments = vec!["水务".into()];
        assert!(f.step(Status::Reported, s, 0).expect_err("unknown department").to_string().contains("水务"));
        let mut s = step(Status::Dispatched);
        s.level = None;
        assert!(f.step(Status::Reported, s, 0).is_err());
        let mut s = step(Status::Evaluated);
        s.satisfaction = Some(6);
        assert!(f.step(Status::Resolved, s, 0).expect_err("satisfaction").to_string().contains("1 to 5"));
        let mut s = step(Status::Resolved);
        s.actor = " ".into();
        assert!(f.step(Status::InProgress, s, 0).is_err());
        let d = Deadlines([("治安".to_owned(), [(ResponseLevel::Grid, 24.0)].into_iter().collect())].into_iter().collect());
        assert!(!d.overdue("治安", ResponseLevel::Grid, 0, 24 * 3600));
        assert!(d.overdue("治安", ResponseLevel::Grid, 0, 24 * 3600 + 1));
        assert!(!d.overdue("其他", ResponseLevel::Grid, 0, 1_000_000));
    }
}

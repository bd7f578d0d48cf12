//! The incident taxonomy (a JSON file, `data/taxonomy.json` by default):
//! classes with their items, the departments a dispatch may name, deadlines
//! per class and response level, and sensor kinds with their thresholds.
//!
//! Method: parsed with serde, then checked (class names unique, deadlines
//! for known classes and positive, at least one department, sensor kinds
//! opening incidents of known classes with a bound); an incident's category
//! and item are looked up in it. O(c log c) to check, O(c + i) a lookup.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::incidents::lifecycle::{Deadlines, Flow, ResponseLevel};

/// Why a taxonomy file was refused.
#[derive(Debug, thiserror::Error)]
pub enum TaxonomyError {
    #[error("taxonomy: {0}")]
    Json(#[from] serde_json::Error),
    #[error("taxonomy: class {class:?} listed twice")]
    DuplicateClass { class: String },
    #[error("taxonomy: deadline for unknown class {class:?}")]
    DeadlineForUnknownClass { class: String },
    #[error("taxonomy: deadline of {class:?} at {} must be more than 0 hours, not {hours}", .level.as_str())]
    DeadlineNotPositive { class: String, level: ResponseLevel, hours: f64 },
    #[error("taxonomy: no departments to dispatch to")]
    NoDepartments,
    #[error("taxonomy: sensor kind {kind:?} opens incidents of unknown class {class:?}")]
    SensorOfUnknownClass { kind: String, class: String },
    #[error("taxonomy: sensor kind {kind:?} has neither min nor max")]
    SensorWithoutBounds { kind: String },
}

/// Why an incident's category or item is not in the taxonomy.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CategoryError {
    #[error("category {category:?} is not in the taxonomy: {}", .known.join(", "))]
    UnknownCategory { category: String, known: Vec<String> },
    #[error("item {item:?} is not an item of {class}: {}", .items.join(", "))]
    UnknownItem { item: String, class: String, items: Vec<String> },
}

/// The incident taxonomy: classes with items, departments, deadlines (a JSON file, `data/taxonomy.json` by default).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Taxonomy {
    pub classes: Vec<TaxonomyClass>,
    pub departments: Vec<String>,
    #[serde(default)]
    pub deadlines_h: BTreeMap<String, BTreeMap<ResponseLevel, f64>>,
    /// Thresholds per sensor kind.
    #[serde(default)]
    pub sensor_kinds: BTreeMap<String, SensorKind>,
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
    pub fn parse(text: &str) -> Result<Taxonomy, TaxonomyError> {
        let t: Taxonomy = serde_json::from_str(text)?;
        let mut names: Vec<&str> = t.classes.iter().map(|c| c.name.as_str()).collect();
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(TaxonomyError::DuplicateClass { class: w[0].to_owned() });
        }
        for (class, per) in &t.deadlines_h {
            if !names.contains(&class.as_str()) {
                return Err(TaxonomyError::DeadlineForUnknownClass { class: class.clone() });
            }
            if let Some((l, h)) = per.iter().find(|(_, h)| !(h.is_finite() && **h > 0.0)) {
                return Err(TaxonomyError::DeadlineNotPositive { class: class.clone(), level: *l, hours: *h });
            }
        }
        if t.departments.is_empty() {
            return Err(TaxonomyError::NoDepartments);
        }
        for (k, sk) in &t.sensor_kinds {
            if !names.contains(&sk.category.as_str()) {
                return Err(TaxonomyError::SensorOfUnknownClass { kind: k.clone(), class: sk.category.clone() });
            }
            if sk.min.is_none() && sk.max.is_none() {
                return Err(TaxonomyError::SensorWithoutBounds { kind: k.clone() });
            }
        }
        Ok(t)
    }

    /// The class of an incident's category, checking its item (if any) is one of the class's.
    pub fn class_of(&self, category: &str, item: Option<&str>) -> Result<&TaxonomyClass, CategoryError> {
        let Some(class) = self.classes.iter().find(|c| c.name == category) else {
            return Err(CategoryError::UnknownCategory {
                category: category.to_owned(),
                known: self.classes.iter().map(|c| c.name.clone()).collect(),
            });
        };
        if let Some(item) = item
            && !class.items.iter().any(|i| i == item)
        {
            return Err(CategoryError::UnknownItem { item: item.to_owned(), class: class.name.clone(), items: class.items.clone() });
        }
        Ok(class)
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

    #[test]
    fn the_default_taxonomy_covers_the_generated_categories() {
        // compiled in: a test binary that cargo reuses from another checkout (a shared target directory) keeps
        // the manifest directory of the checkout that built it, which may be gone
        let t = Taxonomy::parse(include_str!("../../../data/taxonomy.json")).expect("valid");
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
    fn categories_and_items_are_looked_up() {
        let t = Taxonomy::parse(r#"{"classes":[{"name":"a","items":["x"]}],"departments":["d"]}"#).expect("valid");
        assert_eq!(t.class_of("a", Some("x")).map(|c| c.name.as_str()), Ok("a"));
        assert!(t.class_of("a", None).is_ok());
        assert_eq!(t.class_of("b", None).expect_err("unknown").to_string(), "category \"b\" is not in the taxonomy: a");
        assert_eq!(t.class_of("a", Some("y")).expect_err("unknown item").to_string(), "item \"y\" is not an item of a: x");
        let e = Taxonomy::parse(r#"{"classes":[{"name":"a","items":[]}],"departments":["x"],"deadlines_h":{"a":{"grid":0}}}"#);
        assert_eq!(e.expect_err("zero").to_string(), "taxonomy: deadline of \"a\" at grid must be more than 0 hours, not 0");
    }
}

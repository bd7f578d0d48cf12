//! Unit codes after GB/T 30428.1 (数字化城市管理信息系统 第1部分：单元网格): checked and proposed.
//!
//! Layout assumed (the standard's grid code, as the project brief states it):
//! 15 digits = county (区县) 6 + street (街道) 3 + community (社区) 3 +
//! grid (网格) 3. A unit's code is its `code` attribute, or else its
//! `division_code` (OpenStreetMap's admin boundaries carry the 6- and 9-digit
//! 行政区划代码). Rules: digits only; 6, 9, 12 or 15 of them; a unit whose
//! parent has a code extends it by exactly three digits; no two units share
//! a code. Units without a code are not checked (the field is optional);
//! levels below the grid (building grids) carry none.
//!
//! Proposals for units made by a split or merge: the parent's code (or, when
//! the parent has none, the old unit's code without its last three digits)
//! followed by the next free three-digit number under it (one above the
//! highest in use; the lowest free one once 999 is taken). O(n) per call.

use std::collections::HashMap;

use serde_json::Value;

use super::PlanError;
use crate::model::{Unit, UnitId};

/// The attribute holding a unit's code.
pub const FIELD: &str = "code";
/// The attribute read when `code` is absent (administrative division codes).
pub const DIVISION_FIELD: &str = "division_code";
/// Lengths a code may have: county, street, community, grid.
pub const LENGTHS: [usize; 4] = [6, 9, 12, 15];

/// A unit's code, if it has one (a JSON string, or a whole number written without quotes).
pub fn code_of(u: &Unit) -> Option<String> {
    let v = u.attributes.get(FIELD).filter(|v| !v.is_null()).or_else(|| u.attributes.get(DIVISION_FIELD).filter(|v| !v.is_null()))?;
    match v {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        other => Some(other.to_string()),
    }
}

/// One problem with one unit's code.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("unit {unit}: code {code}: {problem}")]
pub struct CodeProblem {
    /// Position of the unit in the layer.
    pub index: usize,
    pub unit: String,
    pub code: String,
    pub problem: String,
}

impl CodeProblem {
    pub fn into_plan(self) -> PlanError {
        PlanError::Code { unit: self.unit, code: self.code, problem: self.problem }
    }
}

/// The problem with `code` as the code of a unit whose parent has `parent` (id, code), if any.
fn problem(code: &str, parent: Option<(&str, Option<&str>)>) -> Option<String> {
    if code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Some("a code has digits only".into());
    }
    if !LENGTHS.contains(&code.len()) {
        return Some(format!("has {} digits; GB/T 30428.1 codes have 6 (county), 9 (street), 12 (community) or 15 (grid)", code.len()));
    }
    if let Some((pid, Some(pc))) = parent
        && (!code.starts_with(pc) || code.len() != pc.len() + 3)
    {
        return Some(format!("must be the code of its parent {pid} ({pc}) followed by three digits"));
    }
    None
}

/// Every problem with the codes of a layer (units in layer order; duplicates name the first holder).
pub fn check(units: &[Unit]) -> Vec<CodeProblem> {
    let codes: Vec<Option<String>> = units.iter().map(code_of).collect();
    let by_id: HashMap<&str, usize> = units.iter().enumerate().map(|(i, u)| (u.id.0.as_str(), i)).collect();
    let mut first: HashMap<&str, usize> = HashMap::new();
    let mut out = Vec::new();
    for (i, u) in units.iter().enumerate() {
        let Some(code) = codes[i].as_deref() else { continue };
        let parent = u.parent.as_ref().and_then(|p| by_id.get(p.0.as_str())).map(|&p| (units[p].id.0.as_str(), codes[p].as_deref()));
        let mut p = problem(code, parent);
        if p.is_none() {
            if let Some(&f) = first.get(code) {
                p = Some(format!("duplicate code, first used by unit {}", units[f].id));
            } else {
                first.insert(code, i);
            }
        }
        if let Some(problem) = p {
            out.push(CodeProblem { index: i, unit: u.id.0.clone(), code: code.to_owned(), problem });
        }
    }
    out
}

/// The problem with unit `i`'s code in `units` (after an edit), if any.
pub fn check_unit(units: &[Unit], i: usize) -> Result<(), CodeProblem> {
    let u = &units[i];
    let Some(code) = code_of(u) else { return Ok(()) };
    let parent = u.parent.as_ref().and_then(|p| units.iter().find(|x| x.id == *p)).map(|p| (p.id.0.clone(), code_of(p)));
    let mut p = problem(&code, parent.as_ref().map(|(id, c)| (id.as_str(), c.as_deref())));
    if p.is_none()
        && let Some(other) = units.iter().enumerate().find(|(j, x)| *j != i && code_of(x).as_deref() == Some(code.as_str()))
    {
        p = Some(format!("duplicate code, already used by unit {}", other.1.id));
    }
    match p {
        Some(problem) => Err(CodeProblem { index: i, unit: u.id.0.clone(), code, problem }),
        None => Ok(()),
    }
}

/// A code for a new unit under `parent`: the parent's code (or `like` without its last three digits) and the next
/// free three digits. None when neither gives a prefix, or the prefix is already a grid's 15 digits.
pub fn propose(units: &[Unit], parent: Option<&UnitId>, like: Option<String>) -> Option<String> {
    let from_parent = parent.and_then(|p| units.iter().find(|u| u.id == *p)).and_then(code_of);
    let prefix = from_parent.or_else(|| like.filter(|c| c.len() >= 9).map(|c| c[..c.len() - 3].to_owned()))?;
    if prefix.len() + 3 > 15 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let used: Vec<u32> = units
        .iter()
        .filter_map(code_of)
        .filter(|c| c.len() == prefix.len() + 3 && c.starts_with(&prefix))
        .filter_map(|c| c[prefix.len()..].parse().ok())
        .collect();
    let next = used.iter().max().map_or(1, |m| m + 1);
    let n = if next <= 999 { next } else { (1..=999).find(|k| !used.contains(k))? };
    Some(format!("{prefix}{n:03}"))
}

#[cfg(test)]
mod tests {
    use super::super::testing::square;
    use super::*;

    fn coded(id: &str, parent: Option<&str>, code: &str) -> Unit {
        let mut u = square(id, parent, "x", 0.0, 0.0, 1.0, 1.0);
        u.attributes.insert(FIELD.into(), Value::String(code.into()));
        u
    }

    #[test]
    fn good_codes_pass() {
        let units = vec![
            coded("d", None, "370202"),
            coded("s", Some("d"), "370202004"),
            coded("c", Some("s"), "370202004001"),
            coded("g", Some("c"), "370202004001001"),
            square("b", Some("g"), "building_grid", 0.0, 0.0, 1.0, 1.0),
        ];
        assert!(check(&units).is_empty(), "{:?}", check(&units));
    }

    #[test]
    fn wrong_codes_are_named_with_the_problem() {
        let units = vec![
            coded("d", None, "370202"),
            coded("s1", Some("d"), "37020200A"),
            coded("s2", Some("d"), "3702020041"),
            coded("s3", Some("d"), "370203004"),
            coded("s4", Some("d"), "370202004"),
            coded("s5", Some("d"), "370202004"),
            coded("c", Some("s4"), "370202004001001"),
        ];
        let p = check(&units);
        let msg: Vec<String> = p.iter().map(ToString::to_string).collect();
        assert_eq!(p.iter().map(|x| x.unit.as_str()).collect::<Vec<_>>(), ["s1", "s2", "s3", "s5", "c"], "{msg:?}");
        assert!(msg[0].contains("digits only"), "{msg:?}");
        assert!(msg[1].contains("has 10 digits"), "{msg:?}");
        assert!(msg[2].contains("parent d (370202)"), "{msg:?}");
        assert!(msg[3].contains("duplicate code, first used by unit s4"), "{msg:?}");
        assert!(msg[4].contains("parent s4 (370202004) followed by three digits"), "{msg:?}");
    }

    #[test]
    fn division_codes_count_and_numbers_are_read() {
        let mut d = square("d", None, "district", 0.0, 0.0, 1.0, 1.0);
        d.attributes.insert(DIVISION_FIELD.into(), Value::String("370202".into()));
        let mut s = square("s", Some("d"), "street", 0.0, 0.0, 1.0, 1.0);
        s.attributes.insert(FIELD.into(), serde_json::json!(370202001));
        assert!(check(&[d.clone(), s]).is_empty());
        let mut bad = square("s", Some("d"), "street", 0.0, 0.0, 1.0, 1.0);
        bad.attributes.insert(FIELD.into(), serde_json::json!(371202001));
        assert_eq!(check(&[d, bad]).len(), 1);
    }

    #[test]
    fn proposals_take_the_next_free_number() {
        let units =
            vec![coded("c", None, "370202004001"), coded("g1", Some("c"), "370202004001001"), coded("g3", Some("c"), "370202004001003")];
        assert_eq!(propose(&units, Some(&UnitId::from("c")), None).as_deref(), Some("370202004001004"));
        // no parent code: the old unit's prefix
        let lone = vec![square("c", None, "x", 0.0, 0.0, 1.0, 1.0)];
        assert_eq!(propose(&lone, Some(&UnitId::from("c")), Some("370202004001009".into())).as_deref(), Some("370202004001001"));
        assert_eq!(propose(&lone, Some(&UnitId::from("c")), None), None);
        // below a grid there is no code
        let g = vec![coded("g", None, "370202004001001")];
        assert_eq!(propose(&g, Some(&UnitId::from("g")), None), None);
    }
}

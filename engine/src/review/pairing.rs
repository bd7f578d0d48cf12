//! AB posts and adjacency alliances of the group level, recomputed on an
//! edited layer, and units of that level with no neighbour at all.
//!
//! Method: AB pairs are [`crate::groups::abpost::ab_pairs`] (exact maximum
//! cardinality, maximum weight matching) run one connected component of the
//! candidate graph at a time (edge neighbours, within a parent unless the
//! options say otherwise), with the component's units in id order and the
//! neighbours across the border appended for the fallbacks. A matching is
//! the union of its components' matchings, so after an edit only the
//! components holding a unit whose neighbours changed are matched again.
//! Alliances are the configured groups (unit ids) checked by
//! [`crate::groups::alliance::evaluate`] on the new graph, weighted by
//! households. O(Σ c³) for the components matched, O(n + e) for the rest.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use geo::Centroid;
use serde::Serialize;

use crate::geometry::projection::LocalProjection;
use crate::groups::abpost::{AbOptions, Fallback, ab_pairs};
use crate::groups::alliance::{UnitGraph, evaluate};
use crate::model::UnitId;
use crate::review::finding::{Finding, FindingKind, Location, Severity};
use crate::review::neighbours::{Neighbours, level_ids};
use crate::units::hierarchy::Hierarchy;

/// The AB pairs of the group level.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AbSummary {
    pub level: String,
    pub pairs: Vec<[UnitId; 2]>,
    pub unmatched: Vec<UnitId>,
    pub pairs_total: usize,
    pub total_shared_m: f64,
}

/// The configured alliances checked on the edited layer.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AllianceSummary {
    pub groups: usize,
    pub max_deviation: f64,
    pub mean_polsby_popper: f64,
    pub min_polsby_popper: f64,
    pub problems: Vec<String>,
}

/// The matching of one component.
#[derive(Debug, Clone, PartialEq)]
struct Component {
    members: Vec<UnitId>,
    pairs: Vec<(UnitId, UnitId, f64)>,
    unmatched: Vec<(UnitId, String)>,
}

/// AB pairs per component, reusable after an edit.
#[derive(Debug, Clone, Default)]
pub struct Pairing {
    /// Keyed by the component's smallest id.
    comps: BTreeMap<UnitId, Component>,
}

/// Candidate-graph components of the level: lists of ids, each sorted, in order of their first id.
fn components(h: &Hierarchy, nb: &Neighbours, opts: &AbOptions) -> Vec<Vec<UnitId>> {
    let ids = level_ids(h, &nb.level);
    let pos: HashMap<&UnitId, usize> = ids.iter().enumerate().map(|(k, id)| (*id, k)).collect();
    let mut uf: Vec<usize> = (0..ids.len()).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    let parent = |id: &UnitId| h.get(id).and_then(|i| h.parent[i]);
    for (a, b, _) in nb.rook() {
        let (Some(&ka), Some(&kb)) = (pos.get(a), pos.get(b)) else { continue };
        if opts.within_parent && parent(a) != parent(b) {
            continue;
        }
        let (ra, rb) = (find(&mut uf, ka), find(&mut uf, kb));
        if ra != rb {
            uf[ra.max(rb)] = ra.min(rb);
        }
    }
    let mut by_root: BTreeMap<usize, Vec<UnitId>> = BTreeMap::new();
    for (k, id) in ids.iter().enumerate() {
        let r = find(&mut uf, k);
        by_root.entry(r).or_default().push((*id).clone());
    }
    by_root.into_values().collect()
}

fn match_component(
    h: &Hierarchy,
    nb: &Neighbours,
    members: &[UnitId],
    rook: &HashMap<&UnitId, Vec<(&UnitId, f64)>>,
    opts: &AbOptions,
) -> Component {
    let mut nodes: Vec<&UnitId> = members.iter().collect();
    let inside: BTreeSet<&UnitId> = nodes.iter().copied().collect();
    let mut outside: BTreeSet<&UnitId> = BTreeSet::new();
    for m in members {
        for (v, _) in rook.get(m).into_iter().flatten() {
            if !inside.contains(v) {
                outside.insert(v);
            }
        }
    }
    nodes.extend(outside);
    let pos: HashMap<&UnitId, usize> = nodes.iter().enumerate().map(|(k, id)| (*id, k)).collect();
    let mut edges = Vec::new();
    for (k, m) in members.iter().enumerate() {
        for &(v, s) in rook.get(m).into_iter().flatten() {
            if let Some(&kv) = pos.get(v)
                && (kv >= members.len() || kv > k)
            {
                edges.push((k, kv, s));
            }
        }
    }
    let proj = LocalProjection::for_rect(nb.frame);
    let centres: Vec<[f64; 2]> = nodes
        .iter()
        .map(|id| h.get(id).and_then(|i| proj.project_multi(&h.units[i].geometry).centroid()).map_or([0.0, 0.0], |c| [c.x(), c.y()]))
        .collect();
    let parent: Vec<Option<usize>> = nodes.iter().map(|id| h.get(id).and_then(|i| h.parent[i])).collect();
    let r = ab_pairs(&edges, &centres, &parent, opts);
    let n = members.len();
    let name = |k: usize| nodes[k].clone();
    Component {
        members: members.to_vec(),
        pairs: r.pairs.iter().filter(|p| p.a < n && p.b < n).map(|p| (name(p.a), name(p.b), p.shared_m)).collect(),
        unmatched: r
            .unmatched
            .iter()
            .filter(|(u, _)| *u < n)
            .map(|(u, f)| {
                let how = match f {
                    Fallback::Triple { with } => format!("could join the pair {} / {} as a third", name(with[0]), name(with[1])),
                    Fallback::CrossParent { with } => format!("could pair with {} across the parent border", name(*with)),
                    Fallback::None => "has no edge neighbour to pair with".to_owned(),
                };
                (name(*u), how)
            })
            .collect(),
    }
}

impl Pairing {
    /// Match the components holding a unit of `dirty` (all of them when `dirty` is None); reuse the rest.
    pub fn update(&mut self, h: &Hierarchy, nb: &Neighbours, opts: &AbOptions, dirty: Option<&BTreeSet<UnitId>>) {
        let mut rook: HashMap<&UnitId, Vec<(&UnitId, f64)>> = HashMap::new();
        for (a, b, s) in nb.rook() {
            rook.entry(a).or_default().push((b, s));
            rook.entry(b).or_default().push((a, s));
        }
        let mut next = BTreeMap::new();
        for members in components(h, nb, opts) {
            let key = members[0].clone();
            let reuse =
                dirty.is_some_and(|d| !members.iter().any(|m| d.contains(m))) && self.comps.get(&key).is_some_and(|c| c.members == members);
            let c = match (reuse, self.comps.remove(&key)) {
                (true, Some(c)) => c,
                _ => match_component(h, nb, &members, &rook, opts),
            };
            next.insert(key, c);
        }
        self.comps = next;
    }

    /// The pairs and the unmatched units' findings.
    pub fn summary(&self, h: &Hierarchy, nb: &Neighbours, location: impl Fn(&UnitId) -> Option<Location>) -> (AbSummary, Vec<Finding>) {
        let mut s = AbSummary { level: nb.level.0.clone(), ..Default::default() };
        let mut findings = Vec::new();
        for c in self.comps.values() {
            for (a, b, shared) in &c.pairs {
                s.pairs.push([a.clone(), b.clone()]);
                s.total_shared_m += shared;
            }
            for (u, how) in &c.unmatched {
                s.unmatched.push(u.clone());
                if h.get(u).is_some() {
                    findings.push(Finding {
                        kind: FindingKind::AbUnmatched,
                        severity: Severity::Info,
                        units: vec![u.clone()],
                        message: format!("{u} has no AB partner; it {how}"),
                        value: None,
                        building: None,
                        location: location(u),
                        geometry: None,
                    });
                }
            }
        }
        s.pairs.sort();
        s.unmatched.sort();
        s.pairs_total = s.pairs.len();
        (s, findings)
    }
}

/// Units of the level with no neighbour at all (when the level has more than one unit).
pub fn isolated(h: &Hierarchy, nb: &Neighbours, location: impl Fn(&UnitId) -> Option<Location>) -> Vec<Finding> {
    let ids = level_ids(h, &nb.level);
    if ids.len() < 2 {
        return Vec::new();
    }
    let mut touched: BTreeSet<&UnitId> = BTreeSet::new();
    for (a, b) in nb.pairs.keys() {
        touched.insert(a);
        touched.insert(b);
    }
    ids.into_iter()
        .filter(|id| !touched.contains(id))
        .map(|id| Finding {
            kind: FindingKind::Isolated,
            severity: Severity::Warning,
            units: vec![id.clone()],
            message: format!("{id} touches no other unit of level {}", nb.level),
            value: None,
            building: None,
            location: location(id),
            geometry: None,
        })
        .collect()
}

/// The configured alliances evaluated on the new graph (households as weight).
pub fn alliances(
    h: &Hierarchy,
    nb: &Neighbours,
    groups: &[Vec<UnitId>],
    households: impl Fn(&UnitId) -> f64,
    shape: impl Fn(&UnitId) -> (f64, f64),
    location: impl Fn(&UnitId) -> Option<Location>,
) -> (AllianceSummary, Vec<Finding>) {
    let ids = level_ids(h, &nb.level);
    let pos: HashMap<&UnitId, usize> = ids.iter().enumerate().map(|(k, id)| (*id, k)).collect();
    let g = UnitGraph {
        edges: nb.rook().filter_map(|(a, b, s)| Some((*pos.get(a)?, *pos.get(b)?, s))).collect(),
        weight: ids.iter().map(|id| households(id)).collect(),
        area_m2: ids.iter().map(|id| shape(id).0).collect(),
        perimeter_m: ids.iter().map(|id| shape(id).1).collect(),
        parent: ids.iter().map(|id| h.get(id).and_then(|i| h.parent[i])).collect(),
        ids: ids.iter().map(|id| id.0.clone()).collect(),
    };
    let mut findings = Vec::new();
    let finding = |units: Vec<UnitId>, message: String, group: usize| Finding {
        kind: FindingKind::Alliance,
        severity: Severity::Warning,
        location: units.first().and_then(&location),
        units,
        message,
        value: Some(group as f64),
        building: None,
        geometry: None,
    };
    let mut idx: Vec<Vec<usize>> = Vec::with_capacity(groups.len());
    for (k, m) in groups.iter().enumerate() {
        let mut members = Vec::new();
        for id in m {
            match pos.get(id) {
                Some(&p) => members.push(p),
                None => findings.push(finding(
                    vec![id.clone()],
                    format!("alliance {} names {id}, which is not a unit of level {} in this layer", k + 1, nb.level),
                    k + 1,
                )),
            }
        }
        idx.push(members);
    }
    let a = evaluate(&g, &idx);
    for (k, grp) in a.groups.iter().enumerate() {
        if !grp.contiguous {
            let mut units: Vec<UnitId> = grp.members.iter().map(|&p| ids[p].clone()).collect();
            units.sort();
            findings.push(finding(units, format!("alliance {} is no longer contiguous", k + 1), k + 1));
        }
    }
    for &u in &a.unassigned {
        findings.push(finding(vec![ids[u].clone()], format!("{} is in no alliance", ids[u]), 0));
    }
    for &u in &a.duplicated {
        findings.push(finding(vec![ids[u].clone()], format!("{} is in more than one alliance", ids[u]), 0));
    }
    let s = AllianceSummary {
        groups: a.groups.len(),
        max_deviation: a.max_deviation,
        mean_polsby_popper: a.mean_polsby_popper,
        min_polsby_popper: a.min_polsby_popper,
        problems: a.problems,
    };
    (s, findings)
}

/// Whether the group level has any unit.
pub fn has_units(h: &Hierarchy, nb: &Neighbours) -> bool {
    h.units.iter().any(|u| u.level == nb.level)
}

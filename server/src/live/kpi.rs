//! Figures for command-center screens over the live incidents.

use serde_json::{Value, json};
use wangge_engine::lifecycle::{ResponseLevel, Status};

use super::{Live, lock, now};

impl Live {
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
        let mut by_status: std::collections::BTreeMap<&str, u64> = Status::ALL.iter().map(|s| (s.as_str(), 0)).collect();
        let mut by_level: std::collections::BTreeMap<&str, u64> = ResponseLevel::ALL.iter().map(|l| (l.as_str(), 0)).collect();
        let (mut open, mut overdue, mut sat, mut rated) = (0u64, 0u64, 0.0, 0u64);
        for i in &inner.list {
            *by_status.entry(i.status.as_str()).or_insert(0) += 1;
            let dispatch = i.transitions.iter().rev().find(|t| t.step.to == Status::Dispatched);
            if matches!(i.status, Status::Resolved | Status::Evaluated) {
                if let Some(l) = i.transitions.iter().rev().find(|t| t.step.to == Status::Resolved).and_then(|t| t.step.level) {
                    *by_level.entry(l.as_str()).or_insert(0) += 1;
                }
            } else {
                open += 1;
                if dispatch.is_some_and(|d| d.step.level.is_some_and(|l| self.deadlines.overdue(&i.category, l, d.at, t))) {
                    overdue += 1;
                }
            }
            if let Some(s) = i.transitions.iter().rev().find_map(|t| t.step.satisfaction) {
                sat += f64::from(s);
                rated += 1;
            }
        }
        let resolved: u64 = by_level.values().sum();
        let share = |levels: &[&str]| {
            (resolved > 0).then(|| levels.iter().map(|l| by_level.get(l).copied().unwrap_or(0)).sum::<u64>() as f64 / resolved as f64)
        };
        let k = json!({
            "version": version, "at": crate::timefmt::format_time(t), "incidents": inner.list.len(),
            "by_status": by_status, "open": open, "overdue": overdue,
            "resolved_by_level": by_level,
            "share_building_grid": share(&["building_grid"]), "share_grid": share(&["grid"]),
            "share_community": share(&["community"]), "share_above_community": share(&["street", "district"]),
            "satisfaction_mean": (rated > 0).then(|| sat / rated as f64), "evaluated": rated,
        });
        drop(inner);
        *lock(&self.kpi_cache) = Some((version, t / 10, k.clone()));
        k
    }
}

//! Figures for command-center screens over the live incidents.

use serde_json::Value;
use wangge_engine::incidents::kpi::{self, KpiIncident};

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
        let list = inner.list.iter().map(|i| KpiIncident { category: &i.category, status: i.status, transitions: &i.transitions });
        let k = serde_json::to_value(kpi::figures(list, &self.deadlines, t, version)).unwrap_or(Value::Null);
        drop(inner);
        *lock(&self.kpi_cache) = Some((version, t / 10, k.clone()));
        k
    }
}

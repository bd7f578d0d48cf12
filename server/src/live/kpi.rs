//! Figures for command-center screens over the live incidents, and the case
//! loop's evaluation (综合评价) per unit, department and grid worker.

use serde_json::Value;
use wangge_engine::incidents::evaluation::{self, By, EvalCase, Score};
use wangge_engine::incidents::kpi::{self, KpiIncident};

use super::{Live, lock, now};

impl Live {
    /// Figures for command-center screens over the live incidents: counts by
    /// status, open, overdue, where resolved incidents were resolved (小事不出楼栋、
    /// 纠纷不出网格、矛盾不出社区) and the mean satisfaction. Computed once per
    /// change and per 10 s (overdue flags move with the clock). Overdue cases
    /// not yet urged are urged first ([`Live::raise_urges`]).
    pub fn kpi(&self) -> Value {
        let t = now();
        if let Err(e) = self.raise_urges(t) {
            tracing::warn!(error = %e, "overdue cases not urged; trying again at the next look");
        }
        let version = self.version.load(std::sync::atomic::Ordering::SeqCst);
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
        let list = inner.list.iter().map(|i| KpiIncident {
            category: &i.category,
            status: i.status,
            transitions: &i.transitions,
            urges: i.urges.len(),
        });
        let k = serde_json::to_value(kpi::figures(list, &self.deadlines, t, version)).unwrap_or(Value::Null);
        drop(inner);
        *lock(&self.kpi_cache) = Some((version, t / 10, k.clone()));
        k
    }
}

impl Live {
    /// The evaluation figures of the live cases grouped `by` unit, department or grid worker.
    pub fn evaluation(&self, by: By) -> Vec<Score> {
        let inner = self.lock();
        let cases = inner.list.iter().map(|i| EvalCase {
            units: &i.units,
            category: &i.category,
            status: i.status,
            reporter: i.reporter.as_deref(),
            transitions: &i.transitions,
        });
        evaluation::evaluate(cases, by, &self.deadlines)
    }
}

//! Figures for command-center screens over the live incidents, for the
//! whole district ([`Live::kpi`]) or a jurisdiction ([`Live::kpi_for`]), and
//! the case loop's evaluation (综合评价) per unit, department and grid worker.

use serde_json::Value;
use wangge_engine::dataset::Dataset;
use wangge_engine::incidents::evaluation::{self, By, EvalCase, Score};
use wangge_engine::incidents::kpi::{self, KpiIncident};

use super::closed::departments;
use super::{Live, LiveError, LiveIncident, lock, now};
use crate::events::Viewer;

/// How many jurisdictions' figures are kept before the cache starts again.
const SCOPED_KPI_KEPT: usize = 256;

/// Figures of one jurisdiction: (data version, unit, department) → (live version, 10-second bucket, figures).
pub(super) type ScopedKpi = std::collections::HashMap<(String, String, Option<String>), (u64, i64, Value)>;

/// Whether a viewer sees a live case: inside their jurisdiction and, for a
/// department, dispatched to it (its current dispatch names the department).
pub fn sees_case(d: &Dataset, viewer: Viewer<'_>, i: &LiveIncident) -> bool {
    sees(d, viewer, &i.units, departments(i))
}

/// [`sees_case`] of a case held by `units` and dispatched last to `departments`.
pub fn sees(d: &Dataset, viewer: Viewer<'_>, units: &[String], departments: &[String]) -> bool {
    viewer.sees_all() || (viewer.jurisdiction.chain(d, units) && viewer.department.is_none_or(|dep| departments.iter().any(|x| x == dep)))
}

impl Live {
    /// The KPI figures of the cases `keep` accepts (by units and current
    /// departments), open ones from memory and closed ones from their sums, at `t`.
    fn figures(&self, keep: impl Fn(&[String], &[String]) -> bool, t: i64, version: u64) -> Value {
        let inner = self.lock();
        let closed = inner.closed.tally(&keep);
        let list = inner.list.iter().filter(|i| keep(&i.units, departments(i))).map(|i| KpiIncident {
            category: &i.category,
            status: i.status,
            transitions: &i.transitions,
            urges: i.urges.len(),
        });
        serde_json::to_value(kpi::figures_with(list, &closed, &self.deadlines, t, version)).unwrap_or(Value::Null)
    }

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
        let k = self.figures(|_, _| true, t, version);
        *lock(&self.kpi_cache) = Some((version, t / 10, k.clone()));
        k
    }
}

impl Live {
    /// The evaluation figures of the live cases `viewer` sees (the closed ones read from the store), grouped `by` unit, department or grid worker.
    pub fn evaluation(&self, d: &Dataset, viewer: Viewer<'_>, by: By) -> Result<Vec<Score>, LiveError> {
        let all = self.all_where(|i| sees_case(d, viewer, i))?;
        let cases = all.iter().map(|i| EvalCase {
            units: &i.units,
            category: &i.category,
            status: i.status,
            reporter: i.reporter.as_deref(),
            transitions: &i.transitions,
        });
        Ok(evaluation::evaluate(cases, by, &self.deadlines))
    }

    /// The figures of [`Live::kpi`] over the cases `viewer` sees only
    /// ([`sees_case`]); the whole district's are [`Live::kpi`]'s, at no extra
    /// cost. Computed once per change, 10 s and distinct (jurisdiction,
    /// department), so every stream of one jurisdiction shares them.
    pub fn kpi_for(&self, d: &Dataset, viewer: Viewer<'_>) -> Value {
        if viewer.sees_all() {
            return self.kpi();
        }
        let t = now();
        if let Err(e) = self.raise_urges(t) {
            tracing::warn!(error = %e, "overdue cases not urged; trying again at the next look");
        }
        let version = self.version.load(std::sync::atomic::Ordering::SeqCst);
        let key = (d.data_version(), viewer.jurisdiction.key().to_owned(), viewer.department.map(str::to_owned));
        if let Some((v, b, k)) = lock(&self.scoped_kpi).get(&key)
            && *v == version
            && *b == t / 10
        {
            return k.clone();
        }
        let k = self.figures(|u, deps| sees(d, viewer, u, deps), t, version);
        let mut c = lock(&self.scoped_kpi);
        if c.len() >= SCOPED_KPI_KEPT {
            c.clear();
        }
        c.insert(key, (version, t / 10, k.clone()));
        k
    }
}

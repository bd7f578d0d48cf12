//! Typed extractors for the parts requests repeat: the output format, a bbox,
//! the incident filter, the idempotency key and a unit named in the path.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;
use serde::Deserialize;

use super::AppState;
use super::error::AppError;
use wangge_engine::dataset::Dataset;

/// An answer's format (`?format=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Json,
    Geojson,
    Csv,
    H3,
}

impl OutputFormat {
    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Json => "json",
            OutputFormat::Geojson => "geojson",
            OutputFormat::Csv => "csv",
            OutputFormat::H3 => "h3",
        }
    }
}

/// `a`, `a or b`, `a, b or c`.
fn either(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// The `format` of the query string, checked by the handler against the formats it answers.
#[derive(Debug, Clone, Default)]
pub struct Format(pub Option<String>);

impl Format {
    /// The format asked for among `allowed`, the first of them when none was; 400 listing them otherwise.
    pub fn one_of(&self, allowed: &[OutputFormat]) -> Result<OutputFormat, AppError> {
        match &self.0 {
            None => allowed.first().copied().ok_or_else(|| AppError::Internal("no output format allowed".into())),
            Some(f) => allowed.iter().copied().find(|a| a.name() == f).ok_or_else(|| {
                let names: Vec<&str> = allowed.iter().map(|a| a.name()).collect();
                AppError::bad(format!("format {f:?}: use {}", either(&names)))
            }),
        }
    }

    /// Like [`Format::one_of`], but None when no format was asked for.
    pub fn given(&self, allowed: &[OutputFormat]) -> Result<Option<OutputFormat>, AppError> {
        self.0.as_ref().map(|_| self.one_of(allowed)).transpose()
    }
}

#[derive(Deserialize)]
struct FormatParam {
    format: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Format {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        let q = Query::<FormatParam>::try_from_uri(&parts.uri).map_err(|e| AppError::bad(e.body_text()))?;
        Ok(Format(q.0.format))
    }
}

/// The `bbox` of the query string (`minlon,minlat,maxlon,maxlat`), if given.
#[derive(Debug, Clone, Copy)]
pub struct Bbox(pub Option<geo::Rect<f64>>);

#[derive(Deserialize)]
struct BboxParam {
    bbox: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Bbox {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        let q = Query::<BboxParam>::try_from_uri(&parts.uri).map_err(|e| AppError::bad(e.body_text()))?;
        Ok(Bbox(q.0.bbox.as_deref().map(super::params::parse_bbox).transpose()?))
    }
}

impl Bbox {
    /// Whether a point is inside (always, when no bbox was given).
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        self.0.is_none_or(|b| b.min().x <= lon && lon <= b.max().x && b.min().y <= lat && lat <= b.max().y)
    }
}

/// Which incidents a query counts or lists: time window `[from, to)`, category, status, unit.
#[derive(Debug, Clone, Default)]
pub struct IncidentFilter {
    /// Unix seconds, inclusive.
    pub from: Option<i64>,
    /// Unix seconds, exclusive.
    pub to: Option<i64>,
    pub category: Option<String>,
    pub status: Option<String>,
    /// The unit's index in the dataset's hierarchy.
    pub unit: Option<usize>,
}

/// The query-string fields of an [`IncidentFilter`], as sent.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct IncidentParams {
    pub from: Option<String>,
    pub to: Option<String>,
    pub category: Option<String>,
    pub status: Option<String>,
    pub unit: Option<String>,
}

impl IncidentFilter {
    /// Check the times (`2026-11-01T00:00:00+08:00`, +08:00 when no offset) and resolve the unit against the dataset.
    pub fn resolve(d: &Dataset, p: IncidentParams) -> Result<IncidentFilter, AppError> {
        let time = |s: &Option<String>, what: &str| -> Result<Option<i64>, AppError> {
            match s {
                None => Ok(None),
                Some(t) => wangge_engine::time::parse_time(t, 8 * 3600)
                    .map(Some)
                    .ok_or_else(|| AppError::bad(format!("{what} {t:?}: expected a time like 2026-11-01T00:00:00+08:00"))),
            }
        };
        let unit = match &p.unit {
            Some(id) => Some(unit_index(d, id)?),
            None => None,
        };
        Ok(IncidentFilter { from: time(&p.from, "from")?, to: time(&p.to, "to")?, category: p.category, status: p.status, unit })
    }

    /// Whether an incident at time `t` falls in the window.
    pub fn in_window(&self, t: i64) -> bool {
        self.from.is_none_or(|f| t >= f) && self.to.is_none_or(|to| t < to)
    }

    /// The window for the store to read (both ends included, so it holds every time [`Self::in_window`] accepts).
    pub fn occurred(&self) -> crate::live::Occurred {
        crate::live::occurred_from_to(self.from, self.to)
    }
}

impl FromRequestParts<Arc<AppState>> for IncidentFilter {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, s: &Arc<AppState>) -> Result<Self, AppError> {
        let q = Query::<IncidentParams>::try_from_uri(&parts.uri).map_err(|e| AppError::bad(e.body_text()))?;
        IncidentFilter::resolve(&s.dataset(), q.0)
    }
}

/// The request's `Idempotency-Key`, if any (1 to 200 characters).
#[derive(Debug, Clone, Default)]
pub struct IdempotencyKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        let key = parts.headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_owned);
        if key.as_ref().is_some_and(|k| k.is_empty() || k.len() > 200) {
            return Err(AppError::bad("Idempotency-Key: 1 to 200 characters"));
        }
        Ok(IdempotencyKey(key))
    }
}

/// The index of the unit with this id; 404 naming it otherwise.
pub fn unit_index(d: &Dataset, id: &str) -> Result<usize, AppError> {
    d.hierarchy.get(&wangge_engine::model::UnitId(id.to_owned())).ok_or_else(|| AppError::not_found(format!("no unit with id {id}")))
}

/// A unit named in the path (`/api/units/{id}…`), resolved against the dataset of the moment.
#[derive(Debug, Clone)]
pub struct UnitRef {
    pub id: String,
    pub index: usize,
    /// The dataset it was resolved against (the index is valid there).
    pub dataset: Arc<Dataset>,
}

impl FromRequestParts<Arc<AppState>> for UnitRef {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, s: &Arc<AppState>) -> Result<Self, AppError> {
        let Path(id) = Path::<String>::from_request_parts(parts, s).await.map_err(|e| AppError::bad(e.body_text()))?;
        let dataset = s.dataset();
        let index = unit_index(&dataset, &id)?;
        Ok(UnitRef { id, index, dataset })
    }
}

#[cfg(test)]
mod tests {
    use super::{Format, OutputFormat as F};

    #[test]
    fn format_defaults_to_the_first_and_lists_the_valid_ones() {
        assert_eq!(Format(None).one_of(&[F::Json, F::Geojson]).ok(), Some(F::Json));
        assert_eq!(Format(Some("csv".into())).one_of(&[F::Json, F::Geojson, F::Csv]).ok(), Some(F::Csv));
        let e = Format(Some("xml".into())).one_of(&[F::Json, F::Geojson, F::Csv]).err().map(|e| e.to_string());
        assert_eq!(e.as_deref(), Some("format \"xml\": use json, geojson or csv"));
        let e = Format(Some("xml".into())).one_of(&[F::Geojson, F::H3]).err().map(|e| e.to_string());
        assert_eq!(e.as_deref(), Some("format \"xml\": use geojson or h3"));
        assert_eq!(Format(None).given(&[F::Csv, F::Geojson]).ok(), Some(None));
    }
}

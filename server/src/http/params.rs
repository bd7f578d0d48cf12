//! Query-string and response helpers shared by the routers.

use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::error::AppError;

pub(crate) fn parse_bbox(s: &str) -> Result<geo::Rect<f64>, AppError> {
    let v: Vec<f64> = s
        .split(',')
        .map(|x| x.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| AppError::bad(format!("bbox {s:?} is not four numbers minlon,minlat,maxlon,maxlat")))?;
    if v.len() != 4 || v.iter().any(|x| !x.is_finite()) || v[0] > v[2] || v[1] > v[3] {
        return Err(AppError::bad(format!("bbox {s:?} must be minlon,minlat,maxlon,maxlat with min ≤ max")));
    }
    Ok(geo::Rect::new((v[0], v[1]), (v[2], v[3])))
}

pub(crate) fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

pub(crate) fn csv_response(bytes: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], bytes).into_response()
}

//! TileJSON 3.0 documents for one layer or a composite of layers, with tile
//! URLs that work behind a reverse proxy: the scheme, host and path prefix come
//! from `Forwarded` (RFC 7239), else `X-Forwarded-Proto` / `X-Forwarded-Host` /
//! `X-Forwarded-Prefix`, else the `Host` header.

use axum::http::{HeaderMap, header};
use serde_json::{Map, Value, json};

use super::source::TileSource;
use wangge_engine::dataset::Dataset;

/// The host used when a request names none (HTTP/1.0 without `Host`).
const DEFAULT_HOST: &str = "127.0.0.1:8080";

/// The absolute URL of the server's root as the client sees it, without a trailing slash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl(pub String);

fn host_ok(h: &str) -> bool {
    !h.is_empty() && h.len() <= 255 && h.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]_".contains(c))
}

fn prefix_ok(p: &str) -> bool {
    p.starts_with('/') && p.len() <= 255 && p.chars().all(|c| c.is_ascii_alphanumeric() || "/-._~".contains(c))
}

fn header_str<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// The first element of `Forwarded`'s `proto` and `host` parameters.
fn forwarded(h: &HeaderMap) -> (Option<String>, Option<String>) {
    let Some(v) = header_str(h, "forwarded") else { return (None, None) };
    let first = v.split(',').next().unwrap_or("");
    let (mut proto, mut host) = (None, None);
    for pair in first.split(';') {
        let Some((k, v)) = pair.split_once('=') else { continue };
        let v = v.trim().trim_matches('"').to_owned();
        match k.trim().to_ascii_lowercase().as_str() {
            "proto" => proto = Some(v),
            "host" => host = Some(v),
            _ => {}
        }
    }
    (proto, host)
}

impl BaseUrl {
    /// From the request headers; values that are not a plausible scheme, host or path are ignored.
    pub fn from_headers(h: &HeaderMap) -> BaseUrl {
        let first = |name: &str| header_str(h, name).and_then(|v| v.split(',').next()).map(|v| v.trim().to_owned());
        let (fproto, fhost) = forwarded(h);
        let proto = fproto
            .or_else(|| first("x-forwarded-proto"))
            .map(|p| p.to_ascii_lowercase())
            .filter(|p| p == "http" || p == "https")
            .unwrap_or_else(|| "http".to_owned());
        let host = fhost
            .filter(|v| host_ok(v))
            .or_else(|| first("x-forwarded-host").filter(|v| host_ok(v)))
            .or_else(|| header_str(h, header::HOST.as_str()).map(str::to_owned).filter(|v| host_ok(v)))
            .unwrap_or_else(|| DEFAULT_HOST.to_owned());
        let prefix = first("x-forwarded-prefix").filter(|p| prefix_ok(p)).unwrap_or_default();
        BaseUrl(format!("{proto}://{host}{}", prefix.trim_end_matches('/')))
    }
}

/// One `vector_layers` entry.
pub fn vector_layer(src: &dyn TileSource) -> Value {
    let fields: Map<String, Value> = src.fields().iter().map(|(k, t)| ((*k).to_owned(), json!(t))).collect();
    json!({"id": src.name(), "fields": fields, "minzoom": src.minzoom(), "maxzoom": src.maxzoom()})
}

/// The TileJSON of `sources` served as one tile set (`name` is the comma-joined list); `query` is
/// the query string (with its `?`, or empty) to append to the tile URL; `bounds` those of what the
/// caller may see (the data's, or their jurisdiction's; `None`: nothing, the whole world is given).
pub fn tilejson(base: &BaseUrl, sources: &[&'static dyn TileSource], d: &Dataset, query: &str, bounds: Option<geo::Rect<f64>>) -> Value {
    let name = sources.iter().map(|s| s.name()).collect::<Vec<_>>().join(",");
    let minzoom = sources.iter().map(|s| s.minzoom()).min().unwrap_or(0);
    let maxzoom = sources.iter().map(|s| s.maxzoom()).max().unwrap_or(0);
    let (bounds, center) = match bounds {
        Some(r) => (json!([r.min().x, r.min().y, r.max().x, r.max().y]), json!([r.center().x, r.center().y, 13])),
        None => (json!([-180.0, -85.0, 180.0, 85.0]), json!([0.0, 0.0, 2])),
    };
    json!({
        "tilejson": "3.0.0",
        "name": name,
        "version": d.data_version(),
        "scheme": "xyz",
        "tiles": [format!("{}/tiles/{name}/{{z}}/{{x}}/{{y}}.mvt{query}", base.0)],
        "vector_layers": sources.iter().map(|s| vector_layer(*s)).collect::<Vec<_>>(),
        "bounds": bounds,
        "center": center,
        "minzoom": minzoom,
        "maxzoom": maxzoom,
        "attribution": "© OpenStreetMap contributors, ODbL 1.0 (real boundaries); generated layers are labelled generated",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(pairs: &[(&'static str, &'static str)]) -> String {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, axum::http::HeaderValue::from_static(v));
        }
        BaseUrl::from_headers(&h).0
    }

    #[test]
    fn base_url_follows_the_proxy_headers() {
        assert_eq!(base(&[]), "http://127.0.0.1:8080");
        assert_eq!(base(&[("host", "maps.local:9000")]), "http://maps.local:9000");
        assert_eq!(
            base(&[("host", "10.0.0.5:8080"), ("x-forwarded-proto", "https"), ("x-forwarded-host", "gis.example.org")]),
            "https://gis.example.org"
        );
        assert_eq!(base(&[("host", "a"), ("x-forwarded-host", "b.org, c.org"), ("x-forwarded-prefix", "/wangge/")]), "http://b.org/wangge");
        assert_eq!(
            base(&[
                ("host", "a"),
                ("forwarded", "for=192.0.2.60;proto=https;host=\"gis.example.org:8443\", for=10.0.0.1"),
                ("x-forwarded-host", "x")
            ]),
            "https://gis.example.org:8443"
        );
        // nonsense is ignored
        assert_eq!(
            base(&[("host", "ok.org"), ("x-forwarded-host", "evil.org/path?"), ("x-forwarded-proto", "javascript")]),
            "http://ok.org"
        );
        assert_eq!(base(&[("host", "ok.org"), ("x-forwarded-prefix", "no-slash")]), "http://ok.org");
    }
}

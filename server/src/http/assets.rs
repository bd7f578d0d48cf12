//! The page's static files: embedded in the binary at build time, or read from
//! `--web DIR` during development; the same set either way (see [`web_files`]).

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::AppError;
use super::web_files;

/// One embedded file.
#[derive(Debug)]
pub struct Asset {
    /// The URL path without its leading `/`.
    pub path: &'static str,
    pub bytes: &'static [u8],
    /// Quoted strong ETag of the bytes.
    pub etag: &'static str,
}

mod embedded {
    use super::Asset;
    include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));
}

pub use embedded::HAS_VENDOR;

/// Where the page comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebSource {
    /// The files embedded at build time.
    Embedded,
    /// A web directory on disk (`--web DIR`).
    Dir(PathBuf),
}

impl WebSource {
    /// Why the map will not show, if it will not: MapLibre GL JS missing from this source.
    pub fn missing_map_library(&self) -> Option<String> {
        match self {
            WebSource::Embedded if !HAS_VENDOR => Some(
                "this binary was built without web/node_modules, so the map library (MapLibre GL JS) is missing and the page \
                 shows no map: run `make web-deps` and build again, or serve with --web DIR where DIR/node_modules/maplibre-gl exists"
                    .to_owned(),
            ),
            // the module the pages import (/vendor/maplibre-gl/maplibre-gl.mjs); maplibre-gl 5+ ships no maplibre-gl.js
            WebSource::Dir(d) if !d.join("node_modules/maplibre-gl/dist/maplibre-gl.mjs").is_file() => Some(format!(
                "{} has no node_modules/maplibre-gl, so the page shows no map: run `make web-deps` (npm ci in that directory)",
                d.display()
            )),
            _ => None,
        }
    }
}

/// Every embedded file (what `wangge export --format site` copies from).
pub fn embedded_files() -> &'static [Asset] {
    embedded::FILES
}

/// The embedded file at a URL path.
pub fn embedded(path: &str) -> Option<&'static Asset> {
    embedded::FILES.iter().find(|a| a.path == path)
}

/// Answer a GET for a page file: 404 for anything not served, 304 when the ETag matches.
pub(crate) async fn serve(State(s): State<Arc<AppState>>, method: Method, uri: Uri, headers: HeaderMap) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return AppError::not_found(format!("no {method} endpoint {}", uri.path())).into_response();
    }
    let path = uri.path().trim_start_matches('/');
    let not_found = || AppError::not_found(format!("no file {}", uri.path())).into_response();
    let Some(rel) = web_files::source(path) else { return not_found() };
    let (bytes, etag): (Cow<'static, [u8]>, String) = match &s.web {
        WebSource::Embedded => match embedded(if path.is_empty() { "index.html" } else { path }) {
            Some(a) => (Cow::Borrowed(a.bytes), a.etag.to_owned()),
            None => return not_found(),
        },
        WebSource::Dir(dir) => match tokio::fs::read(dir.join(&rel)).await {
            Ok(b) => {
                let e = web_files::etag(&b);
                (Cow::Owned(b), e)
            }
            Err(_) => return not_found(),
        },
    };
    let mut h = HeaderMap::new();
    let content_type = web_files::content_type(&rel);
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // a worker takes its policy from its own script, so scripts get the page's policy too
    if (content_type.starts_with("text/html") || content_type.starts_with("text/javascript"))
        && let Ok(v) = HeaderValue::from_str(&super::auth::page_csp(&inline_script_hashes(&bytes)))
    {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    // revalidate every time: cheap with the ETag, and a new page or library is seen at once
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if matches {
        return (StatusCode::NOT_MODIFIED, h).into_response();
    }
    (h, bytes).into_response()
}

/// SHA-256 (base64) of every inline `<script>` of a page, for its Content-Security-Policy.
pub fn inline_script_hashes(html: &[u8]) -> Vec<String> {
    use sha2::{Digest, Sha256};
    let text = String::from_utf8_lossy(html);
    let mut out = Vec::new();
    let mut rest = &text[..];
    while let Some(i) = rest.find("<script") {
        rest = &rest[i..];
        let Some(close) = rest.find('>') else { break };
        let tag = &rest[..close];
        rest = &rest[close + 1..];
        let Some(end) = rest.find("</script>") else { break };
        if !tag.contains(" src=") {
            out.push(base64(&Sha256::digest(&rest.as_bytes()[..end])));
        }
        rest = &rest[end..];
    }
    out
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16) | (u32::from(*c.get(1).unwrap_or(&0)) << 8) | u32::from(*c.get(2).unwrap_or(&0));
        for k in 0..4 {
            if k <= c.len() {
                s.push(char::from(A[((n >> (18 - 6 * k)) & 63) as usize]));
            } else {
                s.push('=');
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn inline_scripts_are_hashed_and_external_ones_skipped() {
        let html = b"<p><script type=\"importmap\">{}</script><script type=\"module\" src=\"/a.js\"></script>";
        // sha256("{}") = 44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a
        assert_eq!(super::inline_script_hashes(html), vec!["RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o=".to_owned()]);
        assert_eq!(super::base64(b"ab"), "YWI=");
        assert_eq!(super::base64(b"a"), "YQ==");
    }

    #[test]
    fn a_web_directory_has_the_map_library_when_it_has_the_module_the_pages_import() {
        let d = std::env::temp_dir().join(format!("wangge-web-{}", std::process::id()));
        let dist = d.join("node_modules/maplibre-gl/dist");
        std::fs::create_dir_all(&dist).expect("dist");
        std::fs::write(dist.join("maplibre-gl-dev.mjs"), "").expect("dev");
        let web = super::WebSource::Dir(d.clone());
        let why = web.missing_map_library().expect("no maplibre-gl.mjs: missing");
        assert!(why.contains("make web-deps"), "{why}");
        std::fs::write(dist.join("maplibre-gl.mjs"), "export {}").expect("mjs");
        assert_eq!(web.missing_map_library(), None);
        std::fs::remove_dir_all(&d).expect("clean up");
    }
}

//! Which files of the web directory are served, under which path, with which type.
//!
//! One rule for the files embedded at build time (`server/build.rs` includes this
//! file) and for `wangge serve --web DIR`: the page's own files and the vendored
//! MapLibre GL JS — never `node_modules/` (other than that) nor `test/`.

/// The web-directory file served at `path` (the URL path without its leading `/`), if one is.
///
/// - `` → `index.html`; `NAME.html`, `NAME.css`, `NAME.js`, `NAME.mjs` at the top;
/// - `src/**` with a page extension (also `.json`, `.svg`, `.png`);
/// - `vendor/maplibre-gl/NAME.{js,mjs,css}` → `node_modules/maplibre-gl/dist/NAME.{js,mjs,css}` (not the `-dev` builds).
pub fn source(path: &str) -> Option<String> {
    if path.is_empty() {
        return Some("index.html".to_owned());
    }
    let segments: Vec<&str> = path.split('/').collect();
    let clean = |s: &&str| !s.is_empty() && !s.starts_with('.') && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.@".contains(&b));
    if !segments.iter().all(clean) {
        return None;
    }
    let ext = path.rsplit_once('.').map(|(_, e)| e)?;
    match segments.as_slice() {
        [name] if matches!(ext, "html" | "css" | "js" | "mjs") => Some((*name).to_owned()),
        ["src", ..] if matches!(ext, "js" | "mjs" | "css" | "json" | "svg" | "png") => Some(path.to_owned()),
        ["vendor", "maplibre-gl", name] if matches!(ext, "js" | "mjs" | "css") && !name.contains("-dev.") => {
            Some(format!("node_modules/maplibre-gl/dist/{name}"))
        }
        _ => None,
    }
}

/// The `Content-Type` of a served file, by its extension.
pub fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map_or("", |(_, e)| e) {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        _ => "application/octet-stream",
    }
}

/// A strong ETag for the bytes (FNV-1a, 64 bits, and the length), quoted.
pub fn etag(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("\"{h:016x}-{:x}\"", bytes.len())
}

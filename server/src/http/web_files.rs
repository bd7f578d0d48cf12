//! Which files of the web directory are served, under which path, with which type.
//!
//! One rule for the files embedded at build time (`server/build.rs` includes this
//! file) and for `wangge serve --web DIR`: the page's own files and the vendored
//! npm packages of [`VENDOR`] — never `node_modules/` (other than those) nor `test/`.

/// The npm packages the pages import, served under `/vendor/NAME/`: the URL name, the
/// package's folder under `web/node_modules/`, and the files of it that are served (all
/// `.js`/`.mjs`/`.css` but the `-dev` builds when `None`; a package's other builds are
/// left out of the binary).
pub const VENDOR: &[(&str, &str, Option<&[&str]>)] = &[
    ("maplibre-gl", "maplibre-gl/dist", None),
    ("echarts", "echarts/dist", Some(&["echarts.esm.min.mjs"])),
    ("terra-draw", "terra-draw/dist", Some(&["terra-draw.modern.js"])),
    ("terra-draw-maplibre-gl-adapter", "terra-draw-maplibre-gl-adapter/dist", Some(&["terra-draw-maplibre-gl-adapter.modern.js"])),
    // the PMTiles reader of the offline page (its ESM build) and the inflate it imports
    ("pmtiles", "pmtiles/dist/esm", Some(&["index.js"])),
    ("fflate", "fflate/esm", Some(&["browser.js"])),
];

/// The pages served under a path without extension (`/screen` → `screen.html`).
pub const PAGES: &[&str] = &["screen", "analyst", "planner", "offline"];

/// The web-directory file served at `path` (the URL path without its leading `/`), if one is.
///
/// - `` → `index.html`; `NAME.html`, `NAME.css`, `NAME.js`, `NAME.mjs` at the top;
///   a page of [`PAGES`] also without its `.html`;
/// - `src/**` with a page extension (also `.json`, `.svg`, `.png`);
/// - `vendor/NAME/FILE` → the file of a [`VENDOR`] package (e.g.
///   `vendor/maplibre-gl/maplibre-gl.mjs` → `node_modules/maplibre-gl/dist/maplibre-gl.mjs`).
pub fn source(path: &str) -> Option<String> {
    if path.is_empty() {
        return Some("index.html".to_owned());
    }
    if PAGES.contains(&path) {
        return Some(format!("{path}.html"));
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
        ["vendor", package, name] if matches!(ext, "js" | "mjs" | "css") => {
            let (_, dir, files) = VENDOR.iter().find(|(n, _, _)| n == package)?;
            let served = match files {
                Some(list) => list.contains(name),
                None => !name.contains("-dev."),
            };
            served.then(|| format!("node_modules/{dir}/{name}"))
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

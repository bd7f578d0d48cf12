//! A self-contained offline folder: the offline map page, its modules, the
//! vendored MapLibre GL JS and pmtiles (with fflate), the glyph PBFs its
//! labels need, the data archive and the basemap archive — everything a
//! static server (nginx, `python3 -m http.server`) needs to show the district
//! with no wangge running. Every file comes from the binary itself (the
//! embedded web files and glyphs) and from the archives given; the page's
//! absolute `/vendor/…` URLs (which the wangge server answers) become
//! relative so the folder may be served under any path.
//!
//! Layout:
//!
//! ```text
//! DIR/index.html            the offline page (offline.html)
//! DIR/site.json             which archives the page opens
//! DIR/src/…                 the page's ES modules
//! DIR/vendor/NAME/…         maplibre-gl, pmtiles, fflate
//! DIR/fonts/STACK/A-B.pbf   every 256-glyph range of the label font stack
//! DIR/data/wangge.pmtiles   the data layers
//! DIR/data/basemap.pmtiles  land, water, roads, labels
//! ```

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::http::assets::{HAS_VENDOR, embedded, embedded_files};

/// The page's file among the embedded web files, and its name in the folder.
pub const PAGE: (&str, &str) = ("offline.html", "index.html");
/// The npm packages the offline page imports (served under `vendor/NAME/`).
pub const PACKAGES: &[&str] = &["maplibre-gl", "pmtiles", "fflate"];
/// The font stacks the page's symbol layers name (`TEXT_FONT` in web/src/core/style.js).
pub const FONT_STACKS: &[&str] = &["DejaVu Sans"];
/// The data archive's path in the folder.
pub const DATA: &str = "data/wangge.pmtiles";
/// The basemap archive's path in the folder.
pub const BASEMAP: &str = "data/basemap.pmtiles";

/// What a site export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub files: usize,
    pub bytes: u64,
}

/// The page with its absolute `/vendor/…` and `/src/…` URLs made relative to its folder.
pub fn relative_page(html: &str) -> String {
    html.replace("\"/vendor/", "\"./vendor/").replace("\"/src/", "\"./src/")
}

/// Whether the embedded web file at URL path `p` belongs in the folder (other than the page).
fn wanted(p: &str) -> bool {
    p.starts_with("src/")
        || PACKAGES.iter().any(|n| p.strip_prefix("vendor/").and_then(|r| r.strip_prefix(n)).is_some_and(|r| r.starts_with('/')))
}

/// Writes the folder `dir` (created if missing; files already there are overwritten) with the data
/// archive `data` and the basemap archive `basemap` (`layers`: the data archive's layer names).
pub fn write(dir: &Path, data: &[u8], basemap: &[u8], layers: &[String]) -> Result<Written, String> {
    if !HAS_VENDOR {
        return Err(
            "this binary was built without web/node_modules, so it has no map library to put in the folder: run `make web-deps` and build again"
                .to_owned(),
        );
    }
    let page = embedded(PAGE.0).ok_or_else(|| format!("this binary has no {} embedded", PAGE.0))?;
    let mut w = Written { files: 0, bytes: 0 };
    let mut put = |rel: &str, bytes: &[u8]| -> Result<(), String> {
        let path: PathBuf = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        w.files += 1;
        w.bytes += bytes.len() as u64;
        Ok(())
    };
    put(PAGE.1, relative_page(&String::from_utf8_lossy(page.bytes)).as_bytes())?;
    for a in embedded_files().iter().filter(|a| wanted(a.path)) {
        put(a.path, a.bytes)?;
    }
    for stack in FONT_STACKS {
        for start in (0..=0xff00u32).step_by(256) {
            put(&format!("fonts/{stack}/{start}-{}.pbf", start + 255), &crate::tiles::glyphs::range_pbf(stack, start))?;
        }
    }
    put(DATA, data)?;
    put(BASEMAP, basemap)?;
    let site = json!({
        "archives": [DATA],
        "basemap": BASEMAP,
        "layers": layers,
        "made_by": "wangge export --format site",
    });
    put("site.json", format!("{site:#}\n").as_bytes())?;
    Ok(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_urls_become_relative_and_only_the_offline_packages_are_copied() {
        let html = r#"<link href="/vendor/maplibre-gl/maplibre-gl.css"><script type="importmap">{ "imports": { "pmtiles": "/vendor/pmtiles/index.js" } }</script><script src="/src/offline/main.js">"#;
        let out = relative_page(html);
        assert!(!out.contains("\"/"), "{out}");
        assert!(out.contains(r#""pmtiles": "./vendor/pmtiles/index.js""#));
        assert!(wanted("vendor/pmtiles/index.js") && wanted("vendor/maplibre-gl/maplibre-gl.mjs") && wanted("src/core/map.js"));
        assert!(!wanted("vendor/echarts/echarts.esm.min.mjs") && !wanted("vendor/pmtiles-other/x.js") && !wanted("index.html"));
    }
}

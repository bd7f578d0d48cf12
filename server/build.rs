//! Embeds the web page and the vendored MapLibre GL JS in the binary, so
//! `wangge serve` works from any directory without the repository or npm.
//!
//! Writes `$OUT_DIR/web_assets.rs`: a table of `Asset { path, bytes, etag }`
//! with `include_bytes!` of every file `src/http/web_files.rs` says is served,
//! and `HAS_VENDOR` (false, with a cargo warning, when `web/node_modules` is missing).

#[path = "src/http/web_files.rs"]
#[allow(dead_code)]
mod web_files;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Files under `dir` (recursively), as paths relative to `root` with `/` separators, sorted.
fn files(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(root, &p, out);
        } else if let Ok(rel) = p.strip_prefix(root) {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let web = manifest.join("../web");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/http/web_files.rs");
    println!("cargo:rerun-if-changed={}", web.display());

    // candidate URL paths: the top-level files, src/**, and the MapLibre dist files
    let mut urls: Vec<String> = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&web) {
        for e in entries.flatten() {
            if e.path().is_file() {
                urls.push(e.file_name().to_string_lossy().into_owned());
            }
        }
    }
    let mut src = Vec::new();
    files(&web, &web.join("src"), &mut src);
    urls.extend(src);
    for page in web_files::PAGES {
        if web.join(format!("{page}.html")).is_file() {
            urls.push((*page).to_owned());
        }
    }
    let dist = web.join("node_modules/maplibre-gl/dist");
    let has_vendor = dist.join("maplibre-gl.mjs").is_file() || dist.join("maplibre-gl.js").is_file();
    if has_vendor {
        for (name, dir, _) in web_files::VENDOR {
            let mut d = Vec::new();
            let folder = web.join("node_modules").join(dir);
            files(&folder, &folder, &mut d);
            urls.extend(d.into_iter().filter(|n| !n.contains('/')).map(|n| format!("vendor/{name}/{n}")));
        }
    } else {
        println!(
            "cargo:warning=web/node_modules/maplibre-gl is missing: the binary is built without the map library (run `make web-deps`, then build again)"
        );
    }
    urls.sort();

    let mut out = String::from("/// Every embedded file of the web page, by URL path.\npub static FILES: &[Asset] = &[\n");
    for url in &urls {
        let Some(rel) = web_files::source(url) else { continue };
        let file = web.join(&rel);
        let Ok(bytes) = std::fs::read(&file) else { continue };
        let abs = file.canonicalize().unwrap_or(file);
        let _ = writeln!(
            out,
            "    Asset {{ path: {url:?}, bytes: include_bytes!({:?}), etag: {:?} }},",
            abs.display().to_string(),
            web_files::etag(&bytes)
        );
    }
    out.push_str("];\n");
    let _ = writeln!(
        out,
        "/// Whether MapLibre GL JS was embedded (web/node_modules was there at build time).\npub const HAS_VENDOR: bool = {has_vendor};"
    );
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("web_assets.rs");
    std::fs::write(&dest, out).expect("write web_assets.rs");
}

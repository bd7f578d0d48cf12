//! `wangge export --format site` and `--format basemap` on a generated store: the folder holds
//! every file its page names (import map, stylesheet, script, the modules those import, the
//! glyph ranges of the label font, the archives of site.json), the archives hold the layers the
//! page draws, and the basemap is deterministic, real land around the district and water beside it.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::cli::{ok, p, wangge};
use crate::common;
use crate::export::demo_store;

/// The values of `attr="…"` in `html`.
fn attrs<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let key = format!("{attr}=\"");
    html.match_indices(&key).filter_map(|(i, _)| html[i + key.len()..].split('"').next()).collect()
}

/// The module specifiers a JS file imports (`from '…'` and `import '…'`).
fn imports(js: &str) -> Vec<String> {
    let mut out = Vec::new();
    for marker in ["from '", "import '"] {
        for (i, _) in js.match_indices(marker) {
            if let Some(s) = js[i + marker.len()..].split('\'').next() {
                out.push(s.to_owned());
            }
        }
    }
    out
}

/// Every module reachable from `start` (a path relative to `dir`) exists; answers them and the bare specifiers met.
fn walk_modules(dir: &Path, start: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let (mut seen, mut bare) = (BTreeSet::new(), BTreeSet::new());
    let mut todo = vec![start.to_owned()];
    while let Some(rel) = todo.pop() {
        if !seen.insert(rel.clone()) {
            continue;
        }
        let js = std::fs::read_to_string(dir.join(&rel)).unwrap_or_else(|e| panic!("{rel} is in the folder: {e}"));
        let here = Path::new(&rel).parent().expect("a folder").to_path_buf();
        for spec in imports(&js) {
            if spec.starts_with("./") || spec.starts_with("../") {
                // resolve ./ and ../ against the importing module's folder
                let mut parts: Vec<String> = here.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
                for seg in spec.split('/') {
                    match seg {
                        "." => {}
                        ".." => {
                            parts.pop();
                        }
                        s => parts.push(s.to_owned()),
                    }
                }
                todo.push(parts.join("/"));
            } else {
                bare.insert(spec);
            }
        }
    }
    (seen, bare)
}

fn archive(path: &Path) -> wangge::export::pmtiles::Decoded {
    wangge::export::pmtiles::read(&std::fs::read(path).expect("archive")).expect("decodes")
}

fn layer_ids(meta: &Value) -> BTreeSet<String> {
    meta["vector_layers"].as_array().expect("vector_layers").iter().map(|l| l["id"].as_str().expect("id").to_owned()).collect()
}

#[test]
fn the_site_holds_every_file_its_page_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_store(dir.path());
    let site = dir.path().join("site");
    let land = common::repo("data/qingdao/land.geojson");
    let out = ok(&wangge(&[
        "export",
        "--db",
        p(&db),
        "--format",
        "site",
        "--out",
        p(&site),
        "--land",
        p(&land),
        "--layers",
        "units,buildings,roads",
        "--maxzoom",
        "14",
    ]));
    assert!(out.contains("exported the offline site"), "{out}");

    let html = std::fs::read_to_string(site.join("index.html")).expect("index.html");
    let map = html.split("<script type=\"importmap\">").nth(1).and_then(|s| s.split("</script>").next()).expect("an import map");
    let map: Value = serde_json::from_str(map).expect("import map JSON");
    let specifiers: BTreeSet<String> = map["imports"].as_object().expect("imports").keys().cloned().collect();
    for (spec, url) in map["imports"].as_object().expect("imports") {
        let url = url.as_str().expect("url");
        assert!(url.starts_with("./vendor/"), "{spec}: {url} is relative to the folder");
        assert!(site.join(url).is_file(), "{spec}: {url} is in the folder");
    }
    // nothing absolute is left: the folder may be served under any path
    for u in attrs(&html, "href").into_iter().chain(attrs(&html, "src")) {
        assert!(!u.starts_with('/') && !u.contains("://"), "{u}");
        if !u.starts_with("data:") {
            assert!(site.join(u).is_file(), "{u} is in the folder");
        }
    }
    let script = attrs(&html, "src").into_iter().find(|s| s.ends_with(".js")).expect("the page's script");
    let (modules, bare) = walk_modules(&site, script);
    assert!(modules.contains("src/core/map.js") && modules.contains("src/offline/basemap.js"), "{modules:?}");
    // every bare specifier of the page's modules is mapped; pmtiles' own import (fflate) too
    let pm = std::fs::read_to_string(site.join("vendor/pmtiles/index.js")).expect("pmtiles");
    assert!(pm.contains("from\"fflate\"") || pm.contains("from 'fflate'") || pm.contains("from \"fflate\""), "pmtiles imports fflate");
    for b in bare.iter().chain(std::iter::once(&"fflate".to_owned())) {
        assert!(specifiers.contains(b), "{b} is in the import map {specifiers:?}");
    }
    // the MapLibre worker the library loads beside itself
    assert!(site.join("vendor/maplibre-gl/maplibre-gl-worker.mjs").is_file());

    // the label font of the style, every 256-glyph range of it
    let style = std::fs::read_to_string(site.join("src/core/style.js")).expect("style.js");
    let font = style.split("TEXT_FONT = ['").nth(1).and_then(|s| s.split('\'').next()).expect("TEXT_FONT");
    for start in (0..=0xff00u32).step_by(256) {
        let f = site.join(format!("fonts/{font}/{start}-{}.pbf", start + 255));
        assert!(f.is_file(), "{}", f.display());
    }
    assert!(std::fs::metadata(site.join(format!("fonts/{font}/0-255.pbf"))).expect("latin").len() > 1000, "Latin glyphs are drawn");

    // the archives of site.json: the data layers asked, and the basemap layers the page's style reads
    let meta: Value = serde_json::from_str(&std::fs::read_to_string(site.join("site.json")).expect("site.json")).expect("JSON");
    let data = meta["archives"][0].as_str().expect("archive");
    let (h, m, tiles) = archive(&site.join(data));
    assert_eq!(layer_ids(&m), ["buildings", "roads", "units"].map(String::from).into());
    assert_eq!((h.min_zoom, h.max_zoom), (10, 14));
    assert!(!tiles.is_empty());
    let (_, bm, btiles) = archive(&site.join(meta["basemap"].as_str().expect("basemap")));
    let base_style = std::fs::read_to_string(site.join("src/offline/basemap.js")).expect("basemap.js");
    let wanted: BTreeSet<String> =
        base_style.split("'source-layer': '").skip(1).filter_map(|s| s.split('\'').next()).map(String::from).collect();
    assert_eq!(wanted, layer_ids(&bm), "the page draws exactly the basemap's layers");
    // and each of them has features in some tile
    let mut met = BTreeSet::new();
    for (_, _, _, gz) in &btiles {
        let mut raw = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(gz.as_slice()), &mut raw).expect("gzip");
        let r = mvt_reader::Reader::new(raw).expect("tile");
        for (i, name) in r.get_layer_names().expect("names").into_iter().enumerate() {
            if !r.get_features(i).expect("features").is_empty() {
                met.insert(name);
            }
        }
    }
    assert_eq!(met, wanted);
}

#[test]
fn the_basemap_is_deterministic_land_and_water_around_the_district() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_store(dir.path());
    let land = common::repo("data/qingdao/land.geojson");
    let [a, b] = ["a", "b"].map(|n| dir.path().join(format!("{n}.pmtiles")));
    for f in [&a, &b] {
        ok(&wangge(&["export", "--db", p(&db), "--format", "basemap", "--land", p(&land), "--maxzoom", "12", "--out", p(f)]));
    }
    assert_eq!(std::fs::read(&a).expect("a"), std::fs::read(&b).expect("b"), "the same store and land give the same bytes");
    let (h, m, _) = archive(&a);
    assert_eq!(m["name"], "basemap");
    assert!(m["attribution"].as_str().expect("attribution").contains("OpenStreetMap"));
    // the box holds the district (市南区 lies within 120.28–120.51 E, 35.95–36.10 N) with a margin
    let [w, s, e, n] = h.bounds;
    assert!(w < 120.28 && s < 35.95 && e > 120.51 && n > 36.10, "{:?}", h.bounds);

    // land from a file that misses the data's box is refused with the box named
    let far = dir.path().join("far.geojson");
    std::fs::write(
        &far,
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"x"},"geometry":{"type":"Polygon","coordinates":[[[10,10],[11,10],[11,11],[10,11],[10,10]]]}}]}"#,
    )
    .expect("write");
    let o = wangge(&["export", "--db", p(&db), "--format", "basemap", "--land", p(&far), "--out", p(&a)]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("no land polygon meets the data's box"), "{}", String::from_utf8_lossy(&o.stderr));
}

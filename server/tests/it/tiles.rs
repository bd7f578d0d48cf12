//! Vector tiles decoded with mvt-reader and checked against the source features.

use crate::common;

use std::collections::{BTreeSet, HashMap};

use geo::{BoundingRect, Geometry};
use mvt_reader::Reader;
use mvt_reader::feature::Value;
use wangge::tiles::grid::{TileProj, tile_bounds};
use wangge::tiles::render;

fn ring_area2(r: &geo::LineString<f32>) -> f64 {
    r.0.windows(2).map(|w| f64::from(w[0].x) * f64::from(w[1].y) - f64::from(w[1].x) * f64::from(w[0].y)).sum()
}

fn polygons(g: &Geometry<f32>) -> Vec<geo::Polygon<f32>> {
    match g {
        Geometry::Polygon(p) => vec![p.clone()],
        Geometry::MultiPolygon(m) => m.0.clone(),
        other => panic!("not a polygon: {other:?}"),
    }
}

fn tiles_over(d: &wangge_engine::dataset::Dataset, z: u8) -> Vec<(u32, u32)> {
    let (xs, ys) = wangge::tiles::grid::tiles_covering(d.bounds().expect("bounds"), z);
    xs.flat_map(|x| ys.clone().map(move |y| (x, y))).collect()
}

#[test]
fn unit_tiles_decode_with_clockwise_exteriors_and_the_right_features() {
    let d = common::demo_dataset();
    let mut checked = 0;
    for z in [12u8, 14] {
        for (x, y) in tiles_over(&d, z) {
            let Some(bytes) = render(&d, "units", None, z, x, y) else { continue };
            let reader = Reader::new(bytes).expect("decodes");
            let meta = reader.get_layer_metadata().expect("meta");
            assert_eq!(meta.len(), 1);
            assert_eq!((meta[0].name.as_str(), meta[0].extent, meta[0].version), ("units", 4096, 2));
            let feats = reader.get_features(0).expect("features");
            let mut ids = BTreeSet::new();
            for f in &feats {
                let p = f.properties.as_ref().expect("props");
                let Some(Value::String(id)) = p.get("id") else { panic!("id") };
                assert!(matches!(p.get("level"), Some(Value::String(_))));
                assert!(matches!(p.get("name"), Some(Value::String(_))));
                ids.insert(id.clone());
                for poly in polygons(&f.geometry) {
                    assert!(ring_area2(poly.exterior()) > 0.0, "exterior ring must be clockwise on screen (positive in y-down)");
                    for h in poly.interiors() {
                        assert!(ring_area2(h) < 0.0);
                    }
                    for c in poly.exterior().coords() {
                        assert!(c.x >= -64.0 && c.x <= 4160.0 && c.y >= -64.0 && c.y <= 4160.0, "clipped to the buffer");
                    }
                }
            }
            // every unit with a vertex well inside the tile is in it; nothing far away is
            let inner = tile_bounds(z, x, y, -8.0);
            let outer = tile_bounds(z, x, y, 64.0);
            for u in &d.hierarchy.units {
                let inside = u
                    .geometry
                    .0
                    .iter()
                    .flat_map(|p| p.exterior().coords())
                    .any(|c| c.x > inner.min().x && c.x < inner.max().x && c.y > inner.min().y && c.y < inner.max().y);
                if inside {
                    assert!(ids.contains(&u.id.0), "{} missing from {z}/{x}/{y}", u.id);
                }
                let bb = u.geometry.bounding_rect().expect("bb");
                if ids.contains(&u.id.0) {
                    assert!(wangge_engine::geometry::index::rects_touch(bb, outer), "{} is not near {z}/{x}/{y}", u.id);
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 4, "{checked}");
}

#[test]
fn children_cover_their_parent_in_every_tile_without_gaps() {
    let d = common::demo_dataset();
    let h = &d.hierarchy;
    for (z, min_area) in [(13u8, 20_000.0), (15, 20_000.0)] {
        for (x, y) in tiles_over(&d, z) {
            let Some(bytes) = render(&d, "units", None, z, x, y) else { continue };
            let reader = Reader::new(bytes).expect("decodes");
            let mut area: HashMap<String, f64> = HashMap::new();
            for f in reader.get_features(0).expect("features") {
                let Some(Value::String(id)) = f.properties.as_ref().and_then(|p| p.get("id")).cloned() else { continue };
                let a: f64 = polygons(&f.geometry)
                    .iter()
                    .map(|p| ring_area2(p.exterior()) + p.interiors().iter().map(ring_area2).sum::<f64>())
                    .sum::<f64>()
                    / 2.0;
                *area.entry(id).or_default() += a;
            }
            for (i, u) in h.units.iter().enumerate() {
                if u.level.0 != "community" {
                    continue;
                }
                let Some(&pa) = area.get(&u.id.0) else { continue };
                if pa < min_area {
                    continue;
                }
                let kids: f64 = h.children[i].iter().map(|&c| area.get(&h.units[c].id.0).copied().unwrap_or(0.0)).sum();
                assert!((kids - pa).abs() / pa < 0.01, "{z}/{x}/{y}: grids of {} cover {kids} of {pa} tile units²", u.id);
            }
        }
    }
}

#[test]
fn point_and_building_tiles_match_their_sources() {
    let d = common::demo_dataset();
    let z = 15u8;
    let mut seen = 0;
    for (x, y) in tiles_over(&d, z).into_iter().take(400) {
        let tp2 = TileProj::new(z, x, y);
        let Some(bytes) = render(&d, "cameras", None, z, x, y) else { continue };
        let reader = Reader::new(bytes).expect("decodes");
        for f in reader.get_features(0).expect("features") {
            let Geometry::MultiPoint(mp) = &f.geometry else { panic!("point") };
            assert_eq!(mp.0.len(), 1, "one point per feature");
            {
                let p = &mp.0[0];
                let id = f.id.expect("id") as usize - 1;
                let (ex, ey) = tp2.project(d.cameras[id].position.0);
                assert!((f64::from(p.x()) - ex).abs() <= 0.5 && (f64::from(p.y()) - ey).abs() <= 0.5);
                let Some(Value::String(kind)) = f.properties.as_ref().and_then(|p| p.get("kind")).cloned() else { panic!("kind") };
                assert_eq!(kind, d.cameras[id].kind.as_str());
                seen += 1;
            }
        }
    }
    assert!(seen > 50, "{seen}");
    // buildings: households attribute equals the source
    let mut nb = 0;
    for (x, y) in tiles_over(&d, 15).into_iter().take(400) {
        let Some(bytes) = render(&d, "buildings", None, 15, x, y) else { continue };
        let reader = Reader::new(bytes).expect("decodes");
        for f in reader.get_features(0).expect("features") {
            let id = f.id.expect("id") as usize - 1;
            let p = f.properties.as_ref().expect("props");
            assert_eq!(p.get("households"), Some(&Value::SInt(i64::from(d.buildings[id].households.expect("hh")))));
            for poly in polygons(&f.geometry) {
                assert!(ring_area2(poly.exterior()) > 0.0);
            }
            nb += 1;
        }
    }
    assert!(nb > 50, "{nb}");
}

// ---- the tile routes in-process: composite tiles, TileJSON, proxies, encodings, the style ----

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value as Json;
use tower::ServiceExt;

/// The nine layers the page draws from one composite source.
const STATIC: &str = "units,buildings,roads,cameras,camera_views,camera_gaps,facilities,incidents,problems";

fn app() -> axum::Router {
    wangge::http::app(wangge::http::AppState::new(common::demo_dataset(), common::repo("web")))
}

async fn fetch(app: &axum::Router, uri: &str, headers: &[(&str, &str)]) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut req = Request::get(uri).header(header::HOST, "127.0.0.1:8080");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = app.clone().oneshot(req.body(Body::empty()).expect("req")).await.expect("resp");
    let (status, h) = (resp.status(), resp.headers().clone());
    (status, h, resp.into_body().collect().await.expect("body").to_bytes().to_vec())
}

async fn fetch_json(app: &axum::Router, uri: &str, headers: &[(&str, &str)]) -> Json {
    let (s, _, b) = fetch(app, uri, headers).await;
    assert_eq!(s, StatusCode::OK, "{uri}: {}", String::from_utf8_lossy(&b));
    serde_json::from_slice(&b).expect("json")
}

/// Each layer's features as comparable text (id, geometry, sorted properties), by layer name.
fn decode(bytes: Vec<u8>) -> HashMap<String, Vec<String>> {
    let reader = Reader::new(bytes).expect("decodes");
    let names = reader.get_layer_names().expect("names");
    let mut out = HashMap::new();
    for (i, name) in names.into_iter().enumerate() {
        let feats = reader.get_features(i).expect("features");
        let text = feats
            .iter()
            .map(|f| {
                let mut props: Vec<String> = f.properties.iter().flatten().map(|(k, v)| format!("{k}={v:?}")).collect();
                props.sort();
                format!("{:?} {:?} {}", f.id, f.geometry, props.join(","))
            })
            .collect();
        assert!(out.insert(name.clone(), text).is_none(), "layer {name} twice");
    }
    out
}

#[tokio::test]
async fn composite_tile_holds_each_layer_with_the_single_layer_features() {
    let app = app();
    let d = common::demo_dataset();
    let mut compared = BTreeSet::new();
    for z in [13u8, 15] {
        for (x, y) in tiles_over(&d, z).into_iter().step_by(7).take(12) {
            let (s, h, body) = fetch(&app, &format!("/tiles/{STATIC}/{z}/{x}/{y}.mvt?level=grid"), &[]).await;
            if s == StatusCode::NO_CONTENT {
                continue;
            }
            assert_eq!(s, StatusCode::OK);
            assert!(h.get(header::CONTENT_ENCODING).is_none());
            let composite = decode(body.clone());
            let mut expected = HashMap::new();
            for layer in STATIC.split(',') {
                let (s, _, single) = fetch(&app, &format!("/tiles/{layer}/{z}/{x}/{y}.mvt?level=grid"), &[]).await;
                if s == StatusCode::OK {
                    expected.extend(decode(single));
                } else {
                    assert_eq!(s, StatusCode::NO_CONTENT);
                }
            }
            assert_eq!(composite, expected, "{z}/{x}/{y}");
            compared.extend(composite.keys().cloned());
            // the level applies to units only
            assert!(composite.get("units").into_iter().flatten().all(|f| f.contains("level=String(\"grid\")")));
            // gzipped once: the same tile
            let (s, h, gz) = fetch(&app, &format!("/tiles/{STATIC}/{z}/{x}/{y}.mvt?level=grid"), &[("accept-encoding", "gzip")]).await;
            assert_eq!((s, h.get(header::CONTENT_ENCODING).map(|v| v.as_bytes())), (StatusCode::OK, Some(&b"gzip"[..])));
            let mut raw = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(gz.as_slice()), &mut raw).expect("gunzip");
            assert_eq!(raw, body);
            // a composite ETag answers 304
            let etag = h.get(header::ETAG).expect("etag").to_str().expect("etag").to_owned();
            let (s, _, _) = fetch(&app, &format!("/tiles/{STATIC}/{z}/{x}/{y}.mvt?level=grid"), &[("if-none-match", &etag)]).await;
            assert_eq!(s, StatusCode::NOT_MODIFIED);
        }
    }
    for l in ["units", "buildings", "cameras", "camera_views", "facilities", "incidents"] {
        assert!(compared.contains(l), "{l} never compared: {compared:?}");
    }
}

#[tokio::test]
async fn composite_with_heat_layers_applies_their_filters() {
    let app = app();
    let d = common::demo_dataset();
    let (xs, ys) = wangge::tiles::grid::tiles_covering(d.bounds().expect("b"), 11);
    let mut seen = 0;
    for x in xs {
        for y in ys.clone() {
            let (s, _, body) = fetch(&app, &format!("/tiles/units,heatmap,hotspots/11/{x}/{y}.mvt?res=7&k=2&level=street"), &[]).await;
            if s == StatusCode::NO_CONTENT {
                continue;
            }
            let composite = decode(body);
            let mut expected = HashMap::new();
            for uri in [
                format!("/tiles/units/11/{x}/{y}.mvt?level=street"),
                format!("/tiles/heatmap/11/{x}/{y}.mvt?res=7"),
                format!("/tiles/hotspots/11/{x}/{y}.mvt?res=7&k=2"),
            ] {
                let (s, _, single) = fetch(&app, &uri, &[]).await;
                if s == StatusCode::OK {
                    expected.extend(decode(single));
                }
            }
            assert_eq!(composite, expected);
            seen += usize::from(composite.contains_key("heatmap"));
        }
    }
    assert!(seen > 0);
    let (s, _, b) = fetch(&app, "/tiles/units,hotspots/11/1707/801.mvt?k=9", &[]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{}", String::from_utf8_lossy(&b));
}

#[tokio::test]
async fn unknown_or_repeated_composite_layers_are_refused_by_name() {
    let app = app();
    for uri in ["/tiles/units,lakes/14/13669/6429.mvt", "/tiles/units,lakes.json", "/tiles/lakes,units/1/0/0.mvt"] {
        let (s, _, b) = fetch(&app, uri, &[]).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{uri}");
        let v: Json = serde_json::from_slice(&b).expect("json");
        assert_eq!(v["error"], "not_found");
        assert!(v["message"].as_str().expect("msg").contains("\"lakes\""), "{v}");
    }
    let (s, _, _) = fetch(&app, "/tiles/units,units/14/13669/6429.mvt", &[]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn tilejson_has_per_layer_zooms_and_urls_that_follow_the_proxy() {
    let app = app();
    let v = fetch_json(&app, &format!("/tiles/{STATIC},heatmap.json?level=grid"), &[]).await;
    assert_eq!(v["tiles"][0], format!("http://127.0.0.1:8080/tiles/{STATIC},heatmap/{{z}}/{{x}}/{{y}}.mvt?level=grid"));
    let ids: Vec<&str> = v["vector_layers"].as_array().expect("vl").iter().map(|l| l["id"].as_str().expect("id")).collect();
    assert_eq!(ids.join(","), format!("{STATIC},heatmap"));
    for l in v["vector_layers"].as_array().expect("vl") {
        let want = if l["id"] == "heatmap" { 18 } else { 16 };
        assert_eq!((l["minzoom"].as_u64(), l["maxzoom"].as_u64()), (Some(0), Some(want)), "{l}");
        assert!(l["fields"].as_object().expect("fields").len() >= 2);
    }
    assert_eq!((v["minzoom"].as_u64(), v["maxzoom"].as_u64()), (Some(0), Some(18)));
    // tiles are still served beyond the advertised maxzoom (clients that do not overzoom)
    let (s, _, _) = fetch(&app, "/tiles/units/20/874838/411488.mvt", &[]).await;
    assert!(s == StatusCode::OK || s == StatusCode::NO_CONTENT);

    let v = fetch_json(&app, "/tiles/units.json", &[("x-forwarded-proto", "https"), ("x-forwarded-host", "gis.example.org")]).await;
    assert_eq!(v["tiles"][0], "https://gis.example.org/tiles/units/{z}/{x}/{y}.mvt");
    let v = fetch_json(&app, "/tiles/roads.json", &[("forwarded", "for=10.1.2.3;proto=https;host=maps.example.org:8443")]).await;
    assert_eq!(v["tiles"][0], "https://maps.example.org:8443/tiles/roads/{z}/{x}/{y}.mvt");
    let v = fetch_json(&app, "/tiles/hotspots.json?res=8&k=2", &[("x-forwarded-prefix", "/wangge")]).await;
    assert_eq!(v["tiles"][0], "http://127.0.0.1:8080/wangge/tiles/hotspots/{z}/{x}/{y}.mvt?res=8&k=2");
}

#[tokio::test]
async fn tiles_are_gzipped_only_when_gzip_is_acceptable() {
    let app = app();
    let uri = "/tiles/units/14/13669/6429.mvt";
    for (accept, gz) in [
        ("gzip", true),
        ("br;q=1, gzip;q=0.5", true),
        ("*", true),
        ("identity;q=0, gzip", true),
        ("gzip;q=0", false),
        ("gzip;q=0, *", false),
        ("br", false),
        ("identity;q=0", false),
        ("gzip;q=0, identity;q=0", false),
    ] {
        let (s, h, body) = fetch(&app, uri, &[("accept-encoding", accept)]).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(h.get(header::VARY).map(|v| v.as_bytes()), Some(&b"Accept-Encoding"[..]), "{accept}");
        assert_eq!(h.get(header::CONTENT_ENCODING).is_some(), gz, "{accept}");
        let raw = if gz {
            let mut raw = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(body.as_slice()), &mut raw).expect("gunzip");
            raw
        } else {
            body
        };
        assert!(decode(raw).contains_key("units"), "{accept}");
    }
}

#[tokio::test]
async fn style_json_references_layers_that_exist() {
    let app = app();
    let style = fetch_json(&app, "/style.json", &[("x-forwarded-host", "gis.example.org"), ("x-forwarded-proto", "https")]).await;
    assert_eq!(style["version"], 8);
    assert_eq!(style["glyphs"], "https://gis.example.org/fonts/{fontstack}/{range}.pbf");
    let sources = style["sources"].as_object().expect("sources");
    assert!(!sources.is_empty());
    let mut source_layers: HashMap<String, BTreeSet<String>> = HashMap::new();
    for (name, src) in sources {
        assert_eq!(src["type"], "vector");
        let url = src["url"].as_str().expect("url");
        let path = url.strip_prefix("https://gis.example.org").expect("absolute URL under the proxy's host");
        let tj = fetch_json(&app, path, &[]).await;
        let ids = tj["vector_layers"].as_array().expect("vl").iter().map(|l| l["id"].as_str().expect("id").to_owned()).collect();
        source_layers.insert(name.clone(), ids);
    }
    let layers = style["layers"].as_array().expect("layers");
    assert!(layers.len() >= 10);
    let mut drawn = BTreeSet::new();
    for l in layers {
        if l["type"] == "background" {
            continue;
        }
        let src = l["source"].as_str().expect("source");
        let sl = l["source-layer"].as_str().expect("source-layer");
        assert!(source_layers.get(src).is_some_and(|s| s.contains(sl)), "{} reads {src}/{sl}", l["id"]);
        drawn.insert(sl.to_owned());
    }
    assert_eq!(drawn.len(), 9, "{drawn:?}");
    let (s, _, _) = fetch(&app, "/fonts/DejaVu%20Sans/0-255.pbf", &[]).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn a_camera_edit_changes_the_composite_tile_over_it() {
    let state = wangge::http::AppState::new(common::demo_dataset(), common::repo("web"));
    let app = wangge::http::app(state.clone());
    let d0 = state.dataset();
    let (lon, lat) = (d0.cameras[0].position.x() + 0.0004, d0.cameras[0].position.y() + 0.0003);
    let z = 16u8;
    let (xs, ys) = wangge::tiles::grid::tiles_covering(geo::Rect::new((lon, lat), (lon, lat)), z);
    let uri = format!("/tiles/units,cameras,camera_views/{z}/{}/{}.mvt", xs.start(), ys.start());
    let (s, h0, before) = fetch(&app, &uri, &[("accept-encoding", "gzip")]).await;
    assert_eq!(s, StatusCode::OK);
    let feature = serde_json::json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"id": "CAM-NEW", "kind": "dome", "fov": 360, "range": 50, "height": 8, "heading": 0}});
    let req =
        Request::post("/api/cameras").header(header::CONTENT_TYPE, "application/json").body(Body::from(feature.to_string())).expect("req");
    assert_eq!(app.clone().oneshot(req).await.expect("resp").status(), StatusCode::CREATED);
    let (s, h1, after) = fetch(&app, &uri, &[("accept-encoding", "gzip")]).await;
    assert_eq!(s, StatusCode::OK);
    assert_ne!(h0.get(header::ETAG), h1.get(header::ETAG), "the composite's ETag follows the camera layers' content");
    assert_ne!(before, after);
    let mut raw = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(after.as_slice()), &mut raw).expect("gunzip");
    let layers = decode(raw);
    for l in ["cameras", "camera_views"] {
        assert!(layers[l].iter().any(|f| f.contains("id=String(\"CAM-NEW\")")), "{l} lacks the new camera");
    }
}

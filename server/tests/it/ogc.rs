//! OGC API – Features Part 1 on the demo: every conformance class claimed is checked here (core:
//! landing page, conformance, collections, items with bbox/limit/offset/datetime/property filters,
//! paging links, single items, 400s for bad parameters; geojson: the media type and feature ids;
//! html: the pages), the jurisdiction rule (a street's dispatcher sees only its street), and GDAL's
//! `ogrinfo OAPIF:` against a live server giving the same collections, counts and bbox filtering as
//! the API (skipped without `ogrinfo` unless WANGGE_REQUIRE_GDAL is set, as `make unit` does).

use crate::common;

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use wangge::http::{AppState, app as router};
use wangge_engine::people::{Actor, Role};

async fn get(app: &axum::Router, uri: &str, accept: &str) -> (StatusCode, String, Vec<u8>) {
    let req = Request::get(uri).header(header::HOST, "127.0.0.1:8080").header(header::ACCEPT, accept).body(Body::empty()).expect("req");
    let resp = app.clone().oneshot(req).await.expect("resp");
    let status = resp.status();
    let ctype = resp.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    (status, ctype, resp.into_body().collect().await.expect("body").to_bytes().to_vec())
}

async fn json(app: &axum::Router, uri: &str) -> (StatusCode, Value) {
    let (s, _, b) = get(app, uri, "application/json").await;
    (s, serde_json::from_slice(&b).unwrap_or(Value::Null))
}

fn href(v: &Value, rel: &str) -> Option<String> {
    v["links"].as_array()?.iter().find(|l| l["rel"] == rel && l["type"] != "text/html").and_then(|l| l["href"].as_str()).map(str::to_owned)
}

/// The path and query of an absolute link.
fn local(h: &str) -> String {
    h.strip_prefix("http://127.0.0.1:8080").unwrap_or(h).to_owned()
}

fn ids(v: &Value) -> Vec<String> {
    v["features"].as_array().into_iter().flatten().filter_map(|f| f["id"].as_str().map(str::to_owned)).collect()
}

/// The median longitude and latitude of the cameras: a box from the data's corner to it holds some of every layer.
fn median_camera(d: &wangge_engine::dataset::Dataset) -> (f64, f64) {
    let mut xs: Vec<f64> = d.cameras.iter().map(|c| c.position.x()).collect();
    let mut ys: Vec<f64> = d.cameras.iter().map(|c| c.position.y()).collect();
    xs.sort_by(f64::total_cmp);
    ys.sort_by(f64::total_cmp);
    (xs[xs.len() / 2], ys[ys.len() / 2])
}

#[tokio::test]
async fn core_geojson_and_html() {
    let d = common::demo_dataset();
    let app = router(AppState::new(d.clone(), common::repo("web")));
    // landing page and conformance
    let (s, v) = json(&app, "/ogc").await;
    assert_eq!(s, StatusCode::OK);
    for rel in ["self", "conformance", "data"] {
        assert!(href(&v, rel).is_some(), "landing page link {rel}: {v}");
    }
    let (_, v) = json(&app, &local(&href(&v, "conformance").expect("conformance"))).await;
    let classes: BTreeSet<&str> = v["conformsTo"].as_array().expect("conformsTo").iter().filter_map(Value::as_str).collect();
    let want: BTreeSet<&str> = ["core", "geojson", "html"]
        .iter()
        .map(|c| match *c {
            "core" => "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
            "geojson" => "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
            _ => "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
        })
        .collect();
    assert_eq!(classes, want, "only what is implemented and tested here");
    // collections, each with its extent and an items link
    let (_, v) = json(&app, "/ogc/collections").await;
    let cs = v["collections"].as_array().expect("collections");
    let names: Vec<&str> = cs.iter().filter_map(|c| c["id"].as_str()).collect();
    assert_eq!(names, ["units", "buildings", "cameras", "facilities", "incidents", "cases", "roads"]);
    let units = &cs[0];
    let bbox: Vec<f64> = units["extent"]["spatial"]["bbox"][0].as_array().expect("bbox").iter().filter_map(Value::as_f64).collect();
    let r = d.bounds().expect("bounds");
    assert!((bbox[0] - r.min().x).abs() < 1e-9 && (bbox[3] - r.max().y).abs() < 1e-9, "{bbox:?}");
    assert!(units["description"].as_str().expect("d").contains("generated"), "generated data is labelled");
    assert!(cs[4]["extent"]["temporal"]["interval"][0][0].is_string(), "incidents have a time extent");
    let (s, v) = json(&app, "/ogc/collections/cameras").await;
    assert_eq!((s, v["id"].as_str()), (StatusCode::OK, Some("cameras")));
    assert_eq!(json(&app, "/ogc/collections/parcels").await.0, StatusCode::NOT_FOUND);

    // items: default limit 10, numberMatched, ids, the geojson media type, paging by next links
    let (s, ctype, b) = get(&app, "/ogc/collections/cameras/items", "application/geo+json").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ctype, "application/geo+json");
    let v: Value = serde_json::from_slice(&b).expect("json");
    assert_eq!(v["type"], "FeatureCollection");
    assert_eq!(v["numberMatched"], d.cameras.len());
    assert_eq!(v["numberReturned"], 10);
    assert!(href(&v, "prev").is_none());
    let mut seen: Vec<String> = Vec::new();
    let mut next = Some("/ogc/collections/cameras/items?limit=250".to_owned());
    while let Some(u) = next {
        let (s, v) = json(&app, &u).await;
        assert_eq!(s, StatusCode::OK, "{u}");
        assert!(v["numberReturned"].as_u64().expect("n") <= 250);
        seen.extend(ids(&v));
        if !seen.is_empty() && seen.len() > 250 {
            assert!(href(&v, "prev").is_some(), "a later page links back");
        }
        next = href(&v, "next").map(|h| local(&h));
    }
    let all: Vec<String> = d.cameras.iter().map(|c| c.id.clone()).collect();
    assert_eq!(seen, all, "the pages hold every camera once, in order");
    // bbox: the features whose geometry meets it, like /api/features
    let lo = r.min();
    let (cx, cy) = median_camera(&d);
    let bb = format!("{},{},{},{}", lo.x, lo.y, cx, cy);
    let (_, v) = json(&app, &format!("/ogc/collections/cameras/items?bbox={bb}&limit=10000")).await;
    let inside: Vec<String> = d.cameras.iter().filter(|c| c.position.x() <= cx && c.position.y() <= cy).map(|c| c.id.clone()).collect();
    assert_eq!(ids(&v), inside);
    assert!(!inside.is_empty() && inside.len() < d.cameras.len());
    // offset beyond the end: nothing, with numberMatched kept
    let (_, v) = json(&app, &format!("/ogc/collections/cameras/items?offset={}", d.cameras.len())).await;
    assert_eq!((v["numberReturned"].as_u64(), v["numberMatched"].as_u64()), (Some(0), Some(d.cameras.len() as u64)));
    // limit above the maximum is capped at 10 000
    let (s, v) = json(&app, "/ogc/collections/buildings/items?limit=50000").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["numberReturned"].as_u64(), Some(d.buildings.len().min(10_000) as u64));
    // a property filter
    let (_, v) = json(&app, "/ogc/collections/units/items?level=grid&limit=10000").await;
    let grids = d.hierarchy.units.iter().filter(|u| u.level.0 == "grid").count();
    assert_eq!(v["numberMatched"].as_u64(), Some(grids as u64));
    assert!(v["features"].as_array().expect("f").iter().all(|f| f["properties"]["level"] == "grid"));
    // datetime on incidents: an interval and an open end
    let (from, to) = (1_772_323_200i64, 1_775_001_600i64); // 2026-03-01 – 2026-04-01 UTC
    let in_window = d.incidents.iter().filter(|n| from <= n.occurred_at && n.occurred_at <= to).count();
    let (_, v) = json(&app, "/ogc/collections/incidents/items?datetime=2026-03-01T00:00:00Z/2026-04-01T00:00:00Z").await;
    assert_eq!(v["numberMatched"].as_u64(), Some(in_window as u64));
    assert!(in_window > 0 && in_window < d.incidents.len());
    let before = d.incidents.iter().filter(|n| n.occurred_at <= to).count();
    let (_, v) = json(&app, "/ogc/collections/incidents/items?datetime=../2026-04-01T00:00:00Z").await;
    assert_eq!(v["numberMatched"].as_u64(), Some(before as u64));
    // a single item, and one that does not exist
    let cam = &d.cameras[3];
    let (s, ctype, b) = get(&app, &format!("/ogc/collections/cameras/items/{}", cam.id), "application/geo+json").await;
    assert_eq!((s, ctype.as_str()), (StatusCode::OK, "application/geo+json"));
    let f: Value = serde_json::from_slice(&b).expect("json");
    assert_eq!((f["type"].as_str(), f["id"].as_str()), (Some("Feature"), Some(cam.id.as_str())));
    assert!((f["geometry"]["coordinates"][0].as_f64().expect("x") - cam.position.x()).abs() < 1e-12);
    assert_eq!(json(&app, "/ogc/collections/cameras/items/NO-SUCH").await.0, StatusCode::NOT_FOUND);
    // bad parameters are 400s naming the problem
    for (u, says) in [
        ("/ogc/collections/cameras/items?limit=0", "limit"),
        ("/ogc/collections/cameras/items?offset=-1", "offset"),
        ("/ogc/collections/cameras/items?bbox=1,2,3", "bbox"),
        ("/ogc/collections/cameras/items?colour=red", "colour"),
        ("/ogc/collections/cameras/items?datetime=2026-03-01T00:00:00Z", "only incidents and cases"),
        ("/ogc/collections/cases/items?colour=red", "colour"),
        ("/ogc/collections/incidents/items?datetime=soon", "datetime"),
        ("/ogc/collections/cameras/items?f=xml", "f=json or f=html"),
    ] {
        let (s, _, b) = get(&app, u, "application/json").await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{u}");
        assert!(String::from_utf8_lossy(&b).contains(says), "{u}: {}", String::from_utf8_lossy(&b));
    }
    // html: by ?f=html and by Accept
    for (u, accept, has) in [
        ("/ogc?f=html", "*/*", "The collections</a>"),
        ("/ogc/conformance", "text/html,application/xhtml+xml", "conf/core"),
        ("/ogc/collections", "text/html", "href=\"collections/cameras?f=html\""),
        ("/ogc/collections/cameras/items?limit=3&f=html", "*/*", &format!("<td>{}</td>", d.cameras[0].id)),
        (&format!("/ogc/collections/cameras/items/{}?f=html", cam.id), "*/*", &format!("<td>{}</td>", cam.id)),
    ] {
        let (s, ctype, b) = get(&app, u, accept).await;
        assert_eq!(s, StatusCode::OK, "{u}");
        assert!(ctype.starts_with("text/html"), "{u}: {ctype}");
        let text = String::from_utf8_lossy(&b);
        assert!(text.starts_with("<!doctype html>") && text.contains(has), "{u}: {text:.400}");
    }
}

#[tokio::test]
async fn a_street_sees_only_its_street() {
    let d = common::demo_dataset();
    let street = d.hierarchy.units.iter().position(|u| u.level.0 == "street").expect("a street");
    let id = d.hierarchy.units[street].id.0.clone();
    let j = wangge_engine::units::jurisdiction::Jurisdiction::of(&d, Some(&id));
    let actor = Actor { name: "d".into(), role: Role::Dispatcher, unit: Some(id.clone()), department: None };
    let app = router(AppState::new(d.clone(), common::repo("web"))).layer(axum::Extension(actor));
    let (_, v) = json(&app, "/ogc/collections/cameras/items?limit=10000").await;
    let want: Vec<String> = (0..d.cameras.len()).filter(|&i| j.camera(&d, i)).map(|i| d.cameras[i].id.clone()).collect();
    assert_eq!(ids(&v), want);
    assert!(want.len() < d.cameras.len());
    let outside = (0..d.cameras.len()).find(|&i| !j.camera(&d, i)).expect("a camera elsewhere");
    let (s, _) = json(&app, &format!("/ogc/collections/cameras/items/{}", d.cameras[outside].id)).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "outside the jurisdiction is not found");
    let (_, v) = json(&app, "/ogc/collections").await;
    let bbox = v["collections"][0]["extent"]["spatial"]["bbox"][0].clone();
    let r = j.bounds(&d).expect("bounds");
    assert!((bbox[0].as_f64().expect("x") - r.min().x).abs() < 1e-9, "the extent is the jurisdiction's");
}

/// The cases posted through the API are the `cases` collection: every one for the local admin with its
/// position, status and step count; bbox, datetime and property filters; a street's dispatcher sees its
/// street's only (another street's case is a 404); the collection's extent spans them.
#[tokio::test]
async fn cases_reported_through_the_api() {
    let d = common::demo_dataset();
    let h = &d.hierarchy;
    // two streets, each with loaded incidents whose positions serve as the new cases' places
    let in_street = |u: usize| {
        let j = wangge_engine::units::jurisdiction::Jurisdiction::of(&d, Some(&h.units[u].id.0));
        (0..d.incidents.len()).filter(|&n| j.incident(&d, n)).map(|n| d.incidents[n].position).step_by(5).take(3).collect::<Vec<_>>()
    };
    let streets: Vec<usize> = (0..h.len()).filter(|&u| h.units[u].level.0 == "street" && in_street(u).len() == 3).take(2).collect();
    assert_eq!(streets.len(), 2);
    let (u, v) = (h.units[streets[0]].id.0.clone(), h.units[streets[1]].id.0.clone());
    let state = AppState::with_store(d.clone(), common::repo("web"), wangge::store::Store::memory().expect("store")).expect("state");
    let admin = router(state.clone());
    let mut posted: Vec<(String, f64, f64, String)> = Vec::new();
    for (k, p) in in_street(streets[0]).into_iter().chain(in_street(streets[1])).enumerate() {
        let at = format!("2026-11-0{}T08:30:00+08:00", k + 1);
        let body = json!({"lon": p.x(), "lat": p.y(), "category": "环境卫生", "occurred_at": at, "reporter": format!("r{k}")});
        let (s, b) = common::call(&admin, "POST", "/api/incidents", body).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        posted.push((b["id"].as_str().expect("id").to_owned(), p.x(), p.y(), if k < 3 { u.clone() } else { v.clone() }));
    }
    let (s, b) = common::call(
        &admin,
        "POST",
        &format!("/api/incidents/{}/transitions", posted[1].0),
        json!({"to": "dispatched", "actor": "受理员", "level": "community", "departments": ["城管执法"]}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");

    // every case, with its place, status and steps
    let (s, all) = json(&admin, "/ogc/collections/cases/items?limit=100").await;
    assert_eq!(s, StatusCode::OK, "{all}");
    assert_eq!(all["numberMatched"], 6);
    let feats = all["features"].as_array().expect("features");
    for (id, x, y, _) in &posted {
        let f = feats.iter().find(|f| f["id"] == id.as_str()).unwrap_or_else(|| panic!("case {id} listed"));
        let c = &f["geometry"]["coordinates"];
        let (cx, cy) = (c[0].as_f64().expect("lon"), c[1].as_f64().expect("lat"));
        assert!((cx - x).abs() < 1e-12 && (cy - y).abs() < 1e-12, "{c} ≠ {x}, {y}");
        let (want, steps) = if *id == posted[1].0 { ("dispatched", 1) } else { ("reported", 0) };
        assert_eq!((&f["properties"]["status"], &f["properties"]["steps"]), (&json!(want), &json!(steps)), "{f}");
        assert!(f["properties"].get("transitions").is_none(), "steps are counted, not nested: {f}");
    }
    // every property is a filter (none matches "no-such-value")
    for k in feats[0]["properties"].as_object().expect("properties").keys() {
        let (s, f) = json(&admin, &format!("/ogc/collections/cases/items?{k}=no-such-value")).await;
        assert_eq!((s, f["numberMatched"].as_u64()), (StatusCode::OK, Some(0)), "{k}: {f}");
    }
    // a property filter, a bbox round one case, a time window
    let (_, f) = json(&admin, "/ogc/collections/cases/items?status=dispatched").await;
    assert_eq!(ids(&f), [posted[1].0.clone()]);
    let (_, x, y, _) = &posted[4];
    let (_, f) = json(&admin, &format!("/ogc/collections/cases/items?bbox={},{},{},{}", x - 1e-7, y - 1e-7, x + 1e-7, y + 1e-7)).await;
    assert_eq!(ids(&f), [posted[4].0.clone()]);
    let (_, f) = json(&admin, "/ogc/collections/cases/items?datetime=2026-11-02T00:00:00Z/2026-11-04T00:00:00Z").await;
    let mut got = ids(&f);
    got.sort();
    let mut want = vec![posted[1].0.clone(), posted[2].0.clone()];
    want.sort();
    assert_eq!(got, want, "cases 2 and 3 occurred on the 2nd and 3rd");
    // the extent spans the cases in space and time
    let (_, c) = json(&admin, "/ogc/collections/cases").await;
    assert_eq!(c["extent"]["temporal"]["interval"][0][0], "2026-11-01T00:30:00Z", "{c}");
    assert_eq!(c["extent"]["temporal"]["interval"][0][1], "2026-11-06T00:30:00Z", "{c}");
    let minx = posted.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    assert!((c["extent"]["spatial"]["bbox"][0][0].as_f64().expect("minx") - minx).abs() < 1e-12, "{c}");
    // a street's dispatcher: its own cases only; another street's is not found
    let staff = router(state.clone()).layer(axum::Extension(Actor {
        name: "s".into(),
        role: Role::Dispatcher,
        unit: Some(u.clone()),
        department: None,
    }));
    let (_, f) = json(&staff, "/ogc/collections/cases/items?limit=100").await;
    let mut got = ids(&f);
    got.sort();
    let mut want: Vec<String> = posted.iter().filter(|p| p.3 == u).map(|p| p.0.clone()).collect();
    want.sort();
    assert_eq!(got, want);
    assert_eq!(json(&staff, &format!("/ogc/collections/cases/items/{}", posted[0].0)).await.0, StatusCode::OK);
    assert_eq!(json(&staff, &format!("/ogc/collections/cases/items/{}", posted[5].0)).await.0, StatusCode::NOT_FOUND);
    let (s, one) = json(&admin, &format!("/ogc/collections/cases/items/{}", posted[5].0)).await;
    assert_eq!((s, one["id"].as_str()), (StatusCode::OK, Some(posted[5].0.as_str())));
}

/// Run `ogrinfo` with `args`; its stdout.
fn ogrinfo(args: &[String]) -> String {
    let o = std::process::Command::new("ogrinfo").args(args).env("GDAL_HTTP_TIMEOUT", "60").output().expect("ogrinfo");
    assert!(o.status.success(), "ogrinfo {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gdal_reads_the_collections_counts_and_bbox() {
    if std::process::Command::new("ogrinfo").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("WANGGE_REQUIRE_GDAL").is_none(),
            "WANGGE_REQUIRE_GDAL is set but ogrinfo is missing (apt-get install gdal-bin)"
        );
        eprintln!("skipped: no ogrinfo (apt-get install gdal-bin)");
        return;
    }
    let d = common::demo_dataset();
    let app = router(AppState::new(d.clone(), common::repo("web")));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move { axum::serve(listener, app.clone()).await });
    let url = format!("OAPIF:http://{addr}/ogc");
    let local = router(AppState::new(d.clone(), common::repo("web")));
    // the collections GDAL lists are the API's
    let out = tokio::task::spawn_blocking({
        let url = url.clone();
        move || ogrinfo(&["-ro".into(), "-q".into(), url])
    })
    .await
    .expect("join");
    let listed: Vec<String> =
        out.lines().filter_map(|l| l.split_once(": ").map(|(_, rest)| rest.split(' ').next().unwrap_or("").to_owned())).collect();
    assert_eq!(listed, ["units", "buildings", "cameras", "facilities", "incidents", "cases", "roads"], "{out}");
    // feature counts: every feature read through GDAL's paging, as numberMatched says
    let r = d.bounds().expect("bounds");
    let (cx, cy) = median_camera(&d);
    for layer in ["units", "cameras", "facilities"] {
        let (_, v) = json(&local, &format!("/ogc/collections/{layer}/items?limit=1")).await;
        let want = v["numberMatched"].as_u64().expect("matched");
        let out = tokio::task::spawn_blocking({
            let url = url.clone();
            move || ogrinfo(&["-ro".into(), "-al".into(), url, layer.into()])
        })
        .await
        .expect("join");
        let n = out.lines().filter(|l| l.starts_with("OGRFeature(")).count() as u64;
        assert_eq!(n, want, "{layer}: GDAL read {n}, the API matches {want}");
        // bbox filtering: GDAL's -spat sends bbox; the same features as the API's bbox answer
        let (_, v) = json(&local, &format!("/ogc/collections/{layer}/items?bbox={},{},{cx},{cy}&limit=10000", r.min().x, r.min().y)).await;
        let want: BTreeSet<String> = ids(&v).into_iter().collect();
        let spat = [r.min().x, r.min().y, cx, cy].map(|c| c.to_string());
        let out = tokio::task::spawn_blocking({
            let url = url.clone();
            move || {
                let mut a: Vec<String> = vec!["-ro".into(), "-al".into(), "-spat".into()];
                a.extend(spat);
                a.extend([url, layer.to_owned()]);
                ogrinfo(&a)
            }
        })
        .await
        .expect("join");
        let got: BTreeSet<String> = out.lines().filter_map(|l| l.trim().strip_prefix("id (String) = ").map(str::to_owned)).collect();
        assert_eq!(got, want, "{layer}: bbox through GDAL");
        assert!(!want.is_empty(), "{layer}");
    }
    server.abort();
}

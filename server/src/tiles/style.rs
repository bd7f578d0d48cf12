//! `/style.json`: a MapLibre style (spec v8) for QGIS and other MapLibre
//! clients: one vector source, the composite TileJSON of the static layers,
//! our glyphs, and the layers drawn as the page draws them (`web/app.js`).

use serde_json::{Value, json};

use super::source::static_layers;
use super::tilejson::BaseUrl;

const DEPTH_COLOURS: [&str; 6] = ["#17324d", "#2b6cb0", "#2f855a", "#b7791f", "#9b2c2c", "#6b46c1"];
/// The style's one vector source.
pub const SOURCE: &str = "wangge";

fn depth_colour() -> Value {
    let mut m = vec![json!("match"), json!(["get", "depth"])];
    for (i, c) in DEPTH_COLOURS.iter().enumerate() {
        m.push(json!(i));
        m.push(json!(c));
    }
    m.push(json!("#444"));
    Value::Array(m)
}

/// The style, with absolute URLs under `base`.
pub fn style(base: &BaseUrl) -> Value {
    let names: Vec<&str> = static_layers().map(|s| s.name()).collect();
    let layer = |id: &str, kind: &str, source_layer: &str, extra: Value| {
        let mut l = json!({"id": id, "type": kind, "source": SOURCE, "source-layer": source_layer});
        if let (Some(l), Value::Object(e)) = (l.as_object_mut(), extra) {
            l.extend(e);
        }
        l
    };
    let dc = depth_colour();
    let layers = vec![
        json!({"id": "background", "type": "background", "paint": {"background-color": "#e9eef2"}}),
        layer("units-fill", "fill", "units", json!({"paint": {"fill-color": dc, "fill-opacity": 0.06}})),
        layer(
            "units-line",
            "line",
            "units",
            json!({"paint": {"line-color": dc, "line-width": ["match", ["get", "depth"], 0, 3, 1, 2, 2, 1.4, 3, 1, 0.6]}}),
        ),
        layer("roads", "line", "roads", json!({"paint": {"line-color": "#fff", "line-width": 1.5}})),
        layer(
            "buildings",
            "fill",
            "buildings",
            json!({"minzoom": 13, "paint": {
                "fill-color": ["interpolate", ["linear"], ["coalesce", ["get", "households"], 0], 0, "#cbd5e0", 100, "#718096", 300, "#2d3748"],
                "fill-outline-color": ["case", ["get", "cut"], "#e53e3e", "#4a5568"]}}),
        ),
        layer("camera-gaps", "fill", "camera_gaps", json!({"minzoom": 12, "paint": {"fill-color": "#e53e3e", "fill-opacity": 0.2}})),
        layer(
            "camera-views",
            "fill",
            "camera_views",
            json!({"minzoom": 13, "paint": {"fill-color": "#3182ce", "fill-opacity": 0.18, "fill-outline-color": "#2b6cb0"}}),
        ),
        layer(
            "problems-fill",
            "fill",
            "problems",
            json!({"paint": {"fill-color": ["match", ["get", "kind"], "gap", "#e53e3e", "sliver", "#ed8936", "overlap", "#805ad5",
                                             "outside_parent", "#d53f8c", "#e53e3e"], "fill-opacity": 0.45}}),
        ),
        layer(
            "problems-line",
            "line",
            "problems",
            json!({"paint": {"line-color": ["match", ["get", "kind"], "gap", "#c53030", "sliver", "#c05621", "#6b46c1"],
                             "line-width": 1.2, "line-dasharray": [2, 1]}}),
        ),
        layer(
            "incidents",
            "circle",
            "incidents",
            json!({"minzoom": 12, "paint": {"circle-radius": ["interpolate", ["linear"], ["zoom"], 12, 1.2, 17, 4],
                                            "circle-color": "#dd6b20", "circle-opacity": 0.55}}),
        ),
        layer(
            "cameras",
            "circle",
            "cameras",
            json!({"minzoom": 13, "paint": {"circle-radius": ["interpolate", ["linear"], ["zoom"], 13, 1.5, 17, 5],
                                            "circle-color": ["match", ["get", "kind"], "dome", "#3182ce", "#2c5282"],
                                            "circle-stroke-color": "#fff", "circle-stroke-width": 1}}),
        ),
        layer(
            "facilities",
            "circle",
            "facilities",
            json!({"minzoom": 12, "paint": {"circle-radius": 5, "circle-color": "#38a169", "circle-stroke-color": "#fff",
                                            "circle-stroke-width": 1.5}}),
        ),
        layer(
            "units-label",
            "symbol",
            "units",
            json!({"filter": ["<=", ["get", "depth"], 2],
                   "layout": {"text-field": ["get", "name"], "text-font": ["DejaVu Sans"],
                              "text-size": ["match", ["get", "depth"], 0, 16, 1, 14, 12], "symbol-placement": "point", "text-max-width": 8},
                   "paint": {"text-color": depth_colour(), "text-halo-color": "#fff", "text-halo-width": 1.5}}),
        ),
        layer(
            "facilities-label",
            "symbol",
            "facilities",
            json!({"minzoom": 15,
                   "layout": {"text-field": ["get", "name"], "text-font": ["DejaVu Sans"], "text-size": 11, "text-offset": [0, 1.1],
                              "text-anchor": "top"},
                   "paint": {"text-color": "#276749", "text-halo-color": "#fff", "text-halo-width": 1}}),
        ),
    ];
    json!({
        "version": 8,
        "name": "wangge",
        "sources": {SOURCE: {"type": "vector", "url": format!("{}/tiles/{}.json", base.0, names.join(","))}},
        "glyphs": format!("{}/fonts/{{fontstack}}/{{range}}.pbf", base.0),
        "layers": layers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_layer_reads_a_registered_static_source_layer() {
        let s = style(&BaseUrl("https://gis.example.org".into()));
        let names: Vec<&str> = static_layers().map(|s| s.name()).collect();
        for l in s["layers"].as_array().expect("layers") {
            if l["type"] == "background" {
                continue;
            }
            assert_eq!(l["source"], SOURCE);
            let sl = l["source-layer"].as_str().expect("source-layer");
            assert!(names.contains(&sl), "{sl}");
        }
        assert!(s["sources"][SOURCE]["url"].as_str().expect("url").starts_with("https://gis.example.org/tiles/units,"));
        assert_eq!(s["glyphs"], "https://gis.example.org/fonts/{fontstack}/{range}.pbf");
    }
}

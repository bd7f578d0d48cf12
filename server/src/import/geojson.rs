//! GeoJSON FeatureCollections (RFC 7946, and the 2008 `crs` member) read
//! straight into raw features: serde deserializes each feature's properties,
//! geometry (as `coords`) and id into its own values, skipping every other member, so the
//! whole document is never held as one `serde_json::Value` tree and nothing is
//! copied after parsing. A document this typed reading does not accept (a
//! feature that is not an object, a duplicate member…) returns `None`, and the
//! caller reads it as a general JSON value for its messages. O(bytes).

use serde::Deserialize;
use serde_json::{Map, Value};

use super::Raw;
use super::coords::Geom;

#[derive(Deserialize)]
struct Collection {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    features: Option<Vec<Feature>>,
    #[serde(default)]
    crs: Option<Value>,
}

#[derive(Deserialize)]
struct Feature {
    #[serde(default)]
    properties: Option<Value>,
    #[serde(default)]
    geometry: Option<Geom>,
    #[serde(default)]
    id: Option<Value>,
}

/// A FeatureCollection's features and its `crs` member; `Err` with the problem of a
/// well-formed document that is not a FeatureCollection.
pub(super) type Read = Result<(Vec<Raw>, Option<Value>), String>;

/// The features of a FeatureCollection, or `None` when the typed reading fails.
pub(super) fn read(text: &str) -> Option<Read> {
    let c: Collection = serde_json::from_str(text).ok()?;
    if c.kind.as_deref() != Some("FeatureCollection") {
        return Some(Err("not a GeoJSON FeatureCollection (\"type\" must be \"FeatureCollection\")".into()));
    }
    let Some(features) = c.features else {
        return Some(Err("FeatureCollection without a \"features\" array".into()));
    };
    let raws = features
        .into_iter()
        .enumerate()
        .map(|(index, f)| {
            let mut props = match f.properties {
                Some(Value::Object(m)) => m,
                _ => Map::new(),
            };
            // a top-level feature id counts as `id` when the properties have none
            if let Some(fid) = f.id {
                props.entry("id").or_insert(fid);
            }
            Raw { index, props, geometry: f.geometry }
        })
        .collect();
    Some(Ok((raws, c.crs.filter(|c| !c.is_null()))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_ids_and_crs() {
        let text = r#"{"type":"FeatureCollection","name":"x","crs":{"type":"name","properties":{"name":"EPSG:4549"}},
            "features":[{"type":"Feature","id":7,"properties":{"a":1},"geometry":{"type":"Point","coordinates":[1,2]}},
                        {"type":"Feature","id":8,"properties":{"id":"own"},"geometry":null,"bbox":[0,0,1,1]},
                        {"type":"Feature","properties":null}]}"#;
        let Some(Ok((raws, crs))) = read(text) else { panic!("read") };
        assert_eq!(raws.len(), 3);
        assert_eq!(raws[0].props.get("id"), Some(&Value::from(7)));
        assert_eq!(raws[1].props.get("id"), Some(&Value::from("own")), "the properties' id wins");
        assert!(raws[1].geometry.is_none() && raws[2].geometry.is_none() && raws[2].props.is_empty());
        assert_eq!(raws[2].index, 2);
        assert!(crs.is_some());
    }

    #[test]
    fn other_documents() {
        assert!(matches!(read(r#"{"type":"Feature","features":[]}"#), Some(Err(e)) if e.contains("FeatureCollection")));
        assert!(matches!(read(r#"{"type":"FeatureCollection"}"#), Some(Err(e)) if e.contains("features")));
        assert!(read(r#"{"type":"FeatureCollection","features":[1]}"#).is_none(), "left to the general reading");
        assert!(read("not json").is_none());
    }
}

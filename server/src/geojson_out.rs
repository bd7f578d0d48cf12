//! GeoJSON output of our layers (RFC 7946, WGS84).

use geo::{Coord, Geometry, LineString, Polygon};
use serde_json::{Map, Value, json};
use wangge_engine::dataset::Dataset;
use wangge_engine::model::{Attributes, Building, Camera, Facility, Incident, Road, Unit};

use wangge_engine::model::Layer;
use wangge_engine::time::format_time;

fn pos(c: &Coord<f64>) -> Value {
    json!([c.x, c.y])
}

fn line(l: &LineString<f64>) -> Value {
    Value::Array(l.coords().map(pos).collect())
}

fn poly(p: &Polygon<f64>) -> Value {
    Value::Array(std::iter::once(p.exterior()).chain(p.interiors()).map(line).collect())
}

/// A geometry as a GeoJSON geometry object.
pub fn geometry(g: &Geometry<f64>) -> Value {
    match g {
        Geometry::Point(p) => json!({"type": "Point", "coordinates": pos(&p.0)}),
        Geometry::LineString(l) => json!({"type": "LineString", "coordinates": line(l)}),
        Geometry::MultiLineString(m) => json!({"type": "MultiLineString", "coordinates": m.0.iter().map(line).collect::<Vec<_>>()}),
        Geometry::Polygon(p) => json!({"type": "Polygon", "coordinates": poly(p)}),
        Geometry::MultiPolygon(m) => json!({"type": "MultiPolygon", "coordinates": m.0.iter().map(poly).collect::<Vec<_>>()}),
        _ => Value::Null,
    }
}

/// A feature from a geometry and properties.
pub fn feature(g: &Geometry<f64>, props: Map<String, Value>) -> Value {
    json!({"type": "Feature", "geometry": geometry(g), "properties": props})
}

fn with_attrs(a: &Attributes, fixed: Vec<(&str, Value)>) -> Map<String, Value> {
    let mut m: Map<String, Value> = a.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    for (k, v) in fixed {
        m.insert(k.to_owned(), v);
    }
    m
}

fn fields<'a>(a: &Attributes, mut own: Vec<(&'a str, Value)>, extra: Vec<(&'a str, Value)>) -> Map<String, Value> {
    own.extend(extra);
    with_attrs(a, own)
}

/// A unit with its own fields (and computed ones in `extra`).
pub fn unit_feature(u: &Unit, extra: Vec<(&str, Value)>) -> Value {
    let own = vec![
        ("id", json!(u.id.0)),
        ("parent_id", json!(u.parent.as_ref().map(|p| &p.0))),
        ("level", json!(u.level.0)),
        ("name", json!(u.name)),
    ];
    feature(&Geometry::MultiPolygon(u.geometry.clone()), fields(&u.attributes, own, extra))
}

/// A building with its own fields.
pub fn building_feature(b: &Building, extra: Vec<(&str, Value)>) -> Value {
    let own = vec![
        ("id", json!(b.id)),
        ("households", json!(b.households)),
        ("population", json!(b.population)),
        ("floors", json!(b.floors)),
        ("height", json!(b.height.map(|h| h.0))),
    ];
    feature(&Geometry::MultiPolygon(b.footprint.clone()), fields(&b.attributes, own, extra))
}

/// A camera with its own fields.
pub fn camera_feature(c: &Camera, extra: Vec<(&str, Value)>) -> Value {
    let own = vec![
        ("id", json!(c.id)),
        ("heading", json!(c.view.heading_deg)),
        ("fov", json!(c.view.fov_deg)),
        ("range", json!(c.view.range_m.0)),
        ("height", json!(c.view.height_m.0)),
        ("kind", json!(c.kind.as_str())),
    ];
    feature(&Geometry::Point(c.position), fields(&c.attributes, own, extra))
}

/// A facility with its own fields.
pub fn facility_feature(f: &Facility, extra: Vec<(&str, Value)>) -> Value {
    let own = vec![("id", json!(f.id)), ("kind", json!(f.kind)), ("name", json!(f.name))];
    feature(&Geometry::Point(f.position), fields(&f.attributes, own, extra))
}

/// An incident with its own fields (time as RFC 3339, UTC).
pub fn incident_feature(n: &Incident, extra: Vec<(&str, Value)>) -> Value {
    let own = vec![
        ("id", json!(n.id)),
        ("occurred_at", json!(format_time(n.occurred_at))),
        ("category", json!(n.category)),
        ("status", json!(n.status)),
    ];
    feature(&Geometry::Point(n.position), fields(&n.attributes, own, extra))
}

/// A road with its own fields.
pub fn road_feature(r: &Road, extra: Vec<(&str, Value)>) -> Value {
    feature(&Geometry::MultiLineString(r.line.clone()), fields(&r.attributes, vec![("id", json!(r.id))], extra))
}

/// A whole layer as a FeatureCollection with our default field names (export).
pub fn layer_collection(layer: &Layer) -> Value {
    let f: Vec<Value> = match layer {
        Layer::Units(v) => v.iter().map(|x| unit_feature(x, vec![])).collect(),
        Layer::Buildings(v) => v.iter().map(|x| building_feature(x, vec![])).collect(),
        Layer::Cameras(v) => v.iter().map(|x| camera_feature(x, vec![])).collect(),
        Layer::Facilities(v) => v.iter().map(|x| facility_feature(x, vec![])).collect(),
        Layer::Incidents(v) => v.iter().map(|x| incident_feature(x, vec![])).collect(),
        Layer::Roads(v) => v.iter().map(|x| road_feature(x, vec![])).collect(),
    };
    collection(f)
}

/// Features of a layer whose indices are given, with the figures wangge computed.
pub fn layer_features(d: &Dataset, layer: &str, idx: &[usize]) -> Vec<Value> {
    idx.iter()
        .filter_map(|&i| {
            Some(match layer {
                "units" => {
                    let l = &d.report.loads[i];
                    unit_feature(
                        d.hierarchy.units.get(i)?,
                        vec![
                            ("households", json!(l.households)),
                            ("population", json!(l.population)),
                            ("buildings", json!(l.buildings)),
                            ("area_m2", json!(d.unit_area_m2[i])),
                        ],
                    )
                }
                "buildings" => {
                    let a = &d.building_assignment[i];
                    building_feature(
                        d.buildings.get(i)?,
                        vec![
                            ("leaf", json!(a.leaf.map(|l| &d.hierarchy.units[l].id.0))),
                            ("assigned", json!(a.explicit)),
                            ("cut", json!(a.is_cut())),
                        ],
                    )
                }
                "cameras" => camera_feature(d.cameras.get(i)?, vec![]),
                "facilities" => facility_feature(d.facilities.get(i)?, vec![]),
                "incidents" => {
                    let unit = d.incident_unit[i].map(|u| &d.hierarchy.units[u].id.0);
                    incident_feature(d.incidents.get(i)?, vec![("unit", json!(unit))])
                }
                "roads" => road_feature(d.roads.get(i)?, vec![]),
                _ => return None,
            })
        })
        .collect()
}

/// A FeatureCollection.
pub fn collection(features: Vec<Value>) -> Value {
    json!({"type": "FeatureCollection", "features": features})
}

/// Problems of the integrity report as features.
pub fn problem_features(d: &Dataset) -> Vec<Value> {
    let r = &d.report;
    let mut out = Vec::new();
    for g in &r.gaps {
        let kind = if g.kind == wangge_engine::units::integrity::GapKind::Gap { "gap" } else { "sliver" };
        out.push(feature(
            &Geometry::Polygon(g.geometry.clone()),
            Map::from_iter([
                ("kind".into(), json!(kind)),
                ("parent".into(), json!(g.parent)),
                ("area_m2".into(), json!(g.area_m2)),
                ("width_m".into(), json!(g.width_m)),
            ]),
        ));
    }
    for o in &r.overlaps {
        out.push(feature(
            &Geometry::MultiPolygon(o.geometry.clone()),
            Map::from_iter([
                ("kind".into(), json!("overlap")),
                ("a".into(), json!(o.a)),
                ("b".into(), json!(o.b)),
                ("area_m2".into(), json!(o.area_m2)),
            ]),
        ));
    }
    for o in &r.outside_parent {
        out.push(feature(
            &Geometry::MultiPolygon(o.geometry.clone()),
            Map::from_iter([
                ("kind".into(), json!("outside_parent")),
                ("unit".into(), json!(o.unit)),
                ("parent".into(), json!(o.parent)),
                ("area_m2".into(), json!(o.area_m2)),
            ]),
        ));
    }
    out
}

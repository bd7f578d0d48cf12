//! GeoJSON output of our layers (RFC 7946, WGS84).

use geo::{Coord, Geometry, LineString, Polygon};
use serde_json::{Map, Value, json};
use wangge_engine::model::Attributes;

use crate::state::Dataset;
use crate::timefmt::format_time;

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

/// Features of a layer whose indices are given.
pub fn layer_features(d: &Dataset, layer: &str, idx: &[usize]) -> Vec<Value> {
    idx.iter()
        .filter_map(|&i| {
            Some(match layer {
                "units" => {
                    let u = d.hierarchy.units.get(i)?;
                    let l = &d.report.loads[i];
                    feature(
                        &Geometry::MultiPolygon(u.geometry.clone()),
                        with_attrs(
                            &u.attributes,
                            vec![
                                ("id", json!(u.id.0)),
                                ("parent_id", json!(u.parent.as_ref().map(|p| &p.0))),
                                ("level", json!(u.level.0)),
                                ("name", json!(u.name)),
                                ("households", json!(l.households)),
                                ("population", json!(l.population)),
                                ("buildings", json!(l.buildings)),
                                ("area_m2", json!(d.unit_area_m2[i])),
                            ],
                        ),
                    )
                }
                "buildings" => {
                    let b = d.buildings.get(i)?;
                    let a = &d.building_assignment[i];
                    feature(
                        &Geometry::MultiPolygon(b.footprint.clone()),
                        with_attrs(
                            &b.attributes,
                            vec![
                                ("id", json!(b.id)),
                                ("households", json!(b.households)),
                                ("population", json!(b.population)),
                                ("floors", json!(b.floors)),
                                ("height", json!(b.height.map(|h| h.0))),
                                ("leaf", json!(a.leaf.map(|l| &d.hierarchy.units[l].id.0))),
                                ("cut", json!(a.is_cut())),
                            ],
                        ),
                    )
                }
                "cameras" => {
                    let c = d.cameras.get(i)?;
                    feature(
                        &Geometry::Point(c.position),
                        with_attrs(
                            &c.attributes,
                            vec![
                                ("id", json!(c.id)),
                                ("heading", json!(c.heading_deg)),
                                ("fov", json!(c.fov_deg)),
                                ("range", json!(c.range_m.0)),
                                ("height", json!(c.height_m.0)),
                                ("kind", json!(c.kind.as_str())),
                            ],
                        ),
                    )
                }
                "facilities" => {
                    let f = d.facilities.get(i)?;
                    feature(
                        &Geometry::Point(f.position),
                        with_attrs(&f.attributes, vec![("id", json!(f.id)), ("kind", json!(f.kind)), ("name", json!(f.name))]),
                    )
                }
                "incidents" => {
                    let n = d.incidents.get(i)?;
                    let unit = d.incident_unit[i].map(|u| &d.hierarchy.units[u].id.0);
                    feature(
                        &Geometry::Point(n.position),
                        with_attrs(
                            &n.attributes,
                            vec![
                                ("id", json!(n.id)),
                                ("occurred_at", json!(format_time(n.occurred_at))),
                                ("category", json!(n.category)),
                                ("status", json!(n.status)),
                                ("unit", json!(unit)),
                            ],
                        ),
                    )
                }
                "roads" => {
                    let r = d.roads.get(i)?;
                    feature(&Geometry::MultiLineString(r.line.clone()), with_attrs(&r.attributes, vec![("id", json!(r.id))]))
                }
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
        let kind = if g.kind == wangge_engine::integrity::GapKind::Gap { "gap" } else { "sliver" };
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

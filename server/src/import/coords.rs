//! A geometry as a file gives it, before conversion and validation: its type
//! name and its coordinates as nested arrays, with the common shapes stored
//! flat — a position as `[f64; 2]`, an array of positions as one
//! `Vec<[f64; 2]>` — so a GeoJSON polygon ring costs one allocation instead of
//! one per position (as a `serde_json::Value` tree would). Anything else (a
//! string where a number belongs, a position of one number…) is kept as it
//! came, so that validation can say what is wrong in the same words for every
//! format. Deserialized straight from GeoJSON; built by the Shapefile and WKB
//! readers.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// Coordinates: numbers and nested arrays.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Coords {
    Num(f64),
    /// An array of two or more numbers (a position; numbers after the second are dropped).
    Pos([f64; 2]),
    /// A non-empty array of positions.
    Ring(Vec<[f64; 2]>),
    /// Any other array.
    List(Vec<Coords>),
    /// A string, boolean, null or object.
    Other,
}

/// An element of an array of coordinates, whichever way the array is stored.
#[derive(Debug, Clone, Copy)]
pub(super) enum Item<'a> {
    C(&'a Coords),
    P([f64; 2]),
    N(f64),
}

impl Coords {
    /// The elements, if this is an array.
    pub(super) fn items(&self) -> Option<Vec<Item<'_>>> {
        match self {
            Coords::Num(_) | Coords::Other => None,
            Coords::Pos(p) => Some(vec![Item::N(p[0]), Item::N(p[1])]),
            Coords::Ring(r) => Some(r.iter().map(|&p| Item::P(p)).collect()),
            Coords::List(l) => Some(l.iter().map(Item::C).collect()),
        }
    }

    /// The first position, descending into the first element of nested arrays.
    pub(super) fn first_position(&self) -> Option<(f64, f64)> {
        match self {
            Coords::Pos(p) => Some((p[0], p[1])),
            Coords::Ring(r) => r.first().map(|p| (p[0], p[1])),
            Coords::List(l) => l.first()?.first_position(),
            Coords::Num(_) | Coords::Other => None,
        }
    }

    /// Coordinates from a JSON value.
    pub(super) fn from_value(v: &Value) -> Coords {
        match v {
            Value::Number(n) => n.as_f64().map_or(Coords::Other, Coords::Num),
            Value::Array(a) => Coords::collect(a.iter().map(Coords::from_value).collect()),
            _ => Coords::Other,
        }
    }

    /// An array of these elements, stored flat where it can be.
    pub(super) fn collect(items: Vec<Coords>) -> Coords {
        if items.len() >= 2
            && items.iter().all(|c| matches!(c, Coords::Num(_)))
            && let (Coords::Num(x), Coords::Num(y)) = (&items[0], &items[1])
        {
            return Coords::Pos([*x, *y]);
        }
        if !items.is_empty() && items.iter().all(|c| matches!(c, Coords::Pos(_))) {
            return Coords::Ring(items.into_iter().filter_map(|c| if let Coords::Pos(p) = c { Some(p) } else { None }).collect());
        }
        Coords::List(items)
    }
}

impl<'a> Item<'a> {
    pub(super) fn num(self) -> Option<f64> {
        match self {
            Item::N(x) | Item::C(&Coords::Num(x)) => Some(x),
            _ => None,
        }
    }
    pub(super) fn items(self) -> Option<Vec<Item<'a>>> {
        match self {
            Item::N(_) => None,
            Item::P(p) => Some(vec![Item::N(p[0]), Item::N(p[1])]),
            Item::C(c) => c.items(),
        }
    }
}

/// A geometry: its type name (`?` when it has none) and coordinates.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Geom {
    pub kind: String,
    pub coordinates: Option<Coords>,
}

impl Geom {
    pub(super) fn new(kind: &str, coordinates: Coords) -> Geom {
        Geom { kind: kind.to_owned(), coordinates: Some(coordinates) }
    }

    /// A geometry from a JSON value (`?` and no coordinates for what is not an object).
    pub(super) fn from_value(v: &Value) -> Geom {
        Geom {
            kind: v.get("type").and_then(Value::as_str).unwrap_or("?").to_owned(),
            coordinates: v.get("coordinates").map(Coords::from_value),
        }
    }

    /// The first position of its coordinates.
    pub(super) fn first_position(&self) -> Option<(f64, f64)> {
        self.coordinates.as_ref()?.first_position()
    }
}

struct CoordsVisitor;

impl<'de> Visitor<'de> for CoordsVisitor {
    type Value = Coords;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("coordinates")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Coords, E> {
        Ok(Coords::Num(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Coords, E> {
        Ok(Coords::Num(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Coords, E> {
        Ok(Coords::Num(v as f64))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Coords, E> {
        Ok(Coords::Other)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Coords, E> {
        Ok(Coords::Other)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Coords, E> {
        Ok(Coords::Other)
    }
    fn visit_none<E: de::Error>(self) -> Result<Coords, E> {
        Ok(Coords::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Coords, A::Error> {
        while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Coords::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Coords, A::Error> {
        // the common case, a position: numbers only, read without a list of elements
        let mut first: Vec<Coords> = Vec::new();
        let mut nums = [0.0f64; 2];
        // numbers after the second (a Z or M value): kept only while they may still matter
        let mut extra: Vec<f64> = Vec::new();
        let mut n = 0usize;
        while let Some(c) = s.next_element::<Coords>()? {
            match (c, first.is_empty()) {
                (Coords::Num(x), true) => {
                    if n < 2 {
                        nums[n] = x;
                    } else {
                        extra.push(x);
                    }
                    n += 1;
                }
                (Coords::Pos(p), true) if n == 0 => {
                    let mut ring = vec![p];
                    // an array of positions: keep them flat for as long as they come
                    loop {
                        match s.next_element::<Coords>()? {
                            Some(Coords::Pos(q)) => ring.push(q),
                            Some(other) => {
                                let mut l: Vec<Coords> = ring.into_iter().map(Coords::Pos).collect();
                                l.push(other);
                                while let Some(c) = s.next_element::<Coords>()? {
                                    l.push(c);
                                }
                                return Ok(Coords::List(l));
                            }
                            None => return Ok(Coords::Ring(ring)),
                        }
                    }
                }
                (c, _) => {
                    if first.is_empty() {
                        first.extend(nums.iter().take(n.min(2)).chain(&extra).map(|&x| Coords::Num(x)));
                    }
                    first.push(c);
                }
            }
        }
        if first.is_empty() {
            return Ok(match n {
                0 => Coords::List(Vec::new()),
                1 => Coords::List(vec![Coords::Num(nums[0])]),
                _ => Coords::Pos(nums),
            });
        }
        Ok(Coords::List(first))
    }
}

impl<'de> Deserialize<'de> for Coords {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Coords, D::Error> {
        d.deserialize_any(CoordsVisitor)
    }
}

/// A member name of a geometry object, read without allocating.
enum Key {
    Type,
    Coordinates,
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_str<E: de::Error>(self, k: &str) -> Result<Key, E> {
                Ok(match k {
                    "type" => Key::Type,
                    "coordinates" => Key::Coordinates,
                    _ => Key::Other,
                })
            }
        }
        d.deserialize_str(V)
    }
}

struct GeomVisitor;

impl<'de> Visitor<'de> for GeomVisitor {
    type Value = Geom;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a GeoJSON geometry object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Geom, A::Error> {
        let mut kind: Option<String> = None;
        let mut coordinates = None;
        while let Some(k) = m.next_key::<Key>()? {
            match k {
                Key::Type if kind.is_none() => {
                    let v: Value = m.next_value()?;
                    kind = Some(v.as_str().unwrap_or("?").to_owned());
                }
                Key::Coordinates if coordinates.is_none() => coordinates = Some(m.next_value::<Coords>()?),
                Key::Type | Key::Coordinates => return Err(de::Error::custom("a duplicate member")),
                Key::Other => {
                    m.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Geom { kind: kind.unwrap_or_else(|| "?".into()), coordinates })
    }
}

impl<'de> Deserialize<'de> for Geom {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Geom, D::Error> {
        d.deserialize_map(GeomVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The typed reading gives what the reading of the JSON value gives.
    fn same(v: Value) {
        let typed: Coords = serde_json::from_value(v.clone()).expect("typed");
        let text: Coords = serde_json::from_str(&v.to_string()).expect("from text");
        assert_eq!(typed, Coords::from_value(&v), "{v}");
        assert_eq!(text, Coords::from_value(&v), "{v}");
    }

    #[test]
    fn shapes() {
        for v in [
            json!([1, 2]),
            json!([1.5, 2, 3]),
            json!([1]),
            json!([]),
            json!([[1, 2], [3, 4]]),
            json!([[[1, 2], [3, 4], [5, 6], [1, 2]]]),
            json!([[1, 2], [3]]),
            json!([[1, 2], "x"]),
            json!([1, "x"]),
            json!([1, 2, 3, "x"]),
            json!([1, 2, [3]]),
            json!(["x", 1]),
            json!([[[1, 2]], [[3, 4], [5, 6]]]),
            json!({"a": 1}),
            json!(null),
            json!(3),
        ] {
            same(v);
        }
        assert_eq!(Coords::from_value(&json!([[1, 2], [3, 4]])), Coords::Ring(vec![[1.0, 2.0], [3.0, 4.0]]));
        assert_eq!(Coords::from_value(&json!([[[5, 6]]])).first_position(), Some((5.0, 6.0)));
    }

    #[test]
    fn geometries() {
        let g: Geom = serde_json::from_str(r#"{"bbox":[0,0,1,1],"type":"Point","coordinates":[1,2]}"#).expect("geom");
        assert_eq!(g, Geom::new("Point", Coords::Pos([1.0, 2.0])));
        let g: Geom = serde_json::from_str(r#"{"type":7}"#).expect("geom");
        assert_eq!(g, Geom::from_value(&json!({"type": 7})));
        assert_eq!(Geom::from_value(&json!("Point")), Geom { kind: "?".into(), coordinates: None });
    }
}

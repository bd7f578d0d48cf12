//! Mapbox Vector Tile 2.1 encoding (protobuf via prost): the tile messages, a
//! layer builder with shared key and value tables, and the geometry commands
//! (zig-zag deltas). A tile is a sequence of `layers` fields, so the encodings
//! of one-layer tiles concatenate into one multi-layer tile ([`concat`]).

use prost::Message;

use super::grid::EXTENT;

#[derive(Clone, PartialEq, prost::Message)]
pub struct Tile {
    #[prost(message, repeated, tag = "3")]
    pub layers: Vec<TileLayer>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct TileValue {
    #[prost(string, optional, tag = "1")]
    pub string_value: Option<String>,
    #[prost(float, optional, tag = "2")]
    pub float_value: Option<f32>,
    #[prost(double, optional, tag = "3")]
    pub double_value: Option<f64>,
    #[prost(int64, optional, tag = "4")]
    pub int_value: Option<i64>,
    #[prost(uint64, optional, tag = "5")]
    pub uint_value: Option<u64>,
    #[prost(sint64, optional, tag = "6")]
    pub sint_value: Option<i64>,
    #[prost(bool, optional, tag = "7")]
    pub bool_value: Option<bool>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct TileFeature {
    #[prost(uint64, optional, tag = "1")]
    pub id: Option<u64>,
    #[prost(uint32, repeated, tag = "2")]
    pub tags: Vec<u32>,
    /// 1 point, 2 linestring, 3 polygon
    #[prost(int32, optional, tag = "3")]
    pub r#type: Option<i32>,
    #[prost(uint32, repeated, tag = "4")]
    pub geometry: Vec<u32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct TileLayer {
    #[prost(uint32, required, tag = "15")]
    pub version: u32,
    #[prost(string, required, tag = "1")]
    pub name: String,
    #[prost(message, repeated, tag = "2")]
    pub features: Vec<TileFeature>,
    #[prost(string, repeated, tag = "3")]
    pub keys: Vec<String>,
    #[prost(message, repeated, tag = "4")]
    pub values: Vec<TileValue>,
    #[prost(uint32, optional, tag = "5")]
    pub extent: Option<u32>,
}

/// An attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum Prop {
    Str(String),
    Int(i64),
    Num(f64),
    Bool(bool),
}

/// Geometry of one feature in tile coordinates.
#[derive(Debug, Clone)]
pub enum TileGeom {
    Points(Vec<(i32, i32)>),
    Lines(Vec<Vec<(i32, i32)>>),
    Polygons(Vec<Vec<Vec<(i32, i32)>>>),
}

fn zigzag(v: i32) -> u32 {
    ((v << 1) ^ (v >> 31)) as u32
}

fn command(id: u32, count: u32) -> u32 {
    (id & 0x7) | (count << 3)
}

fn encode_geom(g: &TileGeom) -> (i32, Vec<u32>) {
    let mut out = Vec::new();
    let mut cur = (0i32, 0i32);
    let moveto = |out: &mut Vec<u32>, cur: &mut (i32, i32), p: (i32, i32)| {
        out.push(zigzag(p.0 - cur.0));
        out.push(zigzag(p.1 - cur.1));
        *cur = p;
    };
    match g {
        TileGeom::Points(ps) => {
            out.push(command(1, ps.len() as u32));
            for &p in ps {
                moveto(&mut out, &mut cur, p);
            }
            (1, out)
        }
        TileGeom::Lines(ls) => {
            for l in ls {
                out.push(command(1, 1));
                moveto(&mut out, &mut cur, l[0]);
                out.push(command(2, (l.len() - 1) as u32));
                for &p in &l[1..] {
                    moveto(&mut out, &mut cur, p);
                }
            }
            (2, out)
        }
        TileGeom::Polygons(ps) => {
            for rings in ps {
                for r in rings {
                    out.push(command(1, 1));
                    moveto(&mut out, &mut cur, r[0]);
                    out.push(command(2, (r.len() - 1) as u32));
                    for &p in &r[1..] {
                        moveto(&mut out, &mut cur, p);
                    }
                    out.push(command(7, 1));
                }
            }
            (3, out)
        }
    }
}

/// Builds one layer of a tile.
#[derive(Debug)]
pub struct LayerBuilder {
    layer: TileLayer,
    keys: std::collections::HashMap<String, u32>,
    values: std::collections::HashMap<String, u32>,
}

impl LayerBuilder {
    pub fn new(name: &str) -> Self {
        LayerBuilder {
            layer: TileLayer { version: 2, name: name.to_owned(), extent: Some(EXTENT), ..Default::default() },
            keys: Default::default(),
            values: Default::default(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.layer.features.is_empty()
    }

    /// Add a feature; empty geometries are skipped.
    pub fn add(&mut self, id: Option<u64>, geom: &TileGeom, props: &[(&str, Prop)]) {
        let empty = match geom {
            TileGeom::Points(p) => p.is_empty(),
            TileGeom::Lines(l) => l.is_empty(),
            TileGeom::Polygons(p) => p.is_empty(),
        };
        if empty {
            return;
        }
        let mut tags = Vec::with_capacity(props.len() * 2);
        for (k, v) in props {
            let ki = match self.keys.get(*k) {
                Some(&i) => i,
                None => {
                    let i = self.layer.keys.len() as u32;
                    self.layer.keys.push((*k).to_owned());
                    self.keys.insert((*k).to_owned(), i);
                    i
                }
            };
            let (key, val) = match v {
                Prop::Str(s) => (format!("s{s}"), TileValue { string_value: Some(s.clone()), ..Default::default() }),
                Prop::Int(i) => (format!("i{i}"), TileValue { sint_value: Some(*i), ..Default::default() }),
                Prop::Num(f) => (format!("d{f}"), TileValue { double_value: Some(*f), ..Default::default() }),
                Prop::Bool(b) => (format!("b{b}"), TileValue { bool_value: Some(*b), ..Default::default() }),
            };
            let vi = match self.values.get(&key) {
                Some(&i) => i,
                None => {
                    let i = self.layer.values.len() as u32;
                    self.layer.values.push(val);
                    self.values.insert(key, i);
                    i
                }
            };
            tags.push(ki);
            tags.push(vi);
        }
        let (t, geometry) = encode_geom(geom);
        self.layer.features.push(TileFeature { id, tags, r#type: Some(t), geometry });
    }

    /// Encode as a one-layer tile.
    pub fn encode(self) -> Vec<u8> {
        Tile { layers: vec![self.layer] }.encode_to_vec()
    }
}

/// One tile holding every layer of the given one-layer (or multi-layer) tile encodings, in order.
pub fn concat<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    parts.into_iter().flat_map(|p| p.iter().copied()).collect()
}

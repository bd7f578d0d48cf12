//! PMTiles v3 archives (<https://github.com/protomaps/PMTiles/blob/main/spec/v3/spec.md>):
//! the 127-byte header, a gzip root directory (and leaf directories when the
//! root would pass 16 KiB), the JSON metadata, and the tiles ordered by their
//! Hilbert tile id (clustered), identical tiles stored once and consecutive
//! repeats run-length encoded. A directory is varint columns: the count, the
//! tile-id deltas, the run lengths, the lengths, the offsets (0 = right after
//! the previous entry, else offset + 1). Writing is O(n log n) in the tiles
//! (the sort); [`read`] decodes an archive back (used by the tests).
//! Checked against the reference Python implementation (`pmtiles` 3.8.1: its
//! `zxy_to_tileid` values below, and its reader in `server/tests/it/export.rs`).

use std::collections::HashMap;
use std::io::{Read, Write};

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;

/// The header's size in bytes.
pub const HEADER_LEN: usize = 127;
/// The header and the root directory fit in this many bytes (a client's first read).
const ROOT_BUDGET: usize = 16_384;

/// The Hilbert tile id of z/x/y: the tiles of every lower zoom, then the position on the zoom's Hilbert curve.
pub fn tile_id(z: u8, x: u32, y: u32) -> u64 {
    let z = u32::from(z);
    let mut acc: u64 = ((1u64 << (2 * z)) - 1) / 3;
    let (mut x, mut y) = (u64::from(x), u64::from(y));
    for a in (0..z).rev() {
        let s = 1u64 << a;
        let rx = u64::from(x & s != 0);
        let ry = u64::from(y & s != 0);
        acc += ((3 * rx) ^ ry) * s * s;
        // rotate the quadrant (coordinates below s matter from here on)
        if ry == 0 {
            if rx == 1 {
                x = (s - 1).wrapping_sub(x & (s - 1));
                y = (s - 1).wrapping_sub(y & (s - 1));
            }
            std::mem::swap(&mut x, &mut y);
        }
        x &= s.wrapping_sub(1);
        y &= s.wrapping_sub(1);
    }
    acc
}

/// z/x/y of a Hilbert tile id.
pub fn tile_zxy(id: u64) -> (u8, u32, u32) {
    let mut z = 0u32;
    let mut base = 0u64;
    while z < 32 && base + (1u64 << (2 * z)) <= id {
        base += 1u64 << (2 * z);
        z += 1;
    }
    let n = 1u64 << z;
    let mut t = id - base;
    let (mut x, mut y) = (0u64, 0u64);
    let mut s = 1u64;
    while s < n {
        let rx = 1 & (t / 2);
        let ry = 1 & (t ^ rx);
        if ry == 0 {
            if rx == 1 {
                x = s - 1 - x;
                y = s - 1 - y;
            }
            std::mem::swap(&mut x, &mut y);
        }
        x += s * rx;
        y += s * ry;
        t /= 4;
        s *= 2;
    }
    (z as u8, x as u32, y as u32)
}

/// One directory entry: `run_length` tiles from `tile_id` share the bytes at `offset..offset+length`
/// (run length 0: a leaf directory).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub tile_id: u64,
    pub offset: u64,
    pub length: u32,
    pub run_length: u32,
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn gzip(b: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(b)?;
    e.finish()
}

fn gunzip(b: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    GzDecoder::new(b).read_to_end(&mut out)?;
    Ok(out)
}

fn directory(entries: &[Entry]) -> std::io::Result<Vec<u8>> {
    let mut b = Vec::new();
    varint(&mut b, entries.len() as u64);
    let mut last = 0;
    for e in entries {
        varint(&mut b, e.tile_id - last);
        last = e.tile_id;
    }
    for e in entries {
        varint(&mut b, u64::from(e.run_length));
    }
    for e in entries {
        varint(&mut b, u64::from(e.length));
    }
    for (i, e) in entries.iter().enumerate() {
        let follows = i > 0 && e.offset == entries[i - 1].offset + u64::from(entries[i - 1].length);
        varint(&mut b, if follows { 0 } else { e.offset + 1 });
    }
    gzip(&b)
}

/// The root directory and the leaf directories (empty when the root holds every entry).
fn directories(entries: &[Entry]) -> std::io::Result<(Vec<u8>, Vec<u8>)> {
    let root = directory(entries)?;
    if root.len() <= ROOT_BUDGET - HEADER_LEN {
        return Ok((root, Vec::new()));
    }
    let mut leaf_size = 4096;
    loop {
        let mut leaves = Vec::new();
        let mut root_entries = Vec::new();
        for chunk in entries.chunks(leaf_size) {
            let d = directory(chunk)?;
            root_entries.push(Entry { tile_id: chunk[0].tile_id, offset: leaves.len() as u64, length: d.len() as u32, run_length: 0 });
            leaves.extend(d);
        }
        let root = directory(&root_entries)?;
        if root.len() <= ROOT_BUDGET - HEADER_LEN {
            return Ok((root, leaves));
        }
        leaf_size *= 2;
    }
}

/// What the header says about the archive's tiles.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub min_zoom: u8,
    pub max_zoom: u8,
    /// `[min lon, min lat, max lon, max lat]`.
    pub bounds: [f64; 4],
    pub center_zoom: u8,
}

/// An archive of gzip-compressed MVT tiles: `tiles` are (z, x, y, gzip bytes), `metadata` the JSON metadata.
pub fn write_archive(tiles: Vec<(u8, u32, u32, Vec<u8>)>, metadata: &serde_json::Value, h: &Header) -> std::io::Result<Vec<u8>> {
    let mut tiles: Vec<(u64, Vec<u8>)> = tiles.into_iter().map(|(z, x, y, b)| (tile_id(z, x, y), b)).collect();
    tiles.sort_by_key(|t| t.0);
    let addressed = tiles.len() as u64;
    let mut data: Vec<u8> = Vec::new();
    let mut seen: HashMap<Vec<u8>, (u64, u32)> = HashMap::new();
    let mut entries: Vec<Entry> = Vec::new();
    for (id, bytes) in tiles {
        let (offset, length) = match seen.get(&bytes) {
            Some(&at) => at,
            None => {
                let at = (data.len() as u64, bytes.len() as u32);
                data.extend_from_slice(&bytes);
                seen.insert(bytes, at);
                at
            }
        };
        match entries.last_mut() {
            Some(last) if last.offset == offset && last.tile_id + u64::from(last.run_length) == id => last.run_length += 1,
            _ => entries.push(Entry { tile_id: id, offset, length, run_length: 1 }),
        }
    }
    let (root, leaves) = directories(&entries)?;
    let meta = gzip(metadata.to_string().as_bytes())?;
    let root_offset = HEADER_LEN as u64;
    let meta_offset = root_offset + root.len() as u64;
    let leaf_offset = meta_offset + meta.len() as u64;
    let data_offset = leaf_offset + leaves.len() as u64;
    let mut out = Vec::with_capacity(data_offset as usize + data.len());
    out.extend_from_slice(b"PMTiles");
    out.push(3);
    for v in [
        root_offset,
        root.len() as u64,
        meta_offset,
        meta.len() as u64,
        leaf_offset,
        leaves.len() as u64,
        data_offset,
        data.len() as u64,
        addressed,
        entries.len() as u64,
        seen.len() as u64,
    ] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    // clustered; internal compression gzip (2); tile compression gzip (2); tile type MVT (1)
    out.extend_from_slice(&[1, 2, 2, 1, h.min_zoom, h.max_zoom]);
    let e7 = |v: f64| ((v * 1e7).round() as i32).to_le_bytes();
    for v in h.bounds {
        out.extend_from_slice(&e7(v));
    }
    out.push(h.center_zoom);
    out.extend_from_slice(&e7((h.bounds[0] + h.bounds[2]) / 2.0));
    out.extend_from_slice(&e7((h.bounds[1] + h.bounds[3]) / 2.0));
    debug_assert_eq!(out.len(), HEADER_LEN);
    out.extend(root);
    out.extend(meta);
    out.extend(leaves);
    out.extend(data);
    Ok(out)
}

/// Why an archive could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("not a PMTiles v3 archive: {0}")]
    Format(String),
    #[error("decompressing: {0}")]
    Io(#[from] std::io::Error),
}

fn u64_at(b: &[u8], at: usize) -> Result<u64, ReadError> {
    b.get(at..at + 8)
        .and_then(|s| s.try_into().ok())
        .map(u64::from_le_bytes)
        .ok_or_else(|| ReadError::Format(format!("truncated at byte {at}")))
}

fn slice(b: &[u8], off: u64, len: u64) -> Result<&[u8], ReadError> {
    b.get(off as usize..(off + len) as usize).ok_or_else(|| ReadError::Format(format!("section {off}+{len} outside the file")))
}

fn read_varint(b: &[u8], pos: &mut usize) -> Result<u64, ReadError> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*pos).ok_or_else(|| ReadError::Format("directory ends inside a varint".into()))?;
        *pos += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Ok(v);
        }
    }
    Err(ReadError::Format("varint longer than 64 bits".into()))
}

fn read_directory(gz: &[u8]) -> Result<Vec<Entry>, ReadError> {
    let b = gunzip(gz)?;
    let mut p = 0;
    let n = read_varint(&b, &mut p)? as usize;
    let mut e = vec![Entry { tile_id: 0, offset: 0, length: 0, run_length: 0 }; n.min(b.len())];
    let mut last = 0;
    for x in e.iter_mut() {
        last += read_varint(&b, &mut p)?;
        x.tile_id = last;
    }
    for x in e.iter_mut() {
        x.run_length = read_varint(&b, &mut p)? as u32;
    }
    for x in e.iter_mut() {
        x.length = read_varint(&b, &mut p)? as u32;
    }
    for i in 0..e.len() {
        let v = read_varint(&b, &mut p)?;
        e[i].offset = match (v, i) {
            (0, i) if i > 0 => e[i - 1].offset + u64::from(e[i - 1].length),
            (0, _) => return Err(ReadError::Format("the first entry's offset is 0".into())),
            (v, _) => v - 1,
        };
    }
    Ok(e)
}

/// A decoded archive: the header fields, the metadata, every tile (z, x, y, gzip bytes) in tile-id order.
pub type Decoded = (Header, serde_json::Value, Vec<(u8, u32, u32, Vec<u8>)>);

/// Decode a whole archive written with gzip internal compression.
pub fn read(b: &[u8]) -> Result<Decoded, ReadError> {
    if b.get(..8) != Some(b"PMTiles\x03".as_slice()) {
        return Err(ReadError::Format("no PMTiles v3 magic".into()));
    }
    let [root_off, root_len, meta_off, meta_len, leaf_off, leaf_len, data_off, data_len] =
        [8, 16, 24, 32, 40, 48, 56, 64].map(|at| u64_at(b, at));
    let (root_off, root_len, meta_off, meta_len, leaf_off, leaf_len, data_off, data_len) =
        (root_off?, root_len?, meta_off?, meta_len?, leaf_off?, leaf_len?, data_off?, data_len?);
    let i32_at = |at: usize| b.get(at..at + 4).and_then(|s| s.try_into().ok()).map_or(0, i32::from_le_bytes);
    let header = Header {
        min_zoom: b.get(100).copied().unwrap_or(0),
        max_zoom: b.get(101).copied().unwrap_or(0),
        bounds: [102, 106, 110, 114].map(|at| f64::from(i32_at(at)) / 1e7),
        center_zoom: b.get(118).copied().unwrap_or(0),
    };
    let metadata = serde_json::from_slice(&gunzip(slice(b, meta_off, meta_len)?)?)
        .map_err(|e| ReadError::Format(format!("metadata is not JSON: {e}")))?;
    let leaves = slice(b, leaf_off, leaf_len)?;
    let data = slice(b, data_off, data_len)?;
    let mut tiles = Vec::new();
    let mut stack = vec![read_directory(slice(b, root_off, root_len)?)?];
    while let Some(dir) = stack.pop() {
        for e in dir {
            if e.run_length == 0 {
                stack.push(read_directory(slice(leaves, e.offset, u64::from(e.length))?)?);
                continue;
            }
            let bytes = slice(data, e.offset, u64::from(e.length))?;
            for k in 0..u64::from(e.run_length) {
                let (z, x, y) = tile_zxy(e.tile_id + k);
                tiles.push((tile_id(z, x, y), (z, x, y, bytes.to_vec())));
            }
        }
    }
    tiles.sort_by_key(|t| t.0);
    Ok((header, metadata, tiles.into_iter().map(|t| t.1).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_ids_match_the_reference() {
        // python3 -c "from pmtiles.tile import zxy_to_tileid as f; print(f(12,3423,1650))" (pmtiles 3.8.1)
        let cases = [
            ((0, 0, 0), 0),
            ((1, 0, 0), 1),
            ((1, 0, 1), 2),
            ((1, 1, 1), 3),
            ((1, 1, 0), 4),
            ((2, 3, 1), 17),
            ((12, 3423, 1650), 19_037_264),
            ((14, 13709, 6453), 304_626_487),
            ((16, 54820, 25810), 4_874_023_539),
        ];
        for ((z, x, y), id) in cases {
            assert_eq!(tile_id(z, x, y), id, "{z}/{x}/{y}");
            assert_eq!(tile_zxy(id), (z, x, y), "{id}");
        }
        for z in 0..6u8 {
            for x in 0..1u32 << z {
                for y in 0..1u32 << z {
                    assert_eq!(tile_zxy(tile_id(z, x, y)), (z, x, y));
                }
            }
        }
    }

    #[test]
    fn archive_round_trips_with_runs_dedup_and_leaves() {
        let h = Header { min_zoom: 0, max_zoom: 12, bounds: [120.3, 36.0, 120.5, 36.1], center_zoom: 10 };
        let meta = serde_json::json!({"vector_layers": []});
        // small: the root holds it; tiles 1 and 2 identical (a run), tile 4 a repeat elsewhere
        let tiles = vec![(1, 0, 0, vec![1, 2]), (1, 0, 1, vec![1, 2]), (1, 1, 1, vec![3]), (1, 1, 0, vec![1, 2]), (0, 0, 0, vec![9])];
        let a = write_archive(tiles.clone(), &meta, &h).expect("written");
        let (h2, m2, t2) = read(&a).expect("read");
        assert_eq!((h2.min_zoom, h2.max_zoom, h2.center_zoom), (0, 12, 10));
        assert!((h2.bounds[0] - 120.3).abs() < 1e-7 && (h2.bounds[3] - 36.1).abs() < 1e-7);
        assert_eq!(m2, meta);
        let mut want = tiles.clone();
        want.sort_by_key(|t| tile_id(t.0, t.1, t.2));
        assert_eq!(t2, want);
        assert_eq!(u64_at(&a, 88).expect("contents"), 3, "identical tiles stored once");
        assert_eq!(u64_at(&a, 80).expect("entries"), 4, "tiles 1 and 2 are one run");
        // large: 40 000 scattered tiles of varied lengths need leaf directories
        let mut seed = 7u64;
        let mut next = || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) as u32
        };
        let mut ids = std::collections::BTreeMap::new();
        while ids.len() < 40_000 {
            let (x, y, len) = (next() % 65_536, next() % 65_536, 1 + next() % 300);
            ids.insert(tile_id(16, x, y), (16u8, x, y, vec![(len % 251) as u8; len as usize]));
        }
        let many: Vec<(u8, u32, u32, Vec<u8>)> = ids.into_values().collect();
        let a = write_archive(many.clone(), &meta, &h).expect("written");
        assert!(u64_at(&a, 48).expect("leaves") > 0);
        assert!(u64_at(&a, 16).expect("root") as usize <= ROOT_BUDGET - HEADER_LEN);
        let (_, _, t) = read(&a).expect("read");
        assert_eq!(t.len(), many.len());
        let mut want = many;
        want.sort_by_key(|t| tile_id(t.0, t.1, t.2));
        assert_eq!(t, want);
        assert!(read(b"nope").is_err());
    }
}

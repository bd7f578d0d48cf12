//! dBASE III/IV tables (a Shapefile's `.dbf`): the header, field descriptors
//! and fixed-width records, decoded strictly in the table's encoding.
//!
//! Method: one pass over the records; character fields trimmed, numeric
//! fields parsed (integers stay integers), logical and date fields mapped to
//! JSON. Errors name the file, record, field and byte offset. O(file size).
//! Reference: the dBASE file structure (dbase.com "Xbase file format").

use encoding_rs::{GB18030, GBK, UTF_8};
use serde_json::{Map, Number, Value};

use super::text::{Chosen, strict, undecodable};

struct Field {
    name: String,
    kind: u8,
    offset: usize,
    len: usize,
    decimals: u8,
}

/// The encoding a DBF's language driver byte names, if it names a Chinese one.
fn language_driver(ldid: u8) -> Option<Chosen> {
    matches!(ldid, 0x4D | 0x7A).then_some(Chosen { encoding: GBK, from: "named by the .dbf language driver (code page 936)" })
}

/// A table's records (`None` for deleted ones) and a note on the encoding when detected.
pub type Records = (Vec<Option<Map<String, Value>>>, Option<String>);

/// Read a table. `given` is the encoding from `--encoding` or the `.cpg`.
pub fn read(b: &[u8], file: &str, given: Option<Chosen>) -> Result<Records, String> {
    let u16_at = |i: usize| b.get(i..i + 2).map(|s| usize::from(u16::from_le_bytes([s[0], s[1]])));
    let (Some(n), Some(hlen), Some(rlen), Some(&ldid)) =
        (b.get(4..8).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize), u16_at(8), u16_at(10), b.get(29))
    else {
        return Err(format!("{file}: too short for a dBASE header ({} bytes)", b.len()));
    };
    let chosen = given.or_else(|| language_driver(ldid));
    match chosen {
        Some(c) => read_with(b, file, n, hlen, rlen, c).map(|r| (r, None)),
        None => {
            let utf8 = Chosen { encoding: UTF_8, from: "detected" };
            match read_with(b, file, n, hlen, rlen, utf8) {
                Ok(r) => Ok((r, None)),
                Err(_) => {
                    let gb = Chosen { encoding: GB18030, from: "detected: not UTF-8" };
                    let r = read_with(b, file, n, hlen, rlen, gb)?;
                    Ok((r, Some(format!("{file}: text is not UTF-8 and no .cpg names its encoding; read as GB18030"))))
                }
            }
        }
    }
}

fn read_with(b: &[u8], file: &str, n: usize, hlen: usize, rlen: usize, enc: Chosen) -> Result<Vec<Option<Map<String, Value>>>, String> {
    let text = |at: usize, bytes: &[u8], what: &str| -> Result<String, String> {
        strict(enc.encoding, bytes).map_err(|i| undecodable(file, enc, at + i, b, what))
    };
    let mut fields = Vec::new();
    let mut pos = 32;
    let mut offset = 1; // after the deletion flag
    while pos + 32 <= hlen.min(b.len()) && b[pos] != 0x0D {
        let d = &b[pos..pos + 32];
        let raw_name = d[..11].split(|&c| c == 0).next().unwrap_or(&[]);
        let name = text(pos, raw_name, "a field name ")?.trim().to_owned();
        let len = usize::from(d[16]);
        fields.push(Field { name, kind: d[11], offset, len, decimals: d[17] });
        offset += len;
        pos += 32;
    }
    if fields.is_empty() {
        return Err(format!("{file}: the table has no fields"));
    }
    if offset > rlen {
        return Err(format!("{file}: fields take {offset} bytes but a record has {rlen}"));
    }
    let need = hlen + n * rlen;
    if b.len() < need {
        return Err(format!("{file}: truncated: {n} records of {rlen} bytes need {need} bytes, the file has {}", b.len()));
    }
    let mut out = Vec::with_capacity(n);
    for r in 0..n {
        let at = hlen + r * rlen;
        let rec = &b[at..at + rlen];
        if rec[0] == b'*' {
            out.push(None);
            continue;
        }
        let mut m = Map::new();
        for f in &fields {
            let raw = &rec[f.offset..f.offset + f.len];
            let what = format!("record {r}, field {}: ", f.name);
            let v = match f.kind {
                b'N' | b'F' => number(std::str::from_utf8(raw).unwrap_or("").trim(), f.decimals),
                b'L' => match raw.first() {
                    Some(b'T' | b't' | b'Y' | b'y') => Value::Bool(true),
                    Some(b'F' | b'f' | b'N' | b'n') => Value::Bool(false),
                    _ => Value::Null,
                },
                b'D' => match std::str::from_utf8(raw).map(str::trim) {
                    Ok(d) if d.len() == 8 && d.bytes().all(|c| c.is_ascii_digit()) => {
                        Value::String(format!("{}-{}-{}", &d[..4], &d[4..6], &d[6..]))
                    }
                    _ => Value::Null,
                },
                _ => {
                    let s = text(at + f.offset, raw, &what)?;
                    let s = s.trim_matches(|c: char| c == ' ' || c == '\0');
                    if s.is_empty() { Value::Null } else { Value::String(s.to_owned()) }
                }
            };
            m.insert(f.name.clone(), v);
        }
        out.push(Some(m));
    }
    Ok(out)
}

fn number(s: &str, decimals: u8) -> Value {
    if s.is_empty() || s.bytes().all(|c| c == b'*') {
        return Value::Null;
    }
    if decimals == 0
        && let Ok(i) = s.parse::<i64>()
    {
        return Value::Number(i.into());
    }
    match s.parse::<f64>().ok().and_then(Number::from_f64) {
        Some(x) => Value::Number(x),
        // keep what is there so that validation can name it
        None => Value::String(s.to_owned()),
    }
}

//! Text encodings of imported files: UTF-8 and GBK/GB18030, given (by
//! `--encoding`, a Shapefile's `.cpg` or its DBF language driver) or detected
//! (UTF-8 if the bytes are valid UTF-8, else GB18030). Decoding is strict: an
//! undecodable byte is an error naming the file and the byte offset, never a
//! replacement character.

use encoding_rs::{DecoderResult, Encoding, GB18030, GBK, UTF_8};

/// An encoding and where it came from (for messages).
#[derive(Debug, Clone, Copy)]
pub struct Chosen {
    pub encoding: &'static Encoding,
    pub from: &'static str,
}

/// The encoding a label names: `utf-8`, `gbk`, `gb18030`, `gb2312`, `cp936`, `936`, `65001`…
pub fn encoding_for(label: &str) -> Option<&'static Encoding> {
    let l = label.trim().to_ascii_lowercase();
    match l.as_str() {
        "936" | "cp936" | "ansi 936" | "windows-936" | "ms936" => Some(GBK),
        "65001" | "utf8" | "utf-8" => Some(UTF_8),
        "gb18030" | "gb-18030" => Some(GB18030),
        _ => Encoding::for_label(l.as_bytes()).filter(|e| [UTF_8, GBK, GB18030].contains(e)),
    }
}

/// Decode all of `bytes` or give the offset of the first undecodable byte.
pub fn strict(enc: &'static Encoding, bytes: &[u8]) -> Result<String, usize> {
    if enc == UTF_8 {
        return std::str::from_utf8(bytes).map(str::to_owned).map_err(|e| e.valid_up_to());
    }
    let mut dec = enc.new_decoder_without_bom_handling();
    let cap = dec.max_utf8_buffer_length_without_replacement(bytes.len()).unwrap_or(bytes.len().saturating_mul(3));
    let mut out = String::with_capacity(cap);
    let (res, read) = dec.decode_to_string_without_replacement(bytes, &mut out, true);
    match res {
        DecoderResult::InputEmpty => Ok(out),
        DecoderResult::Malformed(bad, after) => Err(read - usize::from(bad) - usize::from(after)),
        // the buffer was sized for the worst case; report the stop as the offset
        DecoderResult::OutputFull => Err(read),
    }
}

/// The bytes at `at` for a message, e.g. `0xD6 0xD0`.
pub fn bytes_at(bytes: &[u8], at: usize) -> String {
    bytes.get(at..(at + 2).min(bytes.len())).unwrap_or(&[]).iter().map(|b| format!("0x{b:02X}")).collect::<Vec<_>>().join(" ")
}

/// The message for text that `enc` cannot decode.
pub fn undecodable(file: &str, chosen: Chosen, offset: usize, bytes: &[u8], what: &str) -> String {
    let other = if chosen.encoding == UTF_8 { "gb18030" } else { "utf-8" };
    format!(
        "{file}: {what}is not valid {} (the encoding {}) at byte offset {offset} ({}); if the file is in another encoding, give --encoding {other}",
        chosen.encoding.name(),
        chosen.from,
        bytes_at(bytes, offset)
    )
}

/// Decode a whole text file: with the given encoding, or UTF-8, else GB18030.
/// A leading UTF-8 byte-order mark is dropped. Returns the text and a note when detected as GB18030.
pub fn decode_file(bytes: &[u8], file: &str, given: Option<Chosen>) -> Result<(String, Option<String>), String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Some(c) = given {
        return strict(c.encoding, bytes).map(|t| (t, None)).map_err(|at| undecodable(file, c, at, bytes, ""));
    }
    match strict(UTF_8, bytes) {
        Ok(t) => Ok((t, None)),
        Err(u) => match strict(GB18030, bytes) {
            Ok(t) => Ok((t, Some(format!("{file}: not UTF-8 (byte offset {u}), read as GB18030")))),
            Err(g) => Err(format!(
                "{file}: the text is neither UTF-8 (undecodable at byte offset {u}: {}) nor GB18030 (at byte offset {g}); give its encoding with --encoding",
                bytes_at(bytes, u)
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        for (l, e) in [("UTF-8", UTF_8), ("gbk", GBK), ("936", GBK), ("GB18030", GB18030), ("gb2312", GBK), ("65001", UTF_8)] {
            assert_eq!(encoding_for(l), Some(e), "{l}");
        }
        assert_eq!(encoding_for("latin1"), None);
    }

    #[test]
    fn detects_gb18030_and_names_the_offset() {
        let (gbk, _, _) = GB18030.encode("id,名称\n1,八大关街道\n");
        let (t, note) = decode_file(&gbk, "a.csv", None).expect("decodes");
        assert!(t.contains("八大关") && note.is_some_and(|n| n.contains("GB18030")));
        let forced = Chosen { encoding: UTF_8, from: "given by --encoding" };
        let e = decode_file(&gbk, "a.csv", Some(forced)).expect_err("not utf-8");
        // "id," is 3 bytes; 名 starts at offset 3
        assert!(e.contains("a.csv") && e.contains("byte offset 3") && e.contains("--encoding gb18030"), "{e}");
        let bad = [b'a', 0xFF, b'b'];
        assert!(strict(GB18030, &bad) == Err(1));
    }
}

//! SDF glyph PBFs for MapLibre labels, rendered from DejaVu Sans (bundled,
//! see `assets/DejaVuSans.LICENSE`). CJK characters are not served here: the
//! page sets `localIdeographFontFamily`, so MapLibre draws them with the
//! browser's local fonts and asks us only for Latin, digits and punctuation.
//!
//! Method: rasterise each glyph at 24 px (fontdue), threshold the coverage at
//! one half, and compute a signed distance to the nearest pixel of the other
//! side within a radius of 8 px (brute force over the window), padded by
//! the 3 px buffer MapLibre expects; byte = 255 − 255·(d/8 + 0.25), so the
//! edge is at 191. Ranges are rendered once and kept.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use prost::Message;

static FONT_BYTES: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");
const SIZE: f32 = 24.0;
const BUFFER: i32 = 3;
const RADIUS: f32 = 8.0;
const CUTOFF: f32 = 0.25;

#[derive(Clone, PartialEq, prost::Message)]
pub struct Glyph {
    #[prost(uint32, required, tag = "1")]
    pub id: u32,
    #[prost(bytes = "vec", optional, tag = "2")]
    pub bitmap: Option<Vec<u8>>,
    #[prost(uint32, required, tag = "3")]
    pub width: u32,
    #[prost(uint32, required, tag = "4")]
    pub height: u32,
    #[prost(sint32, required, tag = "5")]
    pub left: i32,
    #[prost(sint32, required, tag = "6")]
    pub top: i32,
    #[prost(uint32, required, tag = "7")]
    pub advance: u32,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Fontstack {
    #[prost(string, required, tag = "1")]
    pub name: String,
    #[prost(string, required, tag = "2")]
    pub range: String,
    #[prost(message, repeated, tag = "3")]
    pub glyphs: Vec<Glyph>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Glyphs {
    #[prost(message, repeated, tag = "1")]
    pub stacks: Vec<Fontstack>,
}

fn font() -> Option<&'static fontdue::Font> {
    static FONT: OnceLock<Option<fontdue::Font>> = OnceLock::new();
    FONT.get_or_init(|| fontdue::Font::from_bytes(FONT_BYTES, fontdue::FontSettings::default()).ok()).as_ref()
}

fn sdf(cov: &[u8], w: i32, h: i32) -> (Vec<u8>, i32, i32) {
    let (ow, oh) = (w + 2 * BUFFER, h + 2 * BUFFER);
    let inside = |x: i32, y: i32| x >= 0 && y >= 0 && x < w && y < h && cov[(y * w + x) as usize] >= 128;
    let r = RADIUS as i32;
    let mut out = Vec::with_capacity((ow * oh) as usize);
    for oy in 0..oh {
        for ox in 0..ow {
            let (x, y) = (ox - BUFFER, oy - BUFFER);
            let me = inside(x, y);
            let mut best = RADIUS * RADIUS;
            for dy in -r..=r {
                for dx in -r..=r {
                    let d2 = (dx * dx + dy * dy) as f32;
                    if d2 < best && inside(x + dx, y + dy) != me {
                        best = d2;
                    }
                }
            }
            // distance to the boundary between the two pixel centres
            let d = (best.sqrt() - 0.5).max(0.0);
            let signed = if me { -d } else { d };
            out.push((255.0 - 255.0 * (signed / RADIUS + CUTOFF)).clamp(0.0, 255.0) as u8);
        }
    }
    (out, ow, oh)
}

fn render_range(start: u32) -> Vec<Glyph> {
    let Some(f) = font() else { return Vec::new() };
    let mut out = Vec::new();
    for id in start..start + 256 {
        let Some(ch) = char::from_u32(id) else { continue };
        if f.lookup_glyph_index(ch) == 0 && ch != ' ' {
            continue;
        }
        let (m, cov) = f.rasterize(ch, SIZE);
        let (w, h) = (m.width as i32, m.height as i32);
        let advance = m.advance_width.round().max(0.0) as u32;
        if w == 0 || h == 0 {
            out.push(Glyph { id, bitmap: None, width: 0, height: 0, left: 0, top: 0, advance });
            continue;
        }
        let (bitmap, _, _) = sdf(&cov, w, h);
        out.push(Glyph {
            id,
            bitmap: Some(bitmap),
            width: w as u32,
            height: h as u32,
            left: m.xmin,
            // bearing above the baseline minus the 24 px ascent MapLibre lays out against
            top: m.ymin + h - 24,
            advance,
        });
    }
    out
}

/// The PBF of one 256-glyph range for a font stack name (every stack gets
/// DejaVu Sans; ranges without glyphs are valid empty stacks).
pub fn range_pbf(stack: &str, start: u32) -> Vec<u8> {
    static CACHE: OnceLock<Mutex<HashMap<u32, Vec<Glyph>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let glyphs = {
        let mut c = match cache.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        c.entry(start).or_insert_with(|| if start < 0x3000 { render_range(start) } else { Vec::new() }).clone()
    };
    Glyphs { stacks: vec![Fontstack { name: stack.to_owned(), range: format!("{}-{}", start, start + 255), glyphs }] }.encode_to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_and_latin_have_sdf_bitmaps() {
        let g = Glyphs::decode(range_pbf("DejaVu Sans", 0).as_slice()).expect("decodes");
        let s = &g.stacks[0];
        assert_eq!(s.range, "0-255");
        let seven = s.glyphs.iter().find(|g| g.id == u32::from('7')).expect("7");
        let bm = seven.bitmap.as_ref().expect("bitmap");
        assert_eq!(bm.len() as u32, (seven.width + 6) * (seven.height + 6));
        // corners are far outside (dark), some pixels are inside the glyph (> edge)
        assert!(bm[0] < 100);
        assert!(bm.iter().any(|&v| v > 191));
        assert!(seven.advance > 10 && seven.advance < 20);
        let space = s.glyphs.iter().find(|g| g.id == 32).expect("space");
        assert!(space.bitmap.is_none() && space.advance > 0);
    }
}

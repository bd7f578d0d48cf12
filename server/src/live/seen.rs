//! Which ids and idempotency keys the closed cases hold, without holding
//! them: a scalable Bloom filter answers "surely not" or "perhaps". A case
//! that closes leaves memory ([`super::closed`]), yet every intake must know
//! whether its id or key is taken. Asking the store each time made each
//! intake a few DuckDB queries under the live list's lock (7 to 9 ms, so 110–150
//! posts a second in all); with the filter only a "perhaps" asks the store,
//! which answers exactly.
//!
//! Each layer is a Bloom filter for a fixed number of strings; when it is
//! full, a layer twice as large with a lower false-positive rate follows
//! (Almeida et al., "Scalable Bloom Filters", 2007). At most
//! P0 / (1 − TIGHTEN) = 2% of the strings never added are "perhaps"; memory
//! is 1.5 to 3.6 bytes a string (each layer is allocated whole when it
//! begins; at least 5.9 kB), far less than the strings themselves.

use std::hash::{BuildHasher, Hash, Hasher};

/// Strings the first layer holds; each next one holds twice as many.
const FIRST: usize = 4096;
/// The first layer's false-positive rate; each next one's is [`TIGHTEN`] times its predecessor's.
const P0: f64 = 0.004;
const TIGHTEN: f64 = 0.8;

#[derive(Debug)]
struct Layer {
    bits: Vec<u64>,
    /// Bits in all (`bits.len() * 64`).
    m: u64,
    /// Hashes per string.
    k: u32,
    capacity: usize,
    held: usize,
}

impl Layer {
    fn new(capacity: usize, p: f64) -> Layer {
        let ln2 = std::f64::consts::LN_2;
        let m = ((capacity as f64) * -p.ln() / (ln2 * ln2)).ceil().max(64.0) as u64;
        let words = m.div_ceil(64) as usize;
        let k = ((-p.log2()).ceil() as u32).max(1);
        Layer { bits: vec![0; words], m: words as u64 * 64, k, capacity, held: 0 }
    }

    /// The bits of a string hashed to (h1, h2) (double hashing: h1 + i·h2).
    fn positions(&self, (h1, h2): (u64, u64)) -> impl Iterator<Item = u64> + use<> {
        let m = self.m;
        (0..u64::from(self.k)).map(move |i| h1.wrapping_add(i.wrapping_mul(h2)) % m)
    }

    fn has(&self, h: (u64, u64)) -> bool {
        self.positions(h).all(|b| self.bits[(b / 64) as usize] & (1 << (b % 64)) != 0)
    }

    fn add(&mut self, h: (u64, u64)) {
        for b in self.positions(h) {
            self.bits[(b / 64) as usize] |= 1 << (b % 64);
        }
        self.held += 1;
    }
}

/// A set of strings that may answer "perhaps" for one it does not hold, never "no" for one it does.
#[derive(Debug, Default)]
pub struct Seen {
    layers: Vec<Layer>,
}

fn hashes(s: &str) -> (u64, u64) {
    // fixed keys: the same answers in every run
    let b = std::hash::BuildHasherDefault::<std::hash::DefaultHasher>::default();
    let h1 = b.hash_one(s);
    let mut h = b.build_hasher();
    0x9e37_79b9_7f4a_7c15_u64.hash(&mut h);
    s.hash(&mut h);
    // odd, so the k positions differ
    (h1, h.finish() | 1)
}

impl Seen {
    /// Whether `s` may have been added (false: it surely was not).
    pub fn perhaps(&self, s: &str) -> bool {
        let h = hashes(s);
        self.layers.iter().any(|l| l.has(h))
    }

    /// Add `s` (once: a string it perhaps holds is not added again, so a full layer means as many strings).
    pub fn add(&mut self, s: &str) {
        let h = hashes(s);
        if self.layers.iter().any(|l| l.has(h)) {
            return;
        }
        if self.layers.last().is_none_or(|l| l.held >= l.capacity) {
            let n = self.layers.len() as i32;
            self.layers.push(Layer::new(FIRST << n.min(40), P0 * TIGHTEN.powi(n)));
        }
        if let Some(l) = self.layers.last_mut() {
            l.add(h);
        }
    }

    /// Bytes of the filter's bits.
    pub fn bytes(&self) -> usize {
        self.layers.iter().map(|l| l.bits.len() * 8).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rate over all layers is below this.
    const FALSE_POSITIVES: f64 = P0 / (1.0 - TIGHTEN);

    #[test]
    fn holds_what_it_was_given_and_rarely_what_it_was_not() {
        let mut s = Seen::default();
        assert!(!s.perhaps("INC-1"));
        let n = 50_000;
        for i in 0..n {
            s.add(&format!("INC-1700000000-{i}"));
        }
        // no false negatives, across every layer
        assert!((0..n).all(|i| s.perhaps(&format!("INC-1700000000-{i}"))));
        assert!(s.layers.len() >= 4, "{} layers", s.layers.len());
        // false positives within the bound, on strings of the same shape
        let fp = (0..n).filter(|i| s.perhaps(&format!("INC-1700000001-{i}"))).count() as f64 / n as f64;
        assert!(fp <= FALSE_POSITIVES, "false positives {fp}");
        // under 3.6 bytes a string (bits per string grow slowly with the layers; the last is allocated whole)
        assert!(s.bytes() < n * 3, "{} bytes", s.bytes());
    }

    #[test]
    fn adding_twice_counts_once() {
        let mut s = Seen::default();
        for _ in 0..10 {
            s.add("k");
        }
        assert_eq!(s.layers.iter().map(|l| l.held).sum::<usize>(), 1);
    }
}

//! A monotone priority queue of integer keys (radix heap), for the event
//! queue of [`crate::groups::blossom`].
//!
//! Keys pushed must not be below the last key popped (event times only move
//! forward). Bucket i > 0 holds the keys whose highest bit differing from
//! the last popped key is bit i − 1, bucket 0 the keys equal to it; popping
//! from an empty bucket 0 takes the first non-empty bucket, makes its least
//! key the new last key and spreads the bucket over the lower ones.
//!
//! Complexity: push O(1), pop amortised O(log C) for keys spanning C (each
//! entry moves down at most 64 buckets); buckets are scanned in order, so it
//! is far kinder to caches than a binary heap of the same entries.
//! Reference: R. K. Ahuja, K. Mehlhorn, J. B. Orlin, R. E. Tarjan, "Faster
//! algorithms for the shortest path problem", J. ACM 37 (1990).

pub(crate) struct RadixHeap<V> {
    last: u64,
    buckets: Vec<Vec<(u64, V)>>,
}

impl<V: Copy> RadixHeap<V> {
    pub(crate) fn new() -> Self {
        RadixHeap { last: 0, buckets: (0..65).map(|_| Vec::new()).collect() }
    }

    fn bucket(&self, key: u64) -> usize {
        if key == self.last { 0 } else { 64 - (key ^ self.last).leading_zeros() as usize }
    }

    /// Add an entry; `key` must be at least the last key popped.
    pub(crate) fn push(&mut self, key: u64, value: V) {
        debug_assert!(key >= self.last, "radix heap: key {key} below {}", self.last);
        let key = key.max(self.last);
        let i = self.bucket(key);
        self.buckets[i].push((key, value));
    }

    /// Remove an entry of least key.
    pub(crate) fn pop(&mut self) -> Option<(u64, V)> {
        if self.buckets[0].is_empty() {
            let i = (1..self.buckets.len()).find(|&i| !self.buckets[i].is_empty())?;
            let moved = std::mem::take(&mut self.buckets[i]);
            self.last = moved.iter().map(|e| e.0).min()?;
            for &(k, v) in &moved {
                let j = self.bucket(k);
                self.buckets[j].push((k, v));
            }
            // keep the bucket's allocation for later entries
            let mut moved = moved;
            moved.clear();
            if self.buckets[i].is_empty() {
                self.buckets[i] = moved;
            }
        }
        self.buckets[0].pop()
    }
}

#[cfg(test)]
mod tests {
    use super::RadixHeap;

    #[test]
    fn pops_in_key_order_with_pushes_between() {
        let mut h = RadixHeap::new();
        let mut plain: Vec<u64> = Vec::new();
        let mut x: u64 = 12345;
        let mut last = 0;
        for round in 0..2000 {
            // push a few keys at or above the last popped one, then pop one
            for _ in 0..(round % 3 + 1) {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let k = last + (x >> 40) % 1000;
                h.push(k, round);
                plain.push(k);
            }
            let (k, _) = h.pop().expect("entry");
            plain.sort_unstable();
            assert_eq!(k, plain.remove(0));
            last = k;
        }
        while let Some((k, _)) = h.pop() {
            plain.sort_unstable();
            assert_eq!(k, plain.remove(0));
        }
        assert!(plain.is_empty());
    }
}

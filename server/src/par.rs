//! Work split over the machine's cores with scoped std threads: consecutive
//! ranges of items, one per core, the results in item order — so a parallel
//! run gives exactly what one pass in order would. Below a size the work
//! stays on the calling thread (a thread costs more than small work).

use std::ops::Range;

/// Below this many items the work stays on one thread.
pub const MIN_ITEMS: usize = 8192;

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// `f` over consecutive ranges covering `0..len`, one per core (a single
/// range when `len < min` or there is one core); the results in range order.
pub fn ranges<R: Send>(len: usize, min: usize, f: impl Fn(Range<usize>) -> R + Sync) -> Vec<R> {
    let threads = cores();
    if threads < 2 || len < min.max(2) {
        return vec![f(0..len)];
    }
    let size = len.div_ceil(threads);
    let f = &f;
    std::thread::scope(|s| {
        let runs: Vec<_> = (0..len).step_by(size).map(|a| s.spawn(move || f(a..(a + size).min(len)))).collect();
        runs.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
    })
}

/// `f` of every item, computed on every core, in item order.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let parts = ranges(items.len(), MIN_ITEMS, |r| items[r].iter().map(&f).collect::<Vec<R>>());
    let mut out = Vec::with_capacity(items.len());
    for p in parts {
        out.extend(p);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_and_complete() {
        for n in [0, 1, 7, MIN_ITEMS - 1, MIN_ITEMS, 3 * MIN_ITEMS + 5] {
            let items: Vec<usize> = (0..n).collect();
            assert_eq!(map(&items, |x| x * 2), items.iter().map(|x| x * 2).collect::<Vec<_>>(), "{n}");
            let rs = ranges(n, 2, |r| r);
            assert_eq!(rs.first().map(|r| r.start), Some(0));
            assert_eq!(rs.last().map(|r| r.end), Some(n));
            assert!(rs.windows(2).all(|w| w[0].end == w[1].start), "{rs:?}");
        }
    }
}

//! Order-preserving parallel work over the machine's cores (scoped threads): a map of items, or runs over
//! consecutive ranges.

/// `items.iter().map(f)`, split into one contiguous chunk per core; serial
/// below `min_items` (thread start-up would cost more than it saves).
pub fn map<T: Sync, R: Send>(items: &[T], min_items: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(16);
    if threads <= 1 || items.len() < min_items.max(2) {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = items.chunks(chunk).map(|part| s.spawn(move || part.iter().map(f).collect::<Vec<R>>())).collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    })
}

/// `f` over consecutive ranges covering `0..len`, one per core (a single range when `len < min_items` or there is
/// one core); the results in range order, so a parallel run gives what one pass in order would.
pub fn ranges<R: Send>(len: usize, min_items: usize, f: impl Fn(std::ops::Range<usize>) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(16);
    if threads <= 1 || len < min_items.max(2) {
        return vec![f(0..len)];
    }
    let size = len.div_ceil(threads);
    let f = &f;
    std::thread::scope(|s| {
        let runs: Vec<_> = (0..len).step_by(size).map(|a| s.spawn(move || f(a..(a + size).min(len)))).collect();
        runs.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_the_order() {
        let v: Vec<u64> = (0..10_000).collect();
        assert_eq!(super::map(&v, 1, |x| x * 2), v.iter().map(|x| x * 2).collect::<Vec<_>>());
        assert_eq!(super::map(&v[..3], 100, |x| x + 1), vec![1, 2, 3]);
    }

    #[test]
    fn ranges_cover_in_order() {
        for n in [0, 1, 7, 99, 100, 3 * 100 + 5] {
            let rs = super::ranges(n, 100, |r| r);
            assert_eq!(rs.first().map(|r| r.start), Some(0));
            assert_eq!(rs.last().map(|r| r.end), Some(n));
            assert!(rs.windows(2).all(|w| w[0].end == w[1].start), "{rs:?}");
        }
    }
}

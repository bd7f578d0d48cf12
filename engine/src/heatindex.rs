//! A columnar index of incidents for heatmaps over any window, category and
//! resolution 5–11, exact to `LatLng::to_cell` at every resolution.
//!
//! Method: each incident's H3 cell at resolution 11 is computed once (over
//! the machine's cores) and replaced by a dense id. H3 cells do not nest
//! exactly, so a fine cell's parent is not always the cell holding its
//! points at a coarser resolution: for every dense fine cell and coarser
//! resolution, the cell holding its six corners and centre is looked up —
//! when they agree (the fine hexagon lies inside one coarse cell, both being
//! convex on the face) every point of the fine cell maps there; otherwise the
//! few points of that fine cell get their own coarse cell, kept as
//! exceptions. Incidents are split by category and sorted by time, so a
//! window of one category is one contiguous slice found by binary search;
//! counting it is a table lookup and an increment per incident into a dense
//! array. O(n log n) to build; O(log n + m) per query for m incidents.

use h3o::{CellIndex, LatLng, Resolution};

pub const MIN_RES: u8 = 5;
pub const MAX_RES: u8 = 11;
const AMBIGUOUS: u32 = u32::MAX;

#[derive(Debug, Clone, Default)]
struct Slice {
    /// Times (Unix seconds), ascending.
    t: Vec<i64>,
    /// Dense res-11 cell ids, in the same order.
    cell: Vec<u32>,
    /// Original positions (for the exceptions).
    pos: Vec<(f64, f64)>,
}

/// The index.
#[derive(Debug, Clone, Default)]
pub struct HeatIndex {
    categories: Vec<String>,
    slices: Vec<Slice>,
    /// Per resolution 5..=10: dense res-11 id → dense id at that resolution, or AMBIGUOUS.
    coarse: Vec<Vec<u32>>,
    /// Per resolution 5..=11: the cells behind the dense ids.
    cells: Vec<Vec<CellIndex>>,
    /// Per resolution 5..=10 and slice: (index in the slice, dense id) of the points of ambiguous fine cells, by index.
    exceptions: Vec<Vec<Vec<(u32, u32)>>>,
}

fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    crate::par::map(items, 1_000, f)
}

impl HeatIndex {
    /// Build from incidents: positions (lon, lat), times and category indices into `categories`.
    pub fn build(points: &[(f64, f64)], times: &[i64], category: &[u8], categories: Vec<String>) -> HeatIndex {
        let n = points.len().min(times.len()).min(category.len());
        let top = Resolution::Eleven;
        let raw: Vec<u64> = par_map(&points[..n], |&(lon, lat)| LatLng::new(lat, lon).map_or(u64::MAX, |p| u64::from(p.to_cell(top))));
        let mut uniq: Vec<u64> = raw.iter().copied().filter(|&c| c != u64::MAX).collect();
        uniq.sort_unstable();
        uniq.dedup();
        let fine: Vec<CellIndex> = uniq.iter().filter_map(|&c| CellIndex::try_from(c).ok()).collect();
        // per category, sorted by time
        let mut order: Vec<u32> =
            (0..n as u32).filter(|&i| raw[i as usize] != u64::MAX && (category[i as usize] as usize) < categories.len()).collect();
        order.sort_unstable_by_key(|&i| (category[i as usize], times[i as usize]));
        let mut slices = vec![Slice::default(); categories.len()];
        for i in order {
            let i = i as usize;
            let s = &mut slices[category[i] as usize];
            s.t.push(times[i]);
            s.cell.push(uniq.binary_search(&raw[i]).map_or(0, |k| k as u32));
            s.pos.push(points[i]);
        }
        let mut coarse = Vec::new();
        let mut cells = Vec::new();
        let mut exceptions = Vec::new();
        for r in MIN_RES..MAX_RES {
            let res = Resolution::try_from(r).unwrap_or(top);
            // the coarse cell of each fine cell's centre and corners, or ambiguous
            let of: Vec<Option<CellIndex>> = par_map(&fine, |c| {
                let centre = LatLng::from(*c).to_cell(res);
                c.boundary().iter().all(|v| v.to_cell(res) == centre).then_some(centre)
            });
            // exceptions: per slice, the points of ambiguous fine cells
            let exc_cells: Vec<Vec<(u32, CellIndex)>> = slices
                .iter()
                .map(|s| {
                    let idx: Vec<u32> = (0..s.cell.len() as u32).filter(|&i| of[s.cell[i as usize] as usize].is_none()).collect();
                    let cs = par_map(&idx, |&i| {
                        let (lon, lat) = s.pos[i as usize];
                        LatLng::new(lat, lon).map_or(fine[s.cell[i as usize] as usize], |p| p.to_cell(res))
                    });
                    idx.into_iter().zip(cs).collect()
                })
                .collect();
            let mut u: Vec<CellIndex> = of.iter().flatten().copied().chain(exc_cells.iter().flatten().map(|e| e.1)).collect();
            u.sort_unstable();
            u.dedup();
            let dense = |c: CellIndex| u.binary_search(&c).map_or(0, |i| i as u32);
            coarse.push(of.iter().map(|c| c.map_or(AMBIGUOUS, dense)).collect::<Vec<u32>>());
            exceptions.push(exc_cells.into_iter().map(|e| e.into_iter().map(|(i, c)| (i, dense(c))).collect()).collect());
            cells.push(u);
        }
        cells.push(fine);
        for s in &mut slices {
            s.pos = Vec::new();
        }
        HeatIndex { categories, slices, coarse, cells, exceptions }
    }

    pub fn len(&self) -> usize {
        self.slices.iter().map(|s| s.t.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Counts per cell at `res` of the incidents in [from, to) of a category (all when None).
    pub fn counts(&self, res: u8, from: i64, to: i64, category: Option<&str>) -> Vec<(CellIndex, u32)> {
        if !(MIN_RES..=MAX_RES).contains(&res) {
            return Vec::new();
        }
        let k = (res - MIN_RES) as usize;
        let cells = &self.cells[k];
        let mut counts = vec![0u32; cells.len()];
        for (ci, s) in self.slices.iter().enumerate() {
            if category.is_some_and(|c| c != self.categories[ci]) {
                continue;
            }
            let a = s.t.partition_point(|&t| t < from);
            let b = s.t.partition_point(|&t| t < to);
            if res == MAX_RES {
                for &c in &s.cell[a..b] {
                    counts[c as usize] += 1;
                }
                continue;
            }
            let map = &self.coarse[k];
            for &c in &s.cell[a..b] {
                let d = map[c as usize];
                if d != AMBIGUOUS {
                    counts[d as usize] += 1;
                }
            }
            // the points of ambiguous fine cells inside the window
            let exc = &self.exceptions[k][ci];
            let lo = exc.partition_point(|e| (e.0 as usize) < a);
            for &(i, d) in &exc[lo..] {
                if i as usize >= b {
                    break;
                }
                counts[d as usize] += 1;
            }
        }
        counts.iter().enumerate().filter(|(_, n)| **n > 0).map(|(i, n)| (cells[i], *n)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn counts_equal_to_cell_at_every_resolution() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let n = 30_000;
        let pts: Vec<(f64, f64)> = (0..n).map(|_| (rng.random_range(120.30..120.45), rng.random_range(36.03..36.10))).collect();
        let t: Vec<i64> = (0..n).map(|_| rng.random_range(0..1_000_000)).collect();
        let c: Vec<u8> = (0..n).map(|_| rng.random_range(0..3)).collect();
        let cats = vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
        let ix = HeatIndex::build(&pts, &t, &c, cats.clone());
        assert_eq!(ix.len(), n);
        for res in MIN_RES..=MAX_RES {
            for (from, to, cat) in [(0, 1_000_000, None), (200_000, 300_000, Some("b")), (999_000, 2_000_000, Some("c"))] {
                let ours: std::collections::BTreeMap<CellIndex, u64> =
                    ix.counts(res, from, to, cat).into_iter().map(|(c, n)| (c, u64::from(n))).collect();
                let sel = (0..n).filter(|&i| t[i] >= from && t[i] < to && cat.is_none_or(|k| cats[c[i] as usize] == k)).map(|i| pts[i]);
                let direct = crate::hotspot::counts_by_cell(sel, Resolution::try_from(res).expect("res"));
                assert_eq!(ours, direct, "res {res} window {from}..{to} {cat:?}");
            }
        }
        assert!(ix.counts(4, 0, 1, None).is_empty());
    }
}

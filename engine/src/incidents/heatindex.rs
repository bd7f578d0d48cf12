//! A columnar index of incidents for heatmaps over any window, group
//! (category, status…) and resolution 5–11, exact to `LatLng::to_cell` at
//! every resolution.
//!
//! Layout: incidents ordered by group, then time, so a window of one group is
//! one contiguous slice found by binary search; per resolution a column of
//! dense cell ids in the same order. Counting a window is a table increment
//! per incident into a dense array: O(log n + m) per query for m incidents.
//!
//! Cells come from [`crate::incidents::h3locate`] (exact `to_cell` results at res
//! 5–11 by hexagon tests), a block of rows at a time: a block's points in
//! Morton order, its id columns written back in row order, so the random
//! accesses stay in the cache; one run of blocks per core. Build O(n log n).
//! Checked against `to_cell` (tests below) and h3-py (server/tests/houston.rs).

use h3o::{CellIndex, LatLng};

use crate::incidents::h3locate::{LEVELS, Morton, NONE, Worker};
pub use crate::incidents::h3locate::{MAX_RES, MIN_RES};

/// Rows per block of the cell computation (its points, keys and ids stay in the cache).
const BLOCK: usize = 1 << 18;

/// The index.
#[derive(Debug, Clone, Default)]
pub struct HeatIndex {
    groups: Vec<String>,
    /// Per group, its range of rows.
    start: Vec<usize>,
    /// Times (Unix seconds), ascending within each group.
    t: Vec<i64>,
    /// Rows per part of an id column.
    per: usize,
    /// Per resolution 5..=11: the dense cell id of each row, in parts of `per` rows.
    ids: Vec<Vec<Vec<u32>>>,
    /// Per resolution 5..=11: the cells behind the dense ids.
    cells: Vec<Vec<CellIndex>>,
    /// Rows whose cells came from `to_cell` itself rather than a hexagon test (for the record).
    pub exact_calls: usize,
}

impl HeatIndex {
    /// Build from incidents: positions (lon, lat), times and group indices into `groups`.
    /// Incidents with an invalid position or group are left out.
    pub fn build(points: &[(f64, f64)], times: &[i64], group: &[u16], groups: Vec<String>) -> HeatIndex {
        let n = points.len().min(times.len()).min(group.len());
        let (points, times, group) = (&points[..n], &times[..n], &group[..n]);
        let valid = |i: usize| {
            let (x, y) = points[i];
            (group[i] as usize) < groups.len() && LatLng::new(y, x).is_ok()
        };
        // rows: by group, then time (one sort of packed keys when they fit in 64 bits)
        let keep: Vec<u32> = (0..n as u32).filter(|&i| valid(i as usize)).collect();
        let (tmin, tmax) = keep.iter().fold((i64::MAX, i64::MIN), |(a, b), &i| (a.min(times[i as usize]), b.max(times[i as usize])));
        let bits = |v: u64| 64 - v.leading_zeros();
        let (ib, gb, tb) = (bits(n as u64), bits(groups.len() as u64), bits(tmax.wrapping_sub(tmin).max(0) as u64));
        let (order, t): (Vec<u32>, Vec<i64>) = if ib + gb + tb <= 64 {
            let mut k: Vec<u64> = keep
                .iter()
                .map(|&i| ((u64::from(group[i as usize]) << tb | (times[i as usize] - tmin) as u64) << ib) | u64::from(i))
                .collect();
            drop(keep);
            // two halves sorted in parallel, merged straight into the outputs
            let mid = k.len() / 2;
            let (a, b) = k.split_at_mut(mid);
            std::thread::scope(|s| {
                s.spawn(|| a.sort_unstable());
                b.sort_unstable();
            });
            let (a, b) = k.split_at(mid);
            let (mask, tmask) = ((1u64 << ib) - 1, (1u64 << tb) - 1);
            let (mut order, mut t) = (Vec::with_capacity(k.len()), Vec::with_capacity(k.len()));
            let (mut i, mut j) = (0, 0);
            while i < a.len() || j < b.len() {
                let key = if j >= b.len() || (i < a.len() && a[i] <= b[j]) {
                    i += 1;
                    a[i - 1]
                } else {
                    j += 1;
                    b[j - 1]
                };
                order.push((key & mask) as u32);
                t.push(tmin + ((key >> ib) & tmask) as i64);
            }
            (order, t)
        } else {
            let mut k = keep;
            k.sort_unstable_by_key(|&i| (group[i as usize], times[i as usize], i));
            let t = k.iter().map(|&i| times[i as usize]).collect();
            (k, t)
        };
        let m = order.len();
        let mut start = vec![0usize; groups.len() + 1];
        for &i in &order {
            start[group[i as usize] as usize + 1] += 1;
        }
        for g in 0..groups.len() {
            start[g + 1] += start[g];
        }
        // Cells, a block of rows at a time so that the random accesses stay in
        // the cache: a block's points in Morton order, each tested against the
        // cells of the points before it; one run of blocks per core.
        let morton = Morton::over(points);
        let faces = crate::incidents::h3locate::face_centres();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 16);
        let per = m.div_ceil(threads).max(1);
        type Run = (Vec<Vec<u32>>, Vec<Vec<CellIndex>>, usize);
        let runs: Vec<Run> = std::thread::scope(|s| {
            let hs: Vec<_> = order
                .chunks(per)
                .map(|rows| {
                    let faces = &faces;
                    s.spawn(move || {
                        let mut w = Worker::new(faces, morton);
                        // this run's rows of each id column (zeroed lazily by the kernel; every row is written below)
                        let mut cols: Vec<Vec<u32>> = (0..LEVELS).map(|_| vec![0; rows.len()]).collect();
                        let mut keys: Vec<u64> = Vec::with_capacity(BLOCK);
                        let mut pts: Vec<(f64, f64)> = Vec::with_capacity(BLOCK);
                        let mut buf: Vec<[u32; LEVELS]> = Vec::with_capacity(BLOCK);
                        for (b, block) in rows.chunks(BLOCK).enumerate() {
                            pts.clear();
                            pts.extend(block.iter().map(|&i| points[i as usize]));
                            keys.clear();
                            keys.extend(pts.iter().enumerate().map(|(k, &p)| morton.key(p) << 20 | k as u64));
                            keys.sort_unstable();
                            // cells in Morton order, then each column put back in row order
                            buf.clear();
                            buf.extend(keys.iter().map(|key| {
                                let (x, y) = pts[(key & 0xf_ffff) as usize];
                                w.cells(y, x)
                            }));
                            for (r, col) in cols.iter_mut().enumerate() {
                                let col = &mut col[b * BLOCK..];
                                for (key, out) in keys.iter().zip(&buf) {
                                    col[(key & 0xf_ffff) as usize] = out[r];
                                }
                            }
                        }
                        let exact = w.exact_calls;
                        (cols, w.into_cells(), exact)
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
        });
        drop(order);
        // one dictionary per resolution over the runs; local ids to dense ids
        let mut cells: Vec<Vec<CellIndex>> = Vec::with_capacity(LEVELS);
        let mut maps: Vec<Vec<Vec<u32>>> = vec![Vec::with_capacity(LEVELS); runs.len()];
        for r in 0..LEVELS {
            let mut u: Vec<CellIndex> = runs.iter().flat_map(|run| run.1[r].iter().copied()).collect();
            u.sort_unstable();
            u.dedup();
            for (map, run) in maps.iter_mut().zip(&runs) {
                map.push(run.1[r].iter().map(|c| u.binary_search(c).map_or(NONE, |i| i as u32)).collect());
            }
            cells.push(u);
        }
        let exact_calls = runs.iter().map(|r| r.2).sum();
        let mut parts: Vec<Vec<Vec<u32>>> = runs.into_iter().map(|r| r.0).collect();
        std::thread::scope(|s| {
            for (cols, map) in parts.iter_mut().zip(&maps) {
                s.spawn(move || {
                    for (col, map) in cols.iter_mut().zip(map) {
                        for id in col.iter_mut() {
                            *id = map.get(*id as usize).copied().unwrap_or(NONE);
                        }
                    }
                });
            }
        });
        // per resolution, the parts of its column in row order
        let mut ids: Vec<Vec<Vec<u32>>> = (0..LEVELS).map(|_| Vec::with_capacity(parts.len())).collect();
        for cols in parts {
            for (r, col) in cols.into_iter().enumerate() {
                ids[r].push(col);
            }
        }
        HeatIndex { groups, start, t, per, ids, cells, exact_calls }
    }

    pub fn len(&self) -> usize {
        self.t.len()
    }

    pub fn is_empty(&self) -> bool {
        self.t.is_empty()
    }

    pub fn groups(&self) -> &[String] {
        &self.groups
    }

    /// Counts per cell at `res` of the incidents in [from, to) of the groups `keep` selects.
    pub fn counts(&self, res: u8, from: i64, to: i64, keep: impl Fn(usize) -> bool) -> Vec<(CellIndex, u32)> {
        if !(MIN_RES..=MAX_RES).contains(&res) {
            return Vec::new();
        }
        let r = (res - MIN_RES) as usize;
        let (ids, cells) = (&self.ids[r], &self.cells[r]);
        let mut counts = vec![0u32; cells.len()];
        for g in 0..self.groups.len() {
            if !keep(g) {
                continue;
            }
            let (s, e) = (self.start[g], self.start[g + 1]);
            let t = &self.t[s..e];
            let a = s + t.partition_point(|&x| x < from);
            let b = s + t.partition_point(|&x| x < to);
            let mut row = a;
            while row < b {
                let (p, off) = (row / self.per, row % self.per);
                let end = b.min((p + 1) * self.per);
                for &c in &ids[p][off..off + (end - row)] {
                    if let Some(k) = counts.get_mut(c as usize) {
                        *k += 1;
                    }
                }
                row = end;
            }
        }
        counts.iter().enumerate().filter(|(_, n)| **n > 0).map(|(i, n)| (cells[i], *n)).collect()
    }

    /// Counts of one group by name (all when None).
    pub fn counts_of(&self, res: u8, from: i64, to: i64, group: Option<&str>) -> Vec<(CellIndex, u32)> {
        self.counts(res, from, to, |g| group.is_none_or(|n| self.groups[g] == n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incidents::h3locate::{dot, face_centres, unit};
    use h3o::Resolution;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn check(pts: &[(f64, f64)], seed: u64) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let n = pts.len();
        let t: Vec<i64> = (0..n).map(|_| rng.random_range(0..1_000_000)).collect();
        let c: Vec<u16> = (0..n).map(|_| rng.random_range(0..3)).collect();
        let cats = vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
        let ix = HeatIndex::build(pts, &t, &c, cats.clone());
        assert_eq!(ix.len(), n);
        for res in MIN_RES..=MAX_RES {
            for (from, to, cat) in [(0, 1_000_000, None), (200_000, 300_000, Some("b")), (999_000, 2_000_000, Some("c"))] {
                let ours: std::collections::BTreeMap<CellIndex, u64> =
                    ix.counts_of(res, from, to, cat).into_iter().map(|(c, n)| (c, u64::from(n))).collect();
                let sel = (0..n).filter(|&i| t[i] >= from && t[i] < to && cat.is_none_or(|k| cats[c[i] as usize] == k)).map(|i| pts[i]);
                let direct = crate::incidents::hotspot::counts_by_cell(sel, Resolution::try_from(res).expect("res"));
                let diff: Vec<_> = ours
                    .iter()
                    .filter(|(c, n)| direct.get(*c) != Some(*n))
                    .map(|(c, n)| (*c, *n, direct.get(c).copied()))
                    .chain(direct.iter().filter(|(c, _)| !ours.contains_key(*c)).map(|(c, n)| (*c, 0, Some(*n))))
                    .take(8)
                    .collect();
                assert!(diff.is_empty(), "res {res} window {from}..{to} {cat:?}: (cell, ours, to_cell) {diff:?}");
            }
        }
        assert!(ix.counts_of(4, 0, 1, None).is_empty());
    }

    #[test]
    fn counts_equal_to_cell_at_every_resolution() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let pts: Vec<(f64, f64)> = (0..60_000).map(|_| (rng.random_range(120.30..120.45), rng.random_range(36.03..36.10))).collect();
        check(&pts, 1);
    }

    #[test]
    fn points_on_and_near_cell_edges_and_corners() {
        // corners of res 5..11 cells and points a hair (1e-13 .. 1e-7 degrees) from them
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut pts = Vec::new();
        for k in 0..400 {
            let p = LatLng::new(rng.random_range(36.03..36.10), rng.random_range(120.30..120.45)).expect("point");
            let res = Resolution::try_from(MIN_RES + (k % LEVELS) as u8).expect("res");
            for v in p.to_cell(res).boundary().iter() {
                pts.push((v.lng(), v.lat()));
                for e in [1e-13, 1e-11, 1e-9, 1e-7] {
                    for _ in 0..3 {
                        pts.push((v.lng() + rng.random_range(-e..e), v.lat() + rng.random_range(-e..e)));
                    }
                }
            }
        }
        check(&pts, 2);
    }

    #[test]
    fn pentagons_face_centres_and_face_edges() {
        // around each pentagon (icosahedron vertex), each face centre and across a face edge
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let mut pts = Vec::new();
        let mut around = |lat: f64, lon: f64, d: f64, pts: &mut Vec<(f64, f64)>| {
            for _ in 0..300 {
                let y: f64 = (lat + rng.random_range(-d..d)).clamp(-89.9, 89.9);
                let x: f64 = lon + rng.random_range(-d..d);
                pts.push((
                    if x > 180.0 {
                        x - 360.0
                    } else if x < -180.0 {
                        x + 360.0
                    } else {
                        x
                    },
                    y,
                ));
            }
        };
        for c in CellIndex::base_cells().filter(|c| c.is_pentagon()) {
            let p = LatLng::from(c);
            around(p.lat(), p.lng(), 0.05, &mut pts);
        }
        let faces = face_centres();
        assert_eq!(faces.len(), 20);
        for f in &faces {
            let (lat, lon) = (f[2].asin().to_degrees(), f[1].atan2(f[0]).to_degrees());
            around(lat, lon, 0.05, &mut pts);
            around(lat, lon, 0.5, &mut pts);
        }
        // a line crossing the edge between two neighbouring face centres
        for w in 0..2000 {
            let (a, b) =
                (&faces[0], faces.iter().skip(1).max_by(|x, y| dot(&faces[0], x).total_cmp(&dot(&faces[0], y))).expect("neighbour"));
            let s = w as f64 / 2000.0;
            let m = unit([a[0] * (1.0 - s) + b[0] * s, a[1] * (1.0 - s) + b[1] * s, a[2] * (1.0 - s) + b[2] * s]);
            pts.push((m[1].atan2(m[0]).to_degrees(), m[2].asin().to_degrees()));
        }
        check(&pts, 5);
    }

    #[test]
    fn empty_and_invalid_rows() {
        let ix = HeatIndex::build(&[], &[], &[], vec!["a".into()]);
        assert!(ix.is_empty() && ix.counts_of(8, 0, 10, None).is_empty());
        let ix = HeatIndex::build(&[(f64::NAN, 1.0), (120.4, 36.05), (120.4, 36.05)], &[1, 2, 3], &[0, 0, 7], vec!["a".into()]);
        assert_eq!(ix.len(), 1);
        assert_eq!(ix.counts_of(11, 0, 10, Some("a")).iter().map(|c| c.1).sum::<u32>(), 1);
    }
}

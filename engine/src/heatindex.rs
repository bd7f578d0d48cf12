//! A columnar index of incidents for heatmaps over any window, group
//! (category, status…) and resolution 5–11, exact to `LatLng::to_cell` at
//! every resolution.
//!
//! Layout: incidents ordered by group, then time, so a window of one group is
//! one contiguous slice found by binary search; per resolution a column of
//! dense cell ids in the same order. Counting a window is a table increment
//! per incident into a dense array: O(log n + m) per query for m incidents.
//!
//! Cells without H3's cost per point: `to_cell` projects every point onto an
//! icosahedron face (a dozen trigonometric calls) and assembles the index
//! digit by digit. Inside one face an H3 cell is a hexagon bounded by great
//! circles (straight lines of the face's gnomonic projection), so once a cell
//! is known, "is this point in it" is six dot products against its edges'
//! planes. Points are visited in a spatial order (a counting sort on a ~10 m
//! grid), each tested against the cell of the points before it; a point
//! within [`MARGIN`] of an edge, a miss, or a cell that H3 does not draw as a
//! plain hexagon on one face (pentagons, cells across face edges, cells near a
//! face centre where H3's own projection loses precision) is sent to
//! `to_cell` itself. A fine cell lying wholly inside a coarser cell gives its
//! points that cell without a test.

use std::collections::HashMap;

use h3o::{CellIndex, LatLng, Resolution};

pub const MIN_RES: u8 = 5;
pub const MAX_RES: u8 = 11;
const LEVELS: usize = (MAX_RES - MIN_RES + 1) as usize;
const COARSE: usize = LEVELS - 1;
/// Points closer than this (radians on the unit sphere, ≈ 6 mm) to a cell edge go to `to_cell`.
/// H3's hexagon corners and its own point assignment disagree by up to 1.6e-11 rad at res 11
/// (measured over 500,000 cells worldwide), less at coarser resolutions; this is 60 times that.
const MARGIN: f64 = 1e-9;
/// Cells whose centre is closer than this (radians, ≈ 19 km) to a face centre go to `to_cell`:
/// there H3 computes the distance to the face centre as acos(1 − d²/2), good to ~1e-16/r only.
const NEAR_FACE_CENTRE: f64 = 3e-3;
const NONE: u32 = u32::MAX;
/// Candidate coarse cells remembered per fine cell and resolution.
const CANDIDATES: usize = 3;
/// Fine cells a worker tries before asking H3.
const RECENT: usize = 4;
/// Rows per block of the cell computation (its points, keys and ids stay in the cache).
const BLOCK: usize = 1 << 18;

type V3 = [f64; 3];

fn xyz(lat: f64, lon: f64) -> V3 {
    let (sa, ca) = lat.to_radians().sin_cos();
    let (so, co) = lon.to_radians().sin_cos();
    [ca * co, ca * so, sa]
}

fn dot(a: &V3, b: &V3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn cross(a: &V3, b: &V3) -> V3 {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}

fn unit(a: V3) -> V3 {
    let l = dot(&a, &a).sqrt();
    [a[0] / l, a[1] / l, a[2] / l]
}

/// The centres of the icosahedron's 20 faces, from its 12 vertices (H3's pentagons).
fn face_centres() -> Vec<V3> {
    let v: Vec<V3> = CellIndex::base_cells()
        .filter(|c| c.is_pentagon())
        .map(|c| {
            let p = LatLng::from(c);
            xyz(p.lat(), p.lng())
        })
        .collect();
    // neighbouring vertices are 63.4° apart, the next ones 116.6°
    let near = |a: usize, b: usize| dot(&v[a], &v[b]) > 0.3;
    let mut out = Vec::new();
    for a in 0..v.len() {
        for b in a + 1..v.len() {
            for c in b + 1..v.len() {
                if near(a, b) && near(b, c) && near(a, c) {
                    out.push(unit([v[a][0] + v[b][0] + v[c][0], v[a][1] + v[b][1] + v[c][1], v[a][2] + v[b][2] + v[c][2]]));
                }
            }
        }
    }
    out
}

/// A cell drawn as a plain hexagon on one face: its corners and the inward unit normals of its edges' planes.
#[derive(Debug, Clone)]
struct Hexagon {
    corners: [V3; 6],
    normals: [V3; 6],
}

impl Hexagon {
    fn of(cell: CellIndex, faces: &[V3]) -> Option<Hexagon> {
        if cell.is_pentagon() || cell.icosahedron_faces().len() != 1 {
            return None;
        }
        let b = cell.boundary();
        if b.len() != 6 {
            return None;
        }
        let c = LatLng::from(cell);
        let c = xyz(c.lat(), c.lng());
        let near = NEAR_FACE_CENTRE.cos();
        if faces.iter().any(|f| dot(f, &c) > near) {
            return None;
        }
        let mut corners = [[0.0; 3]; 6];
        for (k, p) in b.iter().enumerate() {
            corners[k] = xyz(p.lat(), p.lng());
        }
        let mut normals = [[0.0; 3]; 6];
        for k in 0..6 {
            let mut n = unit(cross(&corners[k], &corners[(k + 1) % 6]));
            if dot(&n, &c) < 0.0 {
                n = [-n[0], -n[1], -n[2]];
            }
            normals[k] = n;
        }
        Some(Hexagon { corners, normals })
    }

    /// Inside by more than the margin.
    fn holds(&self, p: &V3) -> bool {
        self.normals.iter().all(|n| dot(n, p) > MARGIN)
    }
}

/// A fine (res 11) cell seen by a worker.
#[derive(Debug, Clone)]
struct Fine {
    hex: Option<Hexagon>,
    /// Per coarser resolution: the coarse cell holding the whole fine cell, if known.
    within: [u32; COARSE],
    /// Per coarser resolution: coarse cells its points were found in.
    seen: [[u32; CANDIDATES]; COARSE],
    /// Its six neighbours, once asked for.
    around: Option<[u32; 6]>,
}

/// Cells of one resolution seen by a worker: local id → cell and hexagon.
#[derive(Debug, Default)]
struct Dict {
    cells: Vec<CellIndex>,
    hexes: Vec<Option<Hexagon>>,
    ids: HashMap<CellIndex, u32>,
}

impl Dict {
    fn id(&mut self, c: CellIndex, faces: &[V3]) -> u32 {
        if let Some(&i) = self.ids.get(&c) {
            return i;
        }
        let i = self.cells.len() as u32;
        self.cells.push(c);
        self.hexes.push(Hexagon::of(c, faces));
        self.ids.insert(c, i);
        i
    }
}

/// Cells of a run of points in spatial order.
struct Worker<'a> {
    faces: &'a [V3],
    fine: Vec<Fine>,
    dicts: Vec<Dict>,
    /// The last fine cells points were found in, most recent first.
    recent: [u32; RECENT],
    /// Points sent to `to_cell` (misses, margins, special cells), for the record.
    exact_calls: usize,
    morton: Morton,
    /// Per Morton slot, the fine cell of the last point seen there.
    grid: Vec<u32>,
}

impl Worker<'_> {
    fn holds(&self, f: u32, p: &V3) -> bool {
        f != NONE && self.fine[f as usize].hex.as_ref().is_some_and(|h| h.holds(p))
    }

    /// The fine cell of a point among the cells seen near it.
    fn find(&mut self, p: &V3, slot: usize) -> Option<u32> {
        if let Some(&f) = self.recent.iter().find(|&&f| self.holds(f, p)) {
            return Some(f);
        }
        let g = self.grid.get(slot).copied().unwrap_or(NONE);
        if self.holds(g, p) {
            return Some(g);
        }
        for base in [g, self.recent[0]] {
            if base == NONE {
                continue;
            }
            for f in self.around(base) {
                if self.holds(f, p) {
                    return Some(f);
                }
            }
        }
        None
    }

    /// The six neighbours of a fine cell (none for a pentagon's odd ring).
    fn around(&mut self, f: u32) -> [u32; 6] {
        if let Some(a) = self.fine[f as usize].around {
            return a;
        }
        let c = self.dicts[COARSE].cells[f as usize];
        let mut a = [NONE; 6];
        let ring: Vec<CellIndex> = c.grid_disk::<Vec<_>>(1).into_iter().filter(|&n| n != c).collect();
        if ring.len() == 6 {
            for (k, n) in ring.into_iter().enumerate() {
                a[k] = self.fine_id(n);
            }
        }
        self.fine[f as usize].around = Some(a);
        a
    }

    /// The local id of a fine cell; a new one starts with its parents as candidates.
    fn fine_id(&mut self, c: CellIndex) -> u32 {
        let before = self.dicts[COARSE].cells.len();
        let f = self.dicts[COARSE].id(c, self.faces);
        if f as usize == before {
            let hex = self.dicts[COARSE].hexes[f as usize].clone();
            let mut fine = Fine { hex, within: [NONE; COARSE], seen: [[NONE; CANDIDATES]; COARSE], around: None };
            for r in 0..COARSE {
                let Some(parent) = Resolution::try_from(MIN_RES + r as u8).ok().and_then(|res| c.parent(res)) else { continue };
                let pid = self.dicts[r].id(parent, self.faces);
                if let (Some(ph), Some(fh)) = (self.dicts[r].hexes[pid as usize].as_ref(), fine.hex.as_ref())
                    && fh.corners.iter().all(|v| ph.holds(v))
                {
                    fine.within[r] = pid;
                } else {
                    fine.seen[r][0] = pid;
                }
            }
            self.fine.push(fine);
        }
        f
    }

    /// Local ids at res 5..=11 of a point.
    fn cells(&mut self, lat: f64, lon: f64) -> [u32; LEVELS] {
        let p = xyz(lat, lon);
        let ll = LatLng::new(lat, lon).ok();
        let mut out = [NONE; LEVELS];
        // the fine cell: one of the last few, the last one in this grid slot or
        // a neighbour of either, else H3's own
        let slot = self.morton.key((lon, lat)) as usize;
        let f = match self.find(&p, slot) {
            Some(f) => f,
            None => {
                let Some(ll) = ll else { return out };
                self.exact_calls += 1;
                self.fine_id(ll.to_cell(Resolution::Eleven))
            }
        };
        if let Some(g) = self.grid.get_mut(slot) {
            *g = f;
        }
        if self.recent[0] != f {
            let k = self.recent.iter().position(|&r| r == f).unwrap_or(RECENT - 1);
            self.recent[..=k].rotate_right(1);
            self.recent[0] = f;
        }
        out[COARSE] = f;
        for r in 0..COARSE {
            let fine = &self.fine[f as usize];
            if fine.within[r] != NONE {
                out[r] = fine.within[r];
                continue;
            }
            let hit = fine.seen[r]
                .iter()
                .take_while(|&&c| c != NONE)
                .find(|&&c| self.dicts[r].hexes[c as usize].as_ref().is_some_and(|h| h.holds(&p)));
            if let Some(&c) = hit {
                out[r] = c;
                continue;
            }
            let Some(ll) = ll else { return out };
            self.exact_calls += 1;
            let res = Resolution::try_from(MIN_RES + r as u8).unwrap_or(Resolution::Eleven);
            let c = self.dicts[r].id(ll.to_cell(res), self.faces);
            out[r] = c;
            let coarse = self.dicts[r].hexes[c as usize].as_ref();
            let fine = &mut self.fine[f as usize];
            if let (Some(ch), Some(fh)) = (coarse, fine.hex.as_ref())
                && fh.corners.iter().all(|v| ch.holds(v))
            {
                fine.within[r] = c;
            } else if let Some(slot) = fine.seen[r].iter_mut().find(|s| **s == NONE) {
                *slot = c;
            } else {
                fine.seen[r].rotate_right(1);
                fine.seen[r][0] = c;
            }
        }
        out
    }
}

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

/// Spread the low 16 bits of `v` to the even bits.
fn spread(v: u32) -> u32 {
    let mut x = v & 0xffff;
    x = (x | (x << 8)) & 0x00ff_00ff;
    x = (x | (x << 4)) & 0x0f0f_0f0f;
    x = (x | (x << 2)) & 0x3333_3333;
    (x | (x << 1)) & 0x5555_5555
}

/// A Morton order of ~10 m grid cells over the bulk of the points (at most
/// 2048 cells a side); points outside it come last.
#[derive(Debug, Clone, Copy)]
struct Morton {
    x0: f64,
    y0: f64,
    coslat: f64,
    cell: f64,
    n: u32,
}

impl Morton {
    fn over(points: &[(f64, f64)]) -> Morton {
        let step = (points.len() / 10_000).max(1);
        let mut xs: Vec<f64> = points.iter().step_by(step).map(|p| p.0).collect();
        let mut ys: Vec<f64> = points.iter().step_by(step).map(|p| p.1).collect();
        if xs.is_empty() {
            return Morton { x0: 0.0, y0: 0.0, coslat: 1.0, cell: 1.0, n: 1 };
        }
        let q = |v: &mut Vec<f64>, f: f64| {
            let k = ((v.len() - 1) as f64 * f) as usize;
            *v.select_nth_unstable_by(k, f64::total_cmp).1
        };
        let (x0, x1, y0, y1) = (q(&mut xs, 0.001) - 0.01, q(&mut xs, 0.999) + 0.01, q(&mut ys, 0.001) - 0.01, q(&mut ys, 0.999) + 0.01);
        let coslat = ((y0 + y1) / 2.0).to_radians().cos().max(0.01);
        let side = |c: f64| ((x1 - x0) * coslat / c).max((y1 - y0) / c).ceil().max(1.0);
        let mut cell = 10.0 / 111_320.0; // degrees of latitude
        while side(cell) > 2048.0 {
            cell *= 1.25;
        }
        Morton { x0, y0, coslat, cell, n: (side(cell) as u32).next_power_of_two() }
    }

    fn key(&self, (x, y): (f64, f64)) -> u64 {
        let i = ((x - self.x0) * self.coslat / self.cell).floor();
        let j = ((y - self.y0) / self.cell).floor();
        if i >= 0.0 && j >= 0.0 && (i as u32) < self.n && (j as u32) < self.n {
            u64::from(spread(i as u32) | spread(j as u32) << 1)
        } else {
            u64::from(self.n) * u64::from(self.n)
        }
    }
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
            k.sort_unstable();
            let (mask, tmask) = ((1u64 << ib) - 1, (1u64 << tb) - 1);
            (k.iter().map(|k| (k & mask) as u32).collect(), k.into_iter().map(|k| tmin + ((k >> ib) & tmask) as i64).collect())
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
        let faces = face_centres();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 16);
        let per = m.div_ceil(threads).max(1);
        type Run = (Vec<Vec<u32>>, Vec<Vec<CellIndex>>, usize);
        let runs: Vec<Run> = std::thread::scope(|s| {
            let hs: Vec<_> = order
                .chunks(per)
                .map(|rows| {
                    let faces = &faces;
                    s.spawn(move || {
                        let mut w = Worker {
                            faces,
                            fine: Vec::new(),
                            dicts: (0..LEVELS).map(|_| Dict::default()).collect(),
                            recent: [NONE; RECENT],
                            exact_calls: 0,
                            morton,
                            grid: vec![NONE; morton.n as usize * morton.n as usize],
                        };
                        // this run's rows of each id column (allocated here, so its pages are touched in parallel)
                        let mut cols: Vec<Vec<u32>> = (0..LEVELS).map(|_| vec![NONE; rows.len()]).collect();
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
                        (cols, w.dicts.into_iter().map(|d| d.cells).collect::<Vec<_>>(), w.exact_calls)
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
                let direct = crate::hotspot::counts_by_cell(sel, Resolution::try_from(res).expect("res"));
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

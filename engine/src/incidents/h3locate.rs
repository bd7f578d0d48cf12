//! Exact H3 cells for many points at once (res 5–11), without H3's cost
//! per point.
//!
//! `LatLng::to_cell` projects every point onto an icosahedron face (a dozen
//! trigonometric calls) and assembles the index digit by digit. Inside one
//! face an H3 cell is a hexagon bounded by great circles (straight lines of
//! the face's gnomonic projection), so once a cell is known, "is this point
//! in it" is six dot products against its edges' planes. A [`Worker`] takes
//! points in a spatial order ([`Morton`]) and tests each against the cells of
//! the points before it (the last few, the last one in its grid slot and
//! their neighbours); a point within `MARGIN` (≈ 6 mm) of an edge, a miss, or a cell
//! that H3 does not draw as a plain hexagon on one face (pentagons, cells
//! across face edges, cells near a face centre where H3's own projection
//! loses precision) goes to `to_cell` itself, so the result is always
//! `to_cell`'s. A fine cell lying wholly inside a coarser cell gives its
//! points that cell without a test; otherwise its points are tested against
//! the coarse cells its other points were in (its parent first).
//!
//! Checked against `to_cell` at every resolution on random points, on points
//! a hair from cell corners, around pentagons and face centres and across a
//! face edge (`heatindex` tests), and against h3-py on the Houston incidents.

use std::collections::HashMap;

use h3o::{CellIndex, LatLng, Resolution};

pub const MIN_RES: u8 = 5;
pub const MAX_RES: u8 = 11;
pub const LEVELS: usize = (MAX_RES - MIN_RES + 1) as usize;
const COARSE: usize = LEVELS - 1;
/// Points closer than this (radians on the unit sphere, ≈ 6 mm) to a cell edge go to `to_cell`.
/// H3's hexagon corners and its own point assignment disagree by up to 1.6e-11 rad at res 11
/// (measured over 500,000 cells worldwide), less at coarser resolutions; this is 60 times that.
const MARGIN: f64 = 1e-9;
/// Cells whose centre is closer than this (radians, ≈ 19 km) to a face centre go to `to_cell`:
/// there H3 computes the distance to the face centre as acos(1 − d²/2), good to ~1e-16/r only.
const NEAR_FACE_CENTRE: f64 = 3e-3;
/// Candidate coarse cells remembered per fine cell and resolution.
const CANDIDATES: usize = 3;
/// Fine cells a worker tries before asking H3.
const RECENT: usize = 4;
pub const NONE: u32 = u32::MAX;

pub(crate) type V3 = [f64; 3];

pub(crate) fn xyz(lat: f64, lon: f64) -> V3 {
    let (sa, ca) = lat.to_radians().sin_cos();
    let (so, co) = lon.to_radians().sin_cos();
    [ca * co, ca * so, sa]
}

pub(crate) fn dot(a: &V3, b: &V3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn cross(a: &V3, b: &V3) -> V3 {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}

pub(crate) fn unit(a: V3) -> V3 {
    let l = dot(&a, &a).sqrt();
    [a[0] / l, a[1] / l, a[2] / l]
}

/// The centres of the icosahedron's 20 faces, from its 12 vertices (H3's pentagons).
pub(crate) fn face_centres() -> Vec<V3> {
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
    /// Its six neighbours, once asked for (itself six times for a pentagon's ring).
    around: Option<[CellIndex; 6]>,
    /// Their local ids, once created.
    nb: Option<[u32; 6]>,
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
pub struct Worker<'a> {
    faces: &'a [V3],
    fine: Vec<Fine>,
    dicts: Vec<Dict>,
    /// The last fine cells points were found in, most recent first.
    recent: [u32; RECENT],
    /// Points sent to `to_cell` (misses, margins, special cells), for the record.
    pub exact_calls: usize,
    /// Points located so far.
    points: usize,
    morton: Morton,
    /// Per Morton slot, the fine cell of the last point seen there.
    grid: Vec<u32>,
}

impl<'a> Worker<'a> {
    /// A worker with empty caches over a Morton grid (`faces` from `face_centres`).
    pub fn new(faces: &'a [V3], morton: Morton) -> Worker<'a> {
        Worker {
            faces,
            fine: Vec::new(),
            dicts: (0..LEVELS).map(|_| Dict::default()).collect(),
            recent: [NONE; RECENT],
            exact_calls: 0,
            points: 0,
            grid: vec![NONE; morton.n as usize * morton.n as usize],
            morton,
        }
    }

    /// Per resolution 5..=11, the cells behind the local ids it gave.
    pub fn into_cells(self) -> Vec<Vec<CellIndex>> {
        self.dicts.into_iter().map(|d| d.cells).collect()
    }

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

    /// The local ids of a fine cell's six neighbours that have been seen ([`NONE`] for the others).
    fn around(&mut self, f: u32) -> [u32; 6] {
        let ring = match self.fine[f as usize].around {
            Some(r) => r,
            None => {
                let c = self.dicts[COARSE].cells[f as usize];
                let mut r = [c; 6];
                let ring: Vec<CellIndex> = c.grid_disk::<Vec<_>>(1).into_iter().filter(|&n| n != c).collect();
                if ring.len() == 6 {
                    r.copy_from_slice(&ring);
                }
                self.fine[f as usize].around = Some(r);
                r
            }
        };
        // Where points are dense, a neighbour is worth creating (its points will
        // come); where they are sparse, only cells seen already are tried, as
        // creating them would cost more than asking H3.
        if let Some(nb) = self.fine[f as usize].nb {
            nb
        } else if self.points > 8 * self.fine.len() {
            let me = self.dicts[COARSE].cells[f as usize];
            let nb = ring.map(|n| if n == me { NONE } else { self.fine_id(n) });
            self.fine[f as usize].nb = Some(nb);
            nb
        } else {
            ring.map(|n| self.dicts[COARSE].ids.get(&n).copied().unwrap_or(NONE))
        }
    }

    /// The local id of a fine cell; a new one starts with its parents as candidates.
    fn fine_id(&mut self, c: CellIndex) -> u32 {
        let before = self.dicts[COARSE].cells.len();
        let f = self.dicts[COARSE].id(c, self.faces);
        if f as usize == before {
            let hex = self.dicts[COARSE].hexes[f as usize].clone();
            let mut fine = Fine { hex, within: [NONE; COARSE], seen: [[NONE; CANDIDATES]; COARSE], around: None, nb: None };
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

    /// Local ids at res 5..=11 of a point ([`NONE`] for an invalid position).
    pub fn cells(&mut self, lat: f64, lon: f64) -> [u32; LEVELS] {
        let p = xyz(lat, lon);
        let ll = LatLng::new(lat, lon).ok();
        self.points += 1;
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
            } else if fine.seen[r].contains(&c) {
                // a point near an edge of a cell already remembered
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

/// A Morton order of ~10 m grid cells over the bulk of the points (at most
/// 2048 cells a side); points outside it come last.
#[derive(Debug, Clone, Copy)]
pub struct Morton {
    x0: f64,
    y0: f64,
    coslat: f64,
    cell: f64,
    n: u32,
}

impl Morton {
    pub fn over(points: &[(f64, f64)]) -> Morton {
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

    pub fn key(&self, (x, y): (f64, f64)) -> u64 {
        let i = ((x - self.x0) * self.coslat / self.cell).floor();
        let j = ((y - self.y0) / self.cell).floor();
        if i >= 0.0 && j >= 0.0 && (i as u32) < self.n && (j as u32) < self.n {
            u64::from(crate::units::assign::spread(i as u32) | crate::units::assign::spread(j as u32) << 1)
        } else {
            u64::from(self.n) * u64::from(self.n)
        }
    }
}

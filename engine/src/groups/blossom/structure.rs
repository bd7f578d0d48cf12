//! The blossom structure operations of [`super`] (shrinking an odd cycle
//! into a blossom, expanding one, flipping an augmenting path through nested
//! blossoms), as in the networkx `max_weight_matching` code (van Rantwijk),
//! with two changes for trees kept across augmentations: duals are lazy (the
//! changed blossoms are marked dirty) and sub-blossoms left free by the
//! expansion of a T-blossom queue their edges to S vertices as events.

use super::{EV_T_BLOSSOM, FREE, MARK, NO, S, Solver, T};

impl Solver<'_> {
    /// Trace back from v and w to a common base (a new blossom) or to two
    /// roots (an augmenting path, NO).
    pub(super) fn scan_blossom(&mut self, mut v: usize, mut w: usize) -> usize {
        let mut path = Vec::new();
        let mut base = NO;
        while v != NO || w != NO {
            let mut b = self.inblossom[v];
            if self.label[b] & MARK != 0 {
                base = self.blossombase[b];
                break;
            }
            path.push(b);
            self.label[b] = S | MARK;
            if self.labelend[b] == NO {
                v = NO;
            } else {
                v = self.endpoint[self.labelend[b]];
                b = self.inblossom[v];
                v = self.endpoint[self.labelend[b]];
            }
            if w != NO {
                std::mem::swap(&mut v, &mut w);
            }
        }
        for b in path {
            self.label[b] = S;
        }
        base
    }

    pub(super) fn add_blossom(&mut self, base: usize, k: usize) {
        let (mut v, mut w) = (self.edges[k].a, self.edges[k].b);
        let bb = self.inblossom[base];
        let mut bv = self.inblossom[v];
        let mut bw = self.inblossom[w];
        let Some(b) = self.unusedblossoms.pop() else { return };
        self.blossombase[b] = base;
        self.blossomparent[b] = NO;
        self.blossomparent[bb] = b;
        let mut path = Vec::new();
        let mut endps = Vec::new();
        while bv != bb {
            self.blossomparent[bv] = b;
            path.push(bv);
            endps.push(self.labelend[bv]);
            v = self.endpoint[self.labelend[bv]];
            bv = self.inblossom[v];
        }
        path.push(bb);
        path.reverse();
        endps.reverse();
        endps.push(2 * k);
        while bw != bb {
            self.blossomparent[bw] = b;
            path.push(bw);
            endps.push(self.labelend[bw] ^ 1);
            w = self.endpoint[self.labelend[bw]];
            bw = self.inblossom[w];
        }
        self.label[b] = S;
        self.labelend[b] = self.labelend[bb];
        self.zbase[b] = 0;
        self.zsign[b] = 0;
        self.dirty.extend_from_slice(&path);
        self.dirty.push(b);
        self.blossomchilds[b] = path;
        self.blossomendps[b] = endps;
        for v in self.leaves_of(b) {
            if self.top_label(v) == T {
                // former T vertices turn S: scan their edges
                self.queue.push(v);
            }
            self.inblossom[v] = b;
        }
    }

    pub(super) fn expand_blossom(&mut self, b: usize, endstage: bool) {
        let childs = std::mem::take(&mut self.blossomchilds[b]);
        for &s in &childs {
            self.blossomparent[s] = NO;
            self.dirty.push(s);
            if s < self.n {
                self.inblossom[s] = s;
            } else if endstage && self.z(s) == 0 {
                self.expand_blossom(s, endstage);
            } else {
                for v in self.leaves_of(s) {
                    self.inblossom[v] = s;
                }
            }
        }
        if !endstage && self.label[b] == T {
            // relabel the sub-blossoms on the even path from the entry child to the base
            let len = childs.len() as isize;
            let at = |j: isize| childs[j.rem_euclid(len) as usize];
            let endps = std::mem::take(&mut self.blossomendps[b]);
            let endp = |j: isize| endps[j.rem_euclid(len) as usize];
            let entrychild = self.inblossom[self.endpoint[self.labelend[b] ^ 1]];
            let mut j = childs.iter().position(|&c| c == entrychild).unwrap_or(0) as isize;
            let (jstep, endptrick): (isize, isize) = if j & 1 == 1 {
                j -= len;
                (1, 0)
            } else {
                (-1, 1)
            };
            let mut p = self.labelend[b];
            while j != 0 {
                let q = self.endpoint[p ^ 1];
                self.label[q] = FREE;
                let r = self.endpoint[endp(j - endptrick) ^ endptrick as usize ^ 1];
                self.label[r] = FREE;
                self.assign_label(q, T, p);
                j += jstep;
                p = endp(j - endptrick) ^ endptrick as usize;
                j += jstep;
            }
            // the base child turns T without pulling in its mate (already S)
            let bv = at(j);
            let q = self.endpoint[p ^ 1];
            self.label[q] = T;
            self.label[bv] = T;
            self.labelend[q] = p;
            self.labelend[bv] = p;
            if bv >= self.n {
                self.push_event(self.time + self.z(bv), bv, EV_T_BLOSSOM);
            }
            // the children off that path become free
            j += jstep;
            while at(j) != entrychild {
                let bv = at(j);
                j += jstep;
                if self.label[bv] == S {
                    continue;
                }
                self.label[bv] = FREE;
                self.labelend[bv] = NO;
                for v in self.leaves_of(bv) {
                    self.label[v] = FREE;
                    self.queue_free_edges(v);
                }
            }
        }
        self.label[b] = FREE;
        self.labelend[b] = NO;
        self.blossomendps[b] = Vec::new();
        self.blossombase[b] = NO;
        self.unusedblossoms.push(b);
    }

    /// Swap matched and unmatched edges on the even path inside blossom b from v to its base.
    pub(super) fn augment_blossom(&mut self, b: usize, v: usize) {
        let mut t = v;
        while self.blossomparent[t] != b {
            t = self.blossomparent[t];
        }
        if t >= self.n {
            self.augment_blossom(t, v);
        }
        let len = self.blossomchilds[b].len() as isize;
        let i = self.blossomchilds[b].iter().position(|&c| c == t).unwrap_or(0);
        let mut j = i as isize;
        let (jstep, endptrick): (isize, usize) = if i & 1 == 1 {
            j -= len;
            (1, 0)
        } else {
            (-1, 1)
        };
        while j != 0 {
            j += jstep;
            let t = self.blossomchilds[b][j.rem_euclid(len) as usize];
            let p = self.blossomendps[b][(j - endptrick as isize).rem_euclid(len) as usize] ^ endptrick;
            if t >= self.n {
                self.augment_blossom(t, self.endpoint[p]);
            }
            j += jstep;
            let t = self.blossomchilds[b][j.rem_euclid(len) as usize];
            if t >= self.n {
                self.augment_blossom(t, self.endpoint[p ^ 1]);
            }
            self.mate[self.endpoint[p]] = p ^ 1;
            self.mate[self.endpoint[p ^ 1]] = p;
        }
        self.blossomchilds[b].rotate_left(i);
        self.blossomendps[b].rotate_left(i);
        self.blossombase[b] = self.blossombase[self.blossomchilds[b][0]];
    }

    /// Flip the path through edge k between two tree roots.
    pub(super) fn augment_matching(&mut self, k: usize) {
        let (v, w) = (self.edges[k].a, self.edges[k].b);
        for (mut s, mut p) in [(v, 2 * k + 1), (w, 2 * k)] {
            loop {
                let bs = self.inblossom[s];
                if bs >= self.n {
                    self.augment_blossom(bs, s);
                }
                self.mate[s] = p;
                if self.labelend[bs] == NO {
                    break;
                }
                let t = self.endpoint[self.labelend[bs]];
                let bt = self.inblossom[t];
                s = self.endpoint[self.labelend[bt]];
                let j = self.endpoint[self.labelend[bt] ^ 1];
                if bt >= self.n {
                    self.augment_blossom(bt, j);
                }
                self.mate[j] = self.labelend[bt];
                p = self.labelend[bt] ^ 1;
            }
        }
    }
}

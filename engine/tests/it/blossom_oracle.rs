//! The engine matching (trees kept across augmentations) against the former
//! stage-by-stage solver (`galil_oracle.rs`, itself checked against networkx
//! and brute force) on graphs too large to enumerate: lattices like the grid
//! layers (many equal weights, so many ties and blossoms), lattices with
//! holes and diagonals, and random sparse graphs, with and without maximum
//! cardinality.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use wangge_engine::groups::matching::{Edge, matching_weight, max_weight_matching};

use crate::galil_oracle::galil_matching;

fn check(n: usize, edges: &[Edge], what: &str) {
    for mc in [false, true] {
        let mate = max_weight_matching(n, edges, mc);
        for v in 0..n {
            if let Some(w) = mate[v] {
                assert_eq!(mate[w], Some(v), "{what}: symmetric");
                assert!(edges.iter().any(|e| (e.a, e.b) == (v, w) || (e.a, e.b) == (w, v)), "{what}: matched along an edge");
            }
        }
        let oracle = galil_matching(n, edges, mc);
        assert_eq!(matching_weight(edges, &mate), matching_weight(edges, &oracle), "{what} max_cardinality {mc}");
        let pairs = |m: &[Option<usize>]| m.iter().filter(|x| x.is_some()).count() / 2;
        if mc {
            assert_eq!(pairs(&mate), pairs(&oracle), "{what}: pairs");
        }
    }
}

/// A rows × cols lattice (rook neighbours), some cells removed, some diagonals added.
fn lattice(rng: &mut ChaCha8Rng, rows: usize, cols: usize, holes: f64, diagonals: f64, wmax: i64) -> (usize, Vec<Edge>) {
    let keep: Vec<bool> = (0..rows * cols).map(|_| !rng.random_bool(holes)).collect();
    let mut edges = Vec::new();
    let mut add = |rng: &mut ChaCha8Rng, a: usize, b: usize| {
        if keep[a] && keep[b] {
            edges.push(Edge { a, b, weight: rng.random_range(1..=wmax) });
        }
    };
    for r in 0..rows {
        for c in 0..cols {
            let v = r * cols + c;
            if c + 1 < cols {
                add(rng, v, v + 1);
            }
            if r + 1 < rows {
                add(rng, v, v + cols);
                if c + 1 < cols && rng.random_bool(diagonals) {
                    add(rng, v, v + cols + 1);
                }
            }
        }
    }
    (rows * cols, edges)
}

#[test]
fn equals_stage_solver_on_lattices() {
    let mut rng = ChaCha8Rng::seed_from_u64(15);
    for case in 0..60 {
        let (rows, cols) = (rng.random_range(2..=18), rng.random_range(2..=18));
        let holes = [0.0, 0.05, 0.2][case % 3];
        let diagonals = [0.0, 0.1, 0.5][(case / 3) % 3];
        let wmax = [1, 3, 50, 100_000][(case / 9) % 4];
        let (n, edges) = lattice(&mut rng, rows, cols, holes, diagonals, wmax);
        check(n, &edges, &format!("lattice case {case} ({rows}×{cols}, holes {holes}, diagonals {diagonals}, wmax {wmax})"));
    }
}

#[test]
fn equals_stage_solver_on_random_graphs() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    for case in 0..150 {
        let n = rng.random_range(10..=120);
        let m = rng.random_range(n / 2..=3 * n);
        let wmax = [1, 4, 30, 1000][case % 4];
        let mut edges = Vec::new();
        for _ in 0..m {
            let (a, b) = (rng.random_range(0..n), rng.random_range(0..n));
            if a != b {
                edges.push(Edge { a, b, weight: rng.random_range(1..=wmax) });
            }
        }
        check(n, &edges, &format!("random case {case} (n {n}, m {m}, wmax {wmax})"));
    }
}

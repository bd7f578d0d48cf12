//! The blossom matching against enumeration of every matching on small
//! random graphs (brute force written plainly here), and on small known cases.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use wangge_engine::groups::matching::{Edge, matching_weight, max_weight_matching};

/// The best (cardinality, weight) over all matchings, by enumeration.
fn brute(n: usize, edges: &[Edge], max_cardinality: bool) -> (usize, i64) {
    fn go(k: usize, edges: &[Edge], used: &mut Vec<bool>, card: usize, w: i64, best: &mut Vec<(usize, i64)>) {
        if k == edges.len() {
            best.push((card, w));
            return;
        }
        go(k + 1, edges, used, card, w, best);
        let e = edges[k];
        if !used[e.a] && !used[e.b] {
            used[e.a] = true;
            used[e.b] = true;
            go(k + 1, edges, used, card + 1, w + e.weight, best);
            used[e.a] = false;
            used[e.b] = false;
        }
    }
    let mut all = Vec::new();
    go(0, edges, &mut vec![false; n], 0, 0, &mut all);
    if max_cardinality {
        all.into_iter().max().unwrap_or((0, 0))
    } else {
        let w = all.iter().map(|x| x.1).max().unwrap_or(0);
        (0, w)
    }
}

fn check_valid(n: usize, edges: &[Edge], mate: &[Option<usize>]) {
    for v in 0..n {
        if let Some(w) = mate[v] {
            assert_eq!(mate[w], Some(v), "mate symmetric");
            assert!(edges.iter().any(|e| (e.a, e.b) == (v, w) || (e.a, e.b) == (w, v)), "matched along an edge");
        }
    }
}

#[test]
fn small_known_cases() {
    // a path a-b-c-d with a heavy middle: max weight takes the middle, max cardinality both ends
    let e = [Edge { a: 0, b: 1, weight: 2 }, Edge { a: 1, b: 2, weight: 5 }, Edge { a: 2, b: 3, weight: 2 }];
    let m = max_weight_matching(4, &e, false);
    assert_eq!(m, vec![None, Some(2), Some(1), None]);
    let m = max_weight_matching(4, &e, true);
    assert_eq!(m, vec![Some(1), Some(0), Some(3), Some(2)]);
    // a triangle with a pendant: needs a blossom
    let e =
        [Edge { a: 0, b: 1, weight: 6 }, Edge { a: 0, b: 2, weight: 10 }, Edge { a: 1, b: 2, weight: 12 }, Edge { a: 2, b: 3, weight: 4 }];
    let m = max_weight_matching(4, &e, true);
    assert_eq!(matching_weight(&e, &m), 10);
    assert_eq!(max_weight_matching(0, &[], true), Vec::<Option<usize>>::new());
    assert_eq!(max_weight_matching(3, &[Edge { a: 1, b: 1, weight: 3 }], true), vec![None; 3]);
}

#[test]
fn equals_brute_force_on_random_small_graphs() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    for case in 0..3000 {
        let n = rng.random_range(1..=9);
        let m = rng.random_range(0..=14);
        let mut edges = Vec::new();
        for _ in 0..m {
            let (a, b) = (rng.random_range(0..n), rng.random_range(0..n));
            if a != b && !edges.iter().any(|e: &Edge| (e.a.min(e.b), e.a.max(e.b)) == (a.min(b), a.max(b))) {
                edges.push(Edge { a, b, weight: rng.random_range(1..=20) });
            }
        }
        for mc in [false, true] {
            let mate = max_weight_matching(n, &edges, mc);
            check_valid(n, &edges, &mate);
            let (card, w) = brute(n, &edges, mc);
            assert_eq!(matching_weight(&edges, &mate), w, "case {case} max_cardinality {mc}: {edges:?}");
            if mc {
                assert_eq!(mate.iter().filter(|x| x.is_some()).count() / 2, card, "case {case}");
            }
        }
    }
}

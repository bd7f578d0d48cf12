//! Siting of new stations (issue 16) against the enumeration of every k-subset of
//! candidates, each subset measured by the multi-source distances from scratch.

use geo::{Coord, LineString, Point};
use rand::{Rng, SeedableRng};
use wangge_engine::geometry::projection::LocalProjection;
use wangge_engine::service::{Candidates, DistanceOptions, NetworkOptions, SitingGoal, WalkNetwork, distances, siting};

fn subsets(n: usize, k: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    fn rec(start: usize, n: usize, k: usize, cur: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if cur.len() == k {
            out.push(cur.clone());
            return;
        }
        for i in start..n {
            cur.push(i);
            rec(i + 1, n, k, cur, out);
            cur.pop();
        }
    }
    rec(0, n, k, &mut cur, &mut out);
    out
}

struct Case {
    net: WalkNetwork,
    buildings: Vec<Point<f64>>,
    weights: Vec<u64>,
    existing: Vec<Point<f64>>,
}

/// A 5 × 4 street grid (100 m blocks, jittered), homes around it, one existing station.
fn case(seed: u64) -> Case {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let proj = LocalProjection::new(120.4, 36.07);
    let v: Vec<Vec<Coord<f64>>> = (0..4)
        .map(|j| {
            (0..5)
                .map(|i| Coord { x: i as f64 * 100.0 + rng.random_range(-10.0..10.0), y: j as f64 * 100.0 + rng.random_range(-10.0..10.0) })
                .collect()
        })
        .collect();
    let mut lines: Vec<LineString<f64>> = Vec::new();
    for row in &v {
        lines.push(LineString(row.iter().map(|&c| proj.unproject(c)).collect()));
    }
    for i in 0..5 {
        if rng.random_bool(0.8) {
            lines.push(LineString(v.iter().map(|row| proj.unproject(row[i])).collect()));
        }
    }
    let net = WalkNetwork::build(&lines, &NetworkOptions::default());
    let buildings: Vec<Point<f64>> =
        (0..60).map(|_| Point(proj.unproject(Coord { x: rng.random_range(-30.0..430.0), y: rng.random_range(-30.0..330.0) }))).collect();
    let weights = (0..60).map(|_| rng.random_range(1..30)).collect();
    let existing = vec![Point(proj.unproject(Coord { x: 0.0, y: 0.0 }))];
    Case { net, buildings, weights, existing }
}

fn node_point(net: &WalkNetwork, n: usize) -> Point<f64> {
    Point(net.projection.unproject(net.nodes[n]))
}

/// (households within `t`, Σ households × min(d, cap)) with the existing stations plus `set`.
fn measure(c: &Case, set: &[usize], t: f64, cap: f64) -> (u64, f64) {
    let mut st = c.existing.clone();
    st.extend(set.iter().map(|&n| node_point(&c.net, n)));
    let d = distances(Some(&c.net), &c.buildings, &st, "k", &DistanceOptions::default());
    let mut within = 0;
    let mut total = 0.0;
    for (n, &w) in d.nearest.iter().zip(&c.weights) {
        let m = n.map_or(f64::INFINITY, |x| x.1);
        if m <= t {
            within += w;
        }
        total += w as f64 * m.min(cap);
    }
    (within, total)
}

#[test]
fn max_cover_and_p_median_against_enumeration() {
    let (k, t, cap) = (2, 150.0, 1000.0);
    let mut optimal = 0;
    let seeds = 8;
    for seed in 0..seeds {
        let c = case(seed);
        let nodes = c.net.node_count();
        let all = subsets(nodes, k);
        let opts = DistanceOptions::default();
        // max-cover
        let r = siting(
            Some(&c.net),
            &c.buildings,
            &c.weights,
            &c.existing,
            &Candidates::NetworkNodes,
            k,
            SitingGoal::MaxCover { threshold_m: t },
            &opts,
        )
        .expect("sited");
        let chosen: Vec<usize> = r.chosen.iter().map(|p| p.candidate).collect();
        let opt = all.iter().map(|s| measure(&c, s, t, cap).0).max().unwrap_or(0);
        let got = measure(&c, &chosen, t, cap).0;
        assert_eq!(got, r.after.households_within, "seed {seed}: figures after");
        assert_eq!(r.before.households_within, measure(&c, &[], t, cap).0);
        assert_eq!(r.before.households_within + r.chosen.iter().map(|p| p.gain_households).sum::<u64>(), r.after.households_within);
        assert!(got as f64 >= (1.0 - 1.0 / std::f64::consts::E) * opt as f64, "seed {seed}: greedy {got}, optimum {opt}");
        // the first pick is the best single station
        let best1 = (0..nodes).map(|n| measure(&c, &[n], t, cap).0).max().unwrap_or(0);
        assert_eq!(r.before.households_within + r.chosen[0].gain_households, best1, "seed {seed}");
        // p-median (cap 1000 m)
        let r = siting(Some(&c.net), &c.buildings, &c.weights, &c.existing, &Candidates::NetworkNodes, k, SitingGoal::PMedian, &opts)
            .expect("sited");
        let chosen: Vec<usize> = r.chosen.iter().map(|p| p.candidate).collect();
        let best = all.iter().map(|s| measure(&c, s, t, cap).1).fold(f64::INFINITY, f64::min);
        let got = measure(&c, &chosen, t, cap).1;
        assert!((got - r.after.total_distance_m).abs() < 1e-6 * got.max(1.0), "seed {seed}: figures after");
        assert!(got >= best - 1e-6, "seed {seed}");
        // no single swap improves (vertex interchange's fixed point)
        for slot in 0..k {
            for n in (0..nodes).filter(|n| !chosen.contains(n)) {
                let mut s = chosen.clone();
                s[slot] = n;
                assert!(measure(&c, &s, t, cap).1 >= got - 1e-3, "seed {seed}: swapping in node {n} improves");
            }
        }
        if got <= best + 1e-3 {
            optimal += 1;
        }
    }
    assert!(optimal * 4 >= seeds * 3, "p-median optimal in {optimal} of {seeds}");
}

#[test]
fn building_candidates_without_a_network() {
    let c = case(42);
    let cands: Vec<u32> = (0..20).collect();
    let opts = DistanceOptions::default();
    let r = siting(
        None,
        &c.buildings,
        &c.weights,
        &c.existing,
        &Candidates::Buildings(cands.clone()),
        2,
        SitingGoal::MaxCover { threshold_m: 120.0 },
        &opts,
    )
    .expect("sited");
    let within = |set: &[u32]| -> u64 {
        let mut st = c.existing.clone();
        st.extend(set.iter().map(|&b| c.buildings[b as usize]));
        let d = distances(None, &c.buildings, &st, "k", &opts);
        d.nearest.iter().zip(&c.weights).filter(|(n, _)| n.is_some_and(|x| x.1 <= 120.0)).map(|(_, w)| *w).sum()
    };
    let opt = subsets(cands.len(), 2).iter().map(|s| within(&s.iter().map(|&i| cands[i]).collect::<Vec<_>>())).max().unwrap_or(0);
    let got: Vec<u32> = r.chosen.iter().map(|p| p.candidate as u32).collect();
    assert_eq!(within(&got), r.after.households_within);
    assert!(r.after.households_within as f64 >= (1.0 - 1.0 / std::f64::consts::E) * opt as f64);
}

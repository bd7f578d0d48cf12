//! The fuzz targets in CI: every kept input of `fuzz/corpus/<target>/` and
//! every crash kept under `fuzz/regressions/<target>/` is replayed through the
//! same `wangge::fuzzing` function libFuzzer calls, then each target gets a
//! short seeded mutation run in-process (bit flips, byte changes, inserted
//! tokens, cut ranges, truncations and splices of two corpus inputs; fixed
//! seed, so a failure replays).
//!
//! CI replays rather than runs libFuzzer: a libFuzzer build (`cargo fuzz`,
//! nightly flags through `RUSTC_BOOTSTRAP`, sanitizer coverage on every crate)
//! compiles DuckDB's C++ a second time, 20–30 minutes on its own, and CI from
//! an empty cache must stay under 60 minutes. The coverage-guided runs happen
//! outside CI (`benches/fuzz.sh`, figures in `benches/RESULTS.md`); what they
//! find is kept here as regressions.

use std::path::{Path, PathBuf};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A fuzz entry point.
type Target = fn(&[u8]);

/// Every target: its name (the folder under `fuzz/corpus`) and its entry point.
const TARGETS: &[(&str, Target)] = &[
    ("import_geojson", wangge::fuzzing::import_geojson),
    ("import_csv", wangge::fuzzing::import_csv),
    ("wkb", wangge::fuzzing::wkb),
    ("tile_path", wangge::fuzzing::tile_path),
    ("incident_body", wangge::fuzzing::incident_body),
    ("transition_body", wangge::fuzzing::transition_body),
    ("login_body", wangge::fuzzing::login_body),
];

/// Mutated inputs per target.
const MUTATIONS: usize = 1_500;
/// Fewer for the importers (every accepted file is written to DuckDB with its
/// integrity report and read back) and the login (a body that parses costs
/// an argon2id verification, slow without optimisation).
const SLOW_MUTATIONS: usize = 500;

fn fuzz_dir(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz").join(p)
}

/// The files of a folder (none if it does not exist), sorted.
fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out: Vec<(PathBuf, Vec<u8>)> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .map(|e| e.expect("entry").path())
            .filter(|p| p.is_file())
            .map(|p| {
                let b = std::fs::read(&p).expect("read");
                (p, b)
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    out.sort();
    out
}

/// Run one input, naming it if it panics.
fn run(target: &str, f: Target, what: &str, input: &[u8]) {
    if std::panic::catch_unwind(|| f(input)).is_err() {
        let shown: String = input.escape_ascii().to_string().chars().take(4_000).collect();
        panic!("fuzz target {target} panicked on {what} ({} bytes): b\"{shown}\"", input.len());
    }
}

#[test]
fn every_kept_corpus_input_and_regression_replays_without_a_finding() {
    let mut total = 0;
    for (target, f) in TARGETS {
        let corpus = files(&fuzz_dir(&format!("corpus/{target}")));
        assert!(!corpus.is_empty(), "fuzz/corpus/{target} is empty");
        for (p, b) in corpus.iter().chain(files(&fuzz_dir(&format!("regressions/{target}"))).iter()) {
            run(target, *f, &p.display().to_string(), b);
            total += 1;
        }
    }
    // every corpus folder is a target
    for e in std::fs::read_dir(fuzz_dir("corpus")).expect("fuzz/corpus") {
        let name = e.expect("entry").file_name().to_string_lossy().into_owned();
        assert!(TARGETS.iter().any(|(t, _)| *t == name), "fuzz/corpus/{name} has no target");
    }
    assert!(total >= TARGETS.len());
}

/// Tokens the inputs are made of, inserted by the mutator.
const TOKENS: &[&[u8]] = &[
    b"\"",
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"null",
    b"-1",
    b"0",
    b"1e999",
    b"-0.0",
    b"NaN",
    b"\"\"",
    b"[]",
    b"{}",
    b"\n",
    b"\r\n",
    b"\xef\xbb\xbf",
    b"\xff",
    b"/",
    b"..",
    b"%",
    b"%00",
    b"?",
    b"&",
    b"=",
    b".mvt",
    b".json",
    b",units",
    b"\x01\x00\x00\x00",
    b"\xff\xff\xff\xff",
    b"\"type\"",
    b"\"coordinates\"",
    b"\"id\"",
    b"\"parent_id\"",
    b"\"to\"",
    b"\"name\"",
    b"\"password\"",
];

fn mutate(rng: &mut ChaCha8Rng, corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut b = corpus[rng.random_range(0..corpus.len())].clone();
    for _ in 0..rng.random_range(1..=4) {
        let n = b.len();
        match rng.random_range(0..7) {
            0 if n > 0 => {
                let i = rng.random_range(0..n);
                b[i] ^= 1 << rng.random_range(0..8);
            }
            1 if n > 0 => {
                let i = rng.random_range(0..n);
                b[i] = rng.random();
            }
            2 => {
                let t = TOKENS[rng.random_range(0..TOKENS.len())];
                let i = rng.random_range(0..=n);
                b.splice(i..i, t.iter().copied());
            }
            3 if n > 0 => {
                let i = rng.random_range(0..n);
                let j = (i + rng.random_range(1..=16)).min(n);
                b.drain(i..j);
            }
            4 if n > 0 => b.truncate(rng.random_range(0..n)),
            5 => {
                // splice: a prefix of this input and a suffix of another
                let other = &corpus[rng.random_range(0..corpus.len())];
                let i = rng.random_range(0..=n);
                let j = rng.random_range(0..=other.len());
                b.truncate(i);
                b.extend_from_slice(&other[j..]);
            }
            _ if n > 0 => {
                // repeat a chunk
                let i = rng.random_range(0..n);
                let j = (i + rng.random_range(1..=32)).min(n);
                let chunk = b[i..j].to_vec();
                b.splice(j..j, chunk);
            }
            _ => b.push(rng.random()),
        }
    }
    b
}

/// `WANGGE_FUZZ_SECONDS=S` turns the short run into a long one outside CI:
/// each target mutates for S seconds (blind: no coverage feedback, unlike
/// libFuzzer) and its count of inputs is printed.
fn long_run_seconds() -> Option<f64> {
    std::env::var("WANGGE_FUZZ_SECONDS").ok().and_then(|s| s.parse().ok())
}

#[test]
fn a_short_seeded_mutation_run_of_every_target_finds_nothing() {
    let seed = std::env::var("WANGGE_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(13);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let only = std::env::var("WANGGE_FUZZ_TARGET").ok();
    for (target, f) in TARGETS {
        if only.as_ref().is_some_and(|o| o != target) {
            continue;
        }
        let corpus: Vec<Vec<u8>> = files(&fuzz_dir(&format!("corpus/{target}"))).into_iter().map(|(_, b)| b).collect();
        assert!(!corpus.is_empty(), "fuzz/corpus/{target} is empty");
        let started = std::time::Instant::now();
        let n = if target.starts_with("import") || *target == "login_body" { SLOW_MUTATIONS } else { MUTATIONS };
        let mut k = 0;
        loop {
            let more = match long_run_seconds() {
                Some(s) => started.elapsed().as_secs_f64() < s,
                None => k < n,
            };
            if !more {
                break;
            }
            let input = mutate(&mut rng, &corpus);
            run(target, *f, &format!("mutation {k} (seed {seed})"), &input);
            k += 1;
        }
        eprintln!("{target}: {k} mutated inputs in {:.2} s", started.elapsed().as_secs_f64());
    }
}

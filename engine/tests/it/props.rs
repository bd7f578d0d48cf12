//! The property tests' configuration: a fixed RNG seed and a set number of
//! cases, so CI runs the same cases every time (saved failures in
//! `engine/tests/proptest-regressions/` are replayed first, as always).
//! Locally `PROPTEST_CASES=200` and `PROPTEST_RNG_SEED=n` override them to
//! explore further.

use proptest::test_runner::{Config, RngSeed};

/// `cases` cases from the fixed seed `seed`, unless `PROPTEST_CASES` / `PROPTEST_RNG_SEED` say otherwise.
pub fn config(cases: u32, seed: u64) -> Config {
    // the default configuration already holds what the PROPTEST_* variables say
    let env = Config::default();
    let set = |var: &str| std::env::var_os(var).is_some();
    Config {
        cases: if set("PROPTEST_CASES") { env.cases } else { cases },
        rng_seed: if set("PROPTEST_RNG_SEED") { env.rng_seed } else { RngSeed::Fixed(seed) },
        ..env
    }
}

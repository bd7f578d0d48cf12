//! Heatmaps over N generated incidents (issue 6; generated, labelled so in
//! RESULTS): build the columnar H3 index (cells at res 11 over the cores,
//! exact coarser cells), then count a random 30-day window of one category at
//! res 8, and of all categories. Writes the incidents as raw little-endian
//! columns for the DuckDB and pandas anchor (benches/anchors/heatmap.py) and
//! our counts for the comparison.
//!
//! usage: heat_bench OUT_DIR N

use std::io::Write;
use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use wangge_engine::heatindex::HeatIndex;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, out, n] = &args[..] else {
        eprintln!("usage: heat_bench OUT_DIR N");
        std::process::exit(2);
    };
    let Ok(n) = n.parse::<usize>() else {
        eprintln!("N must be a number");
        std::process::exit(2);
    };
    let out = std::path::Path::new(out);
    std::fs::create_dir_all(out)?;
    // incidents around 4,000 "buildings" over a city of 15 × 8 km, a year from 2026-01-01, 9 categories
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let centres: Vec<(f64, f64)> = (0..4000).map(|_| (rng.random_range(120.30..120.47), rng.random_range(36.03..36.10))).collect();
    let weights = [14u32, 9, 6, 22, 16, 12, 13, 4, 4];
    let total: u32 = weights.iter().sum();
    let t0 = 1_767_196_800i64; // 2026-01-01T00:00:00+08:00
    let mut pts = Vec::with_capacity(n);
    let mut times = Vec::with_capacity(n);
    let mut cats = Vec::with_capacity(n);
    for _ in 0..n {
        let (x, y) = centres[rng.random_range(0..centres.len())];
        pts.push((x + rng.random_range(-0.002..0.002), y + rng.random_range(-0.0015..0.0015)));
        times.push(t0 + rng.random_range(0..365 * 86_400));
        let mut r = rng.random_range(0..total);
        let mut c = 0u8;
        for (i, w) in weights.iter().enumerate() {
            if r < *w {
                c = i as u8;
                break;
            }
            r -= w;
        }
        cats.push(c);
    }
    let names: Vec<String> = (0..9).map(|i| format!("c{i}")).collect();
    let t = Instant::now();
    let groups: Vec<u16> = cats.iter().map(|&c| u16::from(c)).collect();
    let ix = HeatIndex::build(&pts, &times, &groups, names);
    drop(groups);
    let build_s = t.elapsed().as_secs_f64();
    let exact = ix.exact_calls;
    // a random 30-day window and a category
    let from = t0 + rng.random_range(0..335) * 86_400;
    let to = from + 30 * 86_400;
    let cat = 3u8; // the most frequent class
    let time = |f: &dyn Fn() -> usize| {
        let mut best = f64::MAX;
        let mut k = 0;
        for _ in 0..20 {
            let t = Instant::now();
            k = f();
            best = best.min(t.elapsed().as_secs_f64());
        }
        (best, k)
    };
    let (one_s, one_cells) = time(&|| ix.counts_of(8, from, to, Some("c3")).len());
    let (all_s, all_cells) = time(&|| ix.counts_of(8, from, to, None).len());
    let (year_s, _) = time(&|| ix.counts_of(8, t0, t0 + 366 * 86_400, None).len());
    let mut w = std::io::BufWriter::new(std::fs::File::create(out.join("wangge_counts.csv"))?);
    writeln!(w, "cell,count")?;
    for (c, k) in ix.counts_of(8, from, to, Some("c3")) {
        writeln!(w, "{c},{k}")?;
    }
    drop(w);
    // raw columns for the anchor
    let mut lon = std::io::BufWriter::new(std::fs::File::create(out.join("lon.f64"))?);
    let mut lat = std::io::BufWriter::new(std::fs::File::create(out.join("lat.f64"))?);
    for (x, y) in &pts {
        lon.write_all(&x.to_le_bytes())?;
        lat.write_all(&y.to_le_bytes())?;
    }
    let mut tw = std::io::BufWriter::new(std::fs::File::create(out.join("t.i64"))?);
    for t in &times {
        tw.write_all(&t.to_le_bytes())?;
    }
    std::fs::write(out.join("cat.u8"), &cats)?;
    println!(
        "{{\"incidents\": {n}, \"build_s\": {build_s:.2}, \"exact_calls\": {exact}, \"from\": {from}, \"to\": {to}, \"category\": {cat}, \"one_category_ms\": {:.3}, \"cells\": {one_cells}, \"all_categories_ms\": {:.3}, \"cells_all\": {all_cells}, \"year_all_ms\": {:.2}}}",
        one_s * 1000.0,
        all_s * 1000.0,
        year_s * 1000.0
    );
    Ok(())
}

//! Heatmaps (issue 6) over N generated incidents (labelled so in RESULTS) or
//! the real Houston set: build the columnar H3 index (exact cells at res
//! 5–11), then count a random 30-day window of the most frequent category at
//! res 8, and of all categories. Writes the incidents as raw little-endian
//! columns for the DuckDB and pandas anchor (benches/anchors/heatmap.py) and
//! our counts for the comparison.
//!
//! usage: heat_bench OUT_DIR N   |   heat_bench OUT_DIR --houston INCIDENTS.csv.gz (the real Houston set)

use std::io::Write;
use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use wangge_engine::incidents::heatindex::HeatIndex;

/// Incidents for the benchmark: positions, times, class indices, class names, first day, days spanned.
type Incidents = (Vec<(f64, f64)>, Vec<i64>, Vec<u8>, Vec<String>, i64, i64);

/// N generated incidents around 4,000 "buildings" over a city of 15 × 8 km, a year from 2026-01-01, 9 classes.
fn generated(n: usize, rng: &mut ChaCha8Rng) -> Incidents {
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
    (pts, times, cats, (0..9).map(|i| format!("c{i}")).collect(), t0, 365)
}

/// The real Houston incidents (gzipped CSV, as the importer reads them; outliers and duplicates kept).
fn houston(path: &str) -> Result<Incidents, Box<dyn std::error::Error>> {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(std::fs::File::open(path)?), &mut text)?;
    let mut o = wangge::import::ImportOptions::new(wangge_engine::model::LayerKind::Incidents);
    o.defaults.insert("status".into(), serde_json::Value::from("resolved"));
    let inc = match wangge::import::read_str(&text, true, path, &o).map_err(|e| e.to_string())? {
        wangge::import::Layer::Incidents(v) => v,
        _ => return Err("not incidents".into()),
    };
    let mut names: Vec<String> = inc.iter().map(|i| i.category.clone()).collect();
    names.sort();
    names.dedup();
    let cats = inc.iter().map(|i| names.binary_search(&i.category).map_or(0, |k| k as u8)).collect();
    let times: Vec<i64> = inc.iter().map(|i| i.occurred_at).collect();
    let t0 = times.iter().min().copied().unwrap_or(0);
    let days = (times.iter().max().copied().unwrap_or(0) - t0) / 86_400 + 1;
    Ok((inc.iter().map(|i| (i.position.x(), i.position.y())).collect(), times, cats, names, t0, days))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let (out, (pts, times, cats, names, t0, days)) = match &args[..] {
        [_, out, flag, path] if flag == "--houston" => (out, houston(path)?),
        [_, out, n] => (out, generated(n.parse()?, &mut rng)),
        _ => {
            eprintln!("usage: heat_bench OUT_DIR N   |   heat_bench OUT_DIR --houston INCIDENTS.csv.gz");
            std::process::exit(2);
        }
    };
    let n = pts.len();
    let out = std::path::Path::new(out);
    std::fs::create_dir_all(out)?;
    let t = Instant::now();
    let groups: Vec<u16> = cats.iter().map(|&c| u16::from(c)).collect();
    let ix = HeatIndex::build(&pts, &times, &groups, names.clone());
    drop(groups);
    let build_s = t.elapsed().as_secs_f64();
    let exact = ix.exact_calls;
    // a random 30-day window and the most frequent class
    let from = t0 + rng.random_range(0..(days - 30).max(1)) * 86_400;
    let to = from + 30 * 86_400;
    let mut freq = vec![0usize; names.len()];
    for &c in &cats {
        freq[c as usize] += 1;
    }
    let cat = (0..names.len()).max_by_key(|&c| freq[c]).unwrap_or(0) as u8;
    let cat_name = names.get(cat as usize).cloned().unwrap_or_default();
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
    let (one_s, one_cells) = time(&|| ix.counts_of(8, from, to, Some(cat_name.as_str())).len());
    let (all_s, all_cells) = time(&|| ix.counts_of(8, from, to, None).len());
    let (year_s, _) = time(&|| ix.counts_of(8, t0, t0 + (days + 1) * 86_400, None).len());
    let mut w = std::io::BufWriter::new(std::fs::File::create(out.join("wangge_counts.csv"))?);
    writeln!(w, "cell,count")?;
    for (c, k) in ix.counts_of(8, from, to, Some(cat_name.as_str())) {
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

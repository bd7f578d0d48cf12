//! Criterion: point assignment and building assignment on a generated city.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use wangge_benches::{city, points};
use wangge_engine::units::assign::PointLocator;
use wangge_engine::units::hierarchy::Hierarchy;

fn bench(c: &mut Criterion) {
    for (name, densify) in [("6v", 0), ("90v", 14)] {
        let units = city(5_000, densify, 1);
        let pts = points(&units, 100_000, 2);
        let h = Hierarchy::build(units).expect("valid");
        c.bench_function(&format!("index 5k grids {name}"), |b| b.iter(|| black_box(PointLocator::new(&h))));
        let loc = PointLocator::new(&h);
        c.bench_function(&format!("assign 100k points to 5k grids {name}"), |b| {
            b.iter(|| pts.iter().filter(|&&(x, y)| loc.locate(x, y).is_some()).count())
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);

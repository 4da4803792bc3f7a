//! Pairwise float sum against a naive `f64` fold, and NaN-aware min against
//! `fold(f32::min)`. Run: `cargo bench -p ndchunk-kernels --bench sum`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ndchunk_kernels::minmax::{extreme, Extreme};
use ndchunk_kernels::sum::pairwise_sum;

fn bench(c: &mut Criterion) {
    let xs: Vec<f32> = (0..1 << 20).map(|i| (i % 97) as f32 * 0.01).collect();
    let mut g = c.benchmark_group("sum 2^20 f32");
    g.throughput(Throughput::Bytes((xs.len() * 4) as u64));
    g.bench_function("pairwise_sum", |b| {
        b.iter(|| black_box(pairwise_sum(black_box(&xs))))
    });
    g.bench_function("naive f64 fold", |b| {
        b.iter(|| black_box(black_box(&xs).iter().fold(0.0f64, |a, &v| a + v as f64)))
    });
    g.bench_function("extreme(min)", |b| {
        b.iter(|| black_box(extreme(black_box(&xs), Extreme::Min)))
    });
    g.bench_function("fold(f32::min)", |b| {
        b.iter(|| black_box(black_box(&xs).iter().copied().fold(f32::INFINITY, f32::min)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! `mean((2x + 1)^2)` over 2^24 f32 values held in memory, three ways:
//! ndchunk (fused tiles, tree reduction, local executor), a hand-written
//! single-threaded ndarray loop, and a hand-written rayon loop. Plus the same
//! expression over a generated (random) source, which ndchunk streams tile by tile.
//!
//! Run: `cargo bench --bench fused_reduction`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ndarray::Array1;
use rayon::prelude::*;

const N: usize = 1 << 24;
const CHUNK: usize = 1 << 20;

fn data() -> Array1<f32> {
    Array1::from_iter((0..N).map(|i| ((i * 2_654_435_761) % 1000) as f32 / 1000.0))
}

fn bench_in_memory(c: &mut Criterion) {
    let x = data();
    let lazy = ndchunk::from_array(x.view(), [CHUNK]).expect("chunks");
    let mut g = c.benchmark_group("mean((2x+1)^2) in memory, 2^24 f32");
    g.throughput(Throughput::Bytes((N * 4) as u64));
    g.bench_function("ndchunk", |b| {
        b.iter(|| {
            let y = ((&lazy * 2.0 + 1.0).powi(2)).mean().expect("plan");
            black_box(y.compute().expect("compute")[[]])
        })
    });
    g.bench_function("ndarray loop (1 thread)", |b| {
        b.iter(|| {
            let s: f64 = x
                .iter()
                .map(|&v| ((2.0 * v + 1.0) * (2.0 * v + 1.0)) as f64)
                .sum();
            black_box(s / N as f64)
        })
    });
    let slice = x.as_slice().expect("contiguous");
    g.bench_function("rayon loop", |b| {
        b.iter(|| {
            let s: f64 = slice
                .par_chunks(CHUNK)
                .map(|c| {
                    c.iter()
                        .map(|&v| ((2.0 * v + 1.0) * (2.0 * v + 1.0)) as f64)
                        .sum::<f64>()
                })
                .sum();
            black_box(s / N as f64)
        })
    });
    g.finish();
}

fn bench_generated(c: &mut Criterion) {
    let mut g = c.benchmark_group("mean((2u+1)^2) over random::uniform, 2^24 f32");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("ndchunk (streamed)", |b| {
        b.iter(|| {
            let u = ndchunk::random::uniform::<f32>(&[N], [CHUNK], 42).expect("chunks");
            let y = ((&u * 2.0 + 1.0).powi(2)).mean().expect("plan");
            black_box(y.compute().expect("compute")[[]])
        })
    });
    g.finish();
}

criterion_group!(benches, bench_in_memory, bench_generated);
criterion_main!(benches);

//! Gathering rows of a (2^18, 64) f32 matrix: `gather_axis` (run copies)
//! against a naive element loop and ndarray's `select`, for random indices and
//! for sorted runs. Run: `cargo bench -p ndchunk-kernels --bench gather`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ndarray::{Array2, Axis};
use ndchunk_kernels::gather::gather_axis;

const ROWS: usize = 1 << 18;
const COLS: usize = 64;
const N: usize = 1 << 16;

fn naive(src: &[f32], idx: &[usize], out: &mut Vec<f32>) {
    for &i in idx {
        for j in 0..COLS {
            out.push(src[i * COLS + j]);
        }
    }
}

fn bench(c: &mut Criterion) {
    let m = Array2::from_shape_fn((ROWS, COLS), |(i, j)| (i * COLS + j) as f32);
    let src = m.as_slice().expect("standard layout");
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let random: Vec<usize> = (0..N)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % ROWS as u64) as usize
        })
        .collect();
    let sorted_runs: Vec<usize> = (0..N).map(|i| (i / 256) * 1024 + i % 256).collect();
    for (name, idx) in [("random rows", &random), ("runs of 256 rows", &sorted_runs)] {
        let mut g = c.benchmark_group(format!("gather {N} of {ROWS}x{COLS} f32, {name}"));
        g.throughput(Throughput::Bytes((N * COLS * 4) as u64));
        g.bench_function("gather_axis", |b| {
            let mut out = Vec::with_capacity(N * COLS);
            b.iter(|| {
                out.clear();
                gather_axis(src, ROWS, COLS, 0..1, 0..COLS, black_box(idx), &mut out);
                black_box(out.len())
            })
        });
        g.bench_function("naive loop", |b| {
            let mut out = Vec::with_capacity(N * COLS);
            b.iter(|| {
                out.clear();
                naive(src, black_box(idx), &mut out);
                black_box(out.len())
            })
        });
        g.bench_function("ndarray select", |b| {
            b.iter(|| black_box(m.select(Axis(0), black_box(idx))))
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);

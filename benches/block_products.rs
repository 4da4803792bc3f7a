//! The GEMM behind block products, chosen by this measurement: one
//! (20000 × 1000) · (1000 × 256) f32 product (a block of the harness's M1,
//! 10.2 GFLOP) by faer 0.24 on one thread (what a contraction task runs),
//! by matrixmultiply (ndarray's `general_mat_mul`, one thread), and by
//! faer on all threads; then ndchunk's `matmul` of the same operands in two
//! row blocks on the local executor.
//!
//! Run: `cargo bench --bench block_products`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ndarray::Array2;

const M: usize = 20_000;
const K: usize = 1_000;
const N: usize = 256;

fn operands() -> (Array2<f32>, Array2<f32>) {
    let a = Array2::from_shape_fn((M, K), |(i, j)| ((i * 7 + j * 3) % 13) as f32 * 0.1);
    let b = Array2::from_shape_fn((K, N), |(i, j)| ((i * 5 + j * 11) % 17) as f32 * 0.1);
    (a, b)
}

fn faer_product(a: &Array2<f32>, b: &Array2<f32>, par: faer::Par) -> Vec<f32> {
    let lhs = faer::MatRef::from_row_major_slice(a.as_slice().expect("contiguous"), M, K);
    let rhs = faer::MatRef::from_row_major_slice(b.as_slice().expect("contiguous"), K, N);
    let mut out = vec![0f32; M * N];
    let dst = faer::MatMut::from_row_major_slice_mut(&mut out, M, N);
    faer::linalg::matmul::matmul(dst, faer::Accum::Replace, lhs, rhs, 1.0, par);
    out
}

fn bench_block_products(c: &mut Criterion) {
    let (a, b) = operands();
    let mut g = c.benchmark_group("(20000 x 1000) . (1000 x 256) f32");
    g.sample_size(10);
    g.throughput(Throughput::Elements((2 * M * K * N) as u64));
    g.bench_function("faer, 1 thread", |bench| {
        bench.iter(|| black_box(faer_product(&a, &b, faer::Par::Seq)))
    });
    g.bench_function("matrixmultiply, 1 thread", |bench| {
        bench.iter(|| {
            let mut out = Array2::<f32>::zeros((M, N));
            ndarray::linalg::general_mat_mul(1.0, &a, &b, 0.0, &mut out);
            black_box(out)
        })
    });
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    g.bench_function("faer, all threads", |bench| {
        bench.iter(|| black_box(faer_product(&a, &b, faer::Par::rayon(threads))))
    });
    let x = ndchunk::from_array(a.view(), [M / 2, K]).expect("chunks");
    let w = ndchunk::from_array(b.view(), [K, N]).expect("chunks");
    let exec = ndchunk::Executor::local().progress(false);
    g.bench_function("ndchunk matmul, 2 row blocks", |bench| {
        bench.iter(|| {
            black_box(
                x.matmul(&w)
                    .expect("plan")
                    .compute_with(&exec)
                    .expect("compute"),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, bench_block_products);
criterion_main!(benches);

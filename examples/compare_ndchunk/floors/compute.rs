//! Floors of the compute-bound workloads: the same operation done by the
//! best in-memory routine at hand, on the whole array at once, with the
//! workload's threads (no chunks, no graph, no copies into blocks).
//!
//! - GEMM (M1): faer's matrix product of the whole A by B;
//! - thin SVD (M2): faer's thin SVD of the whole A;
//! - exact kNN (K1): the distance products X·Xᵀ alone, by faer GEMM in tiles
//!   (the k-selection that follows is left out, so this bounds from below);
//! - sort (S1): rayon's parallel unstable sort of a copy;
//! - unique with counts (S2): each thread counts its share in a hash table,
//!   the tables are merged and the keys sorted;
//! - a stencil (S4): the workload's own kernel over the whole padded array,
//!   in row strips.
//!
//! S3 (a scan) and S5 (percentiles by radix selection) are memory-bound:
//! their floors are copies (see [`super::memory`]).

use faer::{Accum, MatMut, MatRef, Par};
use ndarray::{s, ArrayD, ArrayView2, ArrayViewD};
use rayon::prelude::*;

use super::{best_of, by_rows, split, Floor};

type BoxResult<T> = Result<T, Box<dyn std::error::Error>>;

/// A rayon pool of `threads` threads, in which faer's `Par::rayon` runs.
fn pool(threads: usize) -> BoxResult<rayon::ThreadPool> {
    Ok(rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()?)
}

fn row_major<'a, T>(a: ArrayView2<'a, T>) -> BoxResult<MatRef<'a, T>> {
    let (rows, cols) = a.dim();
    let slice = a.to_slice().ok_or("a matrix that is not row-major")?;
    Ok(MatRef::from_row_major_slice(slice, rows, cols))
}

/// `a · b` into a buffer allocated (and touched) before the timing.
pub fn gemm(
    a: ArrayView2<f32>,
    b: ArrayView2<f32>,
    threads: usize,
    repeat: usize,
) -> BoxResult<Floor> {
    let (lhs, rhs) = (row_major(a)?, row_major(b)?);
    let mut out = vec![0f32; a.nrows() * b.ncols()];
    out.fill(0.0);
    let pool = pool(threads)?;
    let seconds = best_of(
        repeat,
        || {},
        || {
            pool.install(|| {
                let out = MatMut::from_row_major_slice_mut(&mut out, a.nrows(), b.ncols());
                faer::linalg::matmul::matmul(
                    out,
                    Accum::Replace,
                    lhs,
                    rhs,
                    1.0,
                    Par::rayon(threads),
                );
            })
        },
    );
    std::hint::black_box(&out);
    Ok(Floor::new(
        seconds,
        format!(
            "faer GEMM of the whole ({}, {}) x ({}, {}) in memory, {threads} threads",
            a.nrows(),
            a.ncols(),
            b.nrows(),
            b.ncols()
        ),
    ))
}

/// faer's thin SVD (U, s and V) of the whole of `a`.
pub fn thin_svd(a: ArrayView2<f64>, threads: usize, repeat: usize) -> BoxResult<Floor> {
    let m = row_major(a)?;
    let pool = pool(threads)?;
    let before = faer::get_global_parallelism();
    faer::set_global_parallelism(Par::rayon(threads));
    let mut failed = None;
    let seconds = best_of(
        repeat,
        || {},
        || {
            if let Err(e) = pool.install(|| m.thin_svd()) {
                failed = Some(format!("{e:?}"));
            }
        },
    );
    faer::set_global_parallelism(before);
    if let Some(e) = failed {
        return Err(format!("faer's thin SVD failed: {e}").into());
    }
    Ok(Floor::new(
        seconds,
        format!(
            "faer thin SVD of the whole ({}, {}) in memory, {threads} threads",
            a.nrows(),
            a.ncols()
        ),
    ))
}

/// Rows per tile of [`distance_products`]: a tile pair's product
/// (`TILE` × `TILE` f32, 64 MiB) is written into one buffer per thread.
const TILE: usize = 4096;

/// `-2 X Xᵀ` for every pair of rows of `x`, tile by tile into a buffer that
/// each thread reuses: the products an exact kNN graph cannot avoid.
pub fn distance_products(x: ArrayView2<f32>, threads: usize, repeat: usize) -> BoxResult<Floor> {
    let n = x.nrows();
    let tiles: Vec<usize> = (0..n).step_by(TILE).collect();
    let pool = pool(threads)?;
    row_major(x)?;
    let seconds = best_of(
        repeat,
        || {},
        || {
            pool.install(|| {
                tiles.par_iter().for_each_init(
                    || vec![0f32; TILE * TILE],
                    |buf, &r0| {
                        let r1 = (r0 + TILE).min(n);
                        let rows = x.slice(s![r0..r1, ..]);
                        let lhs = row_major(rows).expect("a row-major slice");
                        for &c0 in &tiles {
                            let c1 = (c0 + TILE).min(n);
                            let cols = x.slice(s![c0..c1, ..]);
                            let rhs = row_major(cols).expect("a row-major slice").transpose();
                            let out = MatMut::from_row_major_slice_mut(
                                &mut buf[..(r1 - r0) * (c1 - c0)],
                                r1 - r0,
                                c1 - c0,
                            );
                            faer::linalg::matmul::matmul(
                                out,
                                Accum::Replace,
                                lhs,
                                rhs,
                                -2.0,
                                Par::Seq,
                            );
                        }
                        std::hint::black_box(&buf);
                    },
                )
            })
        },
    );
    Ok(Floor::new(
        seconds,
        format!(
            "X·Xᵀ of ({n}, {}) by faer GEMM in {TILE}-row tiles (no k-selection), {threads} threads",
            x.ncols()
        ),
    ))
}

/// rayon's parallel unstable sort of a copy of `values` (restored before
/// each run, outside the timing).
pub fn sort(values: &[f32], threads: usize, repeat: usize) -> BoxResult<Floor> {
    let work = std::cell::RefCell::new(values.to_vec());
    let pool = pool(threads)?;
    let seconds = best_of(
        repeat,
        || work.borrow_mut().copy_from_slice(values),
        || {
            let mut work = work.borrow_mut();
            let slice = work.as_mut_slice();
            pool.install(|| slice.par_sort_unstable_by(f32::total_cmp))
        },
    );
    std::hint::black_box(&work);
    Ok(Floor::new(
        seconds,
        format!(
            "rayon par_sort_unstable of {} f32 in memory, {threads} threads",
            values.len()
        ),
    ))
}

/// Counts by value, under a hash that costs a multiply per key (FxHash),
/// not SipHash's rounds.
type Counts = rustc_hash::FxHashMap<i64, u64>;

/// The distinct values of `values` and their counts: each thread counts its
/// contiguous share in a hash table, then the tables are merged and the
/// distinct values sorted.
pub fn unique_counts(values: &[i64], threads: usize, repeat: usize) -> BoxResult<Floor> {
    let shares = split(values.len(), threads);
    let mut distinct = 0;
    let seconds = best_of(
        repeat,
        || {},
        || {
            let tables: Vec<Counts> = std::thread::scope(|s| {
                let handles: Vec<_> = shares
                    .iter()
                    .map(|share| {
                        s.spawn(move || {
                            let mut counts = Counts::default();
                            for &v in &values[share.clone()] {
                                *counts.entry(v).or_default() += 1;
                            }
                            counts
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("a counting thread"))
                    .collect()
            });
            let mut merged = Counts::default();
            for table in tables {
                for (v, c) in table {
                    *merged.entry(v).or_default() += c;
                }
            }
            let mut sorted: Vec<(i64, u64)> = merged.into_iter().collect();
            sorted.sort_unstable();
            distinct = sorted.len();
        },
    );
    Ok(Floor::new(
        seconds,
        format!(
            "hash-table count of {} i64 ({distinct} distinct), merged and sorted, {threads} threads",
            values.len()
        ),
    ))
}

/// Output rows per call of a stencil's kernel: a strip small enough that
/// its buffers stay in the allocator's reuse (and near the caches).
const STRIP: usize = 64;

/// `kernel` (a stencil of `depth` on each side) over the whole of `grown`
/// (the input padded by `depth`), each thread on its share of output rows,
/// [`STRIP`] rows per call.
pub fn stencil(
    grown: ArrayView2<f32>,
    depth: usize,
    kernel: fn(ArrayViewD<f32>) -> ArrayD<f32>,
    threads: usize,
    repeat: usize,
) -> BoxResult<Floor> {
    let (rows, cols) = (grown.nrows() - 2 * depth, grown.ncols() - 2 * depth);
    let mut out = vec![0f32; rows * cols];
    out.fill(0.0);
    let seconds = best_of(
        repeat,
        || {},
        || {
            by_rows(&mut out, cols, threads, |first, part| {
                for (s, strip) in part.chunks_mut(STRIP * cols).enumerate() {
                    let r0 = first + s * STRIP;
                    let input = grown.slice(s![r0..r0 + strip.len() / cols + 2 * depth, ..]);
                    let result = kernel(input.into_dyn());
                    strip.copy_from_slice(result.as_slice().expect("a standard-layout result"));
                }
            })
        },
    );
    std::hint::black_box(&out);
    Ok(Floor::new(
        seconds,
        format!(
            "the kernel over the whole ({rows}, {cols}) in {STRIP}-row strips, {threads} threads"
        ),
    ))
}

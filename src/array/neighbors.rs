//! The exact k-nearest-neighbour graph of the rows of an `(n, d)` array,
//! out of core: squared distances blocked as `‖a‖² + ‖b‖² − 2·a·bᵀ` (one
//! contraction and one fused elementwise stage per block pair) and a top-k
//! tree over the column blocks, so the `n × n` distance matrix is never
//! held; then each row's distances to its neighbours computed exactly from
//! the rows themselves. Everything is computed in f64, as scikit-learn does
//! for f32 input: in f32 the expansion's rounding (about 1e-7 of ‖a‖²)
//! reorders neighbours whose distances differ by less.

use ndarray::{Array2, Axis};

use crate::array::Array;
use crate::element::{Element, FloatElement};
use crate::error::{Error, Result};
use crate::exec::Executor;

/// Most bytes of one block of squared distances: under the mmap threshold
/// the executor gives glibc (32 MiB), so blocks are reused from the heap.
/// Blocks of 134 MB (the default chunk size) were mapped and faulted in
/// afresh for every task: 14 s for 20 000 rows, most of it in the kernel.
const DISTANCE_BLOCK_BYTES: u64 = 16 << 20;

/// For every row of `x` (an `(n, d)` array), the indices of its `k` nearest
/// rows by Euclidean distance, nearest first, the row itself included (as
/// pynndescent and scikit-learn's `kneighbors` on the training set do), and
/// the distances to them. Equal distances come in index order. For dask
/// users: what `NearestNeighbors(algorithm="brute").fit(X).kneighbors(X)`
/// returns, computed blockwise.
///
/// ```
/// let x = ndchunk::from_array(ndarray::array![[0.0, 0.0], [3.0, 4.0], [1.0, 0.0]], [2, 2])?;
/// let (indices, distances) = ndchunk::neighbors::knn(&x, 2)?;
/// assert_eq!(indices, ndarray::array![[0, 2], [1, 2], [2, 0]]);
/// assert_eq!(distances[[1, 1]], 20f64.sqrt());
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn knn<T: FloatElement>(x: &Array<T>, k: usize) -> Result<(Array2<i64>, Array2<T>)> {
    knn_with(x, k, &Executor::local())
}

/// [`knn`] on `executor`, whose plan options size the distance blocks.
///
/// ```
/// let x = ndchunk::from_array(ndarray::array![[0.0f32], [5.0], [1.0], [7.0]], [2, 1])?;
/// let ex = ndchunk::Executor::local().threads(1);
/// let (indices, distances) = ndchunk::neighbors::knn_with(&x, 2, &ex)?;
/// assert_eq!(indices, ndarray::array![[0, 2], [1, 3], [2, 0], [3, 1]]);
/// assert_eq!(distances[[3, 1]], 2.0);
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn knn_with<T: FloatElement>(
    x: &Array<T>,
    k: usize,
    executor: &Executor,
) -> Result<(Array2<i64>, Array2<T>)> {
    if let Some(e) = x.error() {
        return Err(e.clone());
    }
    let &[n, d] = x.shape() else {
        return Err(Error::invalid(
            "knn",
            format!("needs an (n, d) array, got shape {:?}", x.shape()),
        ));
    };
    if k > n {
        return Err(Error::invalid(
            "knn",
            format!("k = {k} neighbours asked of {n} rows"),
        ));
    }
    // Square f64 distance blocks of the plan's chunk size, at most
    // DISTANCE_BLOCK_BYTES.
    let options = executor.plan_options()?;
    let bytes = options.chunk_bytes.min(DISTANCE_BLOCK_BYTES);
    let side = ((bytes / 8) as f64).sqrt() as usize;
    let rows = side.clamp(1, n.max(1));
    let x = x.rechunk([rows, d.max(1)])?.astype::<f64>();
    let norms = (&x * &x).sum_axis(Axis(1))?;
    let products = x.matmul(&x.t())?;
    let squared =
        &(&norms.insert_axis(Axis(1))? + &norms.insert_axis(Axis(0))?) - &(&products * 2.0);
    let mut indices = squared
        .argtopk(-(k as isize), Axis(1))?
        .compute_with(executor)?;
    // Exact distances to the chosen rows (the expansion above cancels).
    let neighbours = x.vindex(&[indices.view()])?;
    let gaps = &neighbours - &x.insert_axis(Axis(1))?;
    let mut distances = (&gaps * &gaps)
        .sum_axis(Axis(2))?
        .sqrt()
        .compute_with(executor)?;
    // In the exact distances' order, ties by index.
    for (mut idx, mut dist) in indices.outer_iter_mut().zip(distances.outer_iter_mut()) {
        let mut pairs: Vec<(f64, i64)> = dist.iter().copied().zip(idx.iter().copied()).collect();
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for ((d, i), (od, oi)) in pairs.into_iter().zip(dist.iter_mut().zip(idx.iter_mut())) {
            (*od, *oi) = (d, i);
        }
    }
    let two_d = |e: ndarray::ShapeError| Error::invalid("knn", e.to_string());
    let indices = indices
        .into_dimensionality::<ndarray::Ix2>()
        .map_err(two_d)?;
    let distances = distances
        .mapv(|v: f64| v.cast::<T>())
        .into_dimensionality::<ndarray::Ix2>()
        .map_err(two_d)?;
    Ok((indices, distances))
}

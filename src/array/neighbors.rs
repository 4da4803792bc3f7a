//! Exact k-nearest neighbours of rows, out of core: each task compares a
//! block of query rows with a block of corpus rows, squared distances as
//! `‖a‖² + ‖b‖² − 2·a·bᵀ` by GEMM tiles that stay in cache, and keeps each
//! row's nearest as soon as a tile is computed (the plan's `nearest` stage);
//! a top-k tree merges them over the corpus blocks, so no distance block is
//! ever written, let alone the `m × n` matrix. Then each row's distances to
//! its neighbours are computed exactly from the rows themselves. Everything
//! is computed in f64, as scikit-learn does for f32 input: in f32 the
//! expansion's rounding (about 1e-7 of ‖a‖²) reorders neighbours whose
//! distances differ by less.

use ndarray::{Array2, Axis};

use crate::array::reductions::DEFAULT_SPLIT_EVERY;
use crate::array::Array;
use crate::chunks::Chunks;
use crate::element::{Element, FloatElement};
use crate::error::{Error, Result};
use crate::exec::Executor;
use crate::expr::{NearestSpec, Node, Op};

/// Most rows of one block of query rows: with a corpus block of 200 000
/// rows of 32 values, a task compares 1.6e9 pairs (about 2 s), and 200 000
/// query rows make 25 tasks. Fewer rows make eight blocks (of at least 256
/// rows), enough tasks for the executor's threads.
const QUERY_BLOCK_ROWS: usize = 8192;

/// Most bytes of one block of query rows (f64), for wide rows.
const QUERY_BLOCK_BYTES: u64 = 16 << 20;

/// Most bytes of one block of corpus rows (f64): a query row's selection is
/// cut back less often the more corpus rows one task scans for it (about
/// `k · ln(rows / k)` candidates pass a row's bar), so corpus blocks are as
/// large as the memory limit allows, up to 64 MiB.
const CORPUS_BLOCK_BYTES: u64 = 64 << 20;

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

/// [`knn`] on `executor`, whose plan options size the row blocks.
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
    let [n, _] = rows_shape("knn", "x", x)?;
    check_k("knn", k, n)?;
    let queries = search_rows(x, Role::Queries, executor)?;
    let corpus = search_rows(x, Role::Corpus, executor)?;
    search(&queries, &corpus, k, executor)
}

/// For every row of `queries` (an `(m, d)` array), the indices of its `k`
/// nearest rows of `corpus` (an `(n, d)` array) by Euclidean distance,
/// nearest first, equal distances in index order, and the distances to
/// them: what scikit-learn's `NearestNeighbors(algorithm="brute")
/// .fit(corpus).kneighbors(queries)` returns, computed blockwise.
///
/// ```
/// let corpus = ndchunk::from_array(ndarray::array![[0.0], [10.0], [4.0]], [2, 1])?;
/// let queries = ndchunk::from_array(ndarray::array![[3.0], [9.0]], [1, 1])?;
/// let (indices, distances) = ndchunk::neighbors::kneighbors(&queries, &corpus, 2)?;
/// assert_eq!(indices, ndarray::array![[2, 0], [1, 2]]);
/// assert_eq!(distances, ndarray::array![[1.0, 3.0], [1.0, 5.0]]);
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn kneighbors<T: FloatElement>(
    queries: &Array<T>,
    corpus: &Array<T>,
    k: usize,
) -> Result<(Array2<i64>, Array2<T>)> {
    kneighbors_with(queries, corpus, k, &Executor::local())
}

/// [`kneighbors`] on `executor`, whose plan options size the row blocks.
///
/// ```
/// let corpus = ndchunk::from_array(ndarray::array![[0.0f32, 0.0], [1.0, 1.0]], [1, 2])?;
/// let queries = ndchunk::from_array(ndarray::array![[0.9f32, 0.8]], [1, 2])?;
/// let ex = ndchunk::Executor::local().threads(1);
/// let (indices, _) = ndchunk::neighbors::kneighbors_with(&queries, &corpus, 1, &ex)?;
/// assert_eq!(indices, ndarray::array![[1]]);
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn kneighbors_with<T: FloatElement>(
    queries: &Array<T>,
    corpus: &Array<T>,
    k: usize,
    executor: &Executor,
) -> Result<(Array2<i64>, Array2<T>)> {
    let [_, d] = rows_shape("kneighbors", "queries", queries)?;
    let [n, corpus_d] = rows_shape("kneighbors", "corpus", corpus)?;
    if d != corpus_d {
        return Err(Error::invalid(
            "kneighbors",
            format!("queries have {d} columns (axis 1) and the corpus {corpus_d}"),
        ));
    }
    check_k("kneighbors", k, n)?;
    let queries = search_rows(queries, Role::Queries, executor)?;
    let corpus = search_rows(corpus, Role::Corpus, executor)?;
    search(&queries, &corpus, k, executor)
}

/// The shape of `x`, the argument `name` of `op`, when it is 2-d.
fn rows_shape<T: Element>(op: &str, name: &str, x: &Array<T>) -> Result<[usize; 2]> {
    if let Some(e) = x.error() {
        return Err(e.clone());
    }
    match *x.shape() {
        [n, d] => Ok([n, d]),
        _ => Err(Error::invalid(
            op,
            format!("{name} must be an (n, d) array, got shape {:?}", x.shape()),
        )),
    }
}

fn check_k(op: &str, k: usize, n: usize) -> Result<()> {
    if k > n {
        return Err(Error::invalid(
            op,
            format!("k = {k} neighbours asked of {n} rows"),
        ));
    }
    Ok(())
}

/// What a search reads rows as.
#[derive(Clone, Copy)]
enum Role {
    Queries,
    Corpus,
}

/// `x` (2-d) as f64 row blocks of a search: whole rows, as many per block
/// as `role` allows ([`QUERY_BLOCK_ROWS`] and [`QUERY_BLOCK_BYTES`], or
/// [`CORPUS_BLOCK_BYTES`] and an eighth of the memory limit), and at most the
/// plan's chunk size.
fn search_rows<T: FloatElement>(
    x: &Array<T>,
    role: Role,
    executor: &Executor,
) -> Result<Array<f64>> {
    let (n, d) = (x.shape()[0], x.shape()[1]);
    let options = executor.plan_options()?;
    let row_bytes = 8 * d.max(1) as u64;
    let (bytes, most_rows) = match role {
        Role::Queries => (
            QUERY_BLOCK_BYTES,
            QUERY_BLOCK_ROWS.min(n.div_ceil(8).max(256)),
        ),
        Role::Corpus => (CORPUS_BLOCK_BYTES.min(options.memory_limit / 8), usize::MAX),
    };
    let rows = (bytes.min(options.chunk_bytes) / row_bytes) as usize;
    let rows = rows.clamp(1, most_rows).min(n.max(1));
    Ok(x.rechunk([rows, d.max(1)])?.astype::<f64>())
}

/// The nearest rows of `corpus` to each row of `queries` (both checked,
/// as search rows), then the exact distances to them, in their order.
fn search<T: FloatElement>(
    queries: &Array<f64>,
    corpus: &Array<f64>,
    k: usize,
    executor: &Executor,
) -> Result<(Array2<i64>, Array2<T>)> {
    let spec = NearestSpec {
        k,
        split_every: DEFAULT_SPLIT_EVERY,
    };
    let chunks = Chunks::from_checked(vec![queries.chunks().lens(0).to_vec(), vec![k]]);
    let nearest: Array<i64> = Array::from_node(Node::new(
        Op::Nearest(spec),
        vec![queries.node().clone(), corpus.node().clone()],
        chunks,
        i64::DTYPE,
    ));
    let mut indices = nearest.compute_with(executor)?;
    // Exact distances to the chosen rows (the expansion above cancels).
    let neighbours = corpus.vindex(&[indices.view()])?;
    let gaps = &neighbours - &queries.insert_axis(Axis(1))?;
    let mut distances = (&gaps * &gaps)
        .sum_axis(Axis(2))?
        .sqrt()
        .compute_with(executor)?;
    // In the exact distances' order (NaN last, as NumPy sorts), ties by index.
    for (mut idx, mut dist) in indices.outer_iter_mut().zip(distances.outer_iter_mut()) {
        let mut pairs: Vec<(f64, i64)> = dist.iter().copied().zip(idx.iter().copied()).collect();
        pairs.sort_by(|a, b| {
            let by_value = a.0.partial_cmp(&b.0);
            by_value
                .unwrap_or_else(|| a.0.is_nan().cmp(&b.0.is_nan()))
                .then(a.1.cmp(&b.1))
        });
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

//! Creating arrays: from ndarray data, constants, ranges, identity matrices and
//! user generator functions.

use std::sync::Arc;

use ndarray::{ArrayBase, ArrayD, Data, Dimension};

use crate::array::Array;
use crate::block::DynArray;
use crate::chunks::{ChunkSpec, Chunks};
use crate::element::{Element, NumElement};
use crate::error::{Error, Result};
use crate::expr::{BlockFn, Generator, Node, Op, Resident, UserFn};

/// A chunked array over the data of any ndarray array or view (views are copied
/// once; owned arrays are moved without copying).
///
/// ```
/// let a = ndarray::Array2::<f32>::ones((100, 64));
/// let x = ndchunk::from_array(a, [30, 64])?;
/// assert_eq!(x.numblocks(), vec![4, 1]);
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn from_array<T, S, D>(data: ArrayBase<S, D>, chunks: impl Into<ChunkSpec>) -> Result<Array<T>>
where
    T: Element,
    S: Data<Elem = T>,
    D: Dimension,
{
    let mut data: ArrayD<T> = data.into_owned().into_dyn();
    if !data.is_standard_layout() {
        // Blocks and gathers read C-order runs in place: store C order once.
        data = data.as_standard_layout().into_owned();
    }
    let chunks = chunks.into().resolve(data.shape(), T::DTYPE)?;
    let node = Node::new(
        Op::Resident(Resident::whole(T::wrap(data))),
        Vec::new(),
        chunks,
        T::DTYPE,
    );
    Ok(Array::from_node(node))
}

/// A 1-d array of `values` ndchunk computed while building an array whose
/// length depends on the data (`unique`, `nonzero`, ...), in one block,
/// named `what` by `explain()`.
pub(crate) fn computed_when_built<T: Element>(values: Vec<T>, what: &str) -> Array<T> {
    let n = values.len();
    computed_block(
        T::wrap(ArrayD::from_shape_vec(ndarray::IxDyn(&[n]), values).expect("a 1-d shape")),
        what,
    )
}

/// `block`, which ndchunk computed while building an array, as an array of
/// one block named `what` by `explain()`.
pub(crate) fn computed_block<T: Element>(block: DynArray, what: &str) -> Array<T> {
    let shape = block.shape().to_vec();
    let dtype = block.dtype();
    let mut resident = Resident::whole(block);
    resident.computed = Some(what.to_string());
    Array::from_node(Node::new(
        Op::Resident(resident),
        Vec::new(),
        Chunks::single(&shape),
        dtype,
    ))
}

fn generated<T: Element>(
    g: Generator,
    shape: &[usize],
    chunks: impl Into<ChunkSpec>,
) -> Result<Array<T>> {
    let chunks = chunks.into().resolve(shape, T::DTYPE)?;
    Ok(Array::from_node(Node::new(
        Op::Generate(g),
        Vec::new(),
        chunks,
        T::DTYPE,
    )))
}

/// An array of `shape` with every element `value`.
///
/// ```
/// let x = ndchunk::full(&[2, 3], 7u16, [1, 3])?;
/// assert!(x.compute()?.iter().all(|&v| v == 7));
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn full<T: Element>(
    shape: &[usize],
    value: T,
    chunks: impl Into<ChunkSpec>,
) -> Result<Array<T>> {
    generated(Generator::Full(value.to_scalar()), shape, chunks)
}

/// An array of zeros (`false` for bool).
///
/// ```
/// use ndchunk::ChunkSpec;
/// let z = ndchunk::zeros::<f64>(&[10_000, 10_000], ChunkSpec::Auto)?;
/// assert_eq!(z.nbytes(), 800_000_000);
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn zeros<T: Element>(shape: &[usize], chunks: impl Into<ChunkSpec>) -> Result<Array<T>> {
    full(shape, T::default(), chunks)
}

/// An array of ones (`true` for bool).
///
/// ```
/// assert_eq!(ndchunk::ones::<i8>(&[3], [2])?.sum()?.compute()?[[]], 3);
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn ones<T: Element>(shape: &[usize], chunks: impl Into<ChunkSpec>) -> Result<Array<T>> {
    full(shape, 1u8.cast::<T>(), chunks)
}

/// The 1-d array `start, start + step, ...` up to but excluding `stop`, as NumPy's
/// `arange`; a zero step is an error.
///
/// ```
/// let x = ndchunk::arange::<i64>(10, 0, -3, [2])?;
/// assert_eq!(x.compute()?.into_raw_vec_and_offset().0, vec![10, 7, 4, 1]);
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn arange<T: NumElement>(
    start: T,
    stop: T,
    step: T,
    chunks: impl Into<ChunkSpec>,
) -> Result<Array<T>> {
    let (a, b, s): (f64, f64, f64) = (start.cast(), stop.cast(), step.cast());
    if s == 0.0 || !s.is_finite() || !a.is_finite() || !b.is_finite() {
        return Err(Error::invalid("arange", format!("start {start}, stop {stop}, step {step}: the step must be non-zero and all values finite")));
    }
    let n = ((b - a) / s).ceil().max(0.0) as usize;
    generated(
        Generator::Arange {
            start: start.to_scalar(),
            step: step.to_scalar(),
        },
        &[n],
        chunks,
    )
}

/// `num` evenly spaced values from `start` to `stop` (included), as NumPy's `linspace`
/// (computed in `f64`; integer dtypes round toward -inf, as NumPy 2).
///
/// ```
/// let x = ndchunk::linspace::<f64>(0.0, 1.0, 5, [2])?;
/// assert_eq!(x.compute()?.into_raw_vec_and_offset().0, vec![0.0, 0.25, 0.5, 0.75, 1.0]);
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn linspace<T: NumElement>(
    start: f64,
    stop: f64,
    num: usize,
    chunks: impl Into<ChunkSpec>,
) -> Result<Array<T>> {
    if !start.is_finite() || !stop.is_finite() {
        return Err(Error::invalid(
            "linspace",
            format!("start {start} and stop {stop} must be finite"),
        ));
    }
    generated(
        Generator::Linspace {
            start,
            stop,
            num,
            endpoint: true,
        },
        &[num],
        chunks,
    )
}

/// The `n` x `n` identity matrix.
///
/// ```
/// let i = ndchunk::eye::<f32>(3, [2, 2])?.compute()?;
/// assert_eq!(i, ndarray::Array2::<f32>::eye(3).into_dyn());
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn eye<T: Element>(n: usize, chunks: impl Into<ChunkSpec>) -> Result<Array<T>> {
    eye_k(n, n, 0, chunks)
}

/// A `rows` x `cols` matrix with ones on diagonal `k` (above the main one for `k > 0`).
///
/// ```
/// let e = ndchunk::eye_k::<u8>(2, 3, 1, [2, 3])?.compute()?;
/// assert_eq!(e, ndarray::arr2(&[[0, 1, 0], [0, 0, 1]]).into_dyn());
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn eye_k<T: Element>(
    rows: usize,
    cols: usize,
    k: i64,
    chunks: impl Into<ChunkSpec>,
) -> Result<Array<T>> {
    generated(Generator::Eye { k }, &[rows, cols], chunks)
}

/// An array whose blocks come from `f(block_index, block_shape)`; `f` must return
/// a block of exactly `block_shape` (anything else is an error at compute time).
///
/// ```
/// let x = ndchunk::from_fn(&[4, 2], [2, 2], |b, shape| {
///     ndarray::ArrayD::from_elem(shape, b[0] as i32)
/// })?;
/// assert_eq!(x.compute()?.slice(ndarray::s![.., 0]).to_vec(), vec![0, 0, 1, 1]);
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn from_fn<T, F>(shape: &[usize], chunks: impl Into<ChunkSpec>, f: F) -> Result<Array<T>>
where
    T: Element,
    F: Fn(&[usize], &[usize]) -> ArrayD<T> + Send + Sync + 'static,
{
    let chunks: Chunks = chunks.into().resolve(shape, T::DTYPE)?;
    let grid = chunks.clone();
    let block_fn: Arc<BlockFn> = Arc::new(move |block: &[usize], _: &[&DynArray]| {
        let shape = grid.block_shape(block);
        Ok(T::wrap(f(block, &shape)))
    });
    let node = Node::new(
        Op::FromFn(UserFn::new("from_fn", block_fn)),
        Vec::new(),
        chunks,
        T::DTYPE,
    );
    Ok(Array::from_node(node))
}

//! The user API: the lazy [`Array`] handle and everything that builds on it.
//!
//! Methods are grouped by concern: creation (`creation.rs`, `random.rs`),
//! elementwise maths (`elementwise.rs`, `ops.rs`), reductions (`reductions.rs`),
//! and inspection (`explain.rs`).

pub mod blockwise;
pub mod contract;
pub mod counting;
pub mod creation;
pub mod einsum;
pub mod elementwise;
pub(crate) mod explain;
pub mod indexing;
pub mod join;
pub mod linalg;
pub mod neighbors;
mod ops;
pub mod overlap;
mod radix_select;
pub mod random;
pub mod reductions;
mod reshape;
mod scan;
mod select;
pub mod sort;
mod ufuncs;
mod view;

use std::marker::PhantomData;
use std::sync::Arc;

use std::sync::Mutex;

use ndarray::{ArrayD, ArrayViewMutD, Axis, IxDyn};

use crate::block::DynArray;
use crate::block::DynSliceMut;
use crate::chunks::{ChunkSpec, Chunks};
use crate::config::PlanOptions;
use crate::element::{DType, Element};
use crate::error::{Error, Result};
use crate::exec::{Executor, Sink, Value};
use crate::expr::{Node, Op, Resident};
use crate::plan::Plan;

pub(crate) use crate::expr::rechunk_node;

/// A lazy, chunked n-dimensional array of `T`.
///
/// Building an expression does no work; [`Array::compute`] plans it, runs the
/// plan and returns an `ndarray::ArrayD<T>`. Cloning is cheap (an `Arc`).
///
/// ```
/// use ndchunk::prelude::*;
/// let x = ndchunk::from_array(ndarray::array![[1.0f64, 2.0], [3.0, 4.0]], [1, 2])?;
/// let y = (&x * 2.0 + 1.0).sum_axis(Axis(0))?;
/// assert_eq!(y.compute()?, ndarray::arr1(&[10.0, 14.0]).into_dyn());
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub struct Array<T: Element> {
    node: Arc<Node>,
    _t: PhantomData<fn() -> T>,
}

impl<T: Element> Clone for Array<T> {
    fn clone(&self) -> Self {
        Array {
            node: self.node.clone(),
            _t: PhantomData,
        }
    }
}

impl<T: Element> std::fmt::Debug for Array<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Array<{}>(shape={:?}, chunks={})",
            T::DTYPE,
            self.shape(),
            self.chunks()
        )
    }
}

impl<T: Element> Array<T> {
    pub(crate) fn from_node(node: Arc<Node>) -> Self {
        debug_assert_eq!(node.dtype, T::DTYPE);
        Array {
            node,
            _t: PhantomData,
        }
    }

    /// The logical graph node behind this array (internal: for the planner's
    /// tests and the comparison harness).
    #[doc(hidden)]
    pub fn node(&self) -> &Arc<Node> {
        &self.node
    }

    /// The array's shape.
    ///
    /// ```
    /// let x = ndchunk::zeros::<f32>(&[4, 6], [3, 6])?;
    /// assert_eq!(x.shape(), &[4, 6]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn shape(&self) -> &[usize] {
        &self.node.shape
    }

    /// Number of dimensions.
    ///
    /// ```
    /// let x = ndchunk::zeros::<f32>(&[4, 6], [3, 6])?;
    /// assert_eq!(x.ndim(), 2);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn ndim(&self) -> usize {
        self.node.shape.len()
    }

    /// Number of elements.
    ///
    /// ```
    /// let x = ndchunk::zeros::<f32>(&[4, 6], [3, 6])?;
    /// assert_eq!(x.len(), 24);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.node.shape.iter().product()
    }

    /// True when the array has no elements.
    ///
    /// ```
    /// let e = ndchunk::zeros::<f32>(&[0, 3], [1, 3])?;
    /// assert!(e.is_empty());
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The length of `axis`, or an error naming `op` if there is no such axis.
    pub(crate) fn axis_len(&self, op: &str, axis: usize) -> Result<usize> {
        self.shape()
            .get(axis)
            .copied()
            .ok_or(Error::AxisOutOfBounds {
                op: op.into(),
                axis: axis as isize,
                ndim: self.ndim(),
            })
    }

    /// The array's chunks.
    ///
    /// ```
    /// let x = ndchunk::zeros::<f32>(&[4, 6], [3, 6])?;
    /// assert_eq!(x.chunks().lens(0), &[3, 1]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn chunks(&self) -> &Chunks {
        &self.node.chunks
    }

    /// Number of blocks along each axis.
    ///
    /// ```
    /// let x = ndchunk::zeros::<f32>(&[4, 6], [3, 6])?;
    /// assert_eq!(x.numblocks(), vec![2, 1]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn numblocks(&self) -> Vec<usize> {
        self.node.chunks.numblocks()
    }

    /// Bytes of the whole array if materialised.
    ///
    /// ```
    /// let x = ndchunk::zeros::<f32>(&[4, 6], [3, 6])?;
    /// assert_eq!(x.nbytes(), 96);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn nbytes(&self) -> u64 {
        self.node.nbytes()
    }

    /// The element dtype.
    ///
    /// ```
    /// let x = ndchunk::zeros::<f32>(&[4, 6], [3, 6])?;
    /// assert_eq!(x.dtype(), ndchunk::DType::F32);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn dtype(&self) -> DType {
        T::DTYPE
    }

    /// The error met while building this expression (e.g. shapes that do not
    /// broadcast in `&a + &b`), if any; `compute` returns it too.
    ///
    /// ```
    /// let x = ndchunk::zeros::<f32>(&[4, 6], [3, 6])?;
    /// let y = ndchunk::zeros::<f32>(&[5], [5])?;
    /// assert!((&x + &y).error().is_some());
    /// assert!((&x * 2.0).error().is_none());
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn error(&self) -> Option<&Error> {
        self.node.error()
    }

    /// This array, or the error met while building it.
    ///
    /// ```
    /// let a = ndchunk::zeros::<f32>(&[3], [3])?;
    /// let b = ndchunk::zeros::<f32>(&[4], [4])?;
    /// assert!((&a + &b).checked().is_err());
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn checked(self) -> Result<Self> {
        match self.error() {
            Some(e) => Err(e.clone()),
            None => Ok(self),
        }
    }

    /// The physical plan that computing this array with the default executor
    /// runs (sized for the default memory limit).
    ///
    /// ```
    /// let x = ndchunk::arange::<i64>(0, 10, 1, [5])?;
    /// let plan = (&x * 2).sum()?.plan()?;
    /// assert_eq!(plan.outputs.len(), 1);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn plan(&self) -> Result<Plan> {
        self.plan_with(&PlanOptions::from_env()?)
    }

    /// The physical plan of this array under `options` (see
    /// [`Executor::plan_options`]).
    ///
    /// ```
    /// use ndchunk::prelude::*;
    /// let x = ndchunk::random::uniform::<f64>(&[4096, 64], [256, 64], 0)?;
    /// // 2 MiB, shuffled under a 1 MiB limit: the gather streams in groups.
    /// let limited = ndchunk::PlanOptions::for_memory_limit(1 << 20)?;
    /// let plan = x.permutation(Axis(0), 3)?.plan_with(&limited)?;
    /// assert!(plan.stages.iter().any(|s| s.name.contains("scatter")));
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn plan_with(&self, options: &PlanOptions) -> Result<Plan> {
        crate::plan::lower(&self.node, options)
    }

    /// Computes the array with the default (local) executor.
    ///
    /// ```
    /// let x = ndchunk::arange::<i64>(0, 4, 1, [3])?;
    /// assert_eq!((&x + 1).compute()?, ndarray::arr1(&[1, 2, 3, 4]).into_dyn());
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn compute(&self) -> Result<ArrayD<T>> {
        self.compute_with(&Executor::default())
    }

    /// Computes the array with `executor`.
    ///
    /// ```
    /// use ndchunk::prelude::*;
    /// let x = ndchunk::arange::<i32>(0, 6, 1, [4])?;
    /// let one = x.compute_with(&Executor::local().threads(1))?;
    /// assert_eq!(one, ndarray::arr1(&[0, 1, 2, 3, 4, 5]).into_dyn());
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn compute_with(&self, executor: &Executor) -> Result<ArrayD<T>> {
        let plan = self.plan_with(&executor.plan_options()?)?;
        if plan.outputs.len() == 1 {
            let values = executor.run(&plan)?;
            return single_block(values);
        }
        // Workers write each block into its own region of the result: in place
        // where the region is contiguous, else copied as soon as it is computed.
        let shape = plan.chunks.shape();
        let zeroed = crate::huge_pages::zeroed(shape.iter().product());
        let mut out = ArrayD::from_shape_vec(IxDyn(&shape), zeroed)
            .map_err(|e| Error::invalid("compute", e.to_string()))?;
        let sink = BlockSlots::new(block_views(out.view_mut(), &plan.chunks));
        executor.run_into(&plan, &sink)?;
        drop(sink);
        Ok(out)
    }

    /// Computes every block and returns an array backed by them, so later
    /// expressions reuse the blocks instead of recomputing them.
    ///
    /// ```
    /// let x = ndchunk::random::uniform::<f64>(&[100], [30], 7)?.persist()?;
    /// assert_eq!(x.compute()?, x.compute()?);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn persist(&self) -> Result<Array<T>> {
        self.persist_with(&Executor::default())
    }

    /// [`Array::persist`] with `executor`.
    ///
    /// ```
    /// let x = ndchunk::random::uniform::<f64>(&[10], [4], 1)?;
    /// let kept = x.persist_with(&ndchunk::Executor::local().threads(1))?;
    /// assert_eq!(kept.compute()?, x.compute()?);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn persist_with(&self, executor: &Executor) -> Result<Array<T>> {
        let plan = self.plan_with(&executor.plan_options()?)?;
        let blocks = executor
            .run(&plan)?
            .into_iter()
            .map(|v| Value::take_block(v, "persist"))
            .collect::<Result<Vec<DynArray>>>()?;
        let node = Node::new(
            Op::Resident(Resident {
                chunks: plan.chunks.clone(),
                blocks: blocks.into(),
                computed: None,
            }),
            Vec::new(),
            plan.chunks.clone(),
            T::DTYPE,
        );
        Ok(Array::from_node(node))
    }

    /// The same values cut into new chunks.
    ///
    /// Each output block is copied from the input blocks it overlaps, each
    /// computed once. When such a task would hold more than the rechunk budget
    /// ([`crate::config::rechunk_budget`]: `NDCHUNK_RECHUNK_BYTES`, else a quarter
    /// of the memory limit), the plan goes through intermediate chunks instead;
    /// [`Array::explain`] shows the stages and the estimated peak memory. An
    /// in-memory array is only re-cut, with no tasks.
    ///
    /// ```
    /// let x = ndchunk::arange::<u8>(0, 10, 1, [3])?.rechunk([5])?;
    /// assert_eq!(x.chunks().lens(0), &[5, 5]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn rechunk(&self, chunks: impl Into<ChunkSpec>) -> Result<Array<T>> {
        let chunks = chunks.into().resolve(self.shape(), T::DTYPE)?;
        Ok(Array::from_node(rechunk_node(&self.node, chunks, None)))
    }

    /// [`Array::rechunk`] with tasks holding at most `budget` bytes where an
    /// intermediate chunking allows it (a task always holds its output block and
    /// at least one input block).
    ///
    /// ```
    /// let x = ndchunk::random::uniform::<f32>(&[400, 400], [40, 40], 1)?;
    /// // Direct tasks would hold a 400 x 4 block and ten 40 x 40 blocks (70 KiB).
    /// let y = x.rechunk_within([400, 4], 32 << 10)?;
    /// assert!(y.explain().contains("(intermediate"), "{}", y.explain());
    /// assert_eq!(y.compute()?, x.compute()?);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn rechunk_within(&self, chunks: impl Into<ChunkSpec>, budget: u64) -> Result<Array<T>> {
        let chunks = chunks.into().resolve(self.shape(), T::DTYPE)?;
        Ok(Array::from_node(rechunk_node(
            &self.node,
            chunks,
            Some(budget),
        )))
    }
}

/// The typed block inside a task's value.
fn as_block<T: Element>(value: Value) -> Result<ArrayD<T>> {
    match value {
        Value::Block(b) => T::unwrap(b).map_err(|b| Error::DtypeMismatch {
            op: "compute".into(),
            expected: T::DTYPE.to_string(),
            found: b.dtype().to_string(),
        }),
        _ => Err(Error::invalid("compute", "result is not a block of values")),
    }
}

/// Computes several arrays in one plan, so what they share is computed
/// once (dask's `da.compute(a, b, ...)`): the factors of one
/// factorisation, or statistics of one pass over the data.
///
/// ```
/// let x = ndchunk::random::uniform::<f64>(&[1000], [100], 3)?;
/// let (low, high) = (x.min()?, x.max()?);
/// let both = ndchunk::compute_all(&[&low, &high])?;
/// assert!(both[0][[]] <= both[1][[]]);
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn compute_all<T: Element>(arrays: &[&Array<T>]) -> Result<Vec<ArrayD<T>>> {
    compute_all_with(arrays, &Executor::default())
}

/// [`compute_all`] with `executor`.
///
/// ```
/// let x = ndchunk::arange::<i64>(0, 6, 1, [4])?;
/// let ex = ndchunk::Executor::local().threads(1);
/// let [a, b] = <[_; 2]>::try_from(ndchunk::compute_all_with(&[&x, &(&x * 2)], &ex)?).unwrap();
/// assert_eq!(b, a * 2);
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn compute_all_with<T: Element>(
    arrays: &[&Array<T>],
    executor: &Executor,
) -> Result<Vec<ArrayD<T>>> {
    let any: Vec<AnyArray> = arrays.iter().map(|&a| a.into()).collect();
    compute_any(&any, executor)?
        .into_iter()
        .map(|block| as_block::<T>(Value::Block(block)))
        .collect()
}

/// Computes arrays of any dtypes in one plan, as [`compute_all_with`] does
/// for one dtype: the dynamic form, for bindings such as the Python package.
///
/// ```
/// let x = ndchunk::arange::<i32>(0, 6, 1, [4])?;
/// let (a, b): (ndchunk::AnyArray, ndchunk::AnyArray) = ((&x).into(), x.astype::<f64>().into());
/// let out = ndchunk::compute_any(&[a, b], &ndchunk::Executor::local())?;
/// assert_eq!((out[0].dtype(), out[1].dtype()), (ndchunk::DType::I32, ndchunk::DType::F64));
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn compute_any(arrays: &[AnyArray], executor: &Executor) -> Result<Vec<DynArray>> {
    if let [one] = arrays {
        return with_dtype!(one.dtype(), T => {
            Ok(vec![T::wrap(one.typed::<T>()?.compute_with(executor)?)])
        });
    }
    if arrays.is_empty() {
        return Ok(Vec::new());
    }
    let nodes: Vec<Arc<Node>> = arrays.iter().map(|a| a.node().clone()).collect();
    let (plan, _) = crate::plan::lower_many(&nodes, &executor.plan_options()?)?;
    let mut results = arrays
        .iter()
        .map(|a| {
            with_dtype!(a.dtype(), T => {
                let zeroed = crate::huge_pages::zeroed::<T>(a.shape().iter().product());
                ArrayD::from_shape_vec(IxDyn(a.shape()), zeroed)
                    .map(T::wrap)
                    .map_err(|e| Error::invalid("compute_all", e.to_string()))
            })
        })
        .collect::<Result<Vec<DynArray>>>()?;
    let parts: Vec<(Box<dyn Sink + '_>, usize)> = results
        .iter_mut()
        .zip(arrays)
        .map(|(out, a)| {
            dyn_match!(out, o: T => {
                let slots = BlockSlots::<T>::new(block_views(o.view_mut(), a.chunks()));
                (Box::new(slots) as Box<dyn Sink>, a.chunks().nblocks())
            })
        })
        .collect();
    executor.run_into(&plan, &SinkParts(parts))?;
    Ok(results)
}

/// Several sinks behind one: output `i` goes to the part holding it (parts
/// in order, each with its number of outputs).
struct SinkParts<'a>(Vec<(Box<dyn Sink + 'a>, usize)>);

impl SinkParts<'_> {
    fn part(&self, mut i: usize) -> Option<(&dyn Sink, usize)> {
        for (sink, n) in &self.0 {
            if i < *n {
                return Some((sink.as_ref(), i));
            }
            i -= n;
        }
        None
    }
}

impl Sink for SinkParts<'_> {
    fn destination(&self, i: usize) -> Option<DynSliceMut<'_>> {
        let (sink, local) = self.part(i)?;
        sink.destination(local)
    }

    fn receive(&self, i: usize, value: Value) -> Result<()> {
        let (sink, local) = self
            .part(i)
            .ok_or_else(|| Error::Executor(format!("output block {i} has no array")))?;
        sink.receive(local, value)
    }
}

/// The result's region of each output block, each handed out once.
struct BlockSlots<'a, T> {
    slots: Vec<Mutex<Option<ArrayViewMutD<'a, T>>>>,
}

impl<'a, T: Element> BlockSlots<'a, T> {
    fn new(views: Vec<ArrayViewMutD<'a, T>>) -> Self {
        let slots = views.into_iter().map(|v| Mutex::new(Some(v))).collect();
        BlockSlots { slots }
    }

    /// Takes block `i`'s region if `keep` accepts it (else leaves it in place).
    fn take(
        &self,
        i: usize,
        keep: impl FnOnce(&mut ArrayViewMutD<'a, T>) -> bool,
    ) -> Option<ArrayViewMutD<'a, T>> {
        let mut slot = self.slots.get(i)?.lock().ok()?;
        slot.take_if(keep)
    }
}

impl<T: Element> Sink for BlockSlots<'_, T> {
    fn destination(&self, i: usize) -> Option<DynSliceMut<'_>> {
        let view = self.take(i, |v| v.as_slice_mut().is_some())?;
        view.into_slice().map(T::wrap_slice_mut)
    }

    fn receive(&self, i: usize, value: Value) -> Result<()> {
        let block = as_block::<T>(value)?;
        let mut view = self
            .take(i, |_| true)
            .ok_or_else(|| Error::Executor(format!("output block {i} delivered twice")))?;
        if view.shape() != block.shape() {
            return Err(Error::invalid(
                "compute",
                format!(
                    "block {i} has shape {:?}, expected {:?}",
                    block.shape(),
                    view.shape()
                ),
            ));
        }
        view.assign(&block);
        crate::exec::pool::give(block.into_raw_vec_and_offset().0);
        Ok(())
    }
}

/// Disjoint mutable views of `view`, one per block of `chunks`, in C order.
fn block_views<'a, T>(view: ArrayViewMutD<'a, T>, chunks: &Chunks) -> Vec<ArrayViewMutD<'a, T>> {
    let mut views = vec![view];
    for axis in 0..chunks.ndim() {
        let lens = chunks.lens(axis);
        let mut next = Vec::with_capacity(views.len() * lens.len());
        for v in views {
            let mut rest = v;
            for &len in &lens[..lens.len() - 1] {
                let (head, tail) = rest.split_at(Axis(axis), len);
                next.push(head);
                rest = tail;
            }
            next.push(rest);
        }
        views = next;
    }
    views
}

/// The single computed block of a one-block result.
fn single_block<T: Element>(values: Vec<Arc<Value>>) -> Result<ArrayD<T>> {
    let value = values
        .into_iter()
        .next()
        .ok_or_else(|| Error::Executor("no result".into()))?;
    as_block(Value::Block(Value::take_block(value, "compute")?))
}

/// An array of any dtype: what functions taking arrays of several dtypes
/// (such as `store`, with the `zarr` feature) take.
///
/// ```
/// let x = ndchunk::zeros::<f32>(&[3], [3])?;
/// let any: ndchunk::AnyArray = (&x).into();
/// # let _ = any;
/// # Ok::<(), ndchunk::Error>(())
/// ```
#[derive(Clone)]
pub struct AnyArray {
    node: Arc<Node>,
}

impl AnyArray {
    /// The logical graph's node.
    #[doc(hidden)]
    pub fn node(&self) -> &Arc<Node> {
        &self.node
    }

    /// The element type, known only at run time (for bindings with dynamic
    /// dtypes, such as the Python package).
    ///
    /// ```
    /// let any: ndchunk::AnyArray = (&ndchunk::zeros::<u16>(&[3], [3])?).into();
    /// assert_eq!(any.dtype(), ndchunk::DType::U16);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn dtype(&self) -> DType {
        self.node.dtype
    }

    /// The array's shape.
    ///
    /// ```
    /// let any: ndchunk::AnyArray = (&ndchunk::zeros::<f32>(&[3, 4], [2, 4])?).into();
    /// assert_eq!(any.shape(), &[3, 4]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn shape(&self) -> &[usize] {
        &self.node.shape
    }

    /// The array's chunks.
    ///
    /// ```
    /// let any: ndchunk::AnyArray = (&ndchunk::zeros::<f32>(&[3, 4], [2, 4])?).into();
    /// assert_eq!(any.chunks().lens(0), &[2, 1]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn chunks(&self) -> &Chunks {
        &self.node.chunks
    }

    /// The error found while building this array or its inputs, if any
    /// (as [`Array::error`]).
    ///
    /// ```
    /// let x = ndchunk::zeros::<f32>(&[3], [3])?;
    /// let bad: ndchunk::AnyArray = (&x + &ndchunk::zeros::<f32>(&[4], [4])?).into();
    /// assert!(bad.error().is_some());
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn error(&self) -> Option<&Error> {
        self.node.error()
    }

    /// The typed array, or [`Error::DtypeMismatch`] when the dtype is not `T`'s.
    ///
    /// ```
    /// let any: ndchunk::AnyArray = (&ndchunk::ones::<i32>(&[2], [2])?).into();
    /// assert_eq!(any.typed::<i32>()?.compute()?[0], 1);
    /// assert!(any.typed::<f64>().is_err());
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn typed<T: Element>(&self) -> Result<Array<T>> {
        if self.node.dtype != T::DTYPE {
            return Err(Error::DtypeMismatch {
                op: "AnyArray::typed".into(),
                expected: T::DTYPE.to_string(),
                found: self.node.dtype.to_string(),
            });
        }
        Ok(Array::from_node(self.node.clone()))
    }
}

impl AnyArray {
    /// The same array with every closure source (a [`crate::from_fn`] leaf,
    /// as the Python package's NumPy inputs are) computed now and held in
    /// memory, so the plan can travel to other processes: the Dask executor
    /// refuses closures, and ships resident blocks in the plan.
    ///
    /// ```
    /// let x = ndchunk::from_fn::<i32, _>(&[4], [2], |b, s| ndarray::ArrayD::from_elem(s, b[0] as i32))?;
    /// let any: ndchunk::AnyArray = (&x + 1).into();
    /// let held = any.with_closure_sources_computed()?;
    /// assert!(!held.typed::<i32>()?.explain().contains("from_fn"));
    /// assert_eq!(held.typed::<i32>()?.compute()?, (&x + 1).compute()?);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn with_closure_sources_computed(&self) -> Result<AnyArray> {
        let mut memo = std::collections::HashMap::new();
        Ok(AnyArray {
            node: closure_sources_computed(&self.node, &mut memo)?,
        })
    }
}

/// `node` with its closure leaves replaced by resident copies (each node
/// rebuilt once, however often the graph reuses it).
fn closure_sources_computed(
    node: &Arc<Node>,
    memo: &mut std::collections::HashMap<crate::expr::NodeId, Arc<Node>>,
) -> Result<Arc<Node>> {
    if let Some(done) = memo.get(&node.id) {
        return Ok(done.clone());
    }
    let out = match &node.op {
        Op::FromFn(f) if f.recipe.is_none() && node.inputs.is_empty() => {
            with_dtype!(node.dtype, T => {
                Array::<T>::from_node(node.clone()).persist_with(&Executor::local())?.node
            })
        }
        _ if node.inputs.is_empty() => node.clone(),
        _ => {
            let inputs = stacker::maybe_grow(64 << 10, 1 << 20, || {
                node.inputs
                    .iter()
                    .map(|i| closure_sources_computed(i, memo))
                    .collect::<Result<Vec<_>>>()
            })?;
            if inputs
                .iter()
                .zip(&node.inputs)
                .all(|(a, b)| Arc::ptr_eq(a, b))
            {
                node.clone()
            } else {
                node.with_inputs(inputs)
            }
        }
    };
    memo.insert(node.id, out.clone());
    Ok(out)
}

impl<T: Element> From<Array<T>> for AnyArray {
    fn from(a: Array<T>) -> Self {
        AnyArray { node: a.node }
    }
}

impl<T: Element> From<&Array<T>> for AnyArray {
    fn from(a: &Array<T>) -> Self {
        AnyArray {
            node: a.node().clone(),
        }
    }
}

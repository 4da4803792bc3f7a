//! `topk` and `argtopk`: the `k` largest (or smallest) elements along an
//! axis, as tree reductions whose partial states hold at most `k` candidates
//! per position, so any chunking of the axis works and no task holds more
//! than `split_every` blocks' candidates.

use ndarray::Axis;

use crate::array::reductions::DEFAULT_SPLIT_EVERY;
use crate::array::Array;
use crate::chunks::Chunks;
use crate::element::{Element, NumElement};
use crate::error::{Error, Result};
use crate::expr::{Node, Op, TopKSpec};

impl<T: NumElement> Array<T> {
    /// The `k` largest elements along `axis`, largest first; for a negative
    /// `k`, the `-k` smallest, smallest first (dask's `topk`). NaN counts as
    /// larger than every number, as in NumPy's sort; equal values come in
    /// the order of their positions. The axis of the result has length
    /// `|k|`, in one chunk. For dask users: `da.topk(x, k, axis)`.
    ///
    /// ```
    /// use ndchunk::prelude::*;
    /// let x = ndchunk::from_array(ndarray::array![5, 1, 9, 3, 7, 9], [2])?;
    /// assert_eq!(x.topk(3, Axis(0))?.compute()?, ndarray::array![9, 9, 7].into_dyn());
    /// assert_eq!(x.topk(-2, Axis(0))?.compute()?, ndarray::array![1, 3].into_dyn());
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn topk(&self, k: isize, axis: Axis) -> Result<Array<T>> {
        self.select_node(k, axis, false).map(Array::from_node)
    }

    /// The positions along `axis` (int64) of [`Array::topk`]'s elements, in
    /// its order (dask's `argtopk`). For dask users: `da.argtopk(x, k, axis)`.
    ///
    /// ```
    /// use ndchunk::prelude::*;
    /// let x = ndchunk::from_array(ndarray::array![[5.0, 1.0, 9.0], [2.0, 8.0, 4.0]], [1, 2])?;
    /// let top = x.argtopk(2, Axis(1))?.compute()?;
    /// assert_eq!(top, ndarray::array![[2, 0], [1, 2]].into_dyn());
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn argtopk(&self, k: isize, axis: Axis) -> Result<Array<i64>> {
        self.select_node(k, axis, true).map(Array::from_node)
    }

    fn select_node(&self, k: isize, axis: Axis, arg: bool) -> Result<std::sync::Arc<Node>> {
        let op = if arg { "argtopk" } else { "topk" };
        if let Some(e) = self.error() {
            return Err(e.clone());
        }
        let n = self.axis_len(op, axis.0)?;
        let count = k.unsigned_abs();
        if count > n {
            return Err(Error::invalid(
                op,
                format!(
                    "|k| = {count} is more than the {n} elements along axis {}",
                    axis.0
                ),
            ));
        }
        let mut lens = self.chunks().all_lens().to_vec();
        lens[axis.0] = vec![count];
        let spec = TopKSpec {
            k,
            axis: axis.0,
            arg,
            split_every: DEFAULT_SPLIT_EVERY,
        };
        let dtype = if arg { i64::DTYPE } else { T::DTYPE };
        Ok(Node::new(
            Op::TopK(spec),
            vec![self.node().clone()],
            Chunks::from_checked(lens),
            dtype,
        ))
    }
}

//! Scans and differences along an axis: `cumsum`, `cumprod` and their NaN
//! variants, `diff` and `gradient`.
//!
//! A scan is planned as reduce-then-scan, the blocked form of Blelloch's
//! work-efficient scan: every block's total along the axis (a blockwise
//! reduction fused with the block's producer), an exclusive scan of the
//! totals (the same plan again on them, grouped many blocks per task, so
//! its depth is O(log blocks)), and each block scanned from its carry.
//! Each input block is read twice and nothing is held between the passes,
//! so a scan of an array larger than memory streams. Dask's default chains
//! the carries block after block (depth O(blocks)).

use std::sync::Arc;

use ndarray::{Axis, Slice};

use crate::array::elementwise::where_;
use crate::array::{rechunk_node, Array};
use crate::chunks::Chunks;
use crate::element::{DType, Element, FloatElement, NumElement};
use crate::error::{Error, Result};
use crate::expr::{
    BlockMap, BlockOp, BlockwiseReduce, Kernel, Node, Op, ReduceKind, ReduceSpec, ScanKind,
    ScanSpec,
};

/// Bytes of block totals an exclusive-scan task of the carries reads.
const CARRY_GROUP_BYTES: usize = 8 << 20;

impl<T: Element> Array<T> {
    /// Running sums along `axis` (NumPy's `cumsum`; integers and `bool`
    /// accumulate in `i64`/`u64`, floats in their own type, as NumPy's).
    /// For the flattened array (`axis=None`), reshape to one axis first.
    ///
    /// ```
    /// use ndchunk::prelude::*;
    /// let x = ndchunk::from_array(ndarray::arr2(&[[1i32, 2], [3, 4], [5, 6]]), [2, 1])?;
    /// assert_eq!(x.cumsum(Axis(0))?.compute()?, ndarray::arr2(&[[1i64, 2], [4, 6], [9, 12]]).into_dyn());
    /// assert_eq!(x.cumsum(Axis(1))?.compute()?, ndarray::arr2(&[[1i64, 3], [3, 7], [5, 11]]).into_dyn());
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn cumsum(&self, axis: Axis) -> Result<Array<T::Sum>> {
        self.scan("cumsum", axis, ScanKind::Sum, false)
    }

    /// Running products along `axis` (NumPy's `cumprod`, dtypes as
    /// [`Array::cumsum`]).
    ///
    /// ```
    /// use ndchunk::prelude::*;
    /// let x = ndchunk::arange::<f64>(1.0, 6.0, 1.0, [2])?;
    /// assert_eq!(x.cumprod(Axis(0))?.compute()?.into_raw_vec_and_offset().0, vec![1.0, 2.0, 6.0, 24.0, 120.0]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn cumprod(&self, axis: Axis) -> Result<Array<T::Sum>> {
        self.scan("cumprod", axis, ScanKind::Prod, false)
    }

    /// [`Array::cumsum`] treating NaN as zero (NumPy's `nancumsum`).
    ///
    /// ```
    /// use ndchunk::prelude::*;
    /// let x = ndchunk::from_array(ndarray::arr1(&[1.0, f64::NAN, 2.0]), [2])?;
    /// assert_eq!(x.nancumsum(Axis(0))?.compute()?.into_raw_vec_and_offset().0, vec![1.0, 1.0, 3.0]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn nancumsum(&self, axis: Axis) -> Result<Array<T::Sum>> {
        self.scan("nancumsum", axis, ScanKind::Sum, true)
    }

    /// [`Array::cumprod`] treating NaN as one (NumPy's `nancumprod`).
    ///
    /// ```
    /// use ndchunk::prelude::*;
    /// let x = ndchunk::from_array(ndarray::arr1(&[2.0, f64::NAN, 3.0]), [1])?;
    /// assert_eq!(x.nancumprod(Axis(0))?.compute()?.into_raw_vec_and_offset().0, vec![2.0, 2.0, 6.0]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn nancumprod(&self, axis: Axis) -> Result<Array<T::Sum>> {
        self.scan("nancumprod", axis, ScanKind::Prod, true)
    }

    fn scan<U: Element>(
        &self,
        op: &str,
        axis: Axis,
        kind: ScanKind,
        nan_as_identity: bool,
    ) -> Result<Array<U>> {
        if let Some(e) = self.error() {
            return Err(e.clone());
        }
        // NumPy scans a 0-d array as one element.
        if self.ndim() == 0 && axis.0 == 0 {
            return self.reshape(&[1])?.scan(op, axis, kind, nan_as_identity);
        }
        self.axis_len(op, axis.0)?;
        let mut input = self.node().clone();
        if nan_as_identity && T::DTYPE.is_float() {
            let identity = match kind {
                ScanKind::Sum => T::default(),
                ScanKind::Prod => true.cast::<T>(),
            };
            input = where_(&self.isnan(), identity, self).node().clone();
        }
        let spec = ScanSpec {
            axis: axis.0,
            kind,
            exclusive: false,
        };
        let dtype = spec.output_dtype(T::DTYPE);
        debug_assert_eq!(dtype, U::DTYPE);
        Ok(Array::from_node(scan_node(&input, spec, dtype)))
    }
}

/// `x` scanned by `spec` into `dtype`: one kernel task per block, started
/// from the exclusive scan of the blocks' totals when there are several.
fn scan_node(x: &Arc<Node>, spec: ScanSpec, dtype: DType) -> Arc<Node> {
    let axis = spec.axis;
    let blocks = x.chunks.lens(axis).len();
    let kernel = |inputs: Vec<Arc<Node>>| {
        let map = BlockMap::aligned(
            BlockOp::Kernel(Kernel::Scan(spec)),
            inputs.len(),
            x.shape.len(),
        );
        Node::new(Op::MapBlocks(map), inputs, x.chunks.clone(), dtype)
    };
    if blocks <= 1 {
        return kernel(vec![x.clone()]);
    }
    let mut lens = x.chunks.all_lens().to_vec();
    lens[axis] = vec![1; blocks];
    let per_block = Chunks::from_checked(lens.clone());
    let reduce = BlockwiseReduce {
        spec: ReduceSpec {
            kind: match spec.kind {
                ScanKind::Sum => ReduceKind::Sum,
                ScanKind::Prod => ReduceKind::Prod,
            },
            axes: vec![axis],
            keepdims: true,
            ddof: 0,
            split_every: 2,
            flat: false,
        },
        dtype,
        chunks: per_block.clone(),
    };
    let totals = Node::new(
        Op::BlockwiseReduce(vec![reduce]),
        vec![x.clone()],
        per_block.clone(),
        dtype,
    );
    // The totals' exclusive scan, many blocks' totals per task.
    let slab: usize = lens
        .iter()
        .enumerate()
        .filter(|&(a, _)| a != axis)
        .map(|(_, l)| l.iter().copied().max().unwrap_or(0))
        .product::<usize>()
        * dtype.size();
    let group = (CARRY_GROUP_BYTES / slab.max(1)).clamp(2, blocks);
    lens[axis] = (0..blocks)
        .step_by(group)
        .map(|start| group.min(blocks - start))
        .collect();
    let grouped = rechunk_node(&totals, Chunks::from_checked(lens), None);
    let exclusive = ScanSpec {
        exclusive: true,
        ..spec
    };
    let carries = rechunk_node(&scan_node(&grouped, exclusive, dtype), per_block, None);
    kernel(vec![x.clone(), carries])
}

impl<T: NumElement> Array<T> {
    /// The `n`-th differences along `axis` (NumPy's `diff`): `x[1:] - x[:-1]`,
    /// `n` times; the axis shrinks by `n` (to 0 at most).
    ///
    /// ```
    /// use ndchunk::prelude::*;
    /// let x = ndchunk::from_array(ndarray::arr1(&[1i32, 4, 9, 16, 25]), [2])?;
    /// assert_eq!(x.diff(1, Axis(0))?.compute()?.into_raw_vec_and_offset().0, vec![3, 5, 7, 9]);
    /// assert_eq!(x.diff(2, Axis(0))?.compute()?.into_raw_vec_and_offset().0, vec![2, 2, 2]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn diff(&self, n: usize, axis: Axis) -> Result<Array<T>> {
        if let Some(e) = self.error() {
            return Err(e.clone());
        }
        self.axis_len("diff", axis.0)?;
        let mut x = self.clone();
        for _ in 0..n {
            let len = x.shape()[axis.0];
            if len == 0 {
                break;
            }
            let later = x.slice_axis(axis, Slice::from(1..))?;
            let earlier = x.slice_axis(axis, Slice::from(..len - 1))?;
            x = &later - &earlier.rechunk(later.chunks())?;
        }
        Ok(x)
    }
}

impl<T: FloatElement> Array<T> {
    /// The gradient along `axis` with sample distance `spacing` (NumPy's
    /// `gradient(x, spacing, axis=axis)` with `edge_order=1`): central
    /// differences `(x[i+1] - x[i-1]) / 2h` inside, one-sided differences at
    /// the two ends. The axis needs at least two elements. Integer arrays
    /// go through [`Array::astype`] first (NumPy's result is `f64`).
    ///
    /// ```
    /// use ndchunk::prelude::*;
    /// let x = ndchunk::from_array(ndarray::arr1(&[1.0, 2.0, 4.0, 7.0, 11.0]), [2])?;
    /// assert_eq!(x.gradient(Axis(0), 1.0)?.compute()?.into_raw_vec_and_offset().0, vec![1.0, 1.5, 2.5, 3.5, 4.0]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn gradient(&self, axis: Axis, spacing: T) -> Result<Array<T>> {
        if let Some(e) = self.error() {
            return Err(e.clone());
        }
        let n = self.axis_len("gradient", axis.0)?;
        if n < 2 {
            return Err(Error::invalid(
                "gradient",
                format!(
                    "axis {} has {n} elements; a gradient needs at least 2",
                    axis.0
                ),
            ));
        }
        let mut widths = vec![(0, 0); self.ndim()];
        widths[axis.0] = (1, 1);
        let padded = self.pad(&widths, crate::array::join::PadMode::Edge)?;
        let next = padded
            .slice_axis(axis, Slice::from(2..))?
            .rechunk(self.chunks())?;
        let previous = padded
            .slice_axis(axis, Slice::from(..n))?
            .rechunk(self.chunks())?;
        // The distance each difference spans: h at the ends, 2h inside.
        let two = spacing + spacing;
        let distances: Vec<T> = (0..n)
            .map(|i| if i == 0 || i == n - 1 { spacing } else { two })
            .collect();
        let mut shape = vec![1; self.ndim()];
        shape[axis.0] = n;
        let chunks: Vec<Vec<usize>> = (0..self.ndim())
            .map(|a| match a == axis.0 {
                true => self.chunks().lens(a).to_vec(),
                false => vec![1],
            })
            .collect();
        let distances = crate::array::creation::from_array(
            ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&shape), distances)
                .map_err(|e| Error::invalid("gradient", e.to_string()))?,
            chunks,
        )?;
        Ok(&(&next - &previous) / &distances)
    }
}

//! Contractions: `matmul`, `dot`, `tensordot`, `vdot`, `outer`, `trace` and
//! `diagonal`, with NumPy's semantics (`einsum` is in `einsum.rs`).
//!
//! Every contraction of two operands is one node (`Op::Contract`): operand
//! blocks multiplied by a GEMM kernel (faer for floats; a wrapping loop for
//! integers, as NumPy), added over the contracted blocks. When a task would
//! hold more than a quarter of the memory limit, the contracted blocks are
//! cut into groups, added by a tree (`explain()` says how it cut them).
//! Matched axes whose chunks differ in the two operands are rechunked to the
//! common refinement of both.

use std::collections::BTreeSet;
use std::sync::Arc;

use ndarray::Axis;

use crate::array::elementwise::{broadcast_shapes, refine};
use crate::array::{rechunk_node, Array};
use crate::chunks::{check_size, Chunks};
use crate::element::NumElement;
use crate::error::{Error, Result};
use crate::expr::{ContractSpec, Node, Op};

/// The contraction of `a` and `b` described by `spec` (its `origin` names the
/// operation in errors): matched axes must have equal lengths, and are
/// rechunked to the common refinement of both operands' chunks.
pub(super) fn contract<T: NumElement>(
    a: &Array<T>,
    b: &Array<T>,
    spec: ContractSpec,
) -> Result<Array<T>> {
    if let Some(e) = a.error().or(b.error()) {
        return Err(e.clone());
    }
    let (sa, sb) = (a.shape(), b.shape());
    let matched = spec.batch.iter().chain(&spec.contracted);
    for &(x, y) in matched.clone() {
        if sa[x] != sb[y] {
            return Err(Error::invalid(
                &spec.origin,
                format!(
                    "axis {x} of the first operand (shape {sa:?}) has length {}, axis {y} of \
                     the second (shape {sb:?}) has length {}; matched axes must agree",
                    sa[x], sb[y]
                ),
            ));
        }
    }
    let mut a_lens = a.chunks().all_lens().to_vec();
    let mut b_lens = b.chunks().all_lens().to_vec();
    for &(x, y) in matched {
        let common = refine(&a_lens[x], &b_lens[y]);
        (a_lens[x], b_lens[y]) = (common.clone(), common);
    }
    let out_lens: Vec<Vec<usize>> = spec
        .output_axes()
        .into_iter()
        .map(|(side, axis)| match side {
            0 => a_lens[axis].clone(),
            _ => b_lens[axis].clone(),
        })
        .collect();
    let out_chunks = Chunks::from_checked(out_lens);
    check_size(&out_chunks.shape(), T::DTYPE)?;
    let inputs = vec![
        rechunk_node(a.node(), Chunks::from_checked(a_lens), None),
        rechunk_node(b.node(), Chunks::from_checked(b_lens), None),
    ];
    let node = Node::new(Op::Contract(Arc::new(spec)), inputs, out_chunks, T::DTYPE);
    Ok(Array::from_node(node))
}

/// `axis` counted from the end when negative, checked against `ndim`.
pub(super) fn axis_index(op: &str, axis: isize, ndim: usize) -> Result<usize> {
    let wrapped = if axis < 0 { axis + ndim as isize } else { axis };
    if wrapped < 0 || wrapped as usize >= ndim {
        return Err(Error::AxisOutOfBounds {
            op: op.into(),
            axis,
            ndim,
        });
    }
    Ok(wrapped as usize)
}

impl<T: NumElement> Array<T> {
    /// Matrix product with NumPy's `matmul` semantics: the last two axes are
    /// matrices and the others broadcast batch axes; a 1-d first operand is
    /// a row (its axis removed from the result), a 1-d second operand a
    /// column. For dask users: `x @ w`, `da.matmul`.
    ///
    /// ```
    /// use ndchunk::prelude::*;
    /// let a = ndchunk::from_array(ndarray::array![[1.0, 2.0], [3.0, 4.0]], [1, 2])?;
    /// let b = ndchunk::from_array(ndarray::array![[5.0], [6.0]], [2, 1])?;
    /// assert_eq!(a.matmul(&b)?.compute()?, ndarray::array![[17.0], [39.0]].into_dyn());
    /// let v = ndchunk::from_array(ndarray::array![1.0, 1.0], [1])?;
    /// assert_eq!(v.matmul(&a)?.compute()?, ndarray::array![4.0, 6.0].into_dyn());
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn matmul(&self, other: &Array<T>) -> Result<Array<T>> {
        let (an, bn) = (self.ndim(), other.ndim());
        if an == 0 || bn == 0 {
            return Err(Error::invalid(
                "matmul",
                "operands need at least one axis (for a 0-d operand use `*`)",
            ));
        }
        let a = match an {
            1 => self.insert_axis(Axis(0))?,
            _ => self.clone(),
        };
        let b = match bn {
            1 => other.insert_axis(Axis(1))?,
            _ => other.clone(),
        };
        let (a_batch, b_batch) = (&a.shape()[..a.ndim() - 2], &b.shape()[..b.ndim() - 2]);
        let batch = broadcast_shapes("matmul", a_batch, b_batch)?;
        let nb = batch.len();
        let with_batch = |x: &Array<T>| -> Result<Array<T>> {
            let mut shape = batch.clone();
            shape.extend_from_slice(&x.shape()[x.ndim() - 2..]);
            if shape == x.shape() {
                Ok(x.clone())
            } else {
                x.broadcast_to(&shape)
            }
        };
        let (a, b) = (with_batch(&a)?, with_batch(&b)?);
        let spec = ContractSpec {
            batch: (0..nb).map(|i| (i, i)).collect(),
            free_a: vec![nb],
            free_b: vec![nb + 1],
            contracted: vec![(nb + 1, nb)],
            origin: "matmul".into(),
        };
        let mut out = contract(&a, &b, spec)?;
        if bn == 1 {
            out = out.remove_axis(Axis(nb + 1))?;
        }
        if an == 1 {
            out = out.remove_axis(Axis(nb))?;
        }
        Ok(out)
    }

    /// NumPy's `dot`: `matmul` for matrices; the inner product of two
    /// vectors; for N-d operands the sum over the last axis of `self` and
    /// the second-to-last of `other` (the last, if `other` is 1-d), the
    /// result's axes being `self`'s others then `other`'s others; a 0-d
    /// operand multiplies. For dask users: `da.dot`.
    ///
    /// ```
    /// let a = ndchunk::from_array(ndarray::array![1.0, 2.0, 3.0], [2])?;
    /// assert_eq!(a.dot(&a)?.compute()?[[]], 14.0);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn dot(&self, other: &Array<T>) -> Result<Array<T>> {
        let (an, bn) = (self.ndim(), other.ndim());
        if an == 0 || bn == 0 {
            return (self * other).checked();
        }
        let contracted_b = if bn == 1 { 0 } else { bn - 2 };
        self.tensordot_axes(other, &[an as isize - 1], &[contracted_b as isize], "dot")
    }

    /// The sum of products over the axes `a_axes` of `self` and `b_axes` of
    /// `other` (paired in order, negative counting from the end), as NumPy's
    /// `tensordot(a, b, axes=(a_axes, b_axes))`: the result's axes are
    /// `self`'s others, then `other`'s, in order. For dask users:
    /// `da.tensordot`.
    ///
    /// ```
    /// let a = ndchunk::ones::<f64>(&[3, 4, 5], [2, 4, 5])?;
    /// let b = ndchunk::ones::<f64>(&[4, 3, 2], [4, 1, 2])?;
    /// let c = a.tensordot(&b, &[1, 0], &[0, 1])?;
    /// assert_eq!(c.shape(), &[5, 2]);
    /// assert!(c.compute()?.iter().all(|&v| v == 12.0));
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn tensordot(
        &self,
        other: &Array<T>,
        a_axes: &[isize],
        b_axes: &[isize],
    ) -> Result<Array<T>> {
        self.tensordot_axes(other, a_axes, b_axes, "tensordot")
    }

    /// NumPy's `tensordot(a, b, axes=n)`: the last `n` axes of `self` with
    /// the first `n` of `other`, in order.
    ///
    /// ```
    /// let a = ndchunk::ones::<f32>(&[2, 3, 4], [1, 3, 2])?;
    /// let b = ndchunk::ones::<f32>(&[3, 4, 5], [3, 4, 5])?;
    /// assert_eq!(a.tensordot_n(&b, 2)?.shape(), &[2, 5]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn tensordot_n(&self, other: &Array<T>, n: usize) -> Result<Array<T>> {
        if n > self.ndim() || n > other.ndim() {
            return Err(Error::invalid(
                "tensordot",
                format!(
                    "cannot contract {n} axes of operands with {} and {} axes",
                    self.ndim(),
                    other.ndim()
                ),
            ));
        }
        let a_axes: Vec<isize> = (self.ndim() - n..self.ndim()).map(|a| a as isize).collect();
        let b_axes: Vec<isize> = (0..n).map(|a| a as isize).collect();
        self.tensordot_axes(other, &a_axes, &b_axes, "tensordot")
    }

    fn tensordot_axes(
        &self,
        other: &Array<T>,
        a_axes: &[isize],
        b_axes: &[isize],
        op: &str,
    ) -> Result<Array<T>> {
        if a_axes.len() != b_axes.len() {
            return Err(Error::invalid(
                op,
                format!(
                    "{} axes of the first operand paired with {} of the second",
                    a_axes.len(),
                    b_axes.len()
                ),
            ));
        }
        let mut contracted = Vec::with_capacity(a_axes.len());
        for (&x, &y) in a_axes.iter().zip(b_axes) {
            contracted.push((
                axis_index(op, x, self.ndim())?,
                axis_index(op, y, other.ndim())?,
            ));
        }
        for side in [0, 1] {
            let mut seen = BTreeSet::new();
            for pair in &contracted {
                let axis = if side == 0 { pair.0 } else { pair.1 };
                if !seen.insert(axis) {
                    return Err(Error::RepeatedAxis {
                        op: op.into(),
                        axis,
                    });
                }
            }
        }
        let spec = ContractSpec {
            batch: Vec::new(),
            free_a: (0..self.ndim())
                .filter(|a| contracted.iter().all(|c| c.0 != *a))
                .collect(),
            free_b: (0..other.ndim())
                .filter(|b| contracted.iter().all(|c| c.1 != *b))
                .collect(),
            contracted,
            origin: op.into(),
        };
        contract(self, other, spec)
    }

    /// The dot product of both arrays flattened (NumPy's `vdot` of real
    /// arrays): a 0-d array. For dask users: `da.vdot`.
    ///
    /// ```
    /// let a = ndchunk::ones::<i64>(&[2, 3], [1, 3])?;
    /// assert_eq!(a.vdot(&(&a * 2))?.compute()?[[]], 12);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn vdot(&self, other: &Array<T>) -> Result<Array<T>> {
        let (a, b) = (self.ravel()?, other.ravel()?);
        let spec = ContractSpec {
            batch: Vec::new(),
            free_a: Vec::new(),
            free_b: Vec::new(),
            contracted: vec![(0, 0)],
            origin: "vdot".into(),
        };
        contract(&a, &b, spec)
    }

    /// The outer product of both arrays flattened: `out[i, j] = a[i] · b[j]`
    /// (NumPy's `outer`). For dask users: `da.outer`.
    ///
    /// ```
    /// let a = ndchunk::arange::<i32>(1, 4, 1, [2])?;
    /// let o = a.outer(&a)?.compute()?;
    /// assert_eq!(o, ndarray::array![[1, 2, 3], [2, 4, 6], [3, 6, 9]].into_dyn());
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn outer(&self, other: &Array<T>) -> Result<Array<T>> {
        let column = self.ravel()?.insert_axis(Axis(1))?;
        let row = other.ravel()?.insert_axis(Axis(0))?;
        (&column * &row).checked()
    }

    /// The diagonal over axes `axis1` and `axis2` (negative counting from the
    /// end), `offset` above the main one (below when negative), as NumPy's
    /// `diagonal`: those axes are removed and the diagonal is the last axis.
    /// For dask users: `da.diagonal`.
    ///
    /// ```
    /// let x = ndchunk::arange::<i64>(0, 12, 1, [5])?.reshape(&[3, 4])?;
    /// assert_eq!(x.diagonal(1, 0, 1)?.compute()?, ndarray::array![1, 6, 11].into_dyn());
    /// assert_eq!(x.diagonal(-1, 0, 1)?.compute()?, ndarray::array![4, 9].into_dyn());
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn diagonal(&self, offset: isize, axis1: isize, axis2: isize) -> Result<Array<T>> {
        let ndim = self.ndim();
        let (a1, a2) = (
            axis_index("diagonal", axis1, ndim)?,
            axis_index("diagonal", axis2, ndim)?,
        );
        if a1 == a2 {
            return Err(Error::RepeatedAxis {
                op: "diagonal".into(),
                axis: a1,
            });
        }
        let mut order: Vec<usize> = (0..ndim).filter(|&a| a != a1 && a != a2).collect();
        order.extend([a1, a2]);
        let moved = self.permuted_axes(&order)?;
        let (n1, n2) = (self.shape()[a1], self.shape()[a2]);
        let (row0, col0) = (offset.min(0).unsigned_abs(), offset.max(0).unsigned_abs());
        let len = n1.saturating_sub(row0).min(n2.saturating_sub(col0));
        let index = (0..len).map(|i| (row0 + i) * n2 + col0 + i).collect();
        moved.gather(ndim - 2, 2, index, vec![len], "diagonal".into())
    }

    /// The sum of the diagonal over `axis1` and `axis2` at `offset` (NumPy's
    /// `trace`, whose integer sums are 64-bit). For dask users: `da.trace`.
    ///
    /// ```
    /// let x = ndchunk::eye::<f64>(4, [3, 3])?;
    /// assert_eq!(x.trace(0, 0, 1)?.compute()?[[]], 4.0);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn trace(&self, offset: isize, axis1: isize, axis2: isize) -> Result<Array<T::Sum>> {
        let diagonal = self.diagonal(offset, axis1, axis2)?;
        diagonal.sum_axis(Axis(diagonal.ndim() - 1))
    }
}

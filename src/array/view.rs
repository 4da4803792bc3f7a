//! Basic slicing and axis rearrangements: `slice` with ndarray's `s!`,
//! `slice_axis`, `index_axis`, `flip`, transposes, `remove_axis`/`squeeze` and
//! `broadcast_to`.
//!
//! All of them build one affine view node ([`ViewSpec`]); the planner
//! composes views of views into one. Output chunks follow the input's as
//! dask's do: each output block reads exactly one input block, so computing
//! part of a slice runs only the tasks of the input blocks it touches.

use std::sync::Arc;

use ndarray::{Axis, Slice, SliceInfoElem};

use crate::array::Array;
use crate::chunks::{regular_lens, Chunks};
use crate::element::Element;
use crate::error::{Error, Result};
use crate::expr::{Node, Op, ViewAxis, ViewSpec};

impl<T: Element> Array<T> {
    /// Basic slicing with ndarray's [`s!`](ndarray::s) macro: ranges with negative
    /// bounds and positive or negative steps, integers that remove an axis, and
    /// `NewAxis`.
    ///
    /// Steps follow ndarray: `s![a..b;-k]` is the range `a..b` walked backwards
    /// from its end (NumPy's `x[a:b][::-k]`). Ranges clamp to the axis, as NumPy's
    /// do; an integer out of bounds is an error naming the axis and the value.
    ///
    /// ```
    /// use ndchunk::prelude::*;
    /// let x = ndchunk::arange::<i32>(0, 24, 1, [5])?.reshape(&[4, 6])?;
    /// let y = x.slice(s![1..;2, -1, NewAxis])?;
    /// assert_eq!(y.compute()?, ndarray::array![[11], [23]].into_dyn());
    /// let r = x.slice(s![.., ..;-2])?;
    /// assert_eq!(r.compute()?.slice(s![0, ..]).to_vec(), vec![5, 3, 1]);
    /// assert!(x.slice(s![4, ..]).is_err());
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn slice(&self, info: impl AsRef<[SliceInfoElem]>) -> Result<Array<T>> {
        self.slice_as("slice", info.as_ref())
    }

    /// [`Array::slice`], with errors labelled `op` (the method the user called).
    fn slice_as(&self, op: &str, info: &[SliceInfoElem]) -> Result<Array<T>> {
        let consumed = info
            .iter()
            .filter(|e| !matches!(e, SliceInfoElem::NewAxis))
            .count();
        if consumed > self.ndim() {
            return Err(Error::invalid(
                op,
                format!(
                    "{consumed} indices for an array of {} dimensions",
                    self.ndim()
                ),
            ));
        }
        let mut axes = Vec::new();
        let mut fixed = Vec::new();
        let mut lens = Vec::new();
        let mut input = 0;
        let full = SliceInfoElem::from(..);
        let rest = std::iter::repeat_n(&full, self.ndim() - consumed);
        for elem in info.iter().chain(rest) {
            match *elem {
                SliceInfoElem::NewAxis => {
                    axes.push(ViewAxis::New);
                    lens.push(1);
                }
                SliceInfoElem::Index(i) => {
                    fixed.push((input, wrap_index(op, i, input, self.shape()[input])?));
                    input += 1;
                }
                SliceInfoElem::Slice { start, end, step } => {
                    let (axis, len) = range_axis(op, input, self.shape()[input], start, end, step)?;
                    axes.push(axis);
                    lens.push(len);
                    input += 1;
                }
            }
        }
        self.view(axes, fixed, &lens, op)
    }

    /// [`Array::slice`] along one axis.
    ///
    /// ```
    /// use ndchunk::prelude::*;
    /// let x = ndchunk::arange::<u8>(0, 10, 1, [4])?;
    /// let y = x.slice_axis(Axis(0), ndarray::Slice::new(-3, None, 1))?;
    /// assert_eq!(y.compute()?, ndarray::arr1(&[7, 8, 9]).into_dyn());
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn slice_axis(&self, axis: Axis, slice: Slice) -> Result<Array<T>> {
        self.check_axis("slice_axis", axis)?;
        let mut info = vec![SliceInfoElem::from(..); self.ndim()];
        info[axis.0] = SliceInfoElem::from(slice);
        self.slice_as("slice_axis", &info)
    }

    /// The subarray at `index` along `axis`, which is removed; negative indices
    /// count from the end.
    ///
    /// ```
    /// use ndchunk::prelude::*;
    /// let x = ndchunk::arange::<i64>(0, 6, 1, [4])?.reshape(&[2, 3])?;
    /// assert_eq!(x.index_axis(Axis(1), -1)?.compute()?, ndarray::arr1(&[2, 5]).into_dyn());
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn index_axis(&self, axis: Axis, index: isize) -> Result<Array<T>> {
        self.check_axis("index_axis", axis)?;
        let mut info = vec![SliceInfoElem::from(..); self.ndim()];
        info[axis.0] = SliceInfoElem::Index(index);
        self.slice_as("index_axis", &info)
    }

    /// The array reversed along `axis`.
    ///
    /// ```
    /// use ndchunk::prelude::*;
    /// let x = ndchunk::arange::<i32>(0, 5, 1, [2])?;
    /// assert_eq!(x.flip(Axis(0))?.compute()?, ndarray::arr1(&[4, 3, 2, 1, 0]).into_dyn());
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn flip(&self, axis: Axis) -> Result<Array<T>> {
        self.slice_axis(axis, Slice::new(0, None, -1))
    }

    /// The axes permuted: output axis `i` is input axis `axes[i]`.
    ///
    /// ```
    /// let x = ndchunk::zeros::<f32>(&[2, 3, 4], [1, 3, 2])?;
    /// let y = x.permuted_axes(&[2, 0, 1])?;
    /// assert_eq!(y.shape(), &[4, 2, 3]);
    /// assert_eq!(y.chunks().lens(0), &[2, 2]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn permuted_axes(&self, axes: &[usize]) -> Result<Array<T>> {
        let n = self.ndim();
        let mut seen = vec![false; n];
        for &a in axes {
            if a >= n {
                return Err(Error::AxisOutOfBounds {
                    op: "permuted_axes".into(),
                    axis: a as isize,
                    ndim: n,
                });
            }
            if std::mem::replace(&mut seen[a], true) {
                return Err(Error::RepeatedAxis {
                    op: "permuted_axes".into(),
                    axis: a,
                });
            }
        }
        if axes.len() != n {
            return Err(Error::invalid(
                "permuted_axes",
                format!("{axes:?} does not name each of the {n} axes once"),
            ));
        }
        let view_axes = axes
            .iter()
            .map(|&axis| ViewAxis::Input {
                axis,
                start: 0,
                step: 1,
            })
            .collect();
        let lens: Vec<usize> = axes.iter().map(|&a| self.shape()[a]).collect();
        self.view(view_axes, Vec::new(), &lens, "permuted_axes")
    }

    /// The axes in reverse order (NumPy's `x.T`).
    ///
    /// ```
    /// let x = ndchunk::zeros::<u8>(&[2, 5], [2, 2])?;
    /// assert_eq!(x.t().shape(), &[5, 2]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn t(&self) -> Array<T> {
        let axes: Vec<usize> = (0..self.ndim()).rev().collect();
        match self.permuted_axes(&axes) {
            Ok(a) => a,
            Err(e) => Array::from_node(Node::invalid(e, self.shape().to_vec(), T::DTYPE)),
        }
    }

    /// The axes in reverse order; the same as [`Array::t`].
    ///
    /// ```
    /// let x = ndchunk::zeros::<u8>(&[2, 3, 4], [1, 3, 2])?;
    /// assert_eq!(x.transpose().shape(), &[4, 3, 2]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn transpose(&self) -> Array<T> {
        self.t()
    }

    /// Axes `a` and `b` exchanged.
    ///
    /// ```
    /// let x = ndchunk::zeros::<u8>(&[2, 3, 4], [2, 2, 2])?;
    /// assert_eq!(x.swap_axes(0, 2)?.shape(), &[4, 3, 2]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn swap_axes(&self, a: usize, b: usize) -> Result<Array<T>> {
        let mut axes: Vec<usize> = (0..self.ndim()).collect();
        for x in [a, b] {
            if x >= self.ndim() {
                return Err(Error::AxisOutOfBounds {
                    op: "swap_axes".into(),
                    axis: x as isize,
                    ndim: self.ndim(),
                });
            }
        }
        axes.swap(a, b);
        self.permuted_axes(&axes)
    }

    /// The array without `axis`, which must have length 1.
    ///
    /// ```
    /// use ndchunk::prelude::*;
    /// let x = ndchunk::zeros::<u8>(&[3, 1], [2, 1])?;
    /// assert_eq!(x.remove_axis(Axis(1))?.shape(), &[3]);
    /// assert!(x.remove_axis(Axis(0)).is_err());
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn remove_axis(&self, axis: Axis) -> Result<Array<T>> {
        self.check_axis("remove_axis", axis)?;
        if self.shape()[axis.0] != 1 {
            return Err(Error::invalid(
                "remove_axis",
                format!("axis {} has length {}, not 1", axis.0, self.shape()[axis.0]),
            ));
        }
        self.index_axis(axis, 0)
    }

    /// The array without its length-1 axes.
    ///
    /// ```
    /// let x = ndchunk::zeros::<u8>(&[1, 3, 1], [1, 2, 1])?;
    /// assert_eq!(x.squeeze()?.shape(), &[3]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn squeeze(&self) -> Result<Array<T>> {
        let info: Vec<SliceInfoElem> = self
            .shape()
            .iter()
            .map(|&n| {
                if n == 1 {
                    SliceInfoElem::Index(0)
                } else {
                    SliceInfoElem::from(..)
                }
            })
            .collect();
        self.slice(info)
    }

    /// The array broadcast to `shape` under NumPy's rules (new leading axes, and
    /// length-1 axes stretched). Stretched axes read the same values; they are
    /// cut into chunks of about the configured chunk size.
    ///
    /// ```
    /// let x = ndchunk::arange::<i32>(0, 3, 1, [2])?;
    /// let y = x.broadcast_to(&[2, 3])?;
    /// assert_eq!(y.compute()?, ndarray::array![[0, 1, 2], [0, 1, 2]].into_dyn());
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn broadcast_to(&self, shape: &[usize]) -> Result<Array<T>> {
        let mismatch = || Error::ShapeMismatch {
            op: "broadcast_to".into(),
            left: self.shape().to_vec(),
            right: shape.to_vec(),
        };
        let skip = shape.len().checked_sub(self.ndim()).ok_or_else(mismatch)?;
        let mut axes = vec![ViewAxis::New; skip];
        for (a, &n) in self.shape().iter().enumerate() {
            let want = shape[skip + a];
            let step = match (n, want) {
                _ if n == want => 1,
                (1, _) => 0,
                _ => return Err(mismatch()),
            };
            axes.push(ViewAxis::Input {
                axis: a,
                start: 0,
                step,
            });
        }
        self.view(axes, Vec::new(), shape, "broadcast_to")
    }

    fn check_axis(&self, op: &str, axis: Axis) -> Result<()> {
        self.axis_len(op, axis.0).map(|_| ())
    }

    /// The view node reading `axes` (output lengths `lens`) with `fixed` input
    /// axes (the planner composes chains of views into one).
    pub(super) fn view(
        &self,
        axes: Vec<ViewAxis>,
        mut fixed: Vec<(usize, usize)>,
        lens: &[usize],
        origin: &str,
    ) -> Result<Array<T>> {
        if let Some(e) = self.error() {
            return Err(e.clone());
        }
        fixed.sort_unstable();
        let identity = fixed.is_empty()
            && lens == self.shape()
            && axes.iter().enumerate().all(|(j, a)| {
                *a == ViewAxis::Input {
                    axis: j,
                    start: 0,
                    step: 1,
                }
            });
        if identity {
            return Ok(self.clone());
        }
        let spec = ViewSpec {
            axes,
            fixed,
            input_ndim: self.ndim(),
            origin: origin.into(),
        };
        let chunks = view_chunks(&spec, self.chunks(), lens, T::DTYPE.size())?;
        let node = Node::new(
            Op::View(Arc::new(spec)),
            vec![self.node.clone()],
            chunks,
            T::DTYPE,
        );
        Ok(Array::from_node(node))
    }
}

/// An index that may count from the end, checked against an axis of length `n`.
pub(crate) fn wrap_index(op: &str, i: isize, axis: usize, n: usize) -> Result<usize> {
    let wrapped = if i < 0 { i + n as isize } else { i };
    if wrapped < 0 || wrapped >= n as isize {
        return Err(Error::IndexOutOfBounds {
            op: op.into(),
            index: i as i64,
            axis,
            len: n,
        });
    }
    Ok(wrapped as usize)
}

/// The view of input axis `axis` (length `n`) by an ndarray range with NumPy's
/// clamping, and its length.
fn range_axis(
    op: &str,
    axis: usize,
    n: usize,
    start: isize,
    end: Option<isize>,
    step: isize,
) -> Result<(ViewAxis, usize)> {
    if step == 0 {
        return Err(Error::invalid(op, format!("step 0 on axis {axis}")));
    }
    let clamp = |i: isize| -> usize {
        let i = if i < 0 { i + n as isize } else { i };
        i.clamp(0, n as isize) as usize
    };
    let (lo, hi) = (clamp(start), end.map_or(n, clamp));
    let span = hi.saturating_sub(lo);
    let len = span.div_ceil(step.unsigned_abs());
    let first = if step > 0 { lo } else { hi.saturating_sub(1) };
    Ok((
        ViewAxis::Input {
            axis,
            start: if len == 0 { 0 } else { first },
            step,
        },
        len,
    ))
}

/// dask's chunks for a view: along an axis read with a nonzero step, one chunk
/// per input block touched, holding the indices read from it (in reading order);
/// along new and stretched axes, regular chunks of about the configured size.
fn view_chunks(spec: &ViewSpec, input: &Chunks, lens: &[usize], itemsize: usize) -> Result<Chunks> {
    let mut out: Vec<Vec<usize>> = Vec::with_capacity(lens.len());
    let mut stretched = Vec::new();
    for (j, axis) in spec.axes.iter().enumerate() {
        let n = lens[j];
        match *axis {
            ViewAxis::Input { axis, step, .. } if step != 0 && n > 0 => {
                let offsets = input.offsets(axis);
                let all = 0..n;
                let mut blocks: Vec<usize> = (0..offsets.len() - 1)
                    .map(|b| {
                        spec.output_within(j, &all, &(offsets[b]..offsets[b + 1]))
                            .len()
                    })
                    .filter(|&c| c > 0)
                    .collect();
                if step < 0 {
                    blocks.reverse();
                }
                out.push(blocks);
            }
            _ if n <= 1 => out.push(vec![n]),
            _ => {
                stretched.push(j);
                out.push(vec![n]);
            }
        }
    }
    // Stretched axes: split so a block stays near the chunk size.
    let target = crate::config::chunk_bytes()? as usize;
    for j in stretched {
        let others: usize = out
            .iter()
            .enumerate()
            .filter(|&(k, _)| k != j)
            .map(|(_, l)| l.iter().copied().max().unwrap_or(1).max(1))
            .product::<usize>()
            * itemsize;
        let per = (target / others.max(1)).max(1);
        out[j] = regular_lens(lens[j], per.min(lens[j]))?;
    }
    Chunks::new(out)
}

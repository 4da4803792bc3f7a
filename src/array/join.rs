//! Joining and repeating arrays: `concatenate`, `stack`, `roll`, `tile`,
//! `repeat` and `pad`.
//!
//! Concatenation passes each input block through as an output block (no copy when
//! the block has no other consumer); the others are built from it, from views and
//! from the gather planner.

use ndarray::{Axis, Slice};

use crate::array::{rechunk_node, Array};
use crate::chunks::Chunks;
use crate::element::Element;
use crate::error::{Error, Result};
use crate::expr::{Boundary, Node, Op, PadSpec};

/// The arrays joined along `axis`; their other axes must match. Chunks along
/// `axis` are the inputs' own; the other axes take the first input's chunks.
///
/// ```
/// use ndchunk::prelude::*;
/// let a = ndchunk::arange::<i32>(0, 3, 1, [2])?;
/// let b = ndchunk::arange::<i32>(10, 12, 1, [2])?;
/// let c = ndchunk::concatenate(Axis(0), &[a, b])?;
/// assert_eq!(c.compute()?, ndarray::arr1(&[0, 1, 2, 10, 11]).into_dyn());
/// assert_eq!(c.chunks().lens(0), &[2, 1, 2]);
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn concatenate<T: Element>(axis: Axis, arrays: &[Array<T>]) -> Result<Array<T>> {
    let first = arrays
        .first()
        .ok_or_else(|| Error::invalid("concatenate", "no arrays to join"))?;
    let ndim = first.ndim();
    if axis.0 >= ndim {
        return Err(Error::AxisOutOfBounds {
            op: "concatenate".into(),
            axis: axis.0 as isize,
            ndim,
        });
    }
    for (k, a) in arrays.iter().enumerate() {
        if let Some(e) = a.error() {
            return Err(e.clone());
        }
        let same =
            a.ndim() == ndim && (0..ndim).all(|d| d == axis.0 || a.shape()[d] == first.shape()[d]);
        if !same {
            return Err(Error::invalid(
                "concatenate",
                format!(
                    "array {k} has shape {:?}, which does not match {:?} off axis {}",
                    a.shape(),
                    first.shape(),
                    axis.0
                ),
            ));
        }
    }
    let parts: Vec<&Array<T>> = arrays.iter().filter(|a| a.shape()[axis.0] > 0).collect();
    match parts.as_slice() {
        [] => return Ok(first.clone()),
        [one] => return Ok((*one).clone()),
        _ => {}
    }
    let mut inputs = Vec::with_capacity(parts.len());
    let mut along = Vec::new();
    for a in parts {
        let mut lens = first.chunks().all_lens().to_vec();
        lens[axis.0] = a.chunks().lens(axis.0).to_vec();
        along.extend_from_slice(a.chunks().lens(axis.0));
        inputs.push(rechunk_node(&a.node, Chunks::new(lens)?, None));
    }
    let mut lens = first.chunks().all_lens().to_vec();
    lens[axis.0] = along;
    let node = Node::new(
        Op::Concatenate(axis.0),
        inputs,
        Chunks::new(lens)?,
        T::DTYPE,
    );
    Ok(Array::from_node(node))
}

/// The arrays, all of one shape, joined along a new axis `axis`.
///
/// ```
/// use ndchunk::prelude::*;
/// let a = ndchunk::zeros::<u8>(&[3], [2])?;
/// let s = ndchunk::stack(Axis(1), &[a.clone(), a])?;
/// assert_eq!(s.shape(), &[3, 2]);
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn stack<T: Element>(axis: Axis, arrays: &[Array<T>]) -> Result<Array<T>> {
    let first = arrays
        .first()
        .ok_or_else(|| Error::invalid("stack", "no arrays to stack"))?;
    if let Some((k, a)) = arrays
        .iter()
        .enumerate()
        .find(|(_, a)| a.shape() != first.shape())
    {
        return Err(Error::invalid(
            "stack",
            format!(
                "array {k} has shape {:?}, not {:?}",
                a.shape(),
                first.shape()
            ),
        ));
    }
    let expanded = arrays
        .iter()
        .map(|a| a.insert_axis(axis))
        .collect::<Result<Vec<_>>>()?;
    concatenate(axis, &expanded)
}

/// How [`Array::pad`] fills the new elements (NumPy's `mode`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PadMode<T> {
    /// With this value (`mode="constant"`).
    Constant(T),
    /// With the nearest edge value (`mode="edge"`).
    Edge,
    /// Mirrored about the edge value, which is not repeated (`mode="reflect"`).
    Reflect,
    /// Mirrored with the edge value repeated (`mode="symmetric"`).
    Symmetric,
    /// From the other end (`mode="wrap"`).
    Wrap,
}

impl<T: Element> PadMode<T> {
    fn boundary(self) -> Boundary {
        match self {
            PadMode::Constant(v) => Boundary::Constant(v.to_scalar()),
            PadMode::Edge => Boundary::Edge,
            PadMode::Reflect => Boundary::Reflect,
            PadMode::Symmetric => Boundary::Symmetric,
            PadMode::Wrap => Boundary::Wrap,
        }
    }
}

impl<T: Element> Array<T> {
    /// The array shifted by `shift` along `axis`, elements leaving one end coming
    /// back at the other (NumPy's `roll` with an axis).
    ///
    /// ```
    /// use ndchunk::prelude::*;
    /// let x = ndchunk::arange::<i32>(0, 5, 1, [2])?;
    /// assert_eq!(x.roll(2, Axis(0))?.compute()?, ndarray::arr1(&[3, 4, 0, 1, 2]).into_dyn());
    /// assert_eq!(x.roll(-1, Axis(0))?.compute()?, ndarray::arr1(&[1, 2, 3, 4, 0]).into_dyn());
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn roll(&self, shift: isize, axis: Axis) -> Result<Array<T>> {
        let n = self.axis_len("roll", axis.0)? as isize;
        let s = if n == 0 { 0 } else { shift.rem_euclid(n) };
        if s == 0 {
            return Ok(self.clone());
        }
        let tail = self.slice_axis(axis, Slice::new(n - s, None, 1))?;
        let head = self.slice_axis(axis, Slice::new(0, Some(n - s), 1))?;
        concatenate(axis, &[tail, head])
    }

    /// The array repeated `reps[a]` times along each axis (NumPy's `tile`: when
    /// `reps` is longer than the array's dimensions, new leading axes are added;
    /// when shorter, it applies to the last axes).
    ///
    /// ```
    /// let x = ndchunk::arange::<i32>(0, 2, 1, [2])?;
    /// let t = x.tile(&[2, 2])?;
    /// assert_eq!(t.compute()?, ndarray::array![[0, 1, 0, 1], [0, 1, 0, 1]].into_dyn());
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn tile(&self, reps: &[usize]) -> Result<Array<T>> {
        let mut x = self.clone();
        while x.ndim() < reps.len() {
            x = x.insert_axis(Axis(0))?;
        }
        let skip = x.ndim() - reps.len();
        for (i, &r) in reps.iter().enumerate() {
            let axis = Axis(skip + i);
            x = match r {
                0 => x.slice_axis(axis, Slice::new(0, Some(0), 1))?,
                1 => x,
                _ => concatenate(axis, &vec![x; r])?,
            };
        }
        Ok(x)
    }

    /// Each element repeated `repeats` times along `axis` (NumPy's `repeat`), by
    /// the gather planner.
    ///
    /// ```
    /// use ndchunk::prelude::*;
    /// let x = ndchunk::arange::<i32>(0, 3, 1, [2])?;
    /// assert_eq!(x.repeat(2, Axis(0))?.compute()?, ndarray::arr1(&[0, 0, 1, 1, 2, 2]).into_dyn());
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn repeat(&self, repeats: usize, axis: Axis) -> Result<Array<T>> {
        let n = self.axis_len("repeat", axis.0)?;
        if repeats == 1 {
            return Ok(self.clone());
        }
        let idx: Vec<usize> = (0..n)
            .flat_map(|i| std::iter::repeat_n(i, repeats))
            .collect();
        self.take(&idx[..], axis)
    }

    /// The array padded with `widths[a] = (before, after)` elements on each
    /// axis, filled as `mode` says (NumPy's `pad`; widths may exceed the axis).
    /// The padding gets chunks of its own at each end; the input's blocks are
    /// passed through.
    ///
    /// ```
    /// use ndchunk::prelude::*;
    /// use ndchunk::array::join::PadMode;
    /// let x = ndchunk::arange::<i32>(1, 4, 1, [2])?;
    /// let c = x.pad(&[(1, 2)], PadMode::Constant(0))?;
    /// assert_eq!(c.compute()?, ndarray::arr1(&[0, 1, 2, 3, 0, 0]).into_dyn());
    /// assert_eq!(c.chunks().lens(0), &[1, 2, 1, 2]);
    /// let e = x.pad(&[(2, 1)], PadMode::Edge)?;
    /// assert_eq!(e.compute()?, ndarray::arr1(&[1, 1, 1, 2, 3, 3]).into_dyn());
    /// let r = x.pad(&[(2, 2)], PadMode::Reflect)?;
    /// assert_eq!(r.compute()?, ndarray::arr1(&[3, 2, 1, 2, 3, 2, 1]).into_dyn());
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn pad(&self, widths: &[(usize, usize)], mode: PadMode<T>) -> Result<Array<T>> {
        if let Some(e) = self.error() {
            return Err(e.clone());
        }
        if widths.len() != self.ndim() {
            return Err(Error::invalid(
                "pad",
                format!(
                    "{} pad widths for an array of {} dimensions",
                    widths.len(),
                    self.ndim()
                ),
            ));
        }
        if widths.iter().all(|&(b, a)| b == 0 && a == 0) {
            return Ok(self.clone());
        }
        let rule = mode.boundary();
        let mut shape = Vec::with_capacity(widths.len());
        let mut lens = Vec::with_capacity(widths.len());
        for (a, &(before, after)) in widths.iter().enumerate() {
            let n = self.shape()[a];
            if n == 0 && before + after > 0 && !matches!(rule, Boundary::Constant(_)) {
                return Err(Error::invalid(
                    "pad",
                    format!("{rule:?} padding of axis {a}, which is empty: there are no values to repeat"),
                ));
            }
            shape.push(
                n.checked_add(before)
                    .and_then(|m| m.checked_add(after))
                    .ok_or_else(|| {
                        Error::invalid(
                            "pad",
                            format!("axis {a}: {n} + {before} + {after} overflows"),
                        )
                    })?,
            );
            let mut axis_lens = Vec::with_capacity(self.chunks().lens(a).len() + 2);
            axis_lens.extend((before > 0).then_some(before));
            axis_lens.extend(self.chunks().lens(a).iter().filter(|&&l| l > 0));
            axis_lens.extend((after > 0).then_some(after));
            if axis_lens.is_empty() {
                axis_lens.push(0);
            }
            lens.push(axis_lens);
        }
        let spec = PadSpec::uniform(widths.to_vec(), rule);
        let node = Node::new(
            Op::Pad(spec),
            vec![self.node.clone()],
            Chunks::new(lens)?,
            T::DTYPE,
        );
        Ok(Array::from_node(node))
    }
}

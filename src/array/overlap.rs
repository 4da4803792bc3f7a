//! Blocks with halos: `overlap` grows every block by its neighbours' edges
//! (and a boundary rule at the array's edges), `trim_internal` cuts them
//! back, and `map_overlap` runs a block function in between. Both are region
//! stages whose boxes are given per block (`expr::BoxSpec`): a task reads its
//! block and the neighbours its halo reaches, never a task per piece.

use std::ops::Range;
use std::sync::Arc;

use ndarray::{ArrayD, ArrayViewD};

use crate::array::elementwise::registered_block_fn;
use crate::array::Array;
use crate::element::Element;
use crate::error::{Error, Result};
use crate::expr::{Boundary, BoxKind, BoxSpec, Node, Op, PadSpec};

/// What fills a halo beyond the array's edges: dask's `boundary` values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OverlapBoundary<T> {
    /// Nothing: blocks at the array's edges grow only inward (dask's `"none"`).
    None,
    /// Mirrored with the edge element repeated (dask's `"reflect"`, NumPy's
    /// pad mode `"symmetric"`).
    Reflect,
    /// From the other end (dask's `"periodic"`, NumPy's `"wrap"`).
    Periodic,
    /// The edge element repeated (dask's `"nearest"`, NumPy's `"edge"`).
    Nearest,
    /// One value (dask's numeric boundary, NumPy's `"constant"`).
    Constant(T),
}

impl<T: Element> OverlapBoundary<T> {
    fn rule(self) -> Option<Boundary> {
        match self {
            OverlapBoundary::None => None,
            OverlapBoundary::Reflect => Some(Boundary::Symmetric),
            OverlapBoundary::Periodic => Some(Boundary::Wrap),
            OverlapBoundary::Nearest => Some(Boundary::Edge),
            OverlapBoundary::Constant(v) => Some(Boundary::Constant(v.to_scalar())),
        }
    }
}

/// The boundary of each axis: one for every axis, or one per axis (dask's
/// `boundary` as a dict). Methods taking it accept an [`OverlapBoundary`]
/// or a `Vec` of them.
///
/// ```
/// use ndchunk::{Boundaries, OverlapBoundary};
/// let x = ndchunk::arange::<i32>(0, 4, 1, [2])?.reshape(&[2, 2])?;
/// // Rows wrap around, columns take the constant 9.
/// let per_axis = vec![OverlapBoundary::Periodic, OverlapBoundary::Constant(9)];
/// let g = x.overlap(&[1, 1], per_axis)?;
/// assert_eq!(g.compute()?.slice(ndarray::s![0, ..]).to_vec(), vec![9, 2, 3, 9]);
/// let all: Boundaries<i32> = OverlapBoundary::Nearest.into();
/// assert_eq!(all, Boundaries::All(OverlapBoundary::Nearest));
/// # Ok::<(), ndchunk::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Boundaries<T> {
    /// The same boundary on every axis.
    All(OverlapBoundary<T>),
    /// One boundary per axis, in order.
    PerAxis(Vec<OverlapBoundary<T>>),
}

impl<T> From<OverlapBoundary<T>> for Boundaries<T> {
    fn from(b: OverlapBoundary<T>) -> Self {
        Boundaries::All(b)
    }
}

impl<T> From<Vec<OverlapBoundary<T>>> for Boundaries<T> {
    fn from(b: Vec<OverlapBoundary<T>>) -> Self {
        Boundaries::PerAxis(b)
    }
}

impl<T: Element> Boundaries<T> {
    /// One boundary per axis of an `ndim`-dimensional array; a list of
    /// another length is an error naming `op`.
    fn per_axis(&self, op: &str, ndim: usize) -> Result<Vec<OverlapBoundary<T>>> {
        match self {
            Boundaries::All(b) => Ok(vec![*b; ndim]),
            Boundaries::PerAxis(b) if b.len() == ndim => Ok(b.clone()),
            Boundaries::PerAxis(b) => Err(Error::invalid(
                op,
                format!("{} boundaries for an array of {ndim} dimensions", b.len()),
            )),
        }
    }
}

impl<T: Element> Array<T> {
    /// Every block grown by `depth[axis]` elements on each side along each
    /// axis, from its neighbours, and beyond the array's edges by `boundary`
    /// (dask's `overlap`; one for all axes or one per axis, see
    /// [`Boundaries`]: the axes are padded in order, so a corner takes the
    /// later axis's rule). The result's chunks are the grown blocks' lengths;
    /// with [`OverlapBoundary::None`] the blocks at the edges grow only
    /// inward. Depths may exceed a block (the halo then reads further
    /// blocks); empty blocks stay empty.
    ///
    /// ```
    /// use ndchunk::OverlapBoundary;
    /// let x = ndchunk::arange::<i32>(0, 6, 1, [3])?;
    /// let g = x.overlap(&[1], OverlapBoundary::Reflect)?;
    /// assert_eq!(g.chunks().lens(0), &[5, 5]);
    /// assert_eq!(g.compute()?.into_raw_vec_and_offset().0, vec![0, 0, 1, 2, 3, 2, 3, 4, 5, 5]);
    /// let n = x.overlap(&[1], OverlapBoundary::None)?;
    /// assert_eq!(n.compute()?.into_raw_vec_and_offset().0, vec![0, 1, 2, 3, 2, 3, 4, 5]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn overlap(&self, depth: &[usize], boundary: impl Into<Boundaries<T>>) -> Result<Array<T>> {
        let (spec, _) = self.overlap_spec("overlap", depth, &boundary.into())?;
        Ok(self.boxes(spec))
    }

    /// Each block cut back by `depth[axis]` elements on each side (dask's
    /// `trim_internal`), except at the array's edges of axes whose boundary
    /// is [`OverlapBoundary::None`]: the inverse of [`Array::overlap`] where
    /// every block is at least `depth` long. A block too short to lose its
    /// halo is an error naming it.
    ///
    /// ```
    /// use ndchunk::OverlapBoundary;
    /// let x = ndchunk::arange::<i32>(0, 6, 1, [3])?;
    /// let g = x.overlap(&[1], OverlapBoundary::Periodic)?;
    /// let t = g.trim_internal(&[1], OverlapBoundary::Periodic)?;
    /// assert_eq!(t.chunks(), x.chunks());
    /// assert_eq!(t.compute()?, x.compute()?);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn trim_internal(
        &self,
        depth: &[usize],
        boundary: impl Into<Boundaries<T>>,
    ) -> Result<Array<T>> {
        self.check_depth("trim_internal", depth)?;
        let boundaries = boundary.into().per_axis("trim_internal", self.ndim())?;
        let boxes = (0..self.ndim())
            .map(|axis| {
                let lens = self.chunks().lens(axis);
                let offsets = self.chunks().offsets(axis);
                let d = depth[axis];
                let edges = !matches!(boundaries[axis], OverlapBoundary::None);
                (0..lens.len())
                    .map(|b| {
                        let lo = if b > 0 || edges { d } else { 0 };
                        let hi = if b + 1 < lens.len() || edges { d } else { 0 };
                        if lens[b] == 0 {
                            return Ok(offsets[b]..offsets[b]);
                        }
                        if lens[b] < lo + hi {
                            return Err(Error::invalid(
                                "trim_internal",
                                format!(
                                    "block {b} of axis {axis} has {} elements, fewer than the {} to trim",
                                    lens[b],
                                    lo + hi
                                ),
                            ));
                        }
                        Ok(offsets[b] + lo..offsets[b + 1] - hi)
                    })
                    .collect::<Result<Vec<_>>>()
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(self.boxes(BoxSpec {
            kind: BoxKind::Trim,
            pad: None,
            boxes,
        }))
    }

    /// `f` applied to every block grown by `depth` (see [`Array::overlap`]),
    /// then, when `trim` is set, each result cut back to its block (dask's
    /// `map_overlap`). With `trim`, `f` returns a block of the grown block's
    /// shape; without, it returns the block's own shape (it trims itself).
    /// The result has this array's chunks.
    ///
    /// ```
    /// use ndchunk::OverlapBoundary;
    /// let x = ndchunk::from_array(ndarray::arr1(&[1.0, 2.0, 4.0, 8.0, 16.0]), [2])?;
    /// // A 3-point moving sum, each block seeing one element of its neighbours.
    /// let sums = x.map_overlap(&[1], OverlapBoundary::Constant(0.0), true, |b| {
    ///     let n = b.len();
    ///     ndarray::Array1::from_shape_fn(n, |i| {
    ///         (i.saturating_sub(1)..(i + 2).min(n)).map(|j| b[[j]]).sum::<f64>()
    ///     }).into_dyn()
    /// })?;
    /// assert_eq!(sums.compute()?.into_raw_vec_and_offset().0, vec![3.0, 7.0, 14.0, 28.0, 24.0]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn map_overlap<U: Element>(
        &self,
        depth: &[usize],
        boundary: impl Into<Boundaries<T>>,
        trim: bool,
        f: impl Fn(ArrayViewD<T>) -> ArrayD<U> + Send + Sync + 'static,
    ) -> Result<Array<U>> {
        let (spec, trims) = self.overlap_spec("map_overlap", depth, &boundary.into())?;
        let grown = self.boxes(spec);
        if trim {
            trimmed(grown.map_blocks(f), trims)
        } else {
            grown.map_blocks_with_chunks(self.chunks().all_lens().to_vec(), f)
        }
    }

    /// [`Array::map_overlap`] with the block function registered as `name`
    /// (see [`crate::register_fn`]), the form the Dask executor can run.
    /// Without `trim`, the registered function must return the block's own
    /// shape, so it is applied to the grown blocks and its results checked
    /// against this array's chunks.
    ///
    /// ```
    /// use ndchunk::OverlapBoundary;
    /// ndchunk::register_fn("double", |b: ndarray::ArrayViewD<i64>| b.mapv(|v| 2 * v));
    /// let x = ndchunk::arange::<i64>(0, 5, 1, [2])?;
    /// let y = x.map_overlap_registered::<i64>("double", &[1], OverlapBoundary::Nearest, true)?;
    /// assert_eq!(y.compute()?.into_raw_vec_and_offset().0, vec![0, 2, 4, 6, 8]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn map_overlap_registered<U: Element>(
        &self,
        name: &str,
        depth: &[usize],
        boundary: impl Into<Boundaries<T>>,
        trim: bool,
    ) -> Result<Array<U>> {
        let (spec, trims) = self.overlap_spec("map_overlap", depth, &boundary.into())?;
        let grown = self.boxes(spec);
        let f = registered_block_fn::<T, U>(name)?;
        if trim {
            let grown_chunks = grown.chunks().clone();
            trimmed(grown.map_blocks_node(f, grown_chunks), trims)
        } else {
            Ok(grown.map_blocks_node(f, self.chunks().clone()))
        }
    }

    fn check_depth(&self, op: &str, depth: &[usize]) -> Result<()> {
        if let Some(e) = self.error() {
            return Err(e.clone());
        }
        if depth.len() != self.ndim() {
            return Err(Error::invalid(
                op,
                format!(
                    "{} depths for an array of {} dimensions",
                    depth.len(),
                    self.ndim()
                ),
            ));
        }
        Ok(())
    }

    /// The boxes of `overlap`, and per axis and block where the block itself
    /// lies within its grown box (for cutting `map_overlap`'s results back).
    fn overlap_spec(
        &self,
        op: &str,
        depth: &[usize],
        boundary: &Boundaries<T>,
    ) -> Result<(BoxSpec, Vec<Vec<Range<usize>>>)> {
        self.check_depth(op, depth)?;
        let rules: Vec<Option<Boundary>> = boundary
            .per_axis(op, self.ndim())?
            .into_iter()
            .map(OverlapBoundary::rule)
            .collect();
        let mut boxes = Vec::with_capacity(self.ndim());
        let mut trims = Vec::with_capacity(self.ndim());
        for (axis, (&d, rule)) in depth.iter().zip(&rules).enumerate() {
            let n = self.shape()[axis];
            if n == 0 && d > 0 && rule.is_some_and(|r| !matches!(r, Boundary::Constant(_))) {
                return Err(Error::invalid(
                    op,
                    format!("a {rule:?} boundary on axis {axis}, which is empty: there are no values to repeat"),
                ));
            }
            let offsets = self.chunks().offsets(axis);
            let (mut axis_boxes, mut axis_trims) = (Vec::new(), Vec::new());
            for w in offsets.windows(2) {
                let (start, end) = (w[0], w[1]);
                // Grown-input indices: shifted by the pad's `d` before the axis.
                let grown = match rule {
                    _ if start == end => start..start,
                    Some(_) => start..end + 2 * d,
                    None => start.saturating_sub(d)..(end + d).min(n),
                };
                let inner = match rule {
                    Some(_) => start + d,
                    None => start,
                } - grown.start;
                axis_trims.push(inner..inner + end - start);
                axis_boxes.push(grown);
            }
            boxes.push(axis_boxes);
            trims.push(axis_trims);
        }
        // Axes without a boundary grow only inward: no padding there.
        let pad = rules.iter().any(Option::is_some).then(|| PadSpec {
            widths: depth
                .iter()
                .zip(&rules)
                .map(|(&d, r)| if r.is_some() { (d, d) } else { (0, 0) })
                .collect(),
            rules: rules.iter().map(|r| r.unwrap_or(Boundary::Edge)).collect(),
        });
        let spec = BoxSpec {
            kind: BoxKind::Overlap,
            pad,
            boxes,
        };
        Ok((spec, trims))
    }

    fn boxes(&self, spec: BoxSpec) -> Array<T> {
        let chunks = crate::chunks::Chunks::from_checked(spec.lens());
        Array::from_node(Node::new(
            Op::Boxes(Arc::new(spec)),
            vec![self.node().clone()],
            chunks,
            T::DTYPE,
        ))
    }
}

/// `mapped` (with the grown blocks' chunks) cut back to each block's own
/// range: `trims[axis][b]` within grown block `b`.
fn trimmed<U: Element>(mapped: Array<U>, trims: Vec<Vec<Range<usize>>>) -> Result<Array<U>> {
    if let Some(e) = mapped.error() {
        return Err(e.clone());
    }
    let boxes = trims
        .into_iter()
        .enumerate()
        .map(|(axis, t)| {
            let offsets = mapped.chunks().offsets(axis);
            t.into_iter()
                .zip(offsets)
                .map(|(r, &o)| o + r.start..o + r.end)
                .collect()
        })
        .collect();
    Ok(mapped.boxes(BoxSpec {
        kind: BoxKind::Trim,
        pad: None,
        boxes,
    }))
}

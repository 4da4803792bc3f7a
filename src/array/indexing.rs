//! Integer and boolean indexing: `take`, `vindex`, `oindex`, `mask`, `filter`,
//! `permutation`, plus `insert_axis`.
//!
//! Indexers are normalised once (negatives wrap; the first out-of-bounds entry
//! and its position go into the error) into linear positions held by one
//! [`GatherSpec`]. Output chunks are cut from the index in its given order at
//! about the input's chunk length. The gather runs inside each output task,
//! reading the input in place when it is in memory, so a gather followed by
//! elementwise maths and reductions never materialises its whole result.
//!
//! Lazy indexers and lazy masks (`Array<i64>`, `Array<bool>`) are computed when
//! the indexing expression is built, which resolves the result's chunk sizes
//! (dask would leave them unknown until `compute_chunk_sizes`); `explain()` says
//! so in the op's name.

use std::ops::{Range, RangeFull};
use std::sync::Arc;

use ndarray::{ArrayBase, ArrayViewD, Axis, Data, Dimension, IxDyn};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::array::elementwise::broadcast_shapes;
use crate::array::Array;
use crate::chunks::{nested_lens, regular_lens, Chunks};
use crate::element::Element;
use crate::error::{Error, Result};
use crate::expr::{GatherRead, GatherSpec, Node, Op, ViewAxis};

/// Integer types an indexer may hold.
pub trait IndexInt: Copy {
    /// The value as `i128` (every supported integer fits).
    fn to_i128(self) -> i128;
}

macro_rules! index_int {
    ($($t:ty),*) => {$(
        impl IndexInt for $t {
            #[inline(always)]
            fn to_i128(self) -> i128 {
                self as i128
            }
        }
    )*};
}
index_int!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, usize);

/// Anything usable as an integer indexer: slices, `Vec`s, ndarray arrays of any
/// integer type and dimension, and lazy integer arrays (computed first).
pub trait Indexer {
    /// The entries wrapped into `[0, len)` (C order) and the indexer's shape; the
    /// first entry out of bounds is an error naming it and its position.
    fn positions(&self, op: &str, axis: usize, len: usize) -> Result<(Vec<usize>, Vec<usize>)>;
}

fn normalize<I: IndexInt>(
    values: impl Iterator<Item = I>,
    shape: &[usize],
    op: &str,
    axis: usize,
    len: usize,
) -> Result<(Vec<usize>, Vec<usize>)> {
    let mut out = Vec::with_capacity(shape.iter().product());
    let n = len as i128;
    for (k, v) in values.enumerate() {
        let raw = v.to_i128();
        let wrapped = if raw < 0 { raw + n } else { raw };
        if !(0..n).contains(&wrapped) {
            return Err(Error::IndexerOutOfBounds {
                op: op.into(),
                index: raw,
                position: unravel(k, shape),
                axis,
                len,
            });
        }
        out.push(wrapped as usize);
    }
    Ok((out, shape.to_vec()))
}

fn unravel(mut k: usize, shape: &[usize]) -> Vec<usize> {
    let mut pos = vec![0; shape.len()];
    for a in (0..shape.len()).rev() {
        let n = shape[a].max(1);
        pos[a] = k % n;
        k /= n;
    }
    pos
}

impl<I: IndexInt> Indexer for [I] {
    fn positions(&self, op: &str, axis: usize, len: usize) -> Result<(Vec<usize>, Vec<usize>)> {
        normalize(self.iter().copied(), &[self.len()], op, axis, len)
    }
}

impl<I: IndexInt> Indexer for Vec<I> {
    fn positions(&self, op: &str, axis: usize, len: usize) -> Result<(Vec<usize>, Vec<usize>)> {
        self.as_slice().positions(op, axis, len)
    }
}

impl<I: IndexInt, const N: usize> Indexer for [I; N] {
    fn positions(&self, op: &str, axis: usize, len: usize) -> Result<(Vec<usize>, Vec<usize>)> {
        self.as_slice().positions(op, axis, len)
    }
}

impl<I: IndexInt, S: Data<Elem = I>, D: Dimension> Indexer for ArrayBase<S, D> {
    fn positions(&self, op: &str, axis: usize, len: usize) -> Result<(Vec<usize>, Vec<usize>)> {
        normalize(self.iter().copied(), self.shape(), op, axis, len)
    }
}

impl<T: Element + IndexInt> Indexer for Array<T> {
    fn positions(&self, op: &str, axis: usize, len: usize) -> Result<(Vec<usize>, Vec<usize>)> {
        self.compute()?.positions(op, axis, len)
    }
}

/// Anything usable as a boolean mask: slices, `Vec`s, ndarray arrays, and
/// lazy `Array<bool>` (computed first).
pub trait BoolMask {
    /// The mask's shape (one axis for a slice or `Vec`).
    fn mask_shape(&self) -> Vec<usize>;
    /// The mask's values (C order) and whether it had to be computed.
    fn values(&self) -> Result<(Vec<bool>, bool)>;
}

impl BoolMask for [bool] {
    fn mask_shape(&self) -> Vec<usize> {
        vec![self.len()]
    }
    fn values(&self) -> Result<(Vec<bool>, bool)> {
        Ok((self.to_vec(), false))
    }
}

impl BoolMask for Vec<bool> {
    fn mask_shape(&self) -> Vec<usize> {
        vec![self.len()]
    }
    fn values(&self) -> Result<(Vec<bool>, bool)> {
        Ok((self.clone(), false))
    }
}

impl<S: Data<Elem = bool>, D: Dimension> BoolMask for ArrayBase<S, D> {
    fn mask_shape(&self) -> Vec<usize> {
        self.shape().to_vec()
    }
    fn values(&self) -> Result<(Vec<bool>, bool)> {
        Ok((self.iter().copied().collect(), false))
    }
}

impl BoolMask for Array<bool> {
    fn mask_shape(&self) -> Vec<usize> {
        self.shape().to_vec()
    }
    fn values(&self) -> Result<(Vec<bool>, bool)> {
        Ok((self.compute()?.iter().copied().collect(), true))
    }
}

/// One axis' indexer for [`Array::oindex`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Index {
    /// The whole axis.
    Full,
    /// These positions (negatives wrap), as given (every integer type fits).
    Ints(Vec<i128>),
    /// `start..stop` with a positive step.
    Range {
        /// First position.
        start: usize,
        /// End (excluded; clamped to the axis length).
        stop: usize,
        /// Step (at least 1).
        step: usize,
    },
}

impl<I: IndexInt> From<&[I]> for Index {
    fn from(v: &[I]) -> Self {
        Index::Ints(v.iter().map(|&i| i.to_i128()).collect())
    }
}

impl<I: IndexInt> From<Vec<I>> for Index {
    fn from(v: Vec<I>) -> Self {
        Index::from(v.as_slice())
    }
}

impl From<Range<usize>> for Index {
    fn from(r: Range<usize>) -> Self {
        Index::Range {
            start: r.start,
            stop: r.end,
            step: 1,
        }
    }
}

impl From<RangeFull> for Index {
    fn from(_: RangeFull) -> Self {
        Index::Full
    }
}

impl<T: Element> Array<T> {
    /// The gather of `index` (linear positions into the `naxes` axes from `axis`,
    /// shaped `index_shape`).
    pub(crate) fn gather(
        &self,
        axis: usize,
        naxes: usize,
        index: Vec<usize>,
        index_shape: Vec<usize>,
        origin: String,
    ) -> Result<Array<T>> {
        if let Some(e) = self.error() {
            return Err(e.clone());
        }
        let shape = self.shape();
        let chunks = self.chunks();
        // Rows of the index per output chunk: about one input chunk's worth.
        let per_row: usize = index_shape.iter().skip(1).product::<usize>().max(1);
        let target: usize = (axis..axis + naxes)
            .map(|a| chunks.lens(a).iter().copied().max().unwrap_or(1))
            .product();
        let rows = (target / per_row).max(1);
        let mut lens: Vec<Vec<usize>> = chunks.all_lens()[..axis].to_vec();
        for (k, &n) in index_shape.iter().enumerate() {
            lens.push(match k {
                // One index row per input row (a neighbour table): output chunks
                // nest in the input's, so results line up with the input's own
                // chunks without a rechunk.
                0 if naxes == 1 && n == shape[axis] && n > 0 => {
                    nested_lens(chunks.lens(axis), rows)
                }
                0 => regular_lens(n, rows)?,
                _ => vec![n],
            });
        }
        lens.extend_from_slice(&chunks.all_lens()[axis + naxes..]);
        // How the input is read (held whole or streamed) is decided when the
        // gather is planned, under the executor's memory limit.
        let spec = GatherSpec {
            axis,
            naxes,
            index: index.into(),
            index_shape,
            origin,
        };
        let node = Node::new(
            Op::Gather {
                spec: Arc::new(spec),
                read: GatherRead::Unchosen,
            },
            vec![self.node.clone()],
            Chunks::new(lens)?,
            T::DTYPE,
        );
        Ok(Array::from_node(node))
    }

    /// The gather of the positions where `keep` is true over `naxes` axes from `axis`.
    fn gather_true(
        &self,
        axis: usize,
        naxes: usize,
        keep: &[bool],
        computed: bool,
        op: &str,
    ) -> Result<Array<T>> {
        let pos = true_positions(keep);
        let n = pos.len();
        let origin = mask_origin(op, computed, n, keep.len());
        self.gather(axis, naxes, pos, vec![n], origin)
    }

    /// Elements at positions `idx` along `axis`, in the order given, repeats and
    /// negatives (which wrap) allowed, as NumPy's `take`. An `idx` with several
    /// dimensions replaces the axis by its dimensions.
    ///
    /// ```
    /// use ndchunk::prelude::*;
    /// let x = ndchunk::from_array(ndarray::arr2(&[[0, 1], [10, 11], [20, 21]]), [2, 2])?;
    /// let y = x.take(&[2i64, -3, 2], Axis(0))?;
    /// assert_eq!(y.compute()?, ndarray::arr2(&[[20, 21], [0, 1], [20, 21]]).into_dyn());
    /// assert!(x.take(&[3i64], Axis(0)).is_err());
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn take<I: Indexer + ?Sized>(&self, idx: &I, axis: Axis) -> Result<Array<T>> {
        let len = self.axis_len("take", axis.0)?;
        let (positions, shape) = idx.positions("take", axis.0, len)?;
        self.gather(axis.0, 1, positions, shape, "take".into())
    }

    /// Pointwise indexing: the indexers (one per leading axis) broadcast together
    /// to a shape `B`, and the result has shape `B` followed by the remaining axes.
    /// With `x` of shape `(N, d)` and `knn` of shape `(n, k)`, `x.vindex(&[knn])`
    /// has shape `(n, k, d)`.
    ///
    /// ```
    /// use ndchunk::prelude::*;
    /// let x = ndchunk::from_array(ndarray::Array2::<f32>::eye(3), [2, 3])?;
    /// let knn = ndarray::arr2(&[[0i64, 1], [2, 2]]);
    /// assert_eq!(x.vindex(&[knn.view().into_dyn()])?.shape(), &[2, 2, 3]);
    /// let diag = x.vindex(&[ndarray::arr1(&[0i64, 1, 2]), ndarray::arr1(&[0i64, 1, 2])])?;
    /// assert_eq!(diag.compute()?.into_raw_vec_and_offset().0, vec![1.0, 1.0, 1.0]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn vindex<I: Indexer>(&self, indexers: &[I]) -> Result<Array<T>> {
        let m = indexers.len();
        if m == 0 || m > self.ndim() {
            return Err(Error::invalid(
                "vindex",
                format!("takes 1 to {} indexers, got {m}", self.ndim()),
            ));
        }
        let mut normalised = Vec::with_capacity(m);
        let mut shape: Vec<usize> = Vec::new();
        for (j, ix) in indexers.iter().enumerate() {
            let (pos, s) = ix.positions("vindex", j, self.shape()[j])?;
            shape = broadcast_shapes("vindex", &shape, &s)?;
            normalised.push((pos, s));
        }
        if let Some(outer) = self.vindex_as_outer(&normalised, &shape)? {
            return Ok(outer);
        }
        // One linear position per element of the broadcast shape: refused
        // before it is allocated when the positions alone would not fit.
        let total = shape.iter().try_fold(1usize, |acc, &n| acc.checked_mul(n));
        let bytes = total.and_then(|t| t.checked_mul(std::mem::size_of::<usize>()));
        let limit = crate::config::default_memory_limit()?;
        let total = match (total, bytes) {
            (Some(t), Some(b)) if b as u64 <= limit => t,
            _ => {
                return Err(Error::invalid(
                    "vindex",
                    format!(
                        "indexers broadcast to shape {shape:?}, whose {} positions need {} of \
                         index, more than the memory limit of {}; index in pieces, or use \
                         oindex for an outer product of indices",
                        total.map_or("more than usize::MAX".to_string(), |t| t.to_string()),
                        bytes.map_or("more than usize::MAX bytes".to_string(), |b| {
                            crate::config::human_bytes(b as u64)
                        }),
                        crate::config::human_bytes(limit)
                    ),
                ))
            }
        };
        let mut linear = vec![0usize; total];
        for (j, (pos, s)) in normalised.iter().enumerate() {
            let view = ArrayViewD::from_shape(IxDyn(s), pos)
                .map_err(|e| Error::invalid("vindex", e.to_string()))?;
            let b = view
                .broadcast(IxDyn(&shape))
                .ok_or_else(|| Error::ShapeMismatch {
                    op: "vindex".into(),
                    left: s.clone(),
                    right: shape.clone(),
                })?;
            let n = self.shape()[j];
            for (l, &v) in linear.iter_mut().zip(b.iter()) {
                *l = *l * n + v;
            }
        }
        self.gather(0, m, linear, shape, "vindex".into())
    }

    /// `vindex` with indexers that vary along disjoint axes of their broadcast
    /// shape `shape` (NumPy's `x[i[:, None], j[None, :]]`): an outer product of
    /// indices, planned as one gather per indexer (each holding its own
    /// indices, not one position per element of `shape`) and a transpose. None
    /// when the indexers share an axis or there is only one.
    fn vindex_as_outer(
        &self,
        indexers: &[(Vec<usize>, Vec<usize>)],
        shape: &[usize],
    ) -> Result<Option<Array<T>>> {
        let b = shape.len();
        // The axes of `shape` along which each indexer varies.
        let varying: Vec<Vec<usize>> = indexers
            .iter()
            .map(|(_, s)| {
                let skip = b - s.len();
                (0..s.len())
                    .filter(|&a| s[a] != 1)
                    .map(|a| a + skip)
                    .collect()
            })
            .collect();
        let mut owner = vec![None; b];
        for (j, axes) in varying.iter().enumerate() {
            for &a in axes {
                if owner[a].replace(j).is_some() {
                    return Ok(None);
                }
            }
        }
        if indexers.len() < 2 || varying.iter().filter(|v| !v.is_empty()).count() < 2 {
            return Ok(None);
        }
        // Gather indexer j along input axis j (its place after the earlier
        // indexers' axes): axes become (varying[0], varying[1], ..., rest).
        let mut out = self.clone();
        let mut at = 0;
        for (j, (pos, _)) in indexers.iter().enumerate() {
            let own: Vec<usize> = varying[j].iter().map(|&a| shape[a]).collect();
            out = out.gather(at, 1, pos.clone(), own, "vindex".into())?;
            at += varying[j].len();
        }
        // Length-1 axes of `shape` no indexer varies along, then the transpose
        // into `shape`'s order.
        let mut order: Vec<usize> = varying.concat();
        for (a, _) in owner.iter().enumerate().filter(|(_, o)| o.is_none()) {
            out = out.insert_axis(Axis(order.len()))?;
            order.push(a);
        }
        let mut axes: Vec<usize> = (0..b)
            .map(|a| order.iter().position(|&o| o == a).unwrap_or(a))
            .collect();
        axes.extend(b..out.ndim());
        Ok(Some(out.permuted_axes(&axes)?))
    }

    /// Outer indexing: one [`Index`] per leading axis (missing ones are `Full`),
    /// each applied independently, as NumPy's `x[np.ix_(rows, cols)]`.
    ///
    /// ```
    /// use ndchunk::array::indexing::Index;
    /// let x = ndchunk::from_array(ndarray::Array2::from_shape_fn((4, 5), |(i, j)| (10 * i + j) as i32), [2, 2])?;
    /// let o = x.oindex(&[Index::from(&[3i64, 0][..]), Index::from(1..4)])?;
    /// assert_eq!(o.compute()?, ndarray::arr2(&[[31, 32, 33], [1, 2, 3]]).into_dyn());
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn oindex(&self, indexers: &[Index]) -> Result<Array<T>> {
        if indexers.len() > self.ndim() {
            return Err(Error::invalid(
                "oindex",
                format!("{} indexers for {} axes", indexers.len(), self.ndim()),
            ));
        }
        let mut out = self.clone();
        for (axis, ix) in indexers.iter().enumerate() {
            let len = self.shape()[axis];
            out = match ix {
                Index::Full => continue,
                Index::Ints(v) => {
                    let (pos, shape) = v.positions("oindex", axis, len)?;
                    out.gather(axis, 1, pos, shape, "oindex".into())?
                }
                Index::Range { start, stop, step } => {
                    if *step == 0 {
                        return Err(Error::invalid(
                            "oindex",
                            format!("axis {axis}: range step 0"),
                        ));
                    }
                    let pos: Vec<usize> =
                        (*start.min(&len)..*stop.min(&len)).step_by(*step).collect();
                    let n = pos.len();
                    out.gather(axis, 1, pos, vec![n], "oindex".into())?
                }
            };
        }
        Ok(out)
    }

    /// The entries along `axis` where `keep` is true. A lazy `Array<bool>` mask is
    /// computed first, which fixes the result's length.
    ///
    /// ```
    /// use ndchunk::prelude::*;
    /// let x = ndchunk::arange::<i32>(0, 6, 1, [4])?;
    /// assert_eq!(x.mask(&[true, false, true, false, false, true][..], Axis(0))?.compute()?.into_raw_vec_and_offset().0, vec![0, 2, 5]);
    /// let lazy = x.mask(&x.gt(3), Axis(0))?;
    /// assert!(lazy.explain().contains("computed first"));
    /// assert_eq!(lazy.compute()?.into_raw_vec_and_offset().0, vec![4, 5]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn mask<M: BoolMask + ?Sized>(&self, keep: &M, axis: Axis) -> Result<Array<T>> {
        let len = self.axis_len("mask", axis.0)?;
        // NumPy: a boolean index along one axis must be 1-d and as long as it.
        let shape = keep.mask_shape();
        let what = match shape.as_slice() {
            [n] if *n == len => None,
            [n] => Some(format!("mask of length {n}")),
            _ => Some(format!("mask of shape {shape:?} (it must be 1-d)")),
        };
        if let Some(what) = what {
            return Err(Error::invalid(
                "mask",
                format!("{what} for axis {} of length {len}", axis.0),
            ));
        }
        let (values, computed) = keep.values()?;
        self.gather_true(axis.0, 1, &values, computed, "mask")
    }

    /// The elements where `keep` (same shape) is true, in C order, as a 1-d array
    /// (NumPy's `x[m]`). The mask is computed first.
    ///
    /// ```
    /// let x = ndchunk::from_array(ndarray::arr2(&[[1, -2], [-3, 4]]), [1, 2])?;
    /// assert_eq!(x.filter(&x.gt(0))?.compute()?.into_raw_vec_and_offset().0, vec![1, 4]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn filter(&self, keep: &Array<bool>) -> Result<Array<T>> {
        if keep.shape() != self.shape() {
            return Err(Error::ShapeMismatch {
                op: "filter".into(),
                left: self.shape().to_vec(),
                right: keep.shape().to_vec(),
            });
        }
        let (values, computed) = keep.values()?;
        self.gather_true(0, self.ndim(), &values, computed, "filter")
    }

    /// A random reordering along `axis`, the same for the same seed.
    ///
    /// ```
    /// use ndchunk::prelude::*;
    /// let x = ndchunk::arange::<i64>(0, 100, 1, [30])?;
    /// let mut p = x.permutation(Axis(0), 7)?.compute()?.into_raw_vec_and_offset().0;
    /// assert_ne!(p, (0..100).collect::<Vec<_>>());
    /// p.sort();
    /// assert_eq!(p, (0..100).collect::<Vec<_>>());
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn permutation(&self, axis: Axis, seed: u64) -> Result<Array<T>> {
        let len = self.axis_len("permutation", axis.0)?;
        let mut perm: Vec<usize> = (0..len).collect();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        for i in (1..len).rev() {
            perm.swap(i, rng.random_range(0..=i));
        }
        self.gather(
            axis.0,
            1,
            perm,
            vec![len],
            format!("permutation(seed={seed})"),
        )
    }

    /// Alias of [`Array::permutation`] (dask issue 3409's `shuffle`).
    ///
    /// ```
    /// use ndchunk::prelude::*;
    /// let x = ndchunk::arange::<i64>(0, 10, 1, [4])?;
    /// assert_eq!(x.shuffle(Axis(0), 3)?.compute()?, x.permutation(Axis(0), 3)?.compute()?);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn shuffle(&self, axis: Axis, seed: u64) -> Result<Array<T>> {
        self.permutation(axis, seed)
    }

    /// A view with a length-1 axis inserted at `axis` (NumPy's `x[:, None]`).
    ///
    /// ```
    /// use ndchunk::prelude::*;
    /// let x = ndchunk::zeros::<f32>(&[4, 3], [2, 3])?;
    /// assert_eq!(x.insert_axis(Axis(1))?.shape(), &[4, 1, 3]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn insert_axis(&self, axis: Axis) -> Result<Array<T>> {
        if axis.0 > self.ndim() {
            return Err(Error::AxisOutOfBounds {
                op: "insert_axis".into(),
                axis: axis.0 as isize,
                ndim: self.ndim() + 1,
            });
        }
        let mut axes: Vec<ViewAxis> = (0..self.ndim())
            .map(|a| ViewAxis::Input {
                axis: a,
                start: 0,
                step: 1,
            })
            .collect();
        axes.insert(axis.0, ViewAxis::New);
        let mut lens = self.shape().to_vec();
        lens.insert(axis.0, 1);
        self.view(axes, Vec::new(), &lens, &format!("insert_axis({})", axis.0))
    }
}

fn mask_origin(op: &str, computed: bool, kept: usize, of: usize) -> String {
    if computed {
        format!("{op} (lazy mask computed first: {kept} of {of} kept)")
    } else {
        op.to_string()
    }
}

/// The positions of `keep`'s true values, in order. Written without a branch
/// on the values: a random mask would mispredict every other one.
fn true_positions(keep: &[bool]) -> Vec<usize> {
    let n = keep.iter().filter(|&&k| k).count();
    // One slot of slack: every position is written, the next overwrites it
    // unless it was kept.
    let mut pos = vec![0; n + 1];
    let mut kept = 0;
    for (i, &k) in keep.iter().enumerate() {
        pos[kept] = i;
        kept += usize::from(k);
    }
    pos.truncate(n);
    pos
}

//! Counting: `histogram` (bins as a count over a range, or explicit edges;
//! weights; density), `bincount`, `digitize` and `isin`, as NumPy's. Each
//! block is counted in its own task (a kernel), and the counts are summed
//! by the reduction tree; a range or length that depends on the data (the
//! histogram's default range, `bincount`'s length, `unique`'s values, the
//! positions of `nonzero`) is computed when the array is built, as masks
//! are, and `explain()` names such values "(computed when built)".

use std::sync::Arc;

use ndarray::{Axis, Slice};

use crate::array::creation::computed_when_built;
use crate::array::Array;
use crate::chunks::Chunks;
use crate::element::{DType, Element, IntElement, NumElement};
use crate::error::{Error, Result};
use crate::expr::{BlockMap, BlockOp, Kernel, Node, Op};

/// Runs of equal values in sorted order: the values, the first position of
/// each (when asked for), and the runs' lengths.
type Runs<T> = (Vec<T>, Option<Vec<i64>>, Vec<i64>);

/// A histogram's bins: a count of equal bins over a range, or their edges.
#[derive(Clone, Debug, PartialEq)]
pub enum Bins {
    /// This many equal bins.
    Count(usize),
    /// These edges, increasing.
    Edges(Vec<f64>),
}

impl<T: NumElement> Array<T> {
    /// The counts of the elements in each bin, and the bins' edges (NumPy's
    /// `histogram`): `Bins::Count(n)` splits `range` (by default the data's
    /// minimum and maximum, computed now) into `n` equal bins; each bin
    /// holds `edges[i] <= v < edges[i + 1]`, the last one closed. NaN and
    /// values outside fall in no bin. For `f32` data the edges are rounded
    /// to `f32`, as NumPy's.
    ///
    /// ```
    /// use ndchunk::Bins;
    /// let x = ndchunk::from_array(ndarray::arr1(&[1.0, 2.0, 2.0, 3.0, 9.0]), [2])?;
    /// let (counts, edges) = x.histogram(Bins::Count(4), Some((0.0, 4.0)))?;
    /// assert_eq!(counts.compute()?.into_raw_vec_and_offset().0, vec![0, 1, 2, 1]);
    /// assert_eq!(edges, vec![0.0, 1.0, 2.0, 3.0, 4.0]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn histogram(
        &self,
        bins: Bins,
        range: Option<(f64, f64)>,
    ) -> Result<(Array<i64>, Vec<f64>)> {
        let edges = self.bin_edges(bins, range, true)?;
        Ok((self.histogram_node(&edges, None)?, edges))
    }

    /// [`Array::histogram`] with `weights` (of this array's shape) summed
    /// instead of counts, and with `density` the counts (or sums) divided
    /// by their total times each bin's width, so the histogram integrates
    /// to 1 (NumPy's `weights` and `density`).
    ///
    /// ```
    /// use ndchunk::Bins;
    /// let x = ndchunk::from_array(ndarray::arr1(&[0.5, 1.5, 1.5, 3.0]), [3])?;
    /// let w = ndchunk::from_array(ndarray::arr1(&[2.0, 1.0, 1.0, 4.0]), [2])?;
    /// let (sums, _) = x.histogram_with(Bins::Edges(vec![0.0, 1.0, 2.0, 4.0]), None, Some(&w), false)?;
    /// assert_eq!(sums.compute()?.into_raw_vec_and_offset().0, vec![2.0, 2.0, 4.0]);
    /// let (density, _) = x.histogram_with(Bins::Count(2), Some((0.0, 4.0)), None, true)?;
    /// assert_eq!(density.compute()?.into_raw_vec_and_offset().0, vec![0.375, 0.125]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn histogram_with(
        &self,
        bins: Bins,
        range: Option<(f64, f64)>,
        weights: Option<&Array<f64>>,
        density: bool,
    ) -> Result<(Array<f64>, Vec<f64>)> {
        let edges = self.bin_edges(bins, range, true)?;
        let sums = match weights {
            Some(w) => {
                same_shape("histogram", self.shape(), w.shape())?;
                self.histogram_node(&edges, Some(&w.rechunk(self.chunks())?))?
            }
            None => self.histogram_node::<i64>(&edges, None)?.astype::<f64>(),
        };
        if !density {
            return Ok((sums, edges));
        }
        let widths: Vec<f64> = edges.windows(2).map(|e| e[1] - e[0]).collect();
        let widths =
            crate::array::creation::from_array(ndarray::Array1::from(widths), [edges.len() - 1])?;
        let total = sums.sum()?;
        Ok((&sums / &(&widths * &total), edges))
    }

    /// The counts of the pairs `(self[i], y[i])` in each cell of a 2-d grid
    /// of bins (NumPy's `histogram2d`), and the edges along each input:
    /// `bins` and `range` per input as [`Array::histogram`] takes them (the
    /// edges stay `f64` for `f32` data, as NumPy's `histogramdd` makes them).
    ///
    /// ```
    /// use ndchunk::Bins;
    /// let x = ndchunk::from_array(ndarray::arr1(&[0.5, 1.5, 1.5, 0.2]), [3])?;
    /// let y = ndchunk::from_array(ndarray::arr1(&[0.1, 0.9, 0.2, 0.8]), [2])?;
    /// let (counts, xe, ye) = x.histogram2d(&y, (Bins::Count(2), Bins::Count(2)), Some(((0.0, 2.0), (0.0, 1.0))))?;
    /// assert_eq!(counts.compute()?, ndarray::arr2(&[[1i64, 1], [1, 1]]).into_dyn());
    /// assert_eq!((xe, ye), (vec![0.0, 1.0, 2.0], vec![0.0, 0.5, 1.0]));
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn histogram2d(
        &self,
        y: &Array<T>,
        bins: (Bins, Bins),
        range: Option<((f64, f64), (f64, f64))>,
    ) -> Result<(Array<i64>, Vec<f64>, Vec<f64>)> {
        if let Some(e) = self.error().or(y.error()) {
            return Err(e.clone());
        }
        if self.ndim() != 1 || self.shape() != y.shape() {
            return Err(Error::invalid(
                "histogram2d",
                format!(
                    "x and y must be 1-d of one length, not of shapes {:?} and {:?}",
                    self.shape(),
                    y.shape()
                ),
            ));
        }
        let x_edges = self.bin_edges(bins.0, range.map(|r| r.0), false)?;
        let y_edges = y.bin_edges(bins.1, range.map(|r| r.1), false)?;
        let kernel = Kernel::Histogram2d {
            x_edges: Arc::new(x_edges.clone()),
            y_edges: Arc::new(y_edges.clone()),
        };
        let blocks = self.chunks().lens(0).len();
        let lens = vec![
            vec![1; blocks],
            vec![x_edges.len() - 1],
            vec![y_edges.len() - 1],
        ];
        let map = BlockMap {
            f: BlockOp::Kernel(kernel),
            index: vec![vec![Some(0)]; 2],
        };
        let per_block: Array<i64> = Array::from_node(Node::new(
            Op::MapBlocks(map),
            vec![
                self.node().clone(),
                y.rechunk(self.chunks())?.node().clone(),
            ],
            Chunks::from_checked(lens),
            DType::I64,
        ));
        Ok((per_block.sum_axis(Axis(0))?, x_edges, y_edges))
    }

    /// The bin edges of [`Array::histogram`] (`f32_edges`: rounded to `f32`
    /// for `f32` data, as `histogram` does; `histogram2d`'s stay `f64`).
    fn bin_edges(
        &self,
        bins: Bins,
        range: Option<(f64, f64)>,
        f32_edges: bool,
    ) -> Result<Vec<f64>> {
        let bad = |why: String| Error::invalid("histogram", why);
        let edges = match bins {
            Bins::Edges(e) => {
                if e.len() < 2
                    || e.windows(2)
                        .any(|w| w[0].partial_cmp(&w[1]).is_none_or(|o| o.is_gt()))
                {
                    return Err(bad(format!("bin edges must increase monotonically: {e:?}")));
                }
                e
            }
            Bins::Count(0) => return Err(bad("the number of bins must be positive".into())),
            Bins::Count(n) => {
                let (mut lo, mut hi) = match range {
                    Some((lo, hi)) => {
                        if lo > hi {
                            return Err(bad(format!(
                                "max must be larger than min in range ({lo}, {hi})"
                            )));
                        }
                        (lo, hi)
                    }
                    None if self.shape().contains(&0) => (0.0, 1.0),
                    None => {
                        let lo = self.min()?.compute()?.first().map(|v| v.cast::<f64>());
                        let hi = self.max()?.compute()?.first().map(|v| v.cast::<f64>());
                        (lo.unwrap_or(0.0), hi.unwrap_or(1.0))
                    }
                };
                if !lo.is_finite() || !hi.is_finite() {
                    return Err(bad(format!("the range [{lo}, {hi}] is not finite")));
                }
                if lo == hi {
                    (lo, hi) = (lo - 0.5, hi + 0.5);
                }
                // NumPy's linspace: i * step + start, the last edge exact.
                let step = (hi - lo) / n as f64;
                let mut e: Vec<f64> = (0..=n).map(|i| i as f64 * step + lo).collect();
                e[n] = hi;
                if f32_edges && T::DTYPE == DType::F32 {
                    e.iter_mut().for_each(|v| *v = *v as f32 as f64);
                }
                e
            }
        };
        Ok(edges)
    }

    /// The per-block counts (or sums of `weights`) over `edges`, summed.
    fn histogram_node<U: Element>(
        &self,
        edges: &[f64],
        weights: Option<&Array<f64>>,
    ) -> Result<Array<U>> {
        if let Some(e) = self.error() {
            return Err(e.clone());
        }
        let ndim = self.ndim();
        let kernel = Kernel::Histogram {
            edges: Arc::new(edges.to_vec()),
            weighted: weights.is_some(),
        };
        let mut lens: Vec<Vec<usize>> = self
            .chunks()
            .all_lens()
            .iter()
            .map(|l| vec![1; l.len()])
            .collect();
        lens.push(vec![edges.len() - 1]);
        let mut inputs = vec![self.node().clone()];
        inputs.extend(weights.map(|w| w.node().clone()));
        let map = BlockMap::aligned(BlockOp::Kernel(kernel), inputs.len(), ndim);
        let per_block: Array<U> = Array::from_node(Node::new(
            Op::MapBlocks(map),
            inputs,
            Chunks::from_checked(lens),
            U::DTYPE,
        ));
        if ndim == 0 {
            return Ok(per_block);
        }
        let axes: Vec<isize> = (0..ndim as isize).collect();
        retyped(per_block.sum_with(&crate::array::reductions::ReduceOptions::new().axes(&axes))?)
    }

    /// The index of the bin of `bins` (monotonic, increasing or decreasing)
    /// each element falls in (NumPy's `digitize`): for increasing bins,
    /// `i` such that `bins[i - 1] <= x < bins[i]` (`right`: `bins[i - 1] < x
    /// <= bins[i]`), 0 below and `bins.len()` above.
    ///
    /// ```
    /// let x = ndchunk::from_array(ndarray::arr1(&[0.2, 6.4, 3.0, 1.6]), [3])?;
    /// let d = x.digitize(&[0.0, 1.0, 2.5, 4.0, 10.0], false)?;
    /// assert_eq!(d.compute()?.into_raw_vec_and_offset().0, vec![1, 4, 3, 2]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn digitize(&self, bins: &[f64], right: bool) -> Result<Array<i64>> {
        let increasing = bins.windows(2).all(|w| w[0] <= w[1]);
        let decreasing = bins.windows(2).all(|w| w[0] >= w[1]);
        if !increasing && !decreasing {
            return Err(Error::invalid(
                "digitize",
                format!("bins must be monotonically increasing or decreasing: {bins:?}"),
            ));
        }
        let side = if right {
            crate::array::sort::Side::Left
        } else {
            crate::array::sort::Side::Right
        };
        let x = self.astype::<f64>();
        let sorted: Vec<f64> = match increasing {
            true => bins.to_vec(),
            false => bins.iter().rev().copied().collect(),
        };
        let n = sorted.len().max(1);
        let edges = crate::array::creation::from_array(ndarray::Array1::from(sorted), [n])?;
        let found = edges.searchsorted(&x, side)?;
        if increasing {
            Ok(found)
        } else {
            Ok(
                &crate::array::creation::full::<i64>(&[], bins.len() as i64, Vec::<usize>::new())?
                    - &found,
            )
        }
    }
}

impl<T: Element> Array<T> {
    /// Whether each element is among `test`'s elements (NumPy's `isin`; with
    /// `invert`, whether it is not). NaN is in nothing; `-0.0` equals `0.0`.
    /// `test` is sorted and held in one block.
    ///
    /// ```
    /// let x = ndchunk::from_array(ndarray::arr1(&[1, 5, 2, 7]), [3])?;
    /// let test = ndchunk::from_array(ndarray::arr1(&[7, 1]), [1])?;
    /// assert_eq!(x.isin(&test, false)?.compute()?.into_raw_vec_and_offset().0, vec![true, false, false, true]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn isin(&self, test: &Array<T>, invert: bool) -> Result<Array<bool>> {
        if let Some(e) = self.error().or(test.error()) {
            return Err(e.clone());
        }
        let flat = test.ravel()?;
        let n = flat.shape()[0];
        let sorted = flat.sort(Axis(0))?.rechunk(vec![vec![n]])?;
        let map = BlockMap {
            f: BlockOp::Kernel(Kernel::IsIn { invert }),
            index: vec![vec![None], (0..self.ndim()).map(Some).collect()],
        };
        Ok(Array::from_node(Node::new(
            Op::MapBlocks(map),
            vec![sorted.node().clone(), self.node().clone()],
            self.chunks().clone(),
            DType::Bool,
        )))
    }
}

impl<T: IntElement> Array<T> {
    /// How often each of `0..n` occurs in this 1-d array of non-negative
    /// integers, `n` the larger of its maximum plus one and `minlength`
    /// (NumPy's `bincount`; the maximum is computed now). A negative value
    /// is an error.
    ///
    /// ```
    /// let x = ndchunk::from_array(ndarray::arr1(&[0u8, 1, 1, 3, 1]), [2])?;
    /// assert_eq!(x.bincount(0)?.compute()?.into_raw_vec_and_offset().0, vec![1, 3, 0, 1]);
    /// assert_eq!(x.bincount(6)?.shape(), &[6]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn bincount(&self, minlength: usize) -> Result<Array<i64>> {
        self.bincount_node(None, minlength)
    }

    /// [`Array::bincount`] summing `weights` (of this array's shape) instead
    /// of counting (NumPy's `bincount(x, weights)`, `f64`).
    ///
    /// ```
    /// let x = ndchunk::from_array(ndarray::arr1(&[0i32, 2, 2]), [2])?;
    /// let w = ndchunk::from_array(ndarray::arr1(&[0.5, 1.0, 2.0]), [3])?;
    /// assert_eq!(x.bincount_weighted(&w, 0)?.compute()?.into_raw_vec_and_offset().0, vec![0.5, 0.0, 3.0]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn bincount_weighted(&self, weights: &Array<f64>, minlength: usize) -> Result<Array<f64>> {
        self.bincount_node(Some(weights), minlength)
    }

    fn bincount_node<U: Element>(
        &self,
        weights: Option<&Array<f64>>,
        minlength: usize,
    ) -> Result<Array<U>> {
        if let Some(e) = self.error() {
            return Err(e.clone());
        }
        if self.ndim() != 1 {
            return Err(Error::invalid(
                "bincount",
                format!("the input must be 1-d, not of shape {:?}", self.shape()),
            ));
        }
        if let Some(w) = weights {
            same_shape("bincount", self.shape(), w.shape())?;
        }
        let mut len = minlength;
        if self.shape()[0] > 0 {
            let lowest = self
                .min()?
                .compute()?
                .first()
                .map_or(0, |v| v.cast::<i64>());
            if lowest < 0 {
                return Err(Error::invalid(
                    "bincount",
                    format!("the input holds the negative value {lowest}"),
                ));
            }
            let highest = self
                .max()?
                .compute()?
                .first()
                .map_or(0, |v| v.cast::<u64>());
            len = len.max(highest as usize + 1);
        }
        self.bincount_of_len(weights, len)
    }

    /// The counts (or sums of `weights`) of `0..len`, a value outside being
    /// an error when computed.
    fn bincount_of_len<U: Element>(
        &self,
        weights: Option<&Array<f64>>,
        len: usize,
    ) -> Result<Array<U>> {
        let kernel = Kernel::BinCount {
            len,
            weighted: weights.is_some(),
        };
        let blocks = self.chunks().lens(0).len();
        let mut inputs = vec![self.node().clone()];
        if let Some(w) = weights {
            inputs.push(w.rechunk(self.chunks())?.node().clone());
        }
        let map = BlockMap {
            f: BlockOp::Kernel(kernel),
            index: vec![vec![Some(0)]; inputs.len()],
        };
        let per_block: Array<U> = Array::from_node(Node::new(
            Op::MapBlocks(map),
            inputs,
            Chunks::from_checked(vec![vec![1; blocks], vec![len]]),
            U::DTYPE,
        ));
        retyped(per_block.sum_axis(Axis(0))?)
    }
}

/// An error unless the weights' shape is the values'.
fn same_shape(op: &str, values: &[usize], weights: &[usize]) -> Result<()> {
    if values == weights {
        return Ok(());
    }
    Err(Error::invalid(
        op,
        format!("weights of shape {weights:?} for values of shape {values:?}"),
    ))
}

/// `a` as an array of `U`, which has its dtype (a sum of `i64` or `f64`
/// counts keeps their dtype, which the element types do not show).
fn retyped<U: Element, V: Element>(a: Array<V>) -> Result<Array<U>> {
    if V::DTYPE != U::DTYPE {
        return Err(Error::DtypeMismatch {
            op: "counts".into(),
            expected: U::DTYPE.to_string(),
            found: V::DTYPE.to_string(),
        });
    }
    Ok(Array::from_node(a.node().clone()))
}

/// What [`Array::unique_with`] returns besides the values, as NumPy's
/// `unique(return_index, return_inverse, return_counts)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UniqueOptions {
    /// The position (flat, C order) of each value's first occurrence.
    pub index: bool,
    /// For each element, the position of its value among the values.
    pub inverse: bool,
    /// How often each value occurs.
    pub counts: bool,
}

/// The result of [`Array::unique_with`]: the sorted distinct values, and
/// what the options asked for (all `i64`).
#[derive(Debug)]
pub struct Unique<T: Element> {
    /// The distinct values, sorted (NaN last, all NaN one value).
    pub values: Array<T>,
    /// Each value's first position in the flattened array.
    pub index: Option<Array<i64>>,
    /// Each element's value's position among `values`, in the array's shape.
    pub inverse: Option<Array<i64>>,
    /// Each value's number of occurrences.
    pub counts: Option<Array<i64>>,
}

/// Integer ranges up to this many values are counted, not sorted.
const COUNTED_RANGE: i128 = 1 << 22;

impl<T: Element> Array<T> {
    /// The sorted distinct values of the flattened array (NumPy's `unique`;
    /// all NaN count as one value). Computed now: the result's length
    /// depends on the data, as a mask's does.
    ///
    /// ```
    /// let x = ndchunk::from_array(ndarray::arr1(&[3, 1, 3, 2, 1]), [2])?;
    /// assert_eq!(x.unique()?.compute()?.into_raw_vec_and_offset().0, vec![1, 2, 3]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn unique(&self) -> Result<Array<T>> {
        Ok(self.unique_with(UniqueOptions::default())?.values)
    }

    /// [`Array::unique`] with first positions, inverse and counts as
    /// `options` asks. Integers whose range spans at most 2^22 values are
    /// counted in one pass per block (no sort) when first positions are not
    /// asked for; other arrays are sorted (the sort's buckets computed one
    /// at a time) and runs of equal values found. The inverse is a lazy
    /// `searchsorted` of the array among the values.
    ///
    /// ```
    /// use ndchunk::UniqueOptions;
    /// let x = ndchunk::from_array(ndarray::arr1(&[2.0, f64::NAN, 1.0, 2.0, f64::NAN]), [2])?;
    /// let u = x.unique_with(UniqueOptions { index: true, inverse: true, counts: true })?;
    /// assert!(u.values.explain().contains("unique values (computed when built)"));
    /// assert_eq!(u.values.compute()?.len(), 3);
    /// assert_eq!(u.index.unwrap().compute()?.into_raw_vec_and_offset().0, vec![2, 0, 1]);
    /// assert_eq!(u.inverse.unwrap().compute()?.into_raw_vec_and_offset().0, vec![1, 2, 0, 1, 2]);
    /// assert_eq!(u.counts.unwrap().compute()?.into_raw_vec_and_offset().0, vec![1, 2, 2]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn unique_with(&self, options: UniqueOptions) -> Result<Unique<T>> {
        if let Some(e) = self.error() {
            return Err(e.clone());
        }
        let flat = self.ravel()?;
        let (values, index, counts) = match self.counted_range(&flat, options)? {
            Some((lo, hi)) => {
                let shifted = flat.astype::<i64>() - lo;
                let tally = shifted
                    .bincount_of_len::<i64>(None, (hi - lo + 1) as usize)?
                    .compute()?;
                let mut values = Vec::new();
                let mut counts = Vec::new();
                for (v, &c) in tally.iter().enumerate() {
                    if c > 0 {
                        values.push(crate::element::Scalar::I64(v as i64 + lo).cast::<T>());
                        counts.push(c);
                    }
                }
                (values, None, counts)
            }
            None => flat.sorted_runs(options.index)?,
        };
        let values = computed_when_built(values, "unique values");
        let inverse = match options.inverse {
            true => Some(values.searchsorted(self, crate::array::sort::Side::Left)?),
            false => None,
        };
        Ok(Unique {
            index: match (options.index, index) {
                (true, Some(i)) => Some(computed_when_built(i, "unique first positions")),
                _ => None,
            },
            counts: options
                .counts
                .then(|| computed_when_built(counts, "unique counts")),
            inverse,
            values,
        })
    }

    /// The distinct values of the 1-d `self` in sorted order (NaN once,
    /// last), with `index` each one's first position, and its count, from
    /// runs of equal values in sorted order.
    fn sorted_runs(&self, index: bool) -> Result<Runs<T>> {
        let n = self.shape()[0];
        if n * (T::DTYPE.size() + 8) > crate::array::sort::sort_budget()? {
            return self.sorted_runs_out_of_core(index);
        }
        // With a stable argsort, each run's first position is the first
        // occurrence.
        let order = self.argsort(Axis(0))?.compute()?;
        let positions: Vec<usize> = order.iter().map(|&i| i as usize).collect();
        let sorted = self.take(&positions, Axis(0))?.compute()?;
        let mut values: Vec<T> = Vec::new();
        let mut firsts = Vec::new();
        let mut counts: Vec<i64> = Vec::new();
        for (&v, &i) in sorted.iter().zip(order.iter()) {
            #[allow(clippy::eq_op)]
            let same = values
                .last()
                .is_some_and(|&last| last == v || (last != last && v != v));
            if same {
                *counts.last_mut().expect("a run") += 1;
            } else {
                values.push(v);
                firsts.push(i);
                counts.push(1);
            }
        }
        Ok((values, index.then_some(firsts), counts))
    }

    /// [`Array::sorted_runs`] of an array beyond the sort budget: `sort`
    /// (and for `index` a stable `argsort`) by sample sort, a mask of where
    /// the sorted values change, and the sorted values (and positions)
    /// gathered there. Only the results are held; the sort runs once for the
    /// mask and once for the values.
    fn sorted_runs_out_of_core(&self, index: bool) -> Result<Runs<T>> {
        let n = self.shape()[0];
        let sorted = self.sort(Axis(0))?;
        let (prev, next) = (
            sorted.slice_axis(Axis(0), Slice::from(..n - 1))?,
            sorted.slice_axis(Axis(0), Slice::from(1..))?,
        );
        // `v != v` is NaN's test (false for integers): NaN equals NaN here.
        let both_nan = prev.ne(&prev).and(next.ne(&next));
        let changes = next.ne(&prev).and(both_nan.not());
        let first = crate::array::creation::full(&[1], true, [1])?;
        let starts = crate::array::join::concatenate(Axis(0), &[first, changes])?.flatnonzero()?;
        let starts: Vec<i64> = starts.compute()?.iter().copied().collect();
        let values = sorted.take(&starts, Axis(0))?.compute()?;
        let firsts = match index {
            true => Some(self.argsort(Axis(0))?.take(&starts, Axis(0))?.compute()?),
            false => None,
        };
        let ends = starts.iter().skip(1).copied().chain([n as i64]);
        let counts = starts.iter().zip(ends).map(|(a, b)| b - a).collect();
        Ok((
            values.iter().copied().collect(),
            firsts.map(|f| f.iter().copied().collect()),
            counts,
        ))
    }

    /// For integers without `index` asked for: the range of `flat`'s values
    /// when it spans at most [`COUNTED_RANGE`] values (computed now).
    fn counted_range(&self, flat: &Array<T>, options: UniqueOptions) -> Result<Option<(i64, i64)>> {
        if !T::DTYPE.is_integer() || options.index || flat.shape()[0] == 0 {
            return Ok(None);
        }
        let (lo, hi) = (flat.min()?, flat.max()?);
        let both = crate::array::compute_all(&[&lo, &hi])?;
        let (lo, hi) = (
            both[0].iter().next().copied(),
            both[1].iter().next().copied(),
        );
        let (Some(lo), Some(hi)) = (lo, hi) else {
            return Ok(None);
        };
        let (lo, hi) = (lo.cast::<i64>() as i128, hi.cast::<i64>() as i128);
        // u64 beyond i64::MAX casts to a negative i64: sort those.
        if T::DTYPE == DType::U64 && (lo < 0 || hi < 0) {
            return Ok(None);
        }
        Ok((hi - lo < COUNTED_RANGE).then_some((lo as i64, hi as i64)))
    }
}

impl<T: Element> Array<T> {
    /// The flat (C-order) positions of the non-zero elements (NumPy's
    /// `flatnonzero`; NaN is non-zero). Computed now, as a mask is.
    ///
    /// ```
    /// let x = ndchunk::from_array(ndarray::arr2(&[[0, 3], [4, 0]]), [1, 1])?;
    /// assert_eq!(x.flatnonzero()?.compute()?.into_raw_vec_and_offset().0, vec![1, 2]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn flatnonzero(&self) -> Result<Array<i64>> {
        Ok(computed_when_built(
            self.nonzero_positions()?,
            "flatnonzero",
        ))
    }

    /// The positions of the non-zero elements, one array per axis (NumPy's
    /// `nonzero`; a 0-d array is an error, as in NumPy 2).
    ///
    /// ```
    /// let x = ndchunk::from_array(ndarray::arr2(&[[0, 3], [4, 0]]), [1, 1])?;
    /// let at = x.nonzero()?;
    /// assert_eq!(at[0].compute()?.into_raw_vec_and_offset().0, vec![0, 1]);
    /// assert_eq!(at[1].compute()?.into_raw_vec_and_offset().0, vec![1, 0]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn nonzero(&self) -> Result<Vec<Array<i64>>> {
        if self.ndim() == 0 {
            return Err(Error::invalid(
                "nonzero",
                "a 0-d array has no positions (NumPy 2 raises ValueError)",
            ));
        }
        let grid = self.argwhere_values()?;
        Ok((0..self.ndim())
            .map(|a| computed_when_built(grid.column(a).to_vec(), "nonzero"))
            .collect())
    }

    /// The positions of the non-zero elements as rows, `(count, ndim)`
    /// (NumPy's `argwhere`).
    ///
    /// ```
    /// let x = ndchunk::from_array(ndarray::arr2(&[[0, 3], [4, 0]]), [1, 1])?;
    /// assert_eq!(x.argwhere()?.compute()?, ndarray::arr2(&[[0i64, 1], [1, 0]]).into_dyn());
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn argwhere(&self) -> Result<Array<i64>> {
        let grid = self.argwhere_values()?;
        let (n, d) = grid.dim();
        let rows = computed_when_built(grid.into_raw_vec_and_offset().0, "argwhere");
        rows.reshape(&[n as isize, d as isize])
    }

    /// The rows of [`Array::argwhere`], computed.
    fn argwhere_values(&self) -> Result<ndarray::Array2<i64>> {
        let flat = self.nonzero_positions()?;
        let shape = self.shape().to_vec();
        let mut grid = ndarray::Array2::<i64>::zeros((flat.len(), shape.len()));
        for (mut row, &p) in grid.outer_iter_mut().zip(&flat) {
            let mut rest = p as usize;
            for a in (0..shape.len()).rev() {
                row[a] = (rest % shape[a].max(1)) as i64;
                rest /= shape[a].max(1);
            }
        }
        Ok(grid)
    }

    /// The flat positions of the non-zero elements, computed now.
    fn nonzero_positions(&self) -> Result<Vec<i64>> {
        if let Some(e) = self.error() {
            return Err(e.clone());
        }
        let mask = self.astype::<bool>().compute()?;
        Ok(mask
            .iter()
            .enumerate()
            .filter(|&(_, &m)| m)
            .map(|(i, _)| i as i64)
            .collect())
    }
}

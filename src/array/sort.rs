//! Sorting and order statistics: `sort`/`argsort` (stable, NaN last, as
//! NumPy's `kind="stable"`), `partition`/`argpartition`, `searchsorted`,
//! and quantiles by NumPy's default linear method (`median`, `quantile`,
//! `percentile` and their NaN-skipping forms).
//!
//! Along an axis, each lane is made whole in one block (the other axes cut
//! so a block stays within the chunk budget) and sorted or selected inside
//! its task. A 1-d array larger than the budget (the chunk size, at most a
//! quarter of the default memory limit) is sorted by sample
//! sort: splitters from an evenly spaced sample and the buckets' exact sizes
//! are computed when the sort is built (two passes over the input, as masks
//! are resolved), and then each bucket is one block of the result, read
//! from every input block: the input is read once per bucket, and buckets
//! are sized to the budget. Lanes of an N-d array beyond the budget (up to
//! 64 of them) are sample-sorted one by one and stacked back.

use std::sync::Arc;

use ndarray::Axis;

use crate::array::Array;
use crate::chunks::{AxisChunks, ChunkSpec, Chunks};
use crate::element::{DType, Element, NumElement};
use crate::error::{Error, Result};
use crate::exec::eval::order::Lanes;
use crate::expr::{BlockMap, BlockOp, Kernel, Node, Op, SortSpec, Splitters};

/// Which end of a run of equal values `searchsorted` returns (NumPy's `side`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The first position where the value could go (`side="left"`).
    Left,
    /// The last (`side="right"`).
    Right,
}

/// Above this size, lanes are spread over at least four blocks.
const PARALLEL_BYTES: usize = 4 << 20;

/// Samples per bucket from which a sample sort's splitters are chosen.
const SAMPLES_PER_BUCKET: usize = 256;

impl<T: Element> Array<T> {
    /// The array sorted along `axis` (NumPy's `sort(kind="stable")`: NaN
    /// last, equal values, `-0.0` and `0.0` among them, in their order).
    ///
    /// ```
    /// use ndchunk::prelude::*;
    /// let x = ndchunk::from_array(ndarray::arr2(&[[3.0, f64::NAN, 1.0], [0.5, -1.0, 2.0]]), [1, 2])?;
    /// let rows = x.sort(Axis(1))?.compute()?;
    /// assert_eq!(rows.slice(ndarray::s![1, ..]).to_vec(), vec![-1.0, 0.5, 2.0]);
    /// assert!(rows[[0, 2]].is_nan());
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn sort(&self, axis: Axis) -> Result<Array<T>> {
        self.order("sort", axis, false)
    }

    /// The positions along `axis` that sort the array (NumPy's
    /// `argsort(kind="stable")`), as `i64`.
    ///
    /// ```
    /// use ndchunk::prelude::*;
    /// let x = ndchunk::from_array(ndarray::arr1(&[2, 0, 2, 1]), [3])?;
    /// assert_eq!(x.argsort(Axis(0))?.compute()?.into_raw_vec_and_offset().0, vec![1, 3, 0, 2]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn argsort(&self, axis: Axis) -> Result<Array<i64>> {
        self.order("argsort", axis, true)
    }

    /// The array with the element at `kth` (negative counts from the end)
    /// along `axis` where a sort would put it, smaller ones before and
    /// larger after (NumPy's `partition`; NumPy leaves the order on each
    /// side unspecified, and here it is sorted).
    ///
    /// ```
    /// use ndchunk::prelude::*;
    /// let x = ndchunk::from_array(ndarray::arr1(&[5, 1, 4, 2, 3]), [2])?;
    /// assert_eq!(x.partition(2, Axis(0))?.compute()?[[2]], 3);
    /// assert!(x.partition(5, Axis(0)).is_err());
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn partition(&self, kth: isize, axis: Axis) -> Result<Array<T>> {
        self.check_kth("partition", kth, axis)?;
        self.sort(axis)
    }

    /// The positions [`Array::partition`] puts in order (NumPy's
    /// `argpartition`), as `i64`.
    ///
    /// ```
    /// use ndchunk::prelude::*;
    /// let x = ndchunk::from_array(ndarray::arr1(&[5, 1, 4, 2, 3]), [2])?;
    /// assert_eq!(x.argpartition(0, Axis(0))?.compute()?[[0]], 1);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn argpartition(&self, kth: isize, axis: Axis) -> Result<Array<i64>> {
        self.check_kth("argpartition", kth, axis)?;
        self.argsort(axis)
    }

    /// Where each element of `values` would be inserted into this sorted
    /// 1-d array to keep it sorted (NumPy's `searchsorted`, NaN sorting
    /// last), as `i64` of `values`' shape. Each block of this array counts
    /// the elements before each value by binary search; the counts are
    /// summed over the blocks.
    ///
    /// ```
    /// use ndchunk::Side;
    /// let a = ndchunk::from_array(ndarray::arr1(&[1.0, 2.0, 2.0, 3.0]), [3])?;
    /// let v = ndchunk::from_array(ndarray::arr1(&[2.0, 0.0, 9.0]), [2])?;
    /// assert_eq!(a.searchsorted(&v, Side::Left)?.compute()?.into_raw_vec_and_offset().0, vec![1, 0, 4]);
    /// assert_eq!(a.searchsorted(&v, Side::Right)?.compute()?.into_raw_vec_and_offset().0, vec![3, 0, 4]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn searchsorted(&self, values: &Array<T>, side: Side) -> Result<Array<i64>> {
        if let Some(e) = self.error().or(values.error()) {
            return Err(e.clone());
        }
        if self.ndim() != 1 {
            return Err(Error::invalid(
                "searchsorted",
                format!(
                    "the sorted array must be 1-d, not of shape {:?}",
                    self.shape()
                ),
            ));
        }
        let blocks = self.chunks().lens(0).len();
        let mut lens = vec![vec![1; blocks]];
        lens.extend(values.chunks().all_lens().iter().cloned());
        let map = BlockMap {
            f: BlockOp::Kernel(Kernel::SearchSorted {
                right: side == Side::Right,
            }),
            index: vec![vec![Some(0)], (1..=values.ndim()).map(Some).collect()],
        };
        let counts: Array<i64> = Array::from_node(Node::new(
            Op::MapBlocks(map),
            vec![self.node().clone(), values.node().clone()],
            Chunks::from_checked(lens),
            DType::I64,
        ));
        counts.sum_axis(Axis(0))
    }

    fn check_kth(&self, op: &str, kth: isize, axis: Axis) -> Result<()> {
        let n = self.axis_len(op, axis.0)? as isize;
        if kth >= n || kth < -n {
            return Err(Error::invalid(
                op,
                format!(
                    "kth {kth} is out of bounds for axis {} of length {n}",
                    axis.0
                ),
            ));
        }
        Ok(())
    }

    fn order<U: Element>(&self, op: &str, axis: Axis, arg: bool) -> Result<Array<U>> {
        if let Some(e) = self.error() {
            return Err(e.clone());
        }
        let n = self.axis_len(op, axis.0)?;
        let per_element = T::DTYPE.size() + if arg { 8 } else { 0 };
        let budget = sort_budget()?;
        if n * per_element > budget {
            if self.ndim() == 1 {
                return self.sample_sort(arg, budget / (2 * per_element).max(1));
            }
            let lanes = self.len() / n;
            if (1..=MAX_SAMPLE_SORTED_LANES).contains(&lanes) {
                return self.lanes_sample_sorted(op, axis, arg);
            }
        }
        let whole = self.whole_axis(axis.0, per_element, budget)?;
        let kernel = Kernel::Sort { axis: axis.0, arg };
        let dtype = kernel.output_dtype(T::DTYPE);
        let map = BlockMap::aligned(BlockOp::Kernel(kernel), 1, self.ndim());
        Ok(Array::from_node(Node::new(
            Op::MapBlocks(map),
            vec![whole.node().clone()],
            whole.chunks().clone(),
            dtype,
        )))
    }

    /// Each lane along `axis` sorted as a 1-d array (by sample sort, the
    /// lanes being beyond the budget), stacked back along the other axes.
    fn lanes_sample_sorted<U: Element>(&self, op: &str, axis: Axis, arg: bool) -> Result<Array<U>> {
        let other = usize::from(axis.0 == 0);
        let inner = Axis(axis.0 - usize::from(other < axis.0));
        let parts = (0..self.shape()[other])
            .map(|i| {
                self.index_axis(Axis(other), i as isize)?
                    .order(op, inner, arg)
            })
            .collect::<Result<Vec<Array<U>>>>()?;
        crate::array::join::stack(Axis(other), &parts)
    }

    /// This array with `axis` one block, the other axes cut so a block of
    /// `per_element` bytes an element stays within `budget` where they can.
    pub(crate) fn whole_axis(
        &self,
        axis: usize,
        per_element: usize,
        budget: usize,
    ) -> Result<Array<T>> {
        let n = self.shape()[axis];
        let mut lens = self.chunks().all_lens().to_vec();
        lens[axis] = vec![n];
        let others: usize = lens
            .iter()
            .enumerate()
            .filter(|&(a, _)| a != axis)
            .map(|(_, l)| l.iter().copied().max().unwrap_or(0))
            .product();
        let bytes = n * others * per_element;
        // Lanes in fewer than four blocks of a large array would leave
        // threads idle: cut the longest other axis into four.
        let blocks: usize = lens.iter().map(Vec::len).product();
        if blocks < 4 && bytes > PARALLEL_BYTES {
            if let Some(a) = (0..lens.len())
                .filter(|&a| a != axis)
                .max_by_key(|&a| self.shape()[a])
            {
                let len = self.shape()[a];
                let part = len.div_ceil(4).max(1);
                lens[a] = (0..len).step_by(part).map(|s| part.min(len - s)).collect();
            }
        }
        if lens.as_slice() == self.chunks().all_lens() {
            return Ok(self.clone());
        }
        if bytes <= budget {
            return self.rechunk(lens);
        }
        let spec = (0..self.ndim())
            .map(|a| match a == axis {
                true => AxisChunks::Whole,
                false => AxisChunks::Auto,
            })
            .collect::<Vec<_>>();
        self.rechunk(ChunkSpec::PerAxis(spec))
    }

    /// The sample sort of this 1-d array into buckets of about `bucket`
    /// elements.
    fn sample_sort<U: Element>(&self, arg: bool, bucket: usize) -> Result<Array<U>> {
        let n = self.shape()[0];
        let buckets = n.div_ceil(bucket.max(1)).max(2);
        let samples = (buckets * SAMPLES_PER_BUCKET).min(n);
        let positions: Vec<usize> = (0..samples)
            .map(|i| ((2 * i + 1) * n) / (2 * samples))
            .collect();
        let drawn = self.take(&positions, Axis(0))?.compute()?;
        let mut sample: Vec<(T, u64)> = drawn
            .iter()
            .zip(&positions)
            .map(|(&v, &p)| (v, p as u64))
            .collect();
        sample.sort_by(|a, b| numpy_order(a.0, b.0).then(a.1.cmp(&b.1)));
        let block_starts: Vec<u64> = self.chunks().offsets(0)[..self.chunks().lens(0).len()]
            .iter()
            .map(|&o| o as u64)
            .collect();
        let mut splitters = Splitters {
            keys: (1..buckets)
                .map(|j| sample[j * samples / buckets])
                .map(|(v, p)| (v.to_scalar(), p))
                .collect(),
            block_starts,
        };
        splitters.keys.dedup();
        let counts = self.bucket_counts(&splitters)?;
        // No bucket may be empty (a chunk of length 0): merge each empty one
        // into the next (the last into the one before).
        let mut keys = Vec::with_capacity(splitters.keys.len());
        let mut lens = Vec::with_capacity(counts.len());
        for (j, &count) in counts.iter().enumerate() {
            if count > 0 {
                lens.push(count as usize);
                if let Some(&k) = splitters.keys.get(j) {
                    keys.push(k);
                }
            }
        }
        if keys.len() == lens.len() {
            keys.pop();
        }
        splitters.keys = keys;
        let spec = SortSpec {
            splitters: Arc::new(splitters),
            arg,
        };
        let dtype = if arg { DType::I64 } else { T::DTYPE };
        Ok(Array::from_node(Node::new(
            Op::Sort(Arc::new(spec)),
            vec![self.node().clone()],
            Chunks::new(vec![lens])?,
            dtype,
        )))
    }

    /// The sizes of the buckets between `splitters`, computed now.
    fn bucket_counts(&self, splitters: &Splitters) -> Result<Vec<i64>> {
        let k = splitters.keys.len() + 1;
        let blocks = self.chunks().lens(0).len();
        let map = BlockMap::aligned(
            BlockOp::Kernel(Kernel::BucketCounts(Arc::new(splitters.clone()))),
            1,
            1,
        );
        let per_block: Array<i64> = Array::from_node(Node::new(
            Op::MapBlocks(map),
            vec![self.node().clone()],
            Chunks::from_checked(vec![vec![k; blocks]]),
            DType::I64,
        ));
        let totals = per_block
            .reshape(&[blocks as isize, k as isize])?
            .sum_axis(Axis(0))?
            .compute()?;
        Ok(totals.iter().copied().collect())
    }
}

/// At most this many lanes beyond the budget are sample-sorted one by one
/// (each sort samples and counts its lane when built).
const MAX_SAMPLE_SORTED_LANES: usize = 64;

/// What a sort or quantile task may hold: the chunk budget, and at most a
/// quarter of the default executor's memory limit (`NDCHUNK_MEMORY_LIMIT`):
/// buckets and lane blocks are cut when the array is built, before any
/// executor is chosen.
pub(crate) fn sort_budget() -> Result<usize> {
    let limit = crate::config::default_memory_limit()? / 4;
    Ok(crate::config::chunk_bytes()?.min(limit) as usize)
}

/// NumPy's sort order for `sample_sort`'s splitters: NaN last, `-0.0`
/// equal to `0.0`.
#[allow(clippy::eq_op)]
fn numpy_order<T: Element>(a: T, b: T) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    match (a != a, b != b) {
        (true, true) => Equal,
        (true, false) => Greater,
        (false, true) => Less,
        (false, false) => a.partial_cmp(&b).unwrap_or(Equal),
    }
}

impl<T: NumElement> Array<T> {
    /// The median over all elements (`axis = None`) or along `axis`
    /// (NumPy's `median`: `f32` for `f32`, else `f64`; NaN gives NaN).
    ///
    /// ```
    /// use ndchunk::prelude::*;
    /// let x = ndchunk::from_array(ndarray::arr2(&[[1, 3, 2], [9, 7, 8]]), [1, 2])?;
    /// assert_eq!(x.median(None)?.compute()?[[]], 5.0);
    /// assert_eq!(x.median(Some(Axis(1)))?.compute()?.into_raw_vec_and_offset().0, vec![2.0, 8.0]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn median(&self, axis: Option<Axis>) -> Result<Array<T::Mean>> {
        self.quantile_node("median", &[0.5], axis, false, false)
    }

    /// [`Array::median`] skipping NaN (NumPy's `nanmedian`; NaN where all are).
    ///
    /// ```
    /// let x = ndchunk::from_array(ndarray::arr1(&[1.0, f64::NAN, 3.0]), [2])?;
    /// assert_eq!(x.nanmedian(None)?.compute()?[[]], 2.0);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn nanmedian(&self, axis: Option<Axis>) -> Result<Array<T::Mean>> {
        self.quantile_node("nanmedian", &[0.5], axis, false, true)
    }

    /// The `q`-th quantile, `q` in [0, 1], by NumPy's default linear method.
    ///
    /// ```
    /// let x = ndchunk::arange::<f64>(0.0, 11.0, 1.0, [4])?;
    /// assert_eq!(x.quantile(0.25, None)?.compute()?[[]], 2.5);
    /// assert!(x.quantile(1.5, None).is_err());
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn quantile(&self, q: f64, axis: Option<Axis>) -> Result<Array<T::Mean>> {
        self.quantile_node("quantile", &[q], axis, false, false)
    }

    /// [`Array::quantile`] skipping NaN (NumPy's `nanquantile`).
    ///
    /// ```
    /// let x = ndchunk::from_array(ndarray::arr1(&[f64::NAN, 0.0, 4.0]), [1])?;
    /// assert_eq!(x.nanquantile(0.75, None)?.compute()?[[]], 3.0);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn nanquantile(&self, q: f64, axis: Option<Axis>) -> Result<Array<T::Mean>> {
        self.quantile_node("nanquantile", &[q], axis, false, true)
    }

    /// The `p`-th percentile, `p` in [0, 100] (NumPy's `percentile`).
    ///
    /// ```
    /// let x = ndchunk::arange::<i32>(0, 5, 1, [2])?;
    /// assert_eq!(x.percentile(50.0, None)?.compute()?[[]], 2.0);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn percentile(&self, p: f64, axis: Option<Axis>) -> Result<Array<T::Mean>> {
        self.quantile_node("percentile", &[p / 100.0], axis, false, false)
    }

    /// [`Array::percentile`] skipping NaN (NumPy's `nanpercentile`).
    ///
    /// ```
    /// let x = ndchunk::from_array(ndarray::arr1(&[1.0, f64::NAN, 5.0]), [2])?;
    /// assert_eq!(x.nanpercentile(25.0, None)?.compute()?[[]], 2.0);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn nanpercentile(&self, p: f64, axis: Option<Axis>) -> Result<Array<T::Mean>> {
        self.quantile_node("nanpercentile", &[p / 100.0], axis, false, true)
    }

    /// Several quantiles at once, their axis first (NumPy's `quantile` with
    /// an array of `q`; `f64`, as NumPy's).
    ///
    /// ```
    /// use ndchunk::prelude::*;
    /// let x = ndchunk::from_array(ndarray::arr2(&[[0.0, 10.0], [4.0, 20.0]]), [1, 1])?;
    /// let q = x.quantiles(&[0.0, 0.5], Some(Axis(0)))?;
    /// assert_eq!(q.compute()?, ndarray::arr2(&[[0.0, 10.0], [2.0, 15.0]]).into_dyn());
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn quantiles(&self, q: &[f64], axis: Option<Axis>) -> Result<Array<f64>> {
        self.quantile_node("quantile", q, axis, true, false)
    }

    /// [`Array::quantiles`] skipping NaN.
    ///
    /// ```
    /// let x = ndchunk::from_array(ndarray::arr1(&[f64::NAN, 1.0, 3.0]), [2])?;
    /// assert_eq!(x.nanquantiles(&[0.0, 1.0], None)?.compute()?.into_raw_vec_and_offset().0, vec![1.0, 3.0]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn nanquantiles(&self, q: &[f64], axis: Option<Axis>) -> Result<Array<f64>> {
        self.quantile_node("nanquantile", q, axis, true, true)
    }

    /// Several percentiles at once, their axis first (NumPy's `percentile`
    /// with an array of `q`).
    ///
    /// ```
    /// let x = ndchunk::arange::<f64>(0.0, 101.0, 1.0, [30])?;
    /// let p = x.percentiles(&[5.0, 50.0, 95.0], None)?;
    /// assert_eq!(p.compute()?.into_raw_vec_and_offset().0, vec![5.0, 50.0, 95.0]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn percentiles(&self, p: &[f64], axis: Option<Axis>) -> Result<Array<f64>> {
        let q: Vec<f64> = p.iter().map(|&p| p / 100.0).collect();
        self.quantile_node("percentile", &q, axis, true, false)
    }

    /// [`Array::percentiles`] skipping NaN.
    ///
    /// ```
    /// let x = ndchunk::from_array(ndarray::arr1(&[2.0, f64::NAN, 4.0]), [1])?;
    /// assert_eq!(x.nanpercentiles(&[50.0], None)?.compute()?.into_raw_vec_and_offset().0, vec![3.0]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn nanpercentiles(&self, p: &[f64], axis: Option<Axis>) -> Result<Array<f64>> {
        let q: Vec<f64> = p.iter().map(|&p| p / 100.0).collect();
        self.quantile_node("nanpercentile", &q, axis, true, true)
    }

    fn quantile_node<U: Element>(
        &self,
        op: &str,
        q: &[f64],
        axis: Option<Axis>,
        q_axis: bool,
        nan: bool,
    ) -> Result<Array<U>> {
        if let Some(e) = self.error() {
            return Err(e.clone());
        }
        if let Some(bad) = q.iter().find(|q| !(0.0..=1.0).contains(*q)) {
            let what = if op.contains("percentile") {
                "percentiles must be in [0, 100]"
            } else {
                "quantiles must be in [0, 1]"
            };
            let shown = if op.contains("percentile") {
                bad * 100.0
            } else {
                *bad
            };
            return Err(Error::invalid(op, format!("{what}, not {shown}")));
        }
        let (x, axis) = match axis {
            Some(a) => {
                self.axis_len(op, a.0)?;
                (self.clone(), a.0)
            }
            None => (self.ravel()?, 0),
        };
        let median = op.ends_with("median");
        let kernel = Kernel::Quantile {
            axis,
            q: q.to_vec(),
            q_axis,
            nan,
            median,
        };
        let dtype = kernel.output_dtype(T::DTYPE);
        if dtype != U::DTYPE {
            return Err(Error::invalid(op, "result dtype"));
        }
        let per_lane = if median { 2 } else { 2 * q.len() };
        if x.radix_selects(axis, per_lane) {
            let how = Lanes { axis, nan, median };
            return x.radix_quantiles(axis, &how, q, q_axis, dtype);
        }
        let budget = sort_budget()?;
        // A lane and its sorted copy.
        let whole = x.whole_axis(axis, 2 * T::DTYPE.size(), budget)?;
        let mut lens: Vec<Vec<usize>> = whole.chunks().all_lens().to_vec();
        lens.remove(axis);
        if q_axis {
            lens.insert(0, vec![q.len()]);
        }
        let chunks = Chunks::new(lens)?;
        let map = BlockMap {
            f: BlockOp::Kernel(kernel),
            index: vec![(0..whole.ndim())
                .map(|a| match a.cmp(&axis) {
                    std::cmp::Ordering::Less => Some(a + q_axis as usize),
                    std::cmp::Ordering::Equal => None,
                    std::cmp::Ordering::Greater => Some(a - 1 + q_axis as usize),
                })
                .collect()],
        };
        Ok(Array::from_node(Node::new(
            Op::MapBlocks(map),
            vec![whole.node().clone()],
            chunks,
            dtype,
        )))
    }
}

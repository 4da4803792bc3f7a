//! Ordering: lanes sorted by a stable LSD radix sort (radsort) on keys that
//! put NaN last and make `-0.0` equal `0.0`, so equal values keep their
//! order (NumPy's `kind="stable"`); the buckets of a sample sort and their
//! counts; quantiles by NumPy's linear method; and `searchsorted` counts.

use std::sync::Arc;

use ndarray::{ArrayD, ArrayViewD, Axis, Ix1};

use crate::block::DynArray;
use crate::element::{DType, Element};
use crate::error::{Error, Result};
use crate::exec::Value;
use crate::expr::Splitters;
use crate::plan::sort::SortStage;
use crate::plan::Source;

/// Elements with a radix key ordered as NumPy sorts: NaN after everything,
/// `-0.0` equal to `0.0`.
pub(crate) trait Sortable: Element {
    /// The key's type.
    type Key: radsort::Key + Ord;
    /// The key of `self`.
    fn sort_key(self) -> Self::Key;
}

macro_rules! sortable_as_itself {
    ($($t:ty),*) => {$(
        impl Sortable for $t {
            type Key = $t;
            #[inline(always)]
            fn sort_key(self) -> $t {
                self
            }
        }
    )*};
}

sortable_as_itself!(bool, i8, i16, i32, i64, u8, u16, u32, u64);

macro_rules! sortable_float {
    ($($t:ty => $bits:ty),*) => {$(
        impl Sortable for $t {
            type Key = $bits;
            #[inline(always)]
            fn sort_key(self) -> $bits {
                if self.is_nan() {
                    return <$bits>::MAX;
                }
                // `+ 0.0` turns -0.0 into 0.0.
                let bits = (self + 0.0).to_bits();
                let sign = 1 << (<$bits>::BITS - 1);
                if bits & sign != 0 { !bits } else { bits | sign }
            }
        }
    )*};
}

sortable_float!(f32 => u32, f64 => u64);

/// Each lane of `block` along `axis` sorted, or (`arg`) the positions that
/// sort it.
pub fn sort_lanes(block: &DynArray, axis: usize, arg: bool) -> DynArray {
    dyn_match!(block, a: T => sort_lanes_typed(a, axis, arg))
}

fn sort_lanes_typed<T: Sortable>(a: &ArrayD<T>, axis: usize, arg: bool) -> DynArray {
    if !arg {
        let mut out = a.as_standard_layout().into_owned();
        let mut scratch: Vec<T> = Vec::new();
        for mut lane in out.lanes_mut(Axis(axis)) {
            match lane.as_slice_mut() {
                Some(s) => radsort::sort_by_key(s, |v| v.sort_key()),
                None => {
                    scratch.clear();
                    scratch.extend(lane.iter().copied());
                    radsort::sort_by_key(&mut scratch, |v| v.sort_key());
                    lane.iter_mut().zip(&scratch).for_each(|(o, &v)| *o = v);
                }
            }
        }
        return T::wrap(out);
    }
    let mut out = ArrayD::<i64>::zeros(a.raw_dim());
    let mut pairs: Vec<(T::Key, i64)> = Vec::new();
    for (lane, mut dst) in a
        .lanes(Axis(axis))
        .into_iter()
        .zip(out.lanes_mut(Axis(axis)))
    {
        pairs.clear();
        pairs.extend(
            lane.iter()
                .enumerate()
                .map(|(i, &v)| (v.sort_key(), i as i64)),
        );
        radsort::sort_by_key(&mut pairs, |p| p.0);
        dst.iter_mut().zip(&pairs).for_each(|(o, p)| *o = p.1);
    }
    i64::wrap(out)
}

/// The splitters' keys for elements of `T`.
fn keys<T: Sortable>(s: &Splitters) -> Vec<(T::Key, u64)> {
    s.keys
        .iter()
        .map(|&(v, i)| (v.cast::<T>().sort_key(), i))
        .collect()
}

/// How many elements of 1-d block `b` (`block`) fall in each bucket.
pub fn bucket_counts(s: &Splitters, block: &DynArray, b: usize) -> Result<DynArray> {
    let start = *s
        .block_starts
        .get(b)
        .ok_or_else(|| Error::invalid("bucket_counts", format!("no block {b}")))?;
    Ok(dyn_match!(block, a: T => {
        let splitters = keys::<T>(s);
        let mut counts = vec![0i64; splitters.len() + 1];
        for (i, &v) in a.iter().enumerate() {
            let key = (v.sort_key(), start + i as u64);
            counts[splitters.partition_point(|k| *k <= key)] += 1;
        }
        i64::wrap(ArrayD::from_shape_vec(ndarray::IxDyn(&[counts.len()]), counts)
            .expect("a 1-d shape"))
    }))
}

/// Bucket `block` of a sample sort: every input element whose key lies in
/// the bucket, sorted (stably: the elements are taken in position order).
pub fn run_sort(
    stage: &SortStage,
    dtype: DType,
    block: &[usize],
    deps: Vec<Arc<Value>>,
) -> Result<Value> {
    let j = block[0];
    let expected = stage.to.lens(0)[j];
    let mut deps = deps.iter();
    let mut inputs: Vec<BucketInput> = Vec::new();
    for (b, range) in (0..stage.from.lens(0).len()).map(|b| (b, stage.from.block_ranges(&[b]))) {
        let start = range[0].start as u64;
        match &stage.source {
            Source::Stage(_) => match deps.next().map(|d| &**d) {
                Some(Value::Block(data)) => inputs.push((start, data, 0..data.shape()[0])),
                _ => {
                    return Err(Error::invalid(
                        "sort",
                        format!("input block {b} is missing"),
                    ))
                }
            },
            Source::Resident(r) => {
                let (data, local) = r.locate(&range)?;
                inputs.push((start, data, local[0].clone()));
            }
        }
    }
    let out = with_dtype!(stage.input_dtype, T => bucket::<T>(stage, j, expected, &inputs)?);
    if out.dtype() != dtype {
        return Err(Error::invalid("sort", "bucket of the wrong dtype"));
    }
    Ok(Value::Block(out))
}

/// An input block of a sort bucket: its first global position, the array
/// holding it, and its range there.
type BucketInput<'a> = (u64, &'a DynArray, std::ops::Range<usize>);

/// Bucket `j` (of `expected` elements) of `stage` from its inputs.
fn bucket<T: Sortable>(
    stage: &SortStage,
    j: usize,
    expected: usize,
    inputs: &[BucketInput],
) -> Result<DynArray> {
    let splitters = keys::<T>(&stage.spec.splitters);
    let lo = j.checked_sub(1).map(|i| splitters[i]);
    let hi = splitters.get(j).copied();
    let inside = |key: &(T::Key, u64)| lo.is_none_or(|l| *key >= l) && hi.is_none_or(|h| *key < h);
    if stage.spec.arg {
        let mut pairs: Vec<(T::Key, i64)> = Vec::with_capacity(expected);
        for (start, data, r) in inputs {
            for (i, &v) in values_1d::<T>(data, r.clone())?.iter().enumerate() {
                let key = (v.sort_key(), start + i as u64);
                if inside(&key) {
                    pairs.push((key.0, key.1 as i64));
                }
            }
        }
        check_bucket(j, pairs.len(), expected)?;
        radsort::sort_by_key(&mut pairs, |p| p.0);
        Ok(i64::wrap(
            ArrayD::from_shape_vec(
                ndarray::IxDyn(&[pairs.len()]),
                pairs.into_iter().map(|p| p.1).collect(),
            )
            .expect("a 1-d shape"),
        ))
    } else {
        let mut kept: Vec<T> = Vec::with_capacity(expected);
        for (start, data, r) in inputs {
            for (i, &v) in values_1d::<T>(data, r.clone())?.iter().enumerate() {
                if inside(&(v.sort_key(), start + i as u64)) {
                    kept.push(v);
                }
            }
        }
        check_bucket(j, kept.len(), expected)?;
        radsort::sort_by_key(&mut kept, |v| v.sort_key());
        Ok(T::wrap(
            ArrayD::from_shape_vec(ndarray::IxDyn(&[kept.len()]), kept).expect("a 1-d shape"),
        ))
    }
}

/// The range `r` of the 1-d block `data`, typed.
fn values_1d<T: Element>(
    data: &DynArray,
    r: std::ops::Range<usize>,
) -> Result<ndarray::ArrayView1<'_, T>> {
    let a = T::unwrap_ref(data).ok_or_else(|| Error::DtypeMismatch {
        op: "sort".into(),
        expected: T::DTYPE.to_string(),
        found: data.dtype().to_string(),
    })?;
    let a = a
        .view()
        .into_dimensionality::<Ix1>()
        .map_err(|e| Error::invalid("sort", e.to_string()))?;
    Ok(a.slice_move(ndarray::s![r]))
}

fn check_bucket(j: usize, found: usize, expected: usize) -> Result<()> {
    if found == expected {
        return Ok(());
    }
    Err(Error::invalid(
        "sort",
        format!("bucket {j} holds {found} elements where its count said {expected}"),
    ))
}

/// NumPy's linear interpolation between the sorted lane's `a` and `b`
/// (`diff` is `b - a`, as NumPy computes it).
fn lerp(a: f64, b: f64, diff: f64, t: f64) -> f64 {
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// The same in `f32` (a single quantile of an `f32` array: NumPy keeps the
/// scalar quantile weak, so the arithmetic stays in `f32`).
fn lerp32(a: f32, b: f32, t: f64) -> f32 {
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t) as f32
    } else {
        a + diff * t as f32
    }
}

/// How [`quantiles`] reads each lane.
pub struct Lanes {
    /// The lanes' axis.
    pub axis: usize,
    /// Skip NaN (all NaN gives NaN), else a lane with NaN gives NaN.
    pub nan: bool,
    /// NumPy's `median`: the middle element, or the mean of the two middle
    /// ones, NaN for an empty lane (`q` is then unused).
    pub median: bool,
}

/// The quantiles `q` of each lane (NumPy's linear method), the quantiles'
/// axis first when `q_axis`, else the one quantile in place of the lane.
/// An empty lane is an error for a quantile without `nan` (NumPy raises).
pub fn quantiles(
    block: &DynArray,
    lanes: &Lanes,
    q: &[f64],
    q_axis: bool,
    dtype: DType,
) -> Result<DynArray> {
    dyn_match!(block, a: T => quantiles_typed(a.view(), lanes, q, q_axis, dtype))
}

fn quantiles_typed<T: Sortable>(
    a: ArrayViewD<T>,
    how: &Lanes,
    q: &[f64],
    q_axis: bool,
    dtype: DType,
) -> Result<DynArray> {
    let axis = how.axis;
    let mut rest: Vec<usize> = a.shape().to_vec();
    rest.remove(axis);
    let lanes: usize = rest.iter().product();
    let mut out = QuantileOut::new(lanes, how, q);
    for (l, (mut lane_values, has_nan)) in lane_copies(&a, axis, how.nan).into_iter().enumerate() {
        let n = lane_values.len();
        if n == 0 && !how.nan && !how.median {
            return Err(Error::invalid(
                "quantile",
                "a quantile of an empty axis (NumPy raises IndexError)",
            ));
        }
        if n == 0 || (has_nan && !how.nan) {
            out.nan(l);
            continue;
        }
        // The order statistics the quantiles need, selected in place.
        let wanted = wanted_positions(n, how, q);
        let stats = order_statistics(&mut lane_values, &wanted);
        out.lane(l, n, |i| {
            stats[wanted.binary_search(&i).expect("a selected position")]
        });
    }
    out.finish(q_axis, rest, dtype)
}

/// The sorted positions (ascending, each once) whose elements the
/// quantiles `q` (or the median) of a lane of `n > 0` values need.
pub(crate) fn wanted_positions(n: usize, how: &Lanes, q: &[f64]) -> Vec<usize> {
    let mut wanted: Vec<usize> = Vec::with_capacity(2 * q.len().max(1));
    if how.median {
        wanted.extend([(n - 1) / 2, n / 2]);
    } else {
        for &qk in q {
            let (prev, next, _) = linear_positions(n, qk);
            wanted.extend([prev, next]);
        }
    }
    wanted.sort_unstable();
    wanted.dedup();
    wanted
}

/// Quantiles lane by lane, in both result dtypes (`f64`, and `f32` for a
/// single quantile of `f32`) until [`QuantileOut::finish`] picks one.
pub(crate) struct QuantileOut<'a> {
    out: Vec<f64>,
    out32: Vec<f32>,
    lanes: usize,
    how: &'a Lanes,
    q: &'a [f64],
}

impl<'a> QuantileOut<'a> {
    /// Room for the quantiles of `lanes` lanes.
    pub(crate) fn new(lanes: usize, how: &'a Lanes, q: &'a [f64]) -> QuantileOut<'a> {
        let per_lane = if how.median { 1 } else { q.len() };
        QuantileOut {
            out: vec![0.0; per_lane * lanes],
            out32: vec![0.0; per_lane * lanes],
            lanes,
            how,
            q,
        }
    }

    /// Lane `l`'s quantiles are NaN.
    pub(crate) fn nan(&mut self, l: usize) {
        for slot in (l..self.out.len()).step_by(self.lanes) {
            self.out[slot] = f64::NAN;
            self.out32[slot] = f32::NAN;
        }
    }

    /// Lane `l`'s quantiles from its `n` values, `at(i)` the element at
    /// sorted position `i` (one of [`wanted_positions`]).
    pub(crate) fn lane<T: Element>(&mut self, l: usize, n: usize, at: impl Fn(usize) -> T) {
        if self.how.median {
            let (lo, hi) = (at((n - 1) / 2), at(n / 2));
            // NumPy's mean of the middle element, or of the middle two.
            let (wide, narrow) = match n % 2 {
                1 => (hi.cast::<f64>(), hi.cast::<f32>()),
                _ => (
                    (lo.cast::<f64>() + hi.cast::<f64>()) / 2.0,
                    (lo.cast::<f32>() + hi.cast::<f32>()) / 2.0,
                ),
            };
            self.out[l] = wide;
            self.out32[l] = narrow;
            return;
        }
        for (k, &qk) in self.q.iter().enumerate() {
            let slot = k * self.lanes + l;
            let (prev, next, gamma) = linear_positions(n, qk);
            let (lo, hi) = (at(prev), at(next));
            // NumPy subtracts in the input's dtype (f32 stays f32).
            let diff = match T::DTYPE {
                DType::F32 => (hi.cast::<f32>() - lo.cast::<f32>()) as f64,
                _ => hi.cast::<f64>() - lo.cast::<f64>(),
            };
            self.out[slot] = lerp(lo.cast::<f64>(), hi.cast::<f64>(), diff, gamma);
            self.out32[slot] = lerp32(lo.cast::<f32>(), hi.cast::<f32>(), gamma);
        }
    }

    /// The quantiles as an array of `dtype` shaped `rest` (the lanes'
    /// axes), after the quantiles' axis when `q_axis`.
    pub(crate) fn finish(self, q_axis: bool, rest: Vec<usize>, dtype: DType) -> Result<DynArray> {
        let mut shape = Vec::with_capacity(rest.len() + 1);
        if q_axis {
            shape.push(self.q.len());
        }
        shape.extend(rest);
        let shape = ndarray::IxDyn(&shape);
        let bad = |e: ndarray::ShapeError| Error::invalid("quantile", e.to_string());
        Ok(match dtype {
            DType::F32 => f32::wrap(ArrayD::from_shape_vec(shape, self.out32).map_err(bad)?),
            _ => f64::wrap(ArrayD::from_shape_vec(shape, self.out).map_err(bad)?),
        })
    }
}

/// Every lane of `a` along `axis` as a vector, in the order of
/// `a.lanes(axis)` (C order of the other axes), with whether it held NaN;
/// `skip_nan` leaves NaN out. The block is read once, in memory order, each
/// row of the lanes appended to all of them (reading lane by lane would
/// stream the block once per lane when the lanes are strided).
#[allow(clippy::eq_op)]
fn lane_copies<T: Element>(a: &ArrayViewD<T>, axis: usize, skip_nan: bool) -> Vec<(Vec<T>, bool)> {
    let shape = a.shape();
    let (outer, n): (usize, usize) = (shape[..axis].iter().product(), shape[axis]);
    let inner: usize = shape[axis + 1..].iter().product();
    let mut lanes: Vec<(Vec<T>, bool)> = (0..outer * inner)
        .map(|_| (Vec::with_capacity(n), false))
        .collect();
    let standard = a.as_standard_layout();
    let Some(data) = standard.as_slice() else {
        return lanes;
    };
    for o in 0..outer {
        for k in 0..n {
            let row = &data[(o * n + k) * inner..(o * n + k + 1) * inner];
            for (lane, &v) in lanes[o * inner..(o + 1) * inner].iter_mut().zip(row) {
                let is_nan = v != v;
                lane.1 |= is_nan;
                if !(is_nan && skip_nan) {
                    lane.0.push(v);
                }
            }
        }
    }
    lanes
}

/// NumPy's linear method for quantile `q` of `n` sorted values: the two
/// positions interpolated between (floor of `(n - 1) q` and the next,
/// clipped to the ends) and the weight, computed as NumPy's `_get_gamma`
/// does from the clipped position (-1 at the top end).
fn linear_positions(n: usize, q: f64) -> (usize, usize, f64) {
    let virtual_index = (n - 1) as f64 * q;
    if virtual_index >= (n - 1) as f64 {
        (n - 1, n - 1, virtual_index + 1.0)
    } else if virtual_index < 0.0 {
        (0, 0, virtual_index)
    } else {
        let p = virtual_index.floor();
        (p as usize, p as usize + 1, virtual_index - p)
    }
}

/// The elements at sorted positions `wanted` (ascending, each once) of
/// `values` (NaN-free), in that order. The middle position is selected
/// first, then the positions on each side within that side's part, so the
/// cost is about `n log k` comparisons for `k` positions, not a sort.
fn order_statistics<T: Element>(values: &mut [T], wanted: &[usize]) -> Vec<T> {
    let mut found = vec![T::default(); wanted.len()];
    select_many(values, 0, wanted, &mut found);
    found
}

/// [`order_statistics`] of `values`, whose first element is at sorted
/// position `offset`, for the positions `wanted`, into `found`.
fn select_many<T: Element>(values: &mut [T], offset: usize, wanted: &[usize], found: &mut [T]) {
    if wanted.is_empty() {
        return;
    }
    let mid = wanted.len() / 2;
    let at = wanted[mid] - offset;
    let (left, nth, right) = values.select_nth_unstable_by(at, |a, b| {
        a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal)
    });
    found[mid] = *nth;
    let (found_left, rest) = found.split_at_mut(mid);
    select_many(left, offset, &wanted[..mid], found_left);
    select_many(right, wanted[mid] + 1, &wanted[mid + 1..], &mut rest[1..]);
}

/// For each element of `v`, how many elements of the 1-d `a` sort before
/// it (`right`: not after it), with a leading axis of length 1.
pub fn search_counts(a: &DynArray, v: &DynArray, right: bool) -> Result<DynArray> {
    let mismatch = || Error::DtypeMismatch {
        op: "searchsorted".into(),
        expected: a.dtype().to_string(),
        found: v.dtype().to_string(),
    };
    dyn_match!(a, sorted: T => {
        let values = T::unwrap_ref(v).ok_or_else(mismatch)?;
        let mut keys: Vec<_> = sorted.iter().map(|x| x.sort_key()).collect();
        // Sorted input is the contract; sorting the keys makes the count
        // exact for any input (NumPy's result is then undefined).
        if !keys.is_sorted() {
            radsort::sort(&mut keys[..]);
        }
        let mut shape = vec![1];
        shape.extend_from_slice(values.shape());
        let counts: Vec<i64> = values
            .iter()
            .map(|&x| {
                let k = x.sort_key();
                (if right { keys.partition_point(|s| s.le(&k)) } else { keys.partition_point(|s| s.lt(&k)) }) as i64
            })
            .collect();
        Ok(i64::wrap(ArrayD::from_shape_vec(ndarray::IxDyn(&shape), counts)
            .map_err(|e| Error::invalid("searchsorted", e.to_string()))?))
    })
}

/// A scalar as the key its dtype sorts by, for tests of the ordering.
#[cfg(test)]
fn key_of<T: Sortable>(s: crate::element::Scalar) -> T::Key {
    s.cast::<T>().sort_key()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_order_as_numpy_sorts() {
        let values = [
            f64::NEG_INFINITY,
            -1.5,
            -0.0,
            0.0,
            2.0,
            f64::INFINITY,
            f64::NAN,
            -f64::NAN,
        ];
        let keys: Vec<u64> = values
            .iter()
            .map(|&v| key_of::<f64>(crate::element::Scalar::F64(v)))
            .collect();
        assert!(keys.windows(2).all(|w| w[0] <= w[1]), "{keys:?}");
        assert_eq!(keys[2], keys[3]);
        assert_eq!(keys[6], keys[7]);
        assert!((-3i8).sort_key() < 2i8.sort_key());
    }

    #[test]
    fn lanes_sort_stably_along_any_axis() {
        let a = ndarray::arr2(&[[3.0f32, -0.0, 1.0], [0.0, f32::NAN, -2.0]]).into_dyn();
        let rows = sort_lanes_typed(&a, 1, false);
        let f = f32::unwrap_ref(&rows).unwrap();
        assert_eq!(f[[0, 0]].to_bits(), (-0.0f32).to_bits());
        assert_eq!(f.slice(ndarray::s![0, ..]).to_vec(), vec![-0.0, 1.0, 3.0]);
        let cols = sort_lanes_typed(&a, 0, true);
        assert_eq!(
            i64::unwrap_ref(&cols).unwrap(),
            &ndarray::arr2(&[[1i64, 0, 1], [0, 1, 0]]).into_dyn()
        );
    }
}

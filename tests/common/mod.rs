//! Shared proptest strategies and plain-ndarray reference implementations for
//! the differential tests. NumPy semantics are the reference; the only intended
//! differences are the ones listed in the crate docs of `ndchunk`.
#![allow(dead_code)]

use std::fmt::Debug;

use ndarray::{ArrayD, IxDyn, Zip};
use ndchunk::{Element, NumElement};
use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;
use proptest::test_runner::Config;

/// A proptest config with `cases` cases (or `NDCHUNK_TEST_CASES` when set, for
/// deeper runs) that leaves no regression files behind.
pub fn config(cases: u32) -> Config {
    let cases = std::env::var("NDCHUNK_TEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 4096,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------
// Shapes and chunks
// ---------------------------------------------------------------------------

/// One axis length: sometimes empty, often 1, otherwise up to 7.
pub fn dim() -> impl Strategy<Value = usize> {
    prop_oneof![1 => Just(0usize), 2 => Just(1usize), 7 => 2usize..=7]
}

/// A shape of 0 to `max_ndim` axes.
pub fn shape(max_ndim: usize) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(dim(), 0..=max_ndim)
}

/// A shape of 0 to `max_ndim` axes without empty axes.
pub fn nonempty_shape(max_ndim: usize) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..=7, 0..=max_ndim)
}

/// Random positive lengths summing to `n` (`[0]` for an empty axis).
pub fn axis_chunks(n: usize) -> BoxedStrategy<Vec<usize>> {
    if n <= 1 {
        return Just(vec![n]).boxed();
    }
    prop::collection::vec(any::<bool>(), n - 1)
        .prop_map(|cuts| {
            let mut lens = Vec::new();
            let mut cur = 1;
            for cut in cuts {
                if cut {
                    lens.push(cur);
                    cur = 1;
                } else {
                    cur += 1;
                }
            }
            lens.push(cur);
            lens
        })
        .boxed()
}

/// A random irregular chunking of `shape`.
pub fn chunking(shape: &[usize]) -> BoxedStrategy<Vec<Vec<usize>>> {
    shape
        .iter()
        .map(|&n| axis_chunks(n))
        .collect::<Vec<_>>()
        .boxed()
}

/// NumPy's broadcast shape, or `None` when the shapes do not broadcast.
pub fn np_broadcast(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let n = a.len().max(b.len());
    let get = |s: &[usize], i: usize| {
        if i < n - s.len() {
            1
        } else {
            s[i - (n - s.len())]
        }
    };
    (0..n)
        .map(|i| match (get(a, i), get(b, i)) {
            (x, y) if x == y => Some(x),
            (1, y) => Some(y),
            (x, 1) => Some(x),
            _ => None,
        })
        .collect()
}

/// A shape that broadcasts to `out`: some leading axes dropped, some axes set to 1.
pub fn operand_shape(out: &[usize]) -> BoxedStrategy<Vec<usize>> {
    let out = out.to_vec();
    let n = out.len();
    (
        prop_oneof![3 => Just(0usize), 1 => 0..=n],
        prop::collection::vec(prop::bool::weighted(0.3), n),
    )
        .prop_map(move |(drop, ones)| {
            out.iter()
                .zip(&ones)
                .skip(drop)
                .map(|(&d, &one)| if one { 1 } else { d })
                .collect()
        })
        .boxed()
}

/// `(a_shape, b_shape)` pairs that broadcast together.
pub fn broadcast_pair(max_ndim: usize) -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    shape(max_ndim).prop_flat_map(|out| (operand_shape(&out), operand_shape(&out)))
}

/// `(a, b, c)` shapes that broadcast together.
pub fn broadcast_triple(
    max_ndim: usize,
) -> impl Strategy<Value = (Vec<usize>, Vec<usize>, Vec<usize>)> {
    shape(max_ndim).prop_flat_map(|out| {
        (
            operand_shape(&out),
            operand_shape(&out),
            operand_shape(&out),
        )
    })
}

/// An array and per-axis chunk lengths for it.
pub type Chunked<T> = (ArrayD<T>, Vec<Vec<usize>>);

/// An array of `shape` with elements from `elem`, and a random chunking of it.
pub fn array_of<T: Element>(
    shape: Vec<usize>,
    elem: BoxedStrategy<T>,
) -> BoxedStrategy<Chunked<T>> {
    let size: usize = shape.iter().product();
    (prop::collection::vec(elem, size), chunking(&shape))
        .prop_map(move |(v, c)| (ArrayD::from_shape_vec(IxDyn(&shape), v).unwrap(), c))
        .boxed()
}

/// `a` computed block by block by a source stage (`from_fn`), so that the
/// operations on it read stage blocks rather than memory.
pub fn computed<T: Element>(a: &ArrayD<T>, chunks: &[Vec<usize>]) -> ndchunk::Array<T> {
    let source = std::sync::Arc::new(a.clone());
    let grid = ndchunk::Chunks::new(chunks.to_vec()).unwrap();
    ndchunk::from_fn(a.shape(), chunks.to_vec(), move |b, _| {
        let info: Vec<ndarray::SliceInfoElem> = grid
            .block_ranges(b)
            .into_iter()
            .map(|r| ndarray::Slice::from(r).into())
            .collect();
        source.slice(info.as_slice()).to_owned()
    })
    .unwrap()
}

/// A random array (shape up to `max_ndim` axes) with a random chunking.
pub fn chunked_array<T: Element>(
    max_ndim: usize,
    elem: BoxedStrategy<T>,
) -> BoxedStrategy<Chunked<T>> {
    shape(max_ndim)
        .prop_flat_map(move |s| array_of(s, elem.clone()))
        .boxed()
}

/// Reduction axes for an array of `ndim` axes: `None` (all axes) or a random
/// subset in random order, each maybe written as a negative axis.
pub fn axes_for(ndim: usize) -> BoxedStrategy<Option<Vec<isize>>> {
    let subset = prop::sample::subsequence((0..ndim).collect::<Vec<_>>(), 0..=ndim)
        .prop_flat_map(move |axes| {
            let k = axes.len();
            (
                Just(axes).prop_shuffle(),
                prop::collection::vec(any::<bool>(), k),
            )
        })
        .prop_map(move |(axes, neg)| {
            axes.iter()
                .zip(&neg)
                .map(|(&a, &n)| {
                    if n {
                        a as isize - ndim as isize
                    } else {
                        a as isize
                    }
                })
                .collect::<Vec<isize>>()
        });
    prop_oneof![1 => Just(None), 3 => subset.prop_map(Some)].boxed()
}

/// Normalised, sorted axes (all axes for `None`).
pub fn norm_axes(axes: &Option<Vec<isize>>, ndim: usize) -> Vec<usize> {
    let mut v: Vec<usize> = match axes {
        None => (0..ndim).collect(),
        Some(a) => a
            .iter()
            .map(|&x| {
                if x < 0 {
                    (x + ndim as isize) as usize
                } else {
                    x as usize
                }
            })
            .collect(),
    };
    v.sort_unstable();
    v
}

// ---------------------------------------------------------------------------
// Element strategies
// ---------------------------------------------------------------------------

/// Random values of an element type.
pub trait Gen: Element {
    /// Typical values, negatives included, with many ties; moderate magnitudes so
    /// that sums and means are exact or nearly so in `f64`.
    fn arb() -> BoxedStrategy<Self>;
    /// Like `arb` but including the type's extremes (to exercise wrapping).
    fn arb_wide() -> BoxedStrategy<Self> {
        Self::arb()
    }
    /// Like `arb`, plus NaN for floats.
    fn arb_nan() -> BoxedStrategy<Self> {
        Self::arb()
    }
    /// Like `arb_nan`, plus infinities and signed zeros for floats.
    fn arb_special() -> BoxedStrategy<Self> {
        Self::arb_nan()
    }
}

macro_rules! gen_float {
    ($t:ty) => {
        impl Gen for $t {
            fn arb() -> BoxedStrategy<Self> {
                prop_oneof![
                    4 => (-800i32..800).prop_map(|k| k as $t / 8.0),
                    2 => (-3i32..3).prop_map(|k| k as $t),
                    2 => -1000.0 as $t..1000.0 as $t,
                    1 => (-20i32..20).prop_map(|k| k as $t + 0.5),
                ]
                .boxed()
            }
            fn arb_nan() -> BoxedStrategy<Self> {
                prop_oneof![6 => Self::arb(), 1 => Just(<$t>::NAN)].boxed()
            }
            fn arb_special() -> BoxedStrategy<Self> {
                prop_oneof![
                    12 => Self::arb(),
                    1 => Just(<$t>::NAN),
                    1 => Just(<$t>::INFINITY),
                    1 => Just(<$t>::NEG_INFINITY),
                    1 => Just(-0.0 as $t),
                    1 => Just(0.0 as $t),
                ]
                .boxed()
            }
        }
    };
}
gen_float!(f64);
gen_float!(f32);

macro_rules! gen_small_int {
    ($t:ty) => {
        impl Gen for $t {
            fn arb() -> BoxedStrategy<Self> {
                prop_oneof![3 => any::<$t>(), 2 => (0 as $t)..(5 as $t)].boxed()
            }
        }
    };
}
gen_small_int!(i8);
gen_small_int!(u8);
gen_small_int!(i16);
gen_small_int!(u16);

impl Gen for i32 {
    fn arb() -> BoxedStrategy<Self> {
        prop_oneof![6 => -20i32..20, 1 => any::<i32>()].boxed()
    }
}

impl Gen for u32 {
    fn arb() -> BoxedStrategy<Self> {
        prop_oneof![6 => 0u32..20, 1 => any::<u32>()].boxed()
    }
}

impl Gen for i64 {
    fn arb() -> BoxedStrategy<Self> {
        prop_oneof![6 => -1000i64..1000, 1 => -(1i64 << 40)..(1i64 << 40)].boxed()
    }
    fn arb_wide() -> BoxedStrategy<Self> {
        prop_oneof![
            4 => Self::arb(),
            2 => any::<i64>(),
            1 => Just(i64::MIN),
            1 => Just(i64::MAX),
            1 => Just(-1i64),
        ]
        .boxed()
    }
}

impl Gen for u64 {
    fn arb() -> BoxedStrategy<Self> {
        prop_oneof![6 => 0u64..1000, 1 => 0u64..(1u64 << 40)].boxed()
    }
    fn arb_wide() -> BoxedStrategy<Self> {
        prop_oneof![4 => Self::arb(), 2 => any::<u64>(), 1 => Just(u64::MAX)].boxed()
    }
}

impl Gen for bool {
    fn arb() -> BoxedStrategy<Self> {
        any::<bool>().boxed()
    }
}

// ---------------------------------------------------------------------------
// Comparison
// ---------------------------------------------------------------------------

/// Tolerance for float comparisons: `|a - b| <= abs + rel * max(|a|, |b|)`.
#[derive(Clone, Copy, Debug)]
pub struct Tol {
    pub rel: f64,
    pub abs: f64,
}

pub const EXACT: Tol = Tol { rel: 0.0, abs: 0.0 };

impl Tol {
    pub fn rel(rel: f64) -> Tol {
        Tol { rel, abs: 0.0 }
    }
}

/// Equality for ints and bools; NaN-aware tolerance for floats.
pub trait Approx: Copy + Debug + PartialEq {
    fn close(a: Self, b: Self, _tol: Tol) -> bool {
        a == b
    }
    /// Bit-for-bit equality (NaN equal to NaN).
    fn same(a: Self, b: Self) -> bool {
        a == b
    }
}

macro_rules! approx_exact {
    ($($t:ty),*) => {$(impl Approx for $t {})*};
}
approx_exact!(bool, i8, i16, i32, i64, u8, u16, u32, u64);

macro_rules! approx_float {
    ($t:ty) => {
        impl Approx for $t {
            fn close(a: Self, b: Self, tol: Tol) -> bool {
                if a.is_nan() || b.is_nan() {
                    return a.is_nan() && b.is_nan();
                }
                if a == b {
                    return true;
                }
                let (a, b) = (a as f64, b as f64);
                (a - b).abs() <= tol.abs + tol.rel * a.abs().max(b.abs())
            }
            fn same(a: Self, b: Self) -> bool {
                (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
            }
        }
    };
}
approx_float!(f64);
approx_float!(f32);

/// Asserts equal shapes and close elements.
#[track_caller]
pub fn assert_close<T: Approx>(got: &ArrayD<T>, want: &ArrayD<T>, tol: Tol, what: &str) {
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    for (i, (g, w)) in got.iter().zip(want.iter()).enumerate() {
        assert!(
            T::close(*g, *w, tol),
            "{what}: element {i} (C order): got {g:?}, want {w:?}\n got: {got:?}\nwant: {want:?}"
        );
    }
}

/// Asserts equal shapes and bit-identical elements (NaN equal to NaN).
#[track_caller]
pub fn assert_same<T: Approx>(got: &ArrayD<T>, want: &ArrayD<T>, what: &str) {
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    for (i, (g, w)) in got.iter().zip(want.iter()).enumerate() {
        assert!(
            T::same(*g, *w),
            "{what}: element {i} (C order): got {g:?}, want {w:?}"
        );
    }
}

// ---------------------------------------------------------------------------
// Reference computations
// ---------------------------------------------------------------------------

/// Applies `f` to every lane of `a` over `axes` (values in C order of the reduced
/// axes), giving an array of the kept axes (reduced axes kept as 1 with `keepdims`).
pub fn ref_reduce<T: Clone, O>(
    a: &ArrayD<T>,
    axes: &[usize],
    keepdims: bool,
    f: impl Fn(&[T]) -> O,
) -> ArrayD<O> {
    let ndim = a.ndim();
    let kept: Vec<usize> = (0..ndim).filter(|x| !axes.contains(x)).collect();
    let order: Vec<usize> = kept.iter().chain(axes.iter()).copied().collect();
    let permuted = a.view().permuted_axes(IxDyn(&order));
    let flat: Vec<T> = permuted.iter().cloned().collect();
    let run: usize = axes.iter().map(|&x| a.shape()[x]).product();
    let positions: usize = kept.iter().map(|&x| a.shape()[x]).product();
    let out: Vec<O> = (0..positions)
        .map(|k| f(&flat[k * run..(k + 1) * run]))
        .collect();
    let shape: Vec<usize> = if keepdims {
        (0..ndim)
            .map(|x| if axes.contains(&x) { 1 } else { a.shape()[x] })
            .collect()
    } else {
        kept.iter().map(|&x| a.shape()[x]).collect()
    };
    ArrayD::from_shape_vec(IxDyn(&shape), out).unwrap()
}

/// `f` over the NumPy broadcast of `a` and `b`.
pub fn ref_binary<A: Clone, B: Clone, O>(
    a: &ArrayD<A>,
    b: &ArrayD<B>,
    f: impl Fn(A, B) -> O,
) -> ArrayD<O> {
    let shape = np_broadcast(a.shape(), b.shape()).expect("shapes broadcast");
    let av = a.broadcast(IxDyn(&shape)).unwrap();
    let bv = b.broadcast(IxDyn(&shape)).unwrap();
    Zip::from(&av)
        .and(&bv)
        .map_collect(|x, y| f(x.clone(), y.clone()))
}

/// Reference semantics of one element type, written independently of ndchunk.
pub trait RefElem: Gen + Approx {
    fn f(self) -> f64;
    fn nz(self) -> bool;
    fn isnan(self) -> bool {
        false
    }
    fn ref_sum(xs: &[Self]) -> Self::Sum;
    fn ref_prod(xs: &[Self]) -> Self::Sum;
    fn ref_nansum(xs: &[Self]) -> Self::Sum {
        Self::ref_sum(xs)
    }
    /// `self < other` for min/max/argmin (NaN handled separately).
    fn lt(self, other: Self) -> bool;
    /// f64 to the mean dtype.
    fn mean_of(v: f64) -> Self::Mean;
}

macro_rules! ref_int {
    ($t:ty, $acc:ty) => {
        impl RefElem for $t {
            fn f(self) -> f64 {
                self as f64
            }
            fn nz(self) -> bool {
                self != 0
            }
            fn ref_sum(xs: &[Self]) -> $acc {
                xs.iter().fold(0 as $acc, |a, &x| a.wrapping_add(x as $acc))
            }
            fn ref_prod(xs: &[Self]) -> $acc {
                xs.iter().fold(1 as $acc, |a, &x| a.wrapping_mul(x as $acc))
            }
            fn lt(self, other: Self) -> bool {
                self < other
            }
            fn mean_of(v: f64) -> f64 {
                v
            }
        }
    };
}
ref_int!(i8, i64);
ref_int!(i16, i64);
ref_int!(i32, i64);
ref_int!(i64, i64);
ref_int!(u8, u64);
ref_int!(u16, u64);
ref_int!(u32, u64);
ref_int!(u64, u64);

impl RefElem for bool {
    fn f(self) -> f64 {
        if self {
            1.0
        } else {
            0.0
        }
    }
    fn nz(self) -> bool {
        self
    }
    fn ref_sum(xs: &[Self]) -> i64 {
        xs.iter().filter(|&&x| x).count() as i64
    }
    fn ref_prod(xs: &[Self]) -> i64 {
        xs.iter().all(|&x| x) as i64
    }
    fn lt(self, other: Self) -> bool {
        !self & other
    }
    fn mean_of(v: f64) -> f64 {
        v
    }
}

macro_rules! ref_float {
    ($t:ty) => {
        impl RefElem for $t {
            fn f(self) -> f64 {
                self as f64
            }
            fn nz(self) -> bool {
                self != 0.0
            }
            fn isnan(self) -> bool {
                self.is_nan()
            }
            fn ref_sum(xs: &[Self]) -> $t {
                xs.iter().map(|&x| x as f64).sum::<f64>() as $t
            }
            fn ref_prod(xs: &[Self]) -> $t {
                xs.iter().map(|&x| x as f64).product::<f64>() as $t
            }
            fn ref_nansum(xs: &[Self]) -> $t {
                xs.iter()
                    .filter(|x| !x.is_nan())
                    .map(|&x| x as f64)
                    .sum::<f64>() as $t
            }
            fn lt(self, other: Self) -> bool {
                self < other
            }
            fn mean_of(v: f64) -> $t {
                v as $t
            }
        }
    };
}
ref_float!(f64);
ref_float!(f32);

pub fn ref_mean<T: RefElem>(xs: &[T]) -> T::Mean {
    let s: f64 = xs.iter().map(|x| x.f()).sum();
    T::mean_of(s / xs.len() as f64)
}

pub fn ref_nanmean<T: RefElem>(xs: &[T]) -> T::Mean {
    let kept: Vec<f64> = xs.iter().filter(|x| !x.isnan()).map(|x| x.f()).collect();
    T::mean_of(kept.iter().sum::<f64>() / kept.len() as f64)
}

/// NumPy's variance: `sum((x - mean)^2) / max(n - ddof, 0)` (so `inf` or NaN when
/// there are no degrees of freedom left).
pub fn ref_var_f64<T: RefElem>(xs: &[T], ddof: usize) -> f64 {
    let n = xs.len() as f64;
    let mean = xs.iter().map(|x| x.f()).sum::<f64>() / n;
    let m2: f64 = xs.iter().map(|x| (x.f() - mean).powi(2)).sum();
    m2 / (n - ddof as f64).max(0.0)
}

pub fn ref_var<T: RefElem>(xs: &[T], ddof: usize) -> T::Mean {
    T::mean_of(ref_var_f64(xs, ddof))
}

pub fn ref_std<T: RefElem>(xs: &[T], ddof: usize) -> T::Mean {
    T::mean_of(ref_var_f64(xs, ddof).sqrt())
}

/// NumPy `min`/`max`: the first NaN if any, else the extreme. `xs` non-empty.
pub fn ref_extreme<T: RefElem>(xs: &[T], max: bool) -> T {
    ref_arg_extreme(xs, max).1
}

/// NumPy `argmin`/`argmax`: position of the first NaN if any, else of the first
/// extreme value.
pub fn ref_arg_extreme<T: RefElem>(xs: &[T], max: bool) -> (i64, T) {
    if let Some(i) = xs.iter().position(|x| x.isnan()) {
        return (i as i64, xs[i]);
    }
    let mut best = 0;
    for i in 1..xs.len() {
        let better = if max {
            xs[best].lt(xs[i])
        } else {
            xs[i].lt(xs[best])
        };
        if better {
            best = i;
        }
    }
    (best as i64, xs[best])
}

/// NumPy `nanmin`/`nanmax`: the extreme of the non-NaN values, NaN if none.
pub fn ref_nan_extreme<T: RefElem>(xs: &[T], max: bool) -> T {
    let kept: Vec<T> = xs.iter().copied().filter(|x| !x.isnan()).collect();
    if kept.is_empty() {
        // Only reachable for all-NaN float lanes.
        return xs[0];
    }
    ref_extreme(&kept, max)
}

/// Sum of |x| over an array (for absolute tolerances of sums).
pub fn abs_sum<T: RefElem>(a: &ArrayD<T>) -> f64 {
    a.iter()
        .map(|x| x.f().abs())
        .filter(|v| v.is_finite())
        .sum()
}

// ---------------------------------------------------------------------------
// Arithmetic references (NumPy semantics, written independently)
// ---------------------------------------------------------------------------

/// NumPy arithmetic for one numeric type.
pub trait NumRef: RefElem + NumElement {
    fn r_add(a: Self, b: Self) -> Self;
    fn r_sub(a: Self, b: Self) -> Self;
    fn r_mul(a: Self, b: Self) -> Self;
    /// Floats: true division. Integers: floor division, 0 when dividing by 0.
    fn r_div(a: Self, b: Self) -> Self;
    /// `a - b * floor(a / b)` (divisor's sign); integers: 0 when dividing by 0.
    fn r_rem(a: Self, b: Self) -> Self;
    fn r_neg(a: Self) -> Self;
    fn r_abs(a: Self) -> Self;
    /// NumPy's `clip`: `minimum(maximum(x, lo), hi)`.
    fn r_clip(x: Self, lo: Self, hi: Self) -> Self;
}

macro_rules! num_ref_int {
    ($($t:ty),*) => {$(
        impl NumRef for $t {
            fn r_add(a: Self, b: Self) -> Self { a.wrapping_add(b) }
            fn r_sub(a: Self, b: Self) -> Self { a.wrapping_sub(b) }
            fn r_mul(a: Self, b: Self) -> Self { a.wrapping_mul(b) }
            fn r_div(a: Self, b: Self) -> Self {
                if b == 0 {
                    return 0;
                }
                let (x, y) = (a as i128, b as i128);
                let q = x / y;
                let q = if x % y != 0 && ((x < 0) != (y < 0)) { q - 1 } else { q };
                q as $t
            }
            fn r_rem(a: Self, b: Self) -> Self {
                if b == 0 {
                    return 0;
                }
                let (x, y) = (a as i128, b as i128);
                let q = x / y;
                let q = if x % y != 0 && ((x < 0) != (y < 0)) { q - 1 } else { q };
                (x - y * q) as $t
            }
            #[allow(unused_comparisons)]
            fn r_neg(a: Self) -> Self { (0 as $t).wrapping_sub(a) }
            #[allow(unused_comparisons)]
            fn r_abs(a: Self) -> Self { if a < 0 { (0 as $t).wrapping_sub(a) } else { a } }
            fn r_clip(x: Self, lo: Self, hi: Self) -> Self { x.max(lo).min(hi) }
        }
    )*};
}
num_ref_int!(i8, i16, i32, i64, u8, u16, u32, u64);

macro_rules! num_ref_float {
    ($($t:ty),*) => {$(
        impl NumRef for $t {
            fn r_add(a: Self, b: Self) -> Self { a + b }
            fn r_sub(a: Self, b: Self) -> Self { a - b }
            fn r_mul(a: Self, b: Self) -> Self { a * b }
            fn r_div(a: Self, b: Self) -> Self { a / b }
            fn r_rem(a: Self, b: Self) -> Self {
                // npy_divmod: fmod, then move into the divisor's sign; an exact zero
                // takes the divisor's sign.
                let m = a % b;
                if b == 0.0 || m.is_nan() {
                    return m;
                }
                if m != 0.0 {
                    if (b < 0.0) != (m < 0.0) { m + b } else { m }
                } else {
                    (0.0 as $t).copysign(b)
                }
            }
            fn r_neg(a: Self) -> Self { -a }
            fn r_abs(a: Self) -> Self { a.abs() }
            fn r_clip(x: Self, lo: Self, hi: Self) -> Self {
                // np.maximum / np.minimum propagate NaN.
                let y = if x.is_nan() || x >= lo { x } else { lo };
                if y.is_nan() || y <= hi { y } else { hi }
            }
        }
    )*};
}
num_ref_float!(f32, f64);

/// The index of the block holding element `i` along an axis chunked by `lens`.
pub fn block_of(lens: &[usize], i: usize) -> (usize, usize) {
    let mut start = 0;
    for (b, &l) in lens.iter().enumerate() {
        if i < start + l {
            return (b, i - start);
        }
        start += l;
    }
    panic!("index {i} beyond chunks {lens:?}")
}

/// The elements of `a` in C order.
pub fn flat<T: Clone>(a: &ArrayD<T>) -> Vec<T> {
    a.iter().cloned().collect()
}

/// Lengths summing to `n` with at most `max_cuts` cuts (few, large chunks).
pub fn coarse_chunks(n: usize, max_cuts: usize) -> BoxedStrategy<Vec<usize>> {
    if n <= 1 {
        return Just(vec![n]).boxed();
    }
    prop::collection::btree_set(1..n, 0..=max_cuts.min(n - 1))
        .prop_map(move |cuts| {
            let mut lens = Vec::new();
            let mut prev = 0;
            for c in cuts.into_iter().chain(std::iter::once(n)) {
                lens.push(c - prev);
                prev = c;
            }
            lens
        })
        .boxed()
}

// ---------------------------------------------------------------------------
// Interop with Python (zarr-python, h5py, dask)
// ---------------------------------------------------------------------------

/// The project's Python, with numpy, zarr, h5py and dask: `NDCHUNK_PYTHON`, else
/// `.venv/bin/python` (made by `./setup.sh`).
pub fn python() -> std::path::PathBuf {
    match std::env::var_os("NDCHUNK_PYTHON") {
        Some(p) => std::path::PathBuf::from(p),
        None => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python"),
    }
}

/// Runs `tests/interop/SCRIPT` with `args`; panics with its output if it fails.
pub fn run_interop_script(script: &str, args: &[&std::ffi::OsStr]) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/interop")
        .join(script);
    let out = std::process::Command::new(python())
        .arg(&path)
        .args(args)
        .output()
        .expect("run the project's Python (./setup.sh makes .venv)");
    assert!(
        out.status.success(),
        "{script} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// An empty directory `name` under the test target's scratch space.
pub fn fresh_dir(name: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Fixtures written once per test binary by `tests/interop/SCRIPT` into the
/// scratch directory `name`; `cell` holds the directory.
pub fn python_fixtures<'a>(
    cell: &'a std::sync::OnceLock<std::path::PathBuf>,
    script: &str,
    name: &str,
) -> &'a std::path::Path {
    cell.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
        let _ = std::fs::remove_dir_all(&dir);
        run_interop_script(script, &[dir.as_os_str()]);
        dir
    })
}

/// The `.npy` file `name` of the fixture directory `dir`.
pub fn npy_fixture<T: ndarray_npy::ReadableElement>(
    dir: &std::path::Path,
    name: &str,
) -> ArrayD<T> {
    use ndarray_npy::ReadNpyExt;
    let file = std::fs::File::open(dir.join(format!("{name}.npy"))).unwrap();
    ArrayD::<T>::read_npy(file).unwrap()
}

/// What a test of a binary with its own `main` (`harness = false`) returns:
/// `Err` says what went wrong.
pub type Outcome = std::result::Result<(), String>;

/// A named test of such a binary.
pub type NamedTest = (&'static str, fn() -> Outcome);

/// Runs those of `tests` whose names contain one of the command line's
/// filters (all of them when there is none), printing each outcome as
/// libtest does; returns how many ran and the names that failed.
pub fn run_named_tests(tests: &[NamedTest]) -> (usize, Vec<&'static str>) {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let mut failed = Vec::new();
    let mut ran = 0;
    for (name, test) in tests {
        if !filters.is_empty() && !filters.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        let start = std::time::Instant::now();
        let outcome = std::panic::catch_unwind(test)
            .unwrap_or_else(|p| Err(format!("panicked: {:?}", p.downcast_ref::<String>())));
        ran += 1;
        match outcome {
            Ok(()) => println!("test {name} ... ok ({:.1?})", start.elapsed()),
            Err(e) => {
                println!("test {name} ... FAILED\n{e}");
                failed.push(*name);
            }
        }
    }
    (ran, failed)
}

/// Prints the summary line of [`run_named_tests`]' run and exits with
/// status 1 when a test failed.
pub fn finish_named_tests(ran: usize, failed: &[&str]) {
    println!(
        "\ntest result: {}. {} passed; {} failed",
        if failed.is_empty() { "ok" } else { "FAILED" },
        ran - failed.len(),
        failed.len()
    );
    if !failed.is_empty() {
        std::process::exit(1);
    }
}

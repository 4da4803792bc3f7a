//! Hot loops on plain slices for `ndchunk`.
//!
//! Everything here works on `&[T]` and returns plain values, so it is easy to test,
//! fuzz and benchmark on its own. The crate depends on nothing else of ndchunk.
//!
//! ```
//! let xs = vec![0.1f32; 1000];
//! let s = ndchunk_kernels::sum::pairwise_sum(&xs);
//! // The exact sum of 1000 copies of the f32 nearest 0.1 (0.100000001490116...).
//! let exact = 1000.0 * f64::from(0.1f32);
//! assert!((s - exact).abs() < 1e-9);
//! ```
#![warn(missing_docs)]

pub mod append;
pub mod gather;
pub mod minmax;
pub mod moments;
pub mod screen;
pub mod sum;

/// True when `v` is a NaN (`v != v`); always false for integers and booleans.
#[inline(always)]
#[allow(clippy::eq_op)]
pub fn is_nan<T: PartialEq>(v: &T) -> bool {
    v != v
}

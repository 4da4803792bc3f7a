//! Sums and products on slices.
//!
//! Float sums use pairwise summation over blocks of 128 values with eight
//! accumulators (NumPy's scheme), carried in `f64`, so the error grows like
//! `O(log n)` rather than `O(n)`.

use num_traits::AsPrimitive;

/// Block length below which the eight-lane loop runs directly.
const PAIRWISE_BLOCK: usize = 128;

/// Pairwise sum of `xs` carried in `f64`.
///
/// ```
/// use ndchunk_kernels::sum::pairwise_sum;
/// assert_eq!(pairwise_sum(&[1u8, 2, 3]), 6.0);
/// assert_eq!(pairwise_sum::<f64>(&[]), 0.0);
/// ```
pub fn pairwise_sum<T: AsPrimitive<f64>>(xs: &[T]) -> f64 {
    if xs.len() <= PAIRWISE_BLOCK {
        return lanes_sum(xs, |v| v.as_());
    }
    let half = (xs.len() / 2) / 8 * 8;
    pairwise_sum(&xs[..half]) + pairwise_sum(&xs[half..])
}

/// Pairwise sum of `xs` that treats NaN as zero (NumPy's `nansum`).
///
/// ```
/// use ndchunk_kernels::sum::pairwise_nansum;
/// assert_eq!(pairwise_nansum(&[1.0f64, f64::NAN, 2.0]), 3.0);
/// ```
pub fn pairwise_nansum<T: AsPrimitive<f64>>(xs: &[T]) -> f64 {
    if xs.len() <= PAIRWISE_BLOCK {
        return lanes_sum(xs, |v| {
            let f: f64 = v.as_();
            if f.is_nan() {
                0.0
            } else {
                f
            }
        });
    }
    let half = (xs.len() / 2) / 8 * 8;
    pairwise_nansum(&xs[..half]) + pairwise_nansum(&xs[half..])
}

#[inline(always)]
fn lanes_sum<T: Copy>(xs: &[T], f: impl Fn(T) -> f64) -> f64 {
    let mut acc = [0.0f64; 8];
    let chunks = xs.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for (a, v) in acc.iter_mut().zip(c) {
            *a += f(*v);
        }
    }
    let mut s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for v in rest {
        s += f(*v);
    }
    s
}

/// Count of values that are not NaN.
///
/// ```
/// assert_eq!(ndchunk_kernels::sum::count_not_nan(&[1.0f32, f32::NAN]), 1);
/// ```
pub fn count_not_nan<T: PartialEq>(xs: &[T]) -> u64 {
    xs.iter().filter(|v| !crate::is_nan(*v)).count() as u64
}

/// Wrapping sum in `i64` (NumPy accumulates signed integers in `int64`).
///
/// ```
/// assert_eq!(ndchunk_kernels::sum::wrapping_sum_i64(&[i8::MAX, i8::MAX]), 254);
/// ```
pub fn wrapping_sum_i64<T: AsPrimitive<i64>>(xs: &[T]) -> i64 {
    xs.iter().fold(0i64, |a, v| a.wrapping_add(v.as_()))
}

/// Wrapping sum in `u64` (NumPy accumulates unsigned integers in `uint64`).
///
/// ```
/// assert_eq!(ndchunk_kernels::sum::wrapping_sum_u64(&[u8::MAX, 1]), 256);
/// ```
pub fn wrapping_sum_u64<T: AsPrimitive<u64>>(xs: &[T]) -> u64 {
    xs.iter().fold(0u64, |a, v| a.wrapping_add(v.as_()))
}

/// Wrapping product in `i64`.
///
/// ```
/// assert_eq!(ndchunk_kernels::sum::wrapping_prod_i64(&[-2i32, 3]), -6);
/// ```
pub fn wrapping_prod_i64<T: AsPrimitive<i64>>(xs: &[T]) -> i64 {
    xs.iter().fold(1i64, |a, v| a.wrapping_mul(v.as_()))
}

/// Wrapping product in `u64`.
///
/// ```
/// assert_eq!(ndchunk_kernels::sum::wrapping_prod_u64(&[2u16, 3]), 6);
/// ```
pub fn wrapping_prod_u64<T: AsPrimitive<u64>>(xs: &[T]) -> u64 {
    xs.iter().fold(1u64, |a, v| a.wrapping_mul(v.as_()))
}

/// Product carried in `f64`; with `skip_nan`, NaN counts as one (NumPy's `nanprod`).
///
/// ```
/// assert_eq!(ndchunk_kernels::sum::prod_f64(&[2.0f32, 4.0], false), 8.0);
/// ```
pub fn prod_f64<T: AsPrimitive<f64>>(xs: &[T], skip_nan: bool) -> f64 {
    xs.iter().fold(1.0f64, |a, v| {
        let f: f64 = v.as_();
        if skip_nan && f.is_nan() {
            a
        } else {
            a * f
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_is_accurate_for_many_tenths() {
        let xs = vec![0.1f32; 10_000_000];
        let s = pairwise_sum(&xs);
        let exact = 0.1f32 as f64 * 1e7;
        assert!(((s - exact) / exact).abs() < 1e-12, "{s}");
    }

    #[test]
    fn odd_lengths_match_naive() {
        for n in [0usize, 1, 7, 8, 9, 127, 128, 129, 1000, 4097] {
            let xs: Vec<f64> = (0..n).map(|i| (i % 13) as f64 - 6.0).collect();
            let naive: f64 = xs.iter().sum();
            assert_eq!(pairwise_sum(&xs), naive, "n = {n}");
        }
    }
}

//! Screening candidates against a bar: where a run of sums first comes
//! below it. The kNN kernel scans every distance of a tile this way, and
//! most are past the bar, so the loop runs in the widest SIMD the CPU has
//! (chosen once at run time).

use multiversion::multiversion;

/// Values compared at once (one AVX-512 register of f64).
const LANES: usize = 8;

/// The first `j >= from` where `a[j] + b[j] < bar`, or `None`; when `bar` is
/// NaN (nothing to screen against), `from` itself while `from < len`. Only
/// the first `min(a.len(), b.len())` values are read.
///
/// ```
/// use ndchunk_kernels::screen::first_sum_below;
/// let (a, b) = ([5.0, 1.0, 3.0, 0.5], [0.0, 1.0, 1.0, 0.0]);
/// assert_eq!(first_sum_below(&a, &b, 2.5, 0), Some(1));
/// assert_eq!(first_sum_below(&a, &b, 2.5, 2), Some(3));
/// assert_eq!(first_sum_below(&a, &b, 0.1, 0), None);
/// assert_eq!(first_sum_below(&a, &b, f64::NAN, 3), Some(3));
/// ```
pub fn first_sum_below(a: &[f64], b: &[f64], bar: f64, from: usize) -> Option<usize> {
    let len = a.len().min(b.len());
    if from >= len {
        return None;
    }
    if bar.is_nan() {
        return Some(from);
    }
    screen(&a[from..len], &b[from..len], bar).map(|j| from + j)
}

#[multiversion(targets("x86_64+avx512f", "x86_64+avx2+fma", "aarch64+neon"))]
fn screen(a: &[f64], b: &[f64], bar: f64) -> Option<usize> {
    let groups = a.chunks_exact(LANES).zip(b.chunks_exact(LANES));
    for (g, (x, y)) in groups.enumerate() {
        let mut below = false;
        for (&x, &y) in x.iter().zip(y) {
            below |= x + y < bar;
        }
        if below {
            let start = g * LANES;
            return (start..start + LANES).find(|&j| a[j] + b[j] < bar);
        }
    }
    let done = a.len() - a.len() % LANES;
    (done..a.len()).find(|&j| a[j] + b[j] < bar)
}

#[cfg(test)]
mod tests {
    use super::first_sum_below;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn finds_the_first_sum_below_the_bar(
            a in prop::collection::vec(-10.0f64..10.0, 0..40),
            bar in -12.0f64..12.0,
            from in 0usize..45,
        ) {
            let b: Vec<f64> = a.iter().map(|x| x * 0.5).collect();
            let want = (from..a.len()).find(|&j| a[j] + b[j] < bar);
            prop_assert_eq!(first_sum_below(&a, &b, bar, from), want);
        }
    }

    #[test]
    fn nan_sums_never_pass_and_a_nan_bar_passes_everything() {
        let a = [f64::NAN, f64::INFINITY, 1.0];
        let b = [0.0; 3];
        assert_eq!(first_sum_below(&a, &b, 2.0, 0), Some(2));
        assert_eq!(first_sum_below(&a, &b, f64::INFINITY, 0), Some(2));
        assert_eq!(first_sum_below(&a, &b, f64::NAN, 1), Some(1));
        assert_eq!(first_sum_below(&a, &b, 0.5, 0), None);
    }
}

//! Kernels against naive loops on random slices (NaNs, ties and odd lengths included).

use ndchunk_kernels::minmax::{arg_extreme, extreme, nan_extreme, Extreme};
use ndchunk_kernels::moments::Moments;
use ndchunk_kernels::sum::{pairwise_nansum, pairwise_sum, wrapping_sum_i64};
use proptest::prelude::*;

fn floats() -> impl Strategy<Value = Vec<f64>> {
    let value = prop_oneof![
        8 => (-1000i32..1000).prop_map(|v| v as f64 / 8.0),
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(-0.0),
    ];
    proptest::collection::vec(value, 0..300)
}

fn naive_extreme(xs: &[f64], which: Extreme, skip_nan: bool) -> Option<(usize, f64)> {
    let mut best: Option<(usize, f64)> = None;
    for (i, &v) in xs.iter().enumerate() {
        if v.is_nan() {
            if skip_nan {
                continue;
            }
            return Some((i, v));
        }
        best = match best {
            Some((j, b)) if !which.better(&v, &b) => Some((j, b)),
            _ => Some((i, v)),
        };
    }
    best
}

fn same(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => (x.is_nan() && y.is_nan()) || x == y,
        (None, None) => true,
        _ => false,
    }
}

proptest! {
    #[test]
    fn extremes_match_naive(xs in floats()) {
        for which in [Extreme::Min, Extreme::Max] {
            prop_assert!(same(extreme(&xs, which), naive_extreme(&xs, which, false).map(|p| p.1)));
            prop_assert!(same(nan_extreme(&xs, which), naive_extreme(&xs, which, true).map(|p| p.1)));
            let arg = arg_extreme(&xs, which).map(|p| p.0);
            prop_assert_eq!(arg, naive_extreme(&xs, which, false).map(|p| p.0));
        }
    }

    #[test]
    fn integer_extremes_match_iterator(xs in proptest::collection::vec(any::<i16>(), 0..200)) {
        prop_assert_eq!(extreme(&xs, Extreme::Min), xs.iter().copied().min());
        prop_assert_eq!(extreme(&xs, Extreme::Max), xs.iter().copied().max());
        prop_assert_eq!(wrapping_sum_i64(&xs), xs.iter().map(|&v| v as i64).sum::<i64>());
    }

    #[test]
    fn sums_match_naive(xs in floats()) {
        let finite: Vec<f64> = xs.iter().copied().filter(|v| v.is_finite()).collect();
        let naive: f64 = finite.iter().sum();
        prop_assert!((pairwise_sum(&finite) - naive).abs() <= 1e-9 * (1.0 + naive.abs()));
        let skipped: f64 = xs.iter().filter(|v| !v.is_nan()).sum();
        let got = pairwise_nansum(&xs);
        prop_assert!(got == skipped || (got - skipped).abs() <= 1e-9 * (1.0 + skipped.abs()) || (got.is_nan() && skipped.is_nan()));
    }

    #[test]
    fn moments_merge_like_the_whole(xs in proptest::collection::vec(-1e3f64..1e3, 0..200), cut in 0usize..200) {
        let cut = cut.min(xs.len());
        let whole = Moments::of(&xs, false);
        let merged = Moments::of(&xs[..cut], false).merge(Moments::of(&xs[cut..], false));
        prop_assert_eq!(merged.count, whole.count);
        prop_assert!((merged.mean - whole.mean).abs() <= 1e-9 * (1.0 + whole.mean.abs()));
        prop_assert!((merged.m2 - whole.m2).abs() <= 1e-7 * (1.0 + whole.m2));
    }
}

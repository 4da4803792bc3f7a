//! Count, mean and sum of squared deviations (`m2`) of a slice, and the
//! parallel merge of two such summaries (Chan, Golub and LeVeque), which is how
//! variance stays accurate in a tree reduction.

use num_traits::AsPrimitive;

use crate::sum::{pairwise_nansum, pairwise_sum};

/// A mergeable summary for mean and variance.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Moments {
    /// Number of values summarised.
    pub count: f64,
    /// Their mean (0 when `count` is 0).
    pub mean: f64,
    /// Sum of squared deviations from the mean.
    pub m2: f64,
}

impl Moments {
    /// Two-pass moments of `xs`; with `skip_nan`, NaN values are left out.
    ///
    /// ```
    /// use ndchunk_kernels::moments::Moments;
    /// let m = Moments::of(&[1.0f64, 2.0, 3.0, 4.0], false);
    /// assert_eq!((m.count, m.mean, m.m2), (4.0, 2.5, 5.0));
    /// ```
    pub fn of<T: AsPrimitive<f64>>(xs: &[T], skip_nan: bool) -> Moments {
        let (count, total) = if skip_nan {
            let kept = xs.iter().filter(|v| !v.as_().is_nan()).count();
            (kept as f64, pairwise_nansum(xs))
        } else {
            (xs.len() as f64, pairwise_sum(xs))
        };
        if count == 0.0 {
            return Moments::default();
        }
        let mean = total / count;
        let mut m2 = 0.0;
        for v in xs {
            let f: f64 = v.as_();
            if !(skip_nan && f.is_nan()) {
                let d = f - mean;
                m2 += d * d;
            }
        }
        Moments { count, mean, m2 }
    }

    /// Merge two summaries as if their values had been summarised together.
    ///
    /// ```
    /// use ndchunk_kernels::moments::Moments;
    /// let whole = Moments::of(&[1.0f64, 2.0, 3.0, 4.0], false);
    /// let merged = Moments::of(&[1.0f64], false).merge(Moments::of(&[2.0f64, 3.0, 4.0], false));
    /// assert!((merged.m2 - whole.m2).abs() < 1e-12 && merged.mean == whole.mean);
    /// ```
    pub fn merge(self, other: Moments) -> Moments {
        if other.count == 0.0 {
            return self;
        }
        if self.count == 0.0 {
            return other;
        }
        let count = self.count + other.count;
        let delta = other.mean - self.mean;
        let mean = self.mean + delta * other.count / count;
        let m2 = self.m2 + other.m2 + delta * delta * self.count * other.count / count;
        Moments { count, mean, m2 }
    }

    /// Variance with `ddof` delta degrees of freedom. As NumPy, divides by
    /// `max(count - ddof, 0)`: with no degrees of freedom left the result is `inf`
    /// when the squared deviations are positive and NaN when they are zero.
    ///
    /// ```
    /// use ndchunk_kernels::moments::Moments;
    /// let m = Moments::of(&[1.0f64, 3.0], false);
    /// assert_eq!(m.variance(0), 1.0);
    /// assert_eq!(m.variance(1), 2.0);
    /// assert_eq!(m.variance(2), f64::INFINITY);
    /// assert!(Moments::of(&[5.0f64], false).variance(1).is_nan());
    /// assert!(Moments::of::<f64>(&[], false).variance(0).is_nan());
    /// ```
    pub fn variance(&self, ddof: usize) -> f64 {
        self.m2 / (self.count - ddof as f64).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_matches_whole_for_any_split() {
        let xs: Vec<f64> = (0..100)
            .map(|i| ((i * 37) % 11) as f64 * 0.5 + 1e6)
            .collect();
        let whole = Moments::of(&xs, false);
        for cut in 0..=xs.len() {
            let m = Moments::of(&xs[..cut], false).merge(Moments::of(&xs[cut..], false));
            assert!((m.mean - whole.mean).abs() < 1e-9);
            assert!((m.m2 - whole.m2).abs() < 1e-6 * whole.m2.max(1.0));
        }
    }

    #[test]
    fn skip_nan_leaves_nan_out() {
        let m = Moments::of(&[1.0f64, f64::NAN, 3.0], true);
        assert_eq!((m.count, m.mean, m.m2), (2.0, 2.0, 2.0));
    }
}

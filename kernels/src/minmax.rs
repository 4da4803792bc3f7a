//! Minimum, maximum and their positions, with NumPy's NaN rules.
//!
//! `min`/`max` propagate NaN (the first NaN wins); the `nan_` variants skip NaN.
//! `argmin`/`argmax` return the first position of the extreme value, or of the
//! first NaN if there is one.

use crate::is_nan;

/// Which extreme to look for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extreme {
    /// The smallest value.
    Min,
    /// The largest value.
    Max,
}

impl Extreme {
    /// True when `candidate` should replace `current`.
    #[inline(always)]
    pub fn better<T: PartialOrd>(self, candidate: &T, current: &T) -> bool {
        match self {
            Extreme::Min => candidate < current,
            Extreme::Max => candidate > current,
        }
    }
}

/// The extreme of `xs`, propagating NaN; `None` when `xs` is empty.
///
/// ```
/// use ndchunk_kernels::minmax::{extreme, Extreme};
/// assert_eq!(extreme(&[3, 1, 2], Extreme::Min), Some(1));
/// assert!(extreme(&[1.0, f64::NAN], Extreme::Max).unwrap().is_nan());
/// ```
pub fn extreme<T: PartialOrd + Copy>(xs: &[T], which: Extreme) -> Option<T> {
    let best = match which {
        Extreme::Min => lanes_extreme(xs, |a: &T, b: &T| a < b)?,
        Extreme::Max => lanes_extreme(xs, |a: &T, b: &T| a > b)?,
    };
    Some(match best {
        Ok(v) => v,
        Err(()) => *xs.iter().find(|v| is_nan(*v)).unwrap_or(&xs[0]),
    })
}

/// Eight-lane branch-free fold (it vectorises to packed min/max); NaN is tracked
/// on the side and reported as `Err(())`.
#[inline(always)]
fn lanes_extreme<T: PartialOrd + Copy>(
    xs: &[T],
    better: impl Fn(&T, &T) -> bool,
) -> Option<Result<T, ()>> {
    let first = *xs.first()?;
    let mut lanes = [first; 8];
    let mut nan = [false; 8];
    let chunks = xs.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for i in 0..8 {
            let v = c[i];
            nan[i] |= is_nan(&v);
            lanes[i] = if better(&v, &lanes[i]) { v } else { lanes[i] };
        }
    }
    let mut best = first;
    let mut any_nan = nan.iter().any(|&n| n);
    for v in lanes.iter().chain(rest) {
        any_nan |= is_nan(v);
        if better(v, &best) {
            best = *v;
        }
    }
    Some(if any_nan { Err(()) } else { Ok(best) })
}

/// The extreme of `xs` ignoring NaN; `None` when `xs` holds no non-NaN value.
///
/// ```
/// use ndchunk_kernels::minmax::{nan_extreme, Extreme};
/// assert_eq!(nan_extreme(&[f64::NAN, 2.0, 1.0], Extreme::Min), Some(1.0));
/// assert_eq!(nan_extreme(&[f64::NAN], Extreme::Min), None);
/// ```
pub fn nan_extreme<T: PartialOrd + Copy>(xs: &[T], which: Extreme) -> Option<T> {
    let mut best: Option<T> = None;
    for v in xs {
        if is_nan(v) {
            continue;
        }
        best = match best {
            Some(b) if !which.better(v, &b) => Some(b),
            _ => Some(*v),
        };
    }
    best
}

/// Position and value of the first extreme of `xs` (first NaN if any); `None` when empty.
///
/// ```
/// use ndchunk_kernels::minmax::{arg_extreme, Extreme};
/// assert_eq!(arg_extreme(&[3, 1, 1], Extreme::Min), Some((1, 1)));
/// assert_eq!(arg_extreme(&[0.0, f64::NAN, f64::NAN], Extreme::Max).unwrap().0, 1);
/// ```
pub fn arg_extreme<T: PartialOrd + Copy>(xs: &[T], which: Extreme) -> Option<(usize, T)> {
    let first = *xs.first()?;
    let mut best = (0usize, first);
    if is_nan(&first) {
        return Some(best);
    }
    for (i, v) in xs.iter().enumerate().skip(1) {
        if is_nan(v) {
            return Some((i, *v));
        }
        if which.better(v, &best.1) {
            best = (i, *v);
        }
    }
    Some(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_inputs_give_none() {
        assert_eq!(extreme::<f32>(&[], Extreme::Min), None);
        assert_eq!(nan_extreme::<f32>(&[], Extreme::Max), None);
        assert_eq!(arg_extreme::<i8>(&[], Extreme::Max), None);
    }

    #[test]
    fn ties_keep_first_position() {
        assert_eq!(arg_extreme(&[5, 9, 9, 1, 9], Extreme::Max), Some((1, 9)));
    }
}

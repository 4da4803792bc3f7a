//! Selections as data: the `k` largest (or smallest) elements along an axis.

use std::fmt;

use serde::{Deserialize, Serialize};

/// `topk` / `argtopk`: along `axis`, the `k` largest elements in descending
/// order (`k > 0`) or the `-k` smallest in ascending order (`k < 0`), as
/// dask's `topk`; their values, or (`arg`) their positions along the axis.
/// NaN counts as larger than every number (NumPy's sort order); equal
/// values come in the order of their positions.
///
/// ```
/// let spec = ndchunk::expr::TopKSpec { k: -3, axis: 0, arg: true, split_every: 16 };
/// assert_eq!((spec.count(), spec.largest()), (3, false));
/// assert_eq!(spec.to_string(), "argtopk(k=-3, axis=0)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopKSpec {
    /// How many, and which end: positive for the largest.
    pub k: isize,
    /// The axis selected along.
    pub axis: usize,
    /// Positions (int64) instead of values.
    pub arg: bool,
    /// Most partial selections one task merges.
    pub split_every: usize,
}

impl TopKSpec {
    /// How many elements are kept.
    pub fn count(&self) -> usize {
        self.k.unsigned_abs()
    }

    /// True when the largest are kept.
    pub fn largest(&self) -> bool {
        self.k > 0
    }
}

impl fmt::Display for TopKSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = if self.arg { "argtopk" } else { "topk" };
        write!(f, "{name}(k={}, axis={})", self.k, self.axis)
    }
}

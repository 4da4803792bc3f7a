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

/// `nearest`: for every row of the first input (the queries, `(m, d)`), the
/// positions (int64) of the `k` rows of the second (the corpus, `(n, d)`)
/// nearest it by Euclidean distance, nearest first, equal distances in
/// position order: an `(m, k)` result. Distances are `‖a‖² + ‖b‖² − 2·a·b`
/// over f64 rows, tile by tile, merged over the corpus blocks by a top-k
/// tree of `split_every`.
///
/// ```
/// let spec = ndchunk::expr::NearestSpec { k: 15, split_every: 16 };
/// assert_eq!(spec.to_string(), "nearest(k=15)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NearestSpec {
    /// Neighbours per query row.
    pub k: usize,
    /// Most partial selections one merge task reads.
    pub split_every: usize,
}

impl NearestSpec {
    /// The top-k tree merging the partial selections: the `k` smallest
    /// squared distances' positions along the corpus axis.
    ///
    /// ```
    /// let spec = ndchunk::expr::NearestSpec { k: 15, split_every: 16 };
    /// assert_eq!(spec.merge().to_string(), "argtopk(k=-15, axis=1)");
    /// ```
    pub fn merge(&self) -> TopKSpec {
        TopKSpec {
            k: -(self.k as isize),
            axis: 1,
            arg: true,
            split_every: self.split_every,
        }
    }
}

impl fmt::Display for NearestSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "nearest(k={})", self.k)
    }
}

/// A sample sort of a 1-d input: output block `j` is bucket `j` of the
/// splitters, sorted (NaN last, stable), as values or (`arg`) as the
/// elements' positions (int64). The node's chunks are the buckets' sizes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SortSpec {
    /// The buckets' bounds.
    pub splitters: std::sync::Arc<crate::expr::blocks::Splitters>,
    /// Positions instead of values.
    pub arg: bool,
}

impl fmt::Display for SortSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = if self.arg { "argsort" } else { "sort" };
        write!(f, "{name}({} buckets)", self.splitters.keys.len() + 1)
    }
}

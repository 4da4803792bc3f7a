//! Integer indexing as data: which input axes are replaced by which indices.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ship::side::DataVec;

/// A gather: the `naxes` input axes starting at `axis` are replaced by the axes of
/// `index_shape`; `index` holds, in C order of `index_shape`, linear (C-order)
/// positions into those combined axes, already wrapped and bounds-checked.
///
/// `take` gathers one axis; `vindex` combines several (pointwise indexing);
/// `mask` and `filter` gather the positions of `true` values.
#[derive(Debug, Serialize, Deserialize)]
pub struct GatherSpec {
    /// First input axis replaced.
    pub axis: usize,
    /// Number of consecutive input axes replaced.
    pub naxes: usize,
    /// Linear positions into the replaced axes (in the binary form only;
    /// beside the stage files for the Dask executor, see [`crate::ship::side`]).
    pub index: DataVec<usize>,
    /// Shape of the index; these axes replace the gathered ones in the output.
    pub index_shape: Vec<usize>,
    /// What built it (`take`, `vindex`, `mask`, ...), for `explain`.
    pub origin: String,
}

/// How a gather reads its input (see `plan::rules`, which chooses).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GatherRead {
    /// Not chosen yet: how a gather is built.
    Unchosen,
    /// Each output task holds the whole input, and the gather runs inside
    /// its consumer's task.
    Resident,
    /// The input's blocks stream through scatter and extract stages.
    Streaming,
}

impl GatherSpec {
    /// Number of indices.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// True when there are no indices.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }
}

impl fmt::Display for GatherSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let axes = if self.naxes == 1 {
            format!("axis={}", self.axis)
        } else {
            format!("axes={}..{}", self.axis, self.axis + self.naxes)
        };
        write!(
            f,
            "{}({axes}, {} indices, index shape {:?})",
            self.origin,
            self.index.len(),
            self.index_shape
        )
    }
}

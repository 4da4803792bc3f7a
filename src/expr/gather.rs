//! Integer indexing as data: which input axes are replaced by which indices.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::chunks::{regular_lens, Chunks};
use crate::error::Result;
use crate::expr::{rechunk_node, Node, Op};

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
    /// Linear positions into the replaced axes (serialised as a count only).
    #[serde(with = "crate::ship::binary_only")]
    pub index: Arc<Vec<usize>>,
    /// Shape of the index; these axes replace the gathered ones in the output.
    pub index_shape: Vec<usize>,
    /// What built it (`take`, `vindex`, `mask`, ...), for `explain`.
    pub origin: String,
}

/// Most blocks a resident gather input keeps along the gathered axis: each output
/// task depends on all of them.
const MAX_RESIDENT_BLOCKS: usize = 64;

/// How a gather reads `input` when it may hold `budget` bytes, decided when it
/// is planned (so under the executor's memory limit), and the node it reads.
///
/// Resident (true): each output task reads the whole input: in memory, or
/// computed as blocks split along `axis` only and held together. Otherwise the
/// input streams: each block is read and its rows scattered into the output
/// groups that need them, which needs the gathered axes after the first whole.
pub(crate) fn gather_input(
    spec: &GatherSpec,
    input: &Arc<Node>,
    budget: u64,
) -> Result<(Arc<Node>, bool)> {
    let (shape, chunks, axis) = (&input.shape, &input.chunks, spec.axis);
    if matches!(&input.op, Op::Resident(r) if r.is_whole()) {
        return Ok((input.clone(), true));
    }
    let mut lens: Vec<Vec<usize>> = chunks.all_lens().to_vec();
    if input.nbytes() <= budget {
        // Whole along every other axis, so each block is one C-order run of rows.
        for (a, l) in lens.iter_mut().enumerate() {
            if a != axis {
                *l = vec![shape[a]];
            }
        }
        if lens[axis].len() > MAX_RESIDENT_BLOCKS {
            lens[axis] = regular_lens(shape[axis], shape[axis].div_ceil(MAX_RESIDENT_BLOCKS))?;
        }
        return Ok((rechunk_node(input, Chunks::new(lens)?, None), true));
    }
    for l in &mut lens[axis + 1..axis + spec.naxes] {
        *l = vec![l.iter().sum()];
    }
    Ok((rechunk_node(input, Chunks::new(lens)?, None), false))
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

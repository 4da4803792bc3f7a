//! Inputs that are not computed by tasks: an in-memory array (`from_array`) or
//! blocks already computed (`persist`). Every stage and leaf that reads one
//! reads it through [`Resident`].

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::block::DynArray;
use crate::chunks::Chunks;
use crate::error::{Error, Result};
use crate::ship::side::ResidentBlocks;

/// Blocks the caller holds, in C order of `chunks` (one block for an
/// in-memory array). They travel in a plan's binary form only.
///
/// ```
/// use ndchunk::expr::Resident;
/// let r = Resident::whole(ndchunk::DynArray::zeros(ndchunk::DType::F32, &[4, 6]));
/// // The box rows 1..3, columns 2..6 lies in the one block, at the same place.
/// let (block, local) = r.locate(&[1..3, 2..6])?;
/// assert_eq!((block.shape(), local), (&[4, 6][..], vec![1..3, 2..6]));
/// # Ok::<(), ndchunk::Error>(())
/// ```
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Resident {
    /// How the blocks cut the array.
    pub chunks: Chunks,
    /// The blocks, in C order of `chunks`.
    pub blocks: ResidentBlocks,
    /// For values ndchunk computed when an array was built (a result whose
    /// length depends on the data: `unique`, `nonzero`, ...): what they
    /// are, as `explain()` names them.
    pub computed: Option<String>,
}

impl Resident {
    /// An in-memory array, as one block.
    pub fn whole(array: DynArray) -> Resident {
        Resident {
            chunks: Chunks::single(array.shape()),
            blocks: ResidentBlocks::from(vec![array]),
            computed: None,
        }
    }

    /// True when the array is one block.
    pub fn is_whole(&self) -> bool {
        self.blocks.len() == 1
    }

    /// The block holding the box `ranges` (array coordinates) whole (in a
    /// Dask worker, the box alone: see [`ResidentBlocks::region`]), and the
    /// box's ranges within it; an error when the box crosses blocks.
    pub fn locate(&self, ranges: &[Range<usize>]) -> Result<(&DynArray, Vec<Range<usize>>)> {
        let mut block = Vec::with_capacity(ranges.len());
        for (axis, r) in ranges.iter().enumerate() {
            let offsets = self.chunks.offsets(axis);
            let b = crate::grid::overlapping_blocks(offsets, r.start, r.end);
            if b.len() != 1 {
                return Err(self.missing(ranges));
            }
            block.push(b.start);
        }
        let start = self.chunks.block_offset(&block);
        let local: Vec<Range<usize>> = ranges
            .iter()
            .zip(&start)
            .map(|(r, &s)| r.start - s..r.end - s)
            .collect();
        let i = self.chunks.ravel(&block);
        if i >= self.blocks.len() {
            return Err(self.missing(ranges));
        }
        self.blocks.region(i, &local)
    }

    fn missing(&self, ranges: &[Range<usize>]) -> Error {
        Error::invalid(
            "resident input",
            format!("no block of {} holds the region {ranges:?}", self.chunks),
        )
    }
}

//! Stages that move values without computing them: affine views (slices,
//! transposes, broadcasts), concatenation, and blockwise reshapes.

use std::ops::Range;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::block::DynArray;
use crate::chunks::Chunks;
use crate::expr::{ViewAxis, ViewSpec};
use crate::plan::rechunk::{box_indices, overlapping_blocks};

/// A stage assembling each block of a view from the input blocks it overlaps.
#[derive(Debug, Serialize, Deserialize)]
pub struct ViewStage {
    /// The view.
    pub spec: Arc<ViewSpec>,
    /// Chunks of the input (one block when the input is in memory).
    pub from: Chunks,
    /// Chunks of the output.
    pub to: Chunks,
    /// The input itself when it is an in-memory array (read in place, no task).
    #[serde(with = "crate::ship::binary_only")]
    pub memory: Option<Arc<DynArray>>,
    /// The stage computing the input, unless it is in memory.
    pub input: Option<usize>,
}

impl ViewStage {
    /// The input blocks output block `block` is assembled from, in C order.
    pub fn input_blocks(&self, block: &[usize]) -> Vec<Vec<usize>> {
        box_indices(&self.input_ranges(block))
    }

    /// Per input axis, the input blocks that output block `block` reads.
    pub fn input_ranges(&self, block: &[usize]) -> Vec<Range<usize>> {
        let out = self.to.block_ranges(block);
        let mut ranges: Vec<Range<usize>> = vec![0..1; self.spec.input_ndim];
        for (j, axis) in self.spec.axes.iter().enumerate() {
            if let ViewAxis::Input { axis, .. } = *axis {
                if let Some(r) = self.spec.input_range(j, &out[j]) {
                    ranges[axis] = overlapping_blocks(self.from.offsets(axis), r.start, r.end);
                }
            }
        }
        for &(axis, i) in &self.spec.fixed {
            ranges[axis] = overlapping_blocks(self.from.offsets(axis), i, i + 1);
        }
        ranges
    }
}

/// A stage whose block `b` is one input's block: inputs joined along `axis`.
#[derive(Debug, Serialize, Deserialize)]
pub struct ConcatStage {
    /// The joined axis.
    pub axis: usize,
    /// `first_block[k]`: the output block index (along `axis`) where input `k`
    /// starts; one more entry for the end.
    pub first_block: Vec<usize>,
    /// The stages computing the inputs.
    pub inputs: Vec<usize>,
}

impl ConcatStage {
    /// The input and its block that output block `block` is.
    pub fn source(&self, block: &[usize]) -> (usize, Vec<usize>) {
        let b = block[self.axis];
        let k = self.first_block.partition_point(|&f| f <= b) - 1;
        let mut local = block.to_vec();
        local[self.axis] = b - self.first_block[k];
        (k, local)
    }
}

/// A stage reshaping each input block on its own (C order): the axes form
/// groups whose sizes multiply to the same product on both sides, and within a
/// group only the first axis of each side is split into several chunks.
#[derive(Debug, Serialize, Deserialize)]
pub struct ReshapeStage {
    /// Chunks of the output.
    pub to: Chunks,
    /// Per group: its input axes and its output axes.
    pub groups: Vec<(Range<usize>, Range<usize>)>,
    /// Number of input axes.
    pub input_ndim: usize,
    /// The stage computing the input.
    pub input: usize,
}

impl ReshapeStage {
    /// The input block that output block `block` reshapes.
    pub fn source(&self, block: &[usize]) -> Vec<usize> {
        let mut input = vec![0; self.input_ndim];
        for (ins, outs) in &self.groups {
            if !ins.is_empty() && !outs.is_empty() {
                input[ins.start] = block[outs.start];
            }
        }
        input
    }
}

//! Blockwise reshapes: each output block is one input block with a new shape.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::chunks::Chunks;

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

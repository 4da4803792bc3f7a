//! Factorisation stages: a dense kernel ([`Factor`]) applied to each row
//! block of its inputs (which have one column block), or to their single
//! blocks.

use serde::{Deserialize, Serialize};

use crate::chunks::Chunks;
use crate::element::DType;
use crate::expr::Factor;
use crate::plan::Operand;
use crate::plan::Source;

/// A stage applying `factor` to its inputs' blocks.
#[derive(Debug, Serialize, Deserialize)]
pub struct LinalgStage {
    /// The kernel.
    pub factor: Factor,
    /// The inputs, in the kernel's order.
    pub inputs: Vec<Operand>,
    /// Chunks of the result.
    pub out: Chunks,
}

impl LinalgStage {
    /// The block of input `i` the task at `block` reads: the same row block
    /// for a row-blockwise kernel (the first block otherwise), the first
    /// block along every other axis.
    pub fn input_block(&self, i: usize, block: &[usize]) -> Vec<usize> {
        let mut at = vec![0; self.inputs[i].chunks.ndim()];
        if self.factor.blockwise() {
            if let (Some(row), Some(&b)) = (at.first_mut(), block.first()) {
                *row = b;
            }
        }
        at
    }

    /// The (stage, block) pairs the task at `block` reads: each input's
    /// block, when it comes from a stage.
    pub fn reads(&self, block: &[usize]) -> Vec<(usize, Vec<usize>)> {
        self.inputs
            .iter()
            .enumerate()
            .filter_map(|(i, input)| match input.source {
                Source::Stage(s) => Some((s, self.input_block(i, block))),
                Source::Resident(_) => None,
            })
            .collect()
    }

    /// Result and working bytes of the task at `block`: the result, plus a
    /// copy of every input block the kernel factors in place and its
    /// workspace (as much again).
    pub fn cost(&self, dtype: DType, block: &[usize]) -> (u64, u64) {
        let bytes = |chunks: &Chunks, at: &[usize]| {
            chunks.block_shape(at).iter().product::<usize>() as u64 * dtype.size() as u64
        };
        let result = bytes(&self.out, block);
        let inputs: u64 = (0..self.inputs.len())
            .map(|i| bytes(&self.inputs[i].chunks, &self.input_block(i, block)))
            .sum();
        (result, result + 2 * inputs)
    }
}

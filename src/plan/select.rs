//! Top-k as a tree: a partial level selects each input block's candidates
//! along the axis (at most `k` per position, with their global positions);
//! each further level merges up to `split_every` neighbouring selections;
//! the top level yields the values or the positions, in order.

use serde::{Deserialize, Serialize};

use crate::chunks::Chunks;
use crate::element::DType;
use crate::expr::TopKSpec;

/// One level of a top-k tree.
#[derive(Debug, Serialize, Deserialize)]
pub struct SelectStage {
    /// What is selected.
    pub spec: TopKSpec,
    /// Dtype of the values compared.
    pub input_dtype: DType,
    /// The stage read: the input's value stage (the partial level), or the
    /// level below.
    pub prev: usize,
    /// True for the partial level, which reads blocks of values.
    pub partial: bool,
    /// Chunks of what `prev` yields (for the partial level: the input's).
    pub prev_chunks: Chunks,
    /// Blocks of the level below one task merges along the axis.
    pub factor: usize,
    /// At the top level: the chunks of the result.
    pub finish: Option<Chunks>,
}

impl SelectStage {
    /// The blocks of `prev` the task at `block` reads, in axis order.
    pub fn reads(&self, block: &[usize]) -> Vec<(usize, Vec<usize>)> {
        let axis = self.spec.axis;
        let n = self.prev_chunks.lens(axis).len();
        let first = block[axis] * self.factor;
        (first..(first + self.factor).min(n))
            .map(|b| {
                let mut at = block.to_vec();
                at[axis] = b;
                (self.prev, at)
            })
            .collect()
    }

    /// Result and working bytes of the task at `block`: per position off the
    /// axis, at most `k` values and positions (the result's values or
    /// positions at the top level), and the candidates it sorts.
    pub fn cost(&self, block: &[usize]) -> (u64, u64) {
        let axis = self.spec.axis;
        let mut lanes: u64 = 1;
        for (a, lens) in self.prev_chunks.all_lens().iter().enumerate() {
            if a != axis {
                lanes *= lens.get(block[a]).copied().unwrap_or(0) as u64;
            }
        }
        let per = self.input_dtype.size() as u64 + 8;
        let k = self.spec.count() as u64;
        let candidates: u64 = self
            .reads(block)
            .iter()
            .map(|(_, b)| self.prev_chunks.lens(axis)[b[axis]] as u64)
            .sum();
        (lanes * k * per, lanes * (k + candidates) * per)
    }
}

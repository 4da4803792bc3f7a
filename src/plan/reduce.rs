//! Tree reductions: a partial stage (fused with the producer) turns each block into
//! a mergeable state; combine levels merge up to `split_every` states at a time,
//! and the top level finishes the states into values.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::chunks::Chunks;
use crate::element::DType;
use crate::expr::ReduceSpec;
use crate::grid::{box_indices, expand_reduced};

/// One level of a tree reduction.
#[derive(Debug, Serialize, Deserialize)]
pub struct CombineStage {
    /// The reduction.
    pub spec: ReduceSpec,
    /// Dtype of the values being reduced.
    pub input_dtype: DType,
    /// The stage whose states this level merges.
    pub prev_stage: usize,
    /// Grid of the previous level, with reduced axes kept.
    pub prev_grid: Vec<usize>,
    /// How many previous blocks one task merges along each axis (1 off the reduced axes).
    pub factors: Vec<usize>,
    /// At the top level: the chunks of the reduction's result.
    pub finish: Option<Chunks>,
}

impl CombineStage {
    /// The previous-level blocks block `block` of this level merges, in C order.
    pub fn input_blocks(&self, block: &[usize]) -> Vec<Vec<usize>> {
        box_indices(&self.input_ranges(block))
    }

    /// Per axis, the previous-level blocks that block `block` of this level merges.
    pub fn input_ranges(&self, block: &[usize]) -> Vec<Range<usize>> {
        let full = match &self.finish {
            Some(_) if !self.spec.keepdims => expand_reduced(block, &self.spec.axes),
            _ => block.to_vec(),
        };
        full.iter()
            .zip(&self.factors)
            .zip(&self.prev_grid)
            .map(|((&b, &f), &n)| b * f..((b + 1) * f).min(n))
            .collect()
    }
}

/// Grouping factors of the next level for a grid `grid` reduced over `axes`.
pub fn level_factors(grid: &[usize], axes: &[usize], split_every: usize) -> Vec<usize> {
    let split = axes.iter().filter(|&&a| grid[a] > 1).count();
    let per_axis = if split == 0 {
        1
    } else {
        ((split_every as f64).powf(1.0 / split as f64).floor() as usize).max(2)
    };
    (0..grid.len())
        .map(|a| {
            if axes.contains(&a) && grid[a] > 1 {
                per_axis
            } else {
                1
            }
        })
        .collect()
}

/// Bytes of one reduction state per kept position (`size_of::<exec::State>()`,
/// checked by a test there).
pub const STATE_BYTES: u64 = 32;

//! Contractions: each task multiplies the operand blocks of one output block
//! over a group of contracted blocks and adds the products; when the
//! contracted blocks do not fit one task they are cut into groups, and a tree
//! of sums ([`SumStage`]) adds the groups' results.

use std::ops::Range;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::chunks::Chunks;
use crate::config::PlanOptions;
use crate::element::DType;
use crate::expr::ContractSpec;
use crate::plan::{Operand, Source};

/// Partial results one task of the sum tree adds.
pub const SUM_SPLIT_EVERY: usize = 16;

/// The products of a contraction.
#[derive(Debug, Serialize, Deserialize)]
pub struct ContractStage {
    /// The axes matched, summed and kept.
    pub spec: Arc<ContractSpec>,
    /// The left operand.
    pub a: Operand,
    /// The right operand.
    pub b: Operand,
    /// Chunks of the result (batch, then `a`'s free axes, then `b`'s).
    pub out: Chunks,
    /// Blocks along each contracted axis pair.
    pub contracted_grid: Vec<usize>,
    /// The contracted blocks (C-order positions in `contracted_grid`) each
    /// group adds; with more than one group, the stage's grid has one more
    /// axis, the group.
    pub groups: Vec<Range<usize>>,
}

impl ContractStage {
    /// The output block and the group of the task at `block`.
    fn split<'b>(&self, block: &'b [usize]) -> (&'b [usize], usize) {
        let ndim = self.out.ndim();
        match block.get(ndim) {
            Some(&g) => (&block[..ndim], g),
            None => (block, 0),
        }
    }

    /// The (block of `a`, block of `b`) pairs the task at `block` multiplies,
    /// in the order it adds them.
    pub fn operand_blocks(&self, block: &[usize]) -> Vec<(Vec<usize>, Vec<usize>)> {
        let (out, g) = self.split(block);
        let spec = &self.spec;
        let nbatch = spec.batch.len();
        let nfree_a = spec.free_a.len();
        let mut pairs = Vec::new();
        for flat in self.groups.get(g).cloned().unwrap_or(0..0) {
            let kc = crate::grid::unravel(flat, &self.contracted_grid);
            let mut a = vec![0; self.a.chunks.ndim()];
            let mut b = vec![0; self.b.chunks.ndim()];
            for (i, &(x, y)) in spec.batch.iter().enumerate() {
                (a[x], b[y]) = (out[i], out[i]);
            }
            for (j, &x) in spec.free_a.iter().enumerate() {
                a[x] = out[nbatch + j];
            }
            for (j, &y) in spec.free_b.iter().enumerate() {
                b[y] = out[nbatch + nfree_a + j];
            }
            for (t, &(x, y)) in spec.contracted.iter().enumerate() {
                (a[x], b[y]) = (kc[t], kc[t]);
            }
            pairs.push((a, b));
        }
        pairs
    }

    /// The (stage, block) pairs the task at `block` reads: per product, the
    /// block of `a` then the block of `b`, each when it comes from a stage.
    pub fn reads(&self, block: &[usize]) -> Vec<(usize, Vec<usize>)> {
        let mut reads = Vec::new();
        for (a, b) in self.operand_blocks(block) {
            for (operand, at) in [(&self.a, a), (&self.b, b)] {
                if let Source::Stage(s) = operand.source {
                    reads.push((s, at));
                }
            }
        }
        reads
    }

    /// Result and working bytes of the task at `block`: the result, plus the
    /// copies that lay out one product's operands for the kernel.
    pub fn cost(&self, dtype: DType, block: &[usize]) -> (u64, u64) {
        let (out, _) = self.split(block);
        let elements = |shape: Vec<usize>| shape.iter().product::<usize>() as u64;
        let result = elements(self.out.block_shape(out)) * dtype.size() as u64;
        let layout = self
            .operand_blocks(block)
            .iter()
            .map(|(a, b)| {
                elements(self.a.chunks.block_shape(a)) + elements(self.b.chunks.block_shape(b))
            })
            .max()
            .unwrap_or(0)
            * dtype.size() as u64;
        (result, result + layout)
    }
}

/// A level of the tree adding a contraction's groups: each task adds up to
/// `factor` results of the level below for one output block.
#[derive(Debug, Serialize, Deserialize)]
pub struct SumStage {
    /// The stage below (the products, or a lower sum level).
    pub prev: usize,
    /// Groups of the level below.
    pub prev_groups: usize,
    /// Results of the level below one task adds.
    pub factor: usize,
    /// Dimensions of the result: when the stage's grid has one more axis,
    /// this level still has several groups.
    pub ndim: usize,
}

impl SumStage {
    /// The (stage, block) pairs the task at `block` adds.
    pub fn reads(&self, block: &[usize]) -> Vec<(usize, Vec<usize>)> {
        let (out, g) = match block.get(self.ndim) {
            Some(&g) => (&block[..self.ndim], g),
            None => (block, 0),
        };
        let end = ((g + 1) * self.factor).min(self.prev_groups);
        (g * self.factor..end)
            .map(|j| {
                let mut at = out.to_vec();
                at.push(j);
                (self.prev, at)
            })
            .collect()
    }
}

/// Bytes a contraction task may hold: a quarter of the memory limit, leaving
/// room for a second thread's task and the results held between stages.
pub fn task_budget(options: &PlanOptions) -> u64 {
    options.memory_limit / 4
}

/// For operands cut as `a` and `b` into results cut as `out`: the bytes of
/// one product's operand blocks (the largest of each), and what a task holds
/// besides its group's operand blocks: its result, and the copies laying out
/// one product for the kernel (as [`ContractStage::cost`] counts them). A
/// task of `g` products holds the second plus `g` times the first.
pub fn product_bytes(a: &Chunks, b: &Chunks, out: &Chunks, itemsize: usize) -> (u64, u64) {
    let pair = (a.max_block_len() + b.max_block_len()) as u64 * itemsize as u64;
    (pair, out.max_block_len() as u64 * itemsize as u64 + pair)
}

/// The groups of `n` contracted blocks when a task may hold `per_task` of
/// them: the fewest near-equal runs of at most that many.
pub fn contracted_groups(n: usize, per_task: usize) -> Vec<Range<usize>> {
    let count = n.div_ceil(per_task.max(1)).max(1);
    let mut start = 0;
    (0..count)
        .map(|i| {
            let len = n / count + usize::from(i < n % count);
            let group = start..start + len;
            start += len;
            group
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::contracted_groups;

    #[test]
    fn groups_cover_the_blocks_in_near_equal_runs() {
        assert_eq!(contracted_groups(10, 4), vec![0..4, 4..7, 7..10]);
        assert_eq!(contracted_groups(3, 8), vec![0..3]);
        assert_eq!(contracted_groups(0, 8), vec![0..0]);
        assert_eq!(contracted_groups(5, 0), vec![0..1, 1..2, 2..3, 3..4, 4..5]);
    }
}

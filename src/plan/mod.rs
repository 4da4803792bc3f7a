//! From the logical graph to a physical task graph.
//!
//! Lowering works per stage: a stage is a group of logical nodes that runs as one
//! task per output block. Elementwise chains fuse into one stage whose tasks run a
//! small register [`Program`] over cache-sized tiles ([`fuse`]); a reduction becomes
//! a partial stage fused with its producer, then tree levels of combines
//! ([`reduce`]). Tasks are created on demand from the blocks the result needs, so
//! anything the result does not need is never planned (culling).
//!
//! The plan of built-in ops is plain data (`serde::Serialize`); in-memory arrays
//! and user functions appear by reference (their shape, or their registered name).

pub mod contract;
pub mod disk;
pub mod fuse;
pub mod linalg;
mod lower;
pub mod nearest;
pub mod rechunk;
pub mod reduce;
pub mod region;
pub mod reshape;
pub mod rules;
pub mod scatter;
pub mod select;
pub mod sort;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::chunks::Chunks;
use crate::element::{DType, Scalar};
pub use crate::expr::BlockwiseReduce;
use crate::expr::{
    BlockFn, BlockMap, ElemOp, GatherSpec, Generator, ReduceSpec, Resident, StoreFn, UserFn,
};

pub use lower::{lower, lower_many};

/// Index of a task in [`Plan::tasks`].
pub type TaskId = usize;

/// A physical plan: stages, their tasks, and the tasks holding the result's blocks.
#[derive(Debug, Serialize, Deserialize)]
pub struct Plan {
    /// Stages, producers before consumers.
    pub stages: Vec<Stage>,
    /// Tasks, dependencies before dependents.
    pub tasks: Vec<Task>,
    /// The tasks giving the result's blocks, in C order of [`Plan::chunks`].
    pub outputs: Vec<TaskId>,
    /// The result's chunks.
    pub chunks: Chunks,
    /// The result's dtype.
    pub dtype: DType,
    /// The rewrite rules that changed the graph before lowering, and how
    /// often each fired (see [`rules`]), in the order they are applied.
    #[serde(default)]
    pub rules: Vec<rules::Fired>,
}

/// One unit of work: a stage evaluated at one block.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Task {
    /// The stage this task belongs to.
    pub stage: usize,
    /// The block of the stage's grid it computes.
    pub block: Vec<usize>,
    /// Tasks whose results it reads, in the order the stage uses them.
    pub deps: Vec<TaskId>,
    /// Bytes of its result, held until its last consumer has run.
    pub out_bytes: u64,
    /// Estimated bytes it allocates while running, result included.
    pub work_bytes: u64,
}

/// A group of logical nodes that runs as one task per block.
#[derive(Debug, Serialize, Deserialize)]
pub struct Stage {
    /// Human-readable summary of the fused ops.
    pub name: String,
    /// What each task does.
    pub kind: StageKind,
    /// Block grid: number of blocks along each axis.
    pub grid: Vec<usize>,
    /// Dtype of the values the stage yields (the input dtype for reduction states).
    pub dtype: DType,
}

/// What the tasks of a stage do.
#[derive(Debug, Serialize, Deserialize)]
pub enum StageKind {
    /// Run a fused elementwise program over its leaves, block by block, optionally
    /// feeding the result into a partial reduction.
    Fused(FusedStage),
    /// Merge partial reduction states of a group of blocks (and finish, at the top).
    Combine(reduce::CombineStage),
    /// Assemble each output block from the input blocks its box overlaps
    /// (rechunks, views, pads, joins).
    Region(region::RegionStage),
    /// Scatter a source block's rows into a group buffer (one step of a chain).
    Scatter(scatter::ScatterStage),
    /// Cut output chunks of a streaming gather from their group buffers.
    Extract(scatter::ExtractStage),
    /// Reshape each input block on its own.
    Reshape(reshape::ReshapeStage),
    /// Multiply operand blocks and add the products over contracted blocks.
    Contract(contract::ContractStage),
    /// Add groups of a contraction's partial results (a tree level).
    Sum(contract::SumStage),
    /// Squared distances of query rows to corpus rows, tile by tile, and
    /// each query row's nearest (the partial level of a top-k tree).
    Nearest(nearest::NearestStage),
    /// Select the k largest or smallest along an axis (a tree level).
    Select(select::SelectStage),
    /// Apply a dense factorisation kernel to row blocks or a single block.
    Linalg(linalg::LinalgStage),
    /// Write input blocks to files, or assemble output blocks from them (a
    /// rechunk through disk).
    DiskRechunk(disk::DiskRechunkStage),
    /// Store each block of the input stage with a sink's writer, in whichever
    /// process runs the task (a registered storage kind, see
    /// [`crate::registry`]).
    Store {
        /// The writer.
        sink: UserFn<StoreFn>,
        /// The stage computing the blocks.
        input: usize,
        /// For a serial sink, the stage's grid: each task then also reads
        /// the task storing the block before it in C order, so blocks are
        /// stored one at a time, by whichever executor.
        serial_grid: Option<Vec<usize>>,
    },
    /// The buckets of a sample sort.
    Sort(sort::SortStage),
    /// A function applied to one block of each input stage per output block
    /// (`map_blocks`, `blockwise`, the scans' kernels).
    MapBlocks {
        /// The function, and which block of each input an output block reads.
        map: BlockMap,
        /// Chunks of the output.
        chunks: Chunks,
        /// The inputs, in the map's order: resident ones read in place.
        inputs: Vec<Operand>,
    },
}

impl StageKind {
    /// The kind's short name, as `explain()` prints it.
    pub fn label(&self) -> &'static str {
        match self {
            StageKind::Fused(_) => "fused",
            StageKind::Combine(_) => "reduce",
            StageKind::Region(r) => r.label(),
            StageKind::DiskRechunk(d) => match d.phase {
                disk::DiskPhase::Write => "rechunk-write",
                disk::DiskPhase::Barrier => "rechunk-barrier",
                disk::DiskPhase::Read => "rechunk-read",
            },
            StageKind::Scatter(_) => "scatter",
            StageKind::Extract(_) => "extract",
            StageKind::MapBlocks { .. } => "map_blocks",
            StageKind::Reshape(_) => "reshape",
            StageKind::Contract(_) => "contract",
            StageKind::Sum(_) => "sum",
            StageKind::Select(_) => "select",
            StageKind::Nearest(_) => "nearest",
            StageKind::Sort(_) => "sort",
            StageKind::Linalg(_) => "linalg",
            StageKind::Store { .. } => "store",
        }
    }

    /// The (stage, block) pairs the task at `block` of this stage (number
    /// `own`) reads, in the order its evaluation takes them: the one account of
    /// a stage's inputs, from which lowering creates the task's dependencies
    /// and by which evaluation reads them. Resident inputs (in memory,
    /// persisted) are not tasks and do not appear.
    pub fn reads(&self, own: usize, block: &[usize]) -> Vec<(usize, Vec<usize>)> {
        match self {
            StageKind::Fused(f) => f.reads(block),
            StageKind::Combine(c) => c
                .input_blocks(block)
                .into_iter()
                .map(|b| (c.prev_stage, b))
                .collect(),
            StageKind::Region(r) => r.reads(block),
            StageKind::DiskRechunk(d) => d.reads(block),
            StageKind::Scatter(sc) => sc.reads(own, block),
            StageKind::Extract(ex) => ex
                .chain(block)
                .map(|(_, last)| vec![(ex.scatter, last)])
                .unwrap_or_default(),
            StageKind::Reshape(r) => vec![(r.input, r.source(block))],
            StageKind::Contract(c) => c.reads(block),
            StageKind::Sum(sum) => sum.reads(block),
            StageKind::Select(s) => s.reads(block),
            StageKind::Nearest(n) => n.reads(block),
            StageKind::Sort(s) => s.reads(),
            StageKind::Linalg(l) => l.reads(block),
            StageKind::MapBlocks { map, inputs, .. } => inputs
                .iter()
                .enumerate()
                .filter_map(|(k, input)| match input.source {
                    Source::Stage(s) => Some((s, map.input_block(k, block))),
                    Source::Resident(_) => None,
                })
                .collect(),
            StageKind::Store {
                input, serial_grid, ..
            } => {
                let previous = serial_grid
                    .as_ref()
                    .and_then(|grid| crate::grid::previous_in_c_order(block, grid));
                std::iter::once((*input, block.to_vec()))
                    .chain(previous.map(|b| (own, b)))
                    .collect()
            }
        }
    }

    /// What the task at `block` holds: the bytes of its result (held until its
    /// last consumer has run) and the bytes it allocates while running, result
    /// included. `dtype` is the stage's; `inputs` are the result bytes of the
    /// tasks [`StageKind::reads`] named, in order.
    pub fn cost(&self, dtype: DType, block: &[usize], inputs: &[u64]) -> (u64, u64) {
        let bytes = |chunks: &Chunks| {
            chunks.block_shape(block).iter().product::<usize>() as u64 * dtype.size() as u64
        };
        match self {
            StageKind::Fused(f) => f.cost(dtype, block),
            StageKind::Combine(c) => {
                let state = match &c.finish {
                    Some(chunks) => {
                        chunks.block_shape(block).iter().product::<usize>() as u64
                            * reduce::STATE_BYTES
                    }
                    None => inputs.first().copied().unwrap_or(0),
                };
                (state, state)
            }
            // A block passed on is moved, or shared with its other consumers.
            StageKind::Region(r) if r.passes_through(block) => {
                (inputs.first().copied().unwrap_or(0), 0)
            }
            StageKind::Region(r) => (bytes(&r.to), bytes(&r.to)),
            // A written block is a file: its task's result is only a marker.
            StageKind::DiskRechunk(d) => match d.phase {
                disk::DiskPhase::Write | disk::DiskPhase::Barrier => (0, 0),
                disk::DiskPhase::Read => (bytes(&d.to), bytes(&d.to)),
            },
            StageKind::Scatter(sc) => {
                let buffer = sc.buffer_bytes(block, dtype.size());
                (buffer, buffer)
            }
            StageKind::Extract(ex) => (bytes(&ex.out), bytes(&ex.out)),
            // The input block is reshaped in place.
            StageKind::Reshape(r) => (bytes(&r.to), 0),
            StageKind::Contract(c) => c.cost(dtype, block),
            StageKind::Select(s) => s.cost(block),
            StageKind::Nearest(n) => n.cost(block),
            StageKind::Sort(s) => s.cost(dtype, block),
            StageKind::Linalg(l) => l.cost(dtype, block),
            // The first input is the accumulator.
            StageKind::Sum(_) => {
                let result = inputs.first().copied().unwrap_or(0);
                (result, result)
            }
            StageKind::MapBlocks { chunks, .. } => (bytes(chunks), 2 * bytes(chunks)),
            // The block's bytes, then its encoded copy beside them (no
            // smaller for data that does not compress).
            StageKind::Store { .. } => (0, 2 * inputs.first().copied().unwrap_or(0)),
        }
    }
}

/// A fused elementwise stage.
#[derive(Debug, Serialize, Deserialize)]
pub struct FusedStage {
    /// The program; `Instr::Leaf(i)` reads leaf `i`.
    pub program: Program,
    /// Where the program's inputs come from.
    pub leaves: Vec<Leaf>,
    /// Chunks of the program's output (the stage's block grid).
    pub chunks: Chunks,
    /// When set, the block is reduced instead of returned.
    pub reduce: Option<ReduceSpec>,
    /// Shape of the whole array being reduced (for global argmin/argmax positions).
    pub full_shape: Vec<usize>,
    /// Reductions whose axes are whole in every block, applied one after
    /// another to the program's block and finished inside the task (`reduce`
    /// is then unset): `x.sum_axis(2).mean_axis(1)` with axes 1 and 2 whole
    /// is one stage, not four.
    pub blockwise: Vec<BlockwiseReduce>,
}

impl FusedStage {
    /// The (stage, block) pairs the task at `block` reads, in leaf order: the
    /// broadcast block of each stage leaf, and every block a gather reads from.
    pub fn reads(&self, block: &[usize]) -> Vec<(usize, Vec<usize>)> {
        let block = self.program_block(block);
        let ndim = self.chunks.ndim();
        let mut reads = Vec::new();
        for leaf in &self.leaves {
            match &leaf.source {
                LeafSource::Stage(s) => reads.push((
                    *s,
                    leaf.source_block(&crate::grid::broadcast_block(&leaf.shape, ndim, &block)),
                )),
                LeafSource::Gather {
                    from: Source::Stage(s),
                    source_shape,
                    block_lens,
                    spec,
                } => reads.extend((0..block_lens.len()).map(|b| {
                    let mut at = vec![0; source_shape.len()];
                    at[spec.axis] = b;
                    (*s, at)
                })),
                _ => {}
            }
        }
        reads
    }

    /// What the task at `block` holds (see [`StageKind::cost`]); `dtype` is
    /// the stage's.
    pub fn cost(&self, dtype: DType, block: &[usize]) -> (u64, u64) {
        let program_block = self.program_block(block);
        let block_shape = self.chunks.block_shape(&program_block);
        let elems = block_shape.iter().product::<usize>() as u64;
        let itemsize = self.program.dtypes.last().copied().unwrap_or(dtype).size();
        let value_bytes = elems * itemsize as u64;
        // Leaves made whole inside the task rather than streamed tile by tile.
        let materialised: u64 = self
            .leaves
            .iter()
            .filter(|l| {
                matches!(l.source, LeafSource::FromFn(_) | LeafSource::Gather { .. })
                    || matches!(&l.source, LeafSource::Generate(g)
                        if !g.is_positional() && l.shape != self.full_shape)
            })
            .map(|l| {
                let block = l.chunks.max_block_len() as u64 * l.dtype.size() as u64;
                match &l.source {
                    // A storage reader holds the chunk's stored bytes (no
                    // fewer for data that does not compress) or a decoded
                    // copy beside the block.
                    LeafSource::FromFn(f) if f.recipe.is_some() => 2 * block,
                    _ => block,
                }
            })
            .sum();
        match &self.reduce {
            Some(spec) => {
                let kept: u64 = block_shape
                    .iter()
                    .enumerate()
                    .filter(|(a, _)| !spec.axes.contains(a))
                    .map(|(_, &n)| n as u64)
                    .product();
                let state = kept * reduce::STATE_BYTES;
                let values = match crate::grid::contiguous_runs(&block_shape, &spec.axes) {
                    Some(_) => 0,
                    None => value_bytes,
                };
                (state, state + values + materialised)
            }
            None if !self.blockwise.is_empty() => {
                let result = self.result_chunks().block_shape(block);
                let result = result.iter().product::<usize>() as u64 * dtype.size() as u64;
                (result, result + value_bytes + materialised)
            }
            None => (value_bytes, value_bytes + materialised),
        }
    }

    /// The block of the program (of [`FusedStage::chunks`]) that the task at
    /// `block` of the stage's grid computes: the same block, or, after
    /// blockwise reductions, `block` with their dropped axes put back as 0.
    pub fn program_block(&self, block: &[usize]) -> Vec<usize> {
        self.blockwise
            .iter()
            .rev()
            .fold(block.to_vec(), |b, r| match r.spec.keepdims {
                true => b,
                false => crate::grid::expand_reduced(&b, &r.spec.axes),
            })
    }

    /// The chunks of the stage's result: the program's, or those of the last
    /// blockwise reduction.
    pub fn result_chunks(&self) -> &Chunks {
        self.blockwise.last().map_or(&self.chunks, |r| &r.chunks)
    }
}

/// An input of a fused stage, broadcast against the stage's output blocks.
#[derive(Debug, Serialize, Deserialize)]
pub struct Leaf {
    /// Where its data comes from.
    pub source: LeafSource,
    /// The input's full shape (broadcasts against the stage's shape).
    pub shape: Vec<usize>,
    /// The input's chunks.
    pub chunks: Chunks,
    /// The chunks of the source itself: `chunks` without the inserted axes.
    pub source_chunks: Chunks,
    /// The input's dtype.
    pub dtype: DType,
    /// Axes of `shape` that the source does not have (length-1 axes inserted by
    /// `insert_axis`); the source's data is read with these axes removed.
    pub inserted: Vec<usize>,
}

impl Leaf {
    /// The source's block index for the leaf's block `block` (inserted axes dropped).
    pub fn source_block(&self, block: &[usize]) -> Vec<usize> {
        block
            .iter()
            .enumerate()
            .filter(|(a, _)| !self.inserted.contains(a))
            .map(|(_, &b)| b)
            .collect()
    }

    /// The source's chunks (the leaf's chunks without the inserted axes).
    pub fn source_chunks(&self) -> &Chunks {
        &self.source_chunks
    }
}

/// Where a stage reads an input: values the caller holds, or another stage's
/// tasks (dependencies).
#[derive(Debug, Serialize, Deserialize)]
pub enum Source {
    /// Held by the caller (in memory, persisted), read in place.
    Resident(Resident),
    /// The blocks of another stage.
    Stage(usize),
}

/// One input of a stage that reads whole blocks: where its blocks come
/// from, and its chunks (the blocks the stage reads).
#[derive(Debug, Serialize, Deserialize)]
pub struct Operand {
    /// A resident array (read in place) or a stage.
    pub source: Source,
    /// The input's chunks.
    pub chunks: Chunks,
}

/// Where a leaf's data comes from.
#[derive(Debug, Serialize, Deserialize)]
pub enum LeafSource {
    /// Values the caller holds, read in place.
    Resident(Resident),
    /// Generated values, streamed tile by tile where the shapes allow.
    Generate(Generator),
    /// A user generator called once per block.
    FromFn(UserFn<BlockFn>),
    /// The result of another stage's task (a dependency).
    Stage(usize),
    /// Integer indexing of a resident input, done inside the task.
    Gather {
        /// What to gather.
        spec: Arc<GatherSpec>,
        /// Shape of the input being gathered from.
        source_shape: Vec<usize>,
        /// Lengths of the input's blocks along the gathered axis, its only split
        /// axis (one length for an in-memory input).
        block_lens: Vec<usize>,
        /// Where the input is: resident, or a stage whose blocks, split
        /// along the gathered axis only, are every one a dependency of each
        /// task.
        from: Source,
    },
}

/// A fused elementwise program in SSA form: register `i` holds the value of `instrs[i]`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Program {
    /// Instructions; the last one is the output.
    pub instrs: Vec<Instr>,
    /// The dtype of each register.
    pub dtypes: Vec<DType>,
}

/// One instruction of a [`Program`].
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Instr {
    /// Read leaf `i`.
    Leaf(usize),
    /// A constant broadcast to the whole block.
    Const(Scalar),
    /// Apply an op to earlier registers.
    Op(ElemOp, Vec<usize>),
}

impl Plan {
    /// Estimated peak bytes held at once when tasks run one at a time in plan order
    /// (task ids are a depth-first post-order by construction): a lower bound on
    /// what an executor needs.
    pub fn estimated_peak_bytes(&self) -> u64 {
        let mut remaining: Vec<usize> = vec![0; self.tasks.len()];
        for t in &self.tasks {
            for &d in &t.deps {
                remaining[d] += 1;
            }
        }
        for &o in &self.outputs {
            remaining[o] += 1;
        }
        let (mut held, mut peak) = (0u64, 0u64);
        for t in 0..self.tasks.len() {
            let task = &self.tasks[t];
            peak = peak.max(held + task.work_bytes);
            held += task.out_bytes;
            for &d in &task.deps {
                remaining[d] -= 1;
                if remaining[d] == 0 {
                    held -= self.tasks[d].out_bytes;
                }
            }
        }
        peak
    }
}

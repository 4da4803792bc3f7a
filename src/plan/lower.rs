//! Lowering: stages created per logical node, tasks created on demand from the
//! blocks a consumer needs (so unneeded blocks are culled).

use std::collections::{HashMap, HashSet};

use rustc_hash::FxHashMap;
use smallvec::SmallVec;
use std::sync::Arc;

use crate::chunks::Chunks;
use crate::config::{human_bytes, PlanOptions};
use crate::element::DType;
use crate::error::{Error, Result};
use crate::expr::{
    consumer_counts, BlockOp, BlockwiseReduce, ContractSpec, GatherRead, GatherSpec, NearestSpec,
    Node, NodeId, Op, ReduceSpec, TopKSpec, ViewSpec,
};
use crate::plan::contract::{
    contracted_groups, product_bytes, task_budget, ContractStage, SumStage, SUM_SPLIT_EVERY,
};
use crate::plan::disk::{needs_disk, DiskPhase, DiskRechunkStage, IntermediateDir};
use crate::plan::fuse::compile;
use crate::plan::linalg::LinalgStage;
use crate::plan::nearest::NearestStage;
use crate::plan::rechunk::intermediate_chunks;
use crate::plan::reduce::{level_factors, CombineStage};
use crate::plan::region::{Join, RegionStage};
use crate::plan::reshape::ReshapeStage;
use crate::plan::scatter::{plan_groups, position_bytes, Chain, ExtractStage, ScatterStage};
use crate::plan::select::SelectStage;
use crate::plan::sort::SortStage;
use crate::plan::{rules, FusedStage, Operand, Plan, Source, Stage, StageKind, Task, TaskId};

/// Plans every block of `node` under `options`.
pub fn lower(node: &Arc<Node>, options: &PlanOptions) -> Result<Plan> {
    lower_many(std::slice::from_ref(node), options).map(|(plan, _)| plan)
}

/// Plans every block of each of `nodes` in one plan, so that what they share is
/// computed once. The plan's outputs are the first node's blocks, then the
/// second's, and so on; the second value gives where each node's start. The
/// plan's `chunks` and `dtype` are the first node's.
///
/// ```
/// let x = ndchunk::random::uniform::<f64>(&[100], [25], 0)?;
/// let (a, b) = (&x + 1.0, &x * 2.0);
/// let options = ndchunk::PlanOptions::from_env()?;
/// let (plan, starts) = ndchunk::plan::lower_many(&[a.node().clone(), b.node().clone()], &options)?;
/// assert_eq!(starts, vec![0, 4]);
/// // x is generated inside each fused stage: 4 tasks for a, 4 for b.
/// assert_eq!(plan.outputs.len(), 8);
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn lower_many(nodes: &[Arc<Node>], options: &PlanOptions) -> Result<(Plan, Vec<usize>)> {
    let first = nodes
        .first()
        .ok_or_else(|| Error::invalid("plan", "no arrays to plan"))?;
    if let Some(e) = nodes.iter().find_map(|n| n.error()) {
        return Err(e.clone());
    }
    let (nodes, fired) = rules::rewrite(nodes, options)?;
    let mut l = Lowering {
        facts: Arc::new(graph_facts(&nodes, options.memory_limit)),
        options: *options,
        stages: Vec::new(),
        by_node: HashMap::new(),
        tasks: Vec::new(),
        by_block: FxHashMap::default(),
        expanding: HashSet::new(),
        replica: 0,
        chains: HashSet::new(),
    };
    let mut outputs = Vec::new();
    let mut starts = Vec::with_capacity(nodes.len());
    for node in &nodes {
        starts.push(outputs.len());
        let stage = l.value_stage(node)?;
        for block in node.chunks.block_indices() {
            outputs.push(l.task(stage, &block)?);
        }
    }
    let plan = Plan {
        stages: l.stages,
        tasks: l.tasks,
        outputs,
        chunks: first.chunks.clone(),
        dtype: first.dtype,
        rules: fired,
    };
    Ok((plan, starts))
}

/// Elementwise nodes whose fused program would hold more than this many
/// elementwise ops are computed once, in a stage of their own, when more than
/// one node consumes them; smaller ones are recomputed inside each consumer's
/// program, which keeps `x - x.mean()` streaming instead of holding `x`.
pub const RECOMPUTE_LIMIT: usize = 32;

/// What lowering needs to know about the whole graph before planning it.
#[derive(Default)]
pub(crate) struct GraphFacts {
    /// User generators (`from_fn`, storage sources) consumed by more than one
    /// node, or by a node and as a result of their own: they get a stage of
    /// their own so that each block is generated (read) once. Only those
    /// within the memory limit: a larger one is read by each consumer, as
    /// its blocks shared would be held from the first consumer to the last
    /// (`x - x.mean()` would hold all of `x`).
    pub shared_sources: HashSet<NodeId>,
    /// Elementwise nodes with several consumers whose program would exceed
    /// [`RECOMPUTE_LIMIT`]: consumers read them from their own stage. Without
    /// this, `y = (y + y.flip(0)) * 0.5` repeated n times would recompute every
    /// earlier step inside every later one, O(n²) work.
    pub materialised: HashSet<NodeId>,
}

/// True for a user source (`from_fn`, storage) larger than the memory limit:
/// each consumer reads it itself rather than sharing its blocks, which would
/// be held from the first consumer to the last.
fn read_per_consumer(node: &Node, memory_limit: u64) -> bool {
    matches!(node.op, Op::FromFn(_)) && node.nbytes() > memory_limit
}

/// Consumer counts and the recompute bound over the graph of `roots`, in one
/// walk: O(nodes × [`RECOMPUTE_LIMIT`]) however often nodes are reused.
fn graph_facts(roots: &[Arc<Node>], memory_limit: u64) -> GraphFacts {
    let order = crate::expr::topological(roots);
    let consumers = consumer_counts(roots, &order);
    let shared = |id: NodeId| consumers.get(&id).is_some_and(|&c| c > 1);
    let mut facts = GraphFacts::default();
    // The elementwise nodes a program rooted at each node would inline, while
    // there are at most RECOMPUTE_LIMIT of them (None past that).
    let mut inlined: HashMap<NodeId, Option<Vec<NodeId>>> = HashMap::new();
    for node in &order {
        if matches!(node.op, Op::FromFn(_))
            && shared(node.id)
            && !read_per_consumer(node, memory_limit)
        {
            facts.shared_sources.insert(node.id);
        }
        if !node.is_elementwise() {
            continue;
        }
        let mut ops = Some(vec![node.id]);
        for input in &node.inputs {
            if !input.is_elementwise() || facts.materialised.contains(&input.id) {
                continue;
            }
            ops = match (ops, inlined.get(&input.id)) {
                (Some(mut mine), Some(Some(theirs))) => {
                    mine.extend_from_slice(theirs);
                    mine.sort_unstable();
                    mine.dedup();
                    (mine.len() <= RECOMPUTE_LIMIT).then_some(mine)
                }
                _ => None,
            };
        }
        if ops.is_none() && shared(node.id) {
            facts.materialised.insert(node.id);
        }
        inlined.insert(node.id, ops);
    }
    facts
}

/// Runs `f` with at least 256 KiB of stack left, growing the stack onto the
/// heap when needed: planning recurses once per stage along a chain, and a
/// chain of 10⁵ views must not overflow a 2 MiB thread stack.
pub(crate) fn with_stack<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(256 << 10, 4 << 20, f)
}

/// A block's index, as [`Lowering::by_block`] keys it.
type BlockKey = SmallVec<[usize; 4]>;

struct Lowering {
    facts: Arc<GraphFacts>,
    options: PlanOptions,
    stages: Vec<Stage>,
    by_node: HashMap<NodeId, usize>,
    tasks: Vec<Task>,
    /// Tasks by stage, block and replica (a fast hash and blocks of up to
    /// four axes kept inline: a lookup per task read, 10⁶ tasks or more).
    by_block: FxHashMap<(usize, BlockKey, u32), TaskId>,
    /// Rechunk stages whose tasks are being created next to a task sharing their
    /// inputs (see [`Lowering::rechunk_siblings`]).
    expanding: HashSet<usize>,
    /// The copy of the tasks being created: 0, or `g + 1` while creating the
    /// source tasks group `g` of a re-reading gather reads (see
    /// [`ScatterStage::reread`]), which are computed again for each group
    /// rather than held for all of them.
    replica: u32,
    /// Scatter chains already created: (stage, outer block, inner block), and
    /// the group for a re-reading gather.
    chains: HashSet<(usize, Vec<usize>, Vec<usize>, usize)>,
}

impl Lowering {
    fn add_stage(&mut self, stage: Stage) -> usize {
        self.stages.push(stage);
        self.stages.len() - 1
    }

    /// The stage whose task at block `b` yields block `b` of `node`.
    fn value_stage(&mut self, node: &Arc<Node>) -> Result<usize> {
        if let Some(&s) = self.by_node.get(&node.id) {
            return Ok(s);
        }
        with_stack(|| self.new_value_stage(node))
    }

    /// [`Lowering::value_stage`] for a node not planned yet.
    fn new_value_stage(&mut self, node: &Arc<Node>) -> Result<usize> {
        let s = match &node.op {
            Op::Reduce(spec) => self.reduce_stages(node, spec)?,
            Op::Gather {
                spec,
                read: GatherRead::Streaming,
            } => self.scatter_stages(node, spec)?,
            Op::BlockwiseReduce(chain) => {
                self.fused_stage_reducing(&node.inputs[0], None, chain.clone())?
            }
            Op::Rechunk { budget } => self.rechunk_stages(node, *budget)?,
            Op::MapBlocks(map) => {
                let inputs = self.operands(node)?;
                let kind = StageKind::MapBlocks {
                    map: map.clone(),
                    chunks: node.chunks.clone(),
                    inputs,
                };
                let name = match &map.f {
                    BlockOp::User(f) => format!("map_blocks[{}]", f.name),
                    BlockOp::Kernel(k) => k.to_string(),
                };
                let stage = self.stage_for(node, name, kind);
                self.add_stage(stage)
            }
            Op::Store { sink, serial } => {
                let input = self.value_stage(&node.inputs[0])?;
                let kind = StageKind::Store {
                    sink: sink.clone(),
                    input,
                    serial_grid: serial.then(|| node.chunks.numblocks()),
                };
                let stage = self.stage_for(node, sink.name.clone(), kind);
                self.add_stage(stage)
            }
            Op::View(spec) => {
                let (source, from) = self.source(&node.inputs[0])?;
                let region = RegionStage {
                    spec: spec.clone(),
                    from,
                    to: node.chunks.clone(),
                    sources: vec![source],
                    join: None,
                    pad: None,
                    boxes: None,
                };
                let stage = self.stage_for(node, spec.origin.clone(), StageKind::Region(region));
                self.add_stage(stage)
            }
            Op::Pad(pad) => {
                let (source, from) = self.source(&node.inputs[0])?;
                let region = RegionStage {
                    spec: Arc::new(ViewSpec::identity(node.shape.len(), "pad")),
                    from,
                    to: node.chunks.clone(),
                    sources: vec![source],
                    join: None,
                    pad: Some(pad.clone()),
                    boxes: None,
                };
                let name = format!("pad {:?} ({})", pad.widths, pad.rules_name());
                let stage = self.stage_for(node, name, StageKind::Region(region));
                self.add_stage(stage)
            }
            Op::Boxes(spec) => {
                let (source, from) = self.source(&node.inputs[0])?;
                let region = RegionStage {
                    spec: Arc::new(ViewSpec::identity(node.shape.len(), spec.kind.name())),
                    from,
                    to: node.chunks.clone(),
                    sources: vec![source],
                    join: None,
                    pad: spec.pad.clone(),
                    boxes: Some(spec.clone()),
                };
                let name = match &spec.pad {
                    Some(pad) => format!(
                        "{} {:?} ({})",
                        spec.kind.name(),
                        pad.widths,
                        pad.rules_name()
                    ),
                    None => spec.kind.name().to_string(),
                };
                let stage = self.stage_for(node, name, StageKind::Region(region));
                self.add_stage(stage)
            }
            Op::Concatenate(axis) => {
                let mut sources = Vec::with_capacity(node.inputs.len());
                let mut first_block = vec![0];
                for input in &node.inputs {
                    sources.push(self.source(input)?.0);
                    let end = first_block[first_block.len() - 1] + input.chunks.lens(*axis).len();
                    first_block.push(end);
                }
                let region = RegionStage {
                    spec: Arc::new(ViewSpec::identity(node.shape.len(), "concatenate")),
                    from: node.chunks.clone(),
                    to: node.chunks.clone(),
                    sources,
                    join: Some(Join {
                        axis: *axis,
                        first_block,
                    }),
                    pad: None,
                    boxes: None,
                };
                let name = format!("concatenate(axis={axis})");
                let stage = self.stage_for(node, name, StageKind::Region(region));
                self.add_stage(stage)
            }
            Op::Reshape(groups) => {
                let input = self.value_stage(&node.inputs[0])?;
                let kind = StageKind::Reshape(ReshapeStage {
                    to: node.chunks.clone(),
                    groups: groups.clone(),
                    input_ndim: node.inputs[0].shape.len(),
                    input,
                });
                let stage = self.stage_for(node, "reshape".into(), kind);
                self.add_stage(stage)
            }
            Op::Contract(spec) => self.contract_stages(node, spec)?,
            Op::TopK(spec) => self.select_stages(node, spec)?,
            Op::Nearest(spec) => self.nearest_stages(node, spec)?,
            Op::Sort(spec) => {
                let input = &node.inputs[0];
                let (source, from) = self.source(input)?;
                let reread = matches!(source, Source::Stage(_))
                    && input.nbytes() > self.options.memory_limit / 2;
                let kind = StageKind::Sort(SortStage {
                    spec: spec.clone(),
                    source,
                    from,
                    to: node.chunks.clone(),
                    input_dtype: input.dtype,
                    reread,
                });
                let stage = self.stage_for(node, spec.to_string(), kind);
                self.add_stage(stage)
            }
            Op::Linalg(factor) => {
                let inputs = self.operands(node)?;
                let kind = StageKind::Linalg(LinalgStage {
                    factor: *factor,
                    inputs,
                    out: node.chunks.clone(),
                });
                let stage = self.stage_for(node, factor.to_string(), kind);
                self.add_stage(stage)
            }
            Op::Invalid(e) => return Err(e.clone()),
            _ => self.fused_stage(node, None)?,
        };
        if !read_per_consumer(node, self.options.memory_limit) {
            self.by_node.insert(node.id, s);
        }
        Ok(s)
    }

    /// The stages of a rechunk: a direct copy, or two copies through intermediate
    /// chunks when a direct task would hold more than the budget (a persisted
    /// input is read in place, so it is always copied directly). Returns the last.
    fn rechunk_stages(&mut self, node: &Arc<Node>, budget: Option<u64>) -> Result<usize> {
        let (mut source, mut from) = self.source(&node.inputs[0])?;
        let itemsize = node.dtype.size();
        if let Source::Stage(input) = source {
            let limit = self.options.memory_limit;
            if self.options.disk_rechunk && needs_disk(&from, &node.chunks, itemsize, limit) {
                return Ok(self.disk_rechunk_stages(node, input, from));
            }
        }
        let mut steps = vec![(node.chunks.clone(), String::new())];
        if matches!(source, Source::Stage(_)) {
            let budget = match budget {
                Some(b) => b,
                None => self.options.rechunk_bytes,
            };
            if let Some(mid) = intermediate_chunks(&from, &node.chunks, itemsize, budget) {
                let note = format!(
                    " (intermediate: direct tasks would hold over {})",
                    human_bytes(budget)
                );
                steps.insert(0, (mid, note));
            }
        }
        let mut last = None;
        for (to, note) in steps {
            let stage = Stage {
                name: format!("rechunk {from} → {to}{note}"),
                grid: to.numblocks(),
                kind: StageKind::Region(RegionStage::rechunk(from, to.clone(), source)),
                dtype: node.dtype,
            };
            let s = self.add_stage(stage);
            (source, last, from) = (Source::Stage(s), Some(s), to);
        }
        last.ok_or_else(|| Error::invalid("plan", "rechunk without stages"))
    }

    /// The two stages of a rechunk through disk (see [`crate::plan::disk`])
    /// of stage `input`'s blocks, chunked `from`; returns the second.
    fn disk_rechunk_stages(&mut self, node: &Arc<Node>, input: usize, from: Chunks) -> usize {
        let dir = Arc::new(IntermediateDir::new(&crate::config::spill_parent(None)));
        let note = format!(
            "through {} on disk: an output block overlaps input blocks over the memory limit of {}",
            dir.path.display(),
            human_bytes(self.options.memory_limit)
        );
        let to = node.chunks.clone();
        let mut stage = |phase, input: usize, name: String| {
            let kind = DiskRechunkStage {
                phase,
                dir: dir.clone(),
                from: from.clone(),
                to: to.clone(),
                input,
            };
            let grid = kind.grid();
            self.add_stage(Stage {
                name,
                grid,
                kind: StageKind::DiskRechunk(kind),
                dtype: node.dtype,
            })
        };
        let write = stage(
            DiskPhase::Write,
            input,
            format!("rechunk {from} → files ({note})"),
        );
        let written = stage(DiskPhase::Barrier, write, "rechunk files written".into());
        stage(DiskPhase::Read, written, format!("rechunk files → {to}"))
    }

    /// Where a region stage reads `input`, and the input's chunks there: a
    /// resident input in place (cut as it is held), anything else from its
    /// value stage.
    fn source(&mut self, input: &Arc<Node>) -> Result<(Source, Chunks)> {
        Ok(match &input.op {
            Op::Resident(r) => (Source::Resident(r.clone()), r.chunks.clone()),
            _ => (
                Source::Stage(self.value_stage(input)?),
                input.chunks.clone(),
            ),
        })
    }

    /// Where a stage reads each input of `node` (see [`Lowering::source`]),
    /// with the input's chunks.
    fn operands(&mut self, node: &Node) -> Result<Vec<Operand>> {
        node.inputs
            .iter()
            .map(|input| {
                Ok(Operand {
                    source: self.source(input)?.0,
                    chunks: input.chunks.clone(),
                })
            })
            .collect()
    }

    /// A stage of `kind` with `node`'s grid and dtype.
    fn stage_for(&self, node: &Node, name: String, kind: StageKind) -> Stage {
        Stage {
            name,
            kind,
            grid: node.chunks.numblocks(),
            dtype: node.dtype,
        }
    }

    /// A fused stage rooted at `root`, reducing its blocks with `reduce` if given.
    fn fused_stage(&mut self, root: &Arc<Node>, reduce: Option<&ReduceSpec>) -> Result<usize> {
        self.fused_stage_reducing(root, reduce, Vec::new())
    }

    /// [`Lowering::fused_stage`], then the blockwise reductions `blockwise`.
    fn fused_stage_reducing(
        &mut self,
        root: &Arc<Node>,
        reduce: Option<&ReduceSpec>,
        blockwise: Vec<BlockwiseReduce>,
    ) -> Result<usize> {
        // A reduction reads a shared source or a materialised node from its own
        // stage; the node's own (value) stage is where it is computed.
        let facts = self.facts.clone();
        let value = reduce.is_none() && blockwise.is_empty();
        let fused = compile(root, value, &facts, &mut |n| self.value_stage(n))?;
        let mut name = fused.names.join(" → ");
        if let Some(spec) = reduce {
            name = format!("{name} → {}.partial", spec.kind.name());
        }
        for r in &blockwise {
            name = format!("{name} → {}.blockwise", r.spec.kind.name());
        }
        let (grid, dtype) = match blockwise.last() {
            Some(r) => (r.chunks.numblocks(), r.dtype),
            None => (root.chunks.numblocks(), root.dtype),
        };
        let kind = StageKind::Fused(FusedStage {
            program: fused.program,
            leaves: fused.leaves,
            chunks: root.chunks.clone(),
            reduce: reduce.cloned(),
            full_shape: root.shape.clone(),
            blockwise,
        });
        let stage = Stage {
            name,
            kind,
            grid,
            dtype,
        };
        Ok(self.add_stage(stage))
    }

    /// The product stage of a contraction, and the levels adding its groups
    /// when the contracted blocks do not fit one task; returns the last.
    ///
    /// A task holds its result and one product's layout copies, plus the
    /// operand blocks of its group, within [`task_budget`] (a product that
    /// alone exceeds it has had its contracted axes cut by the rules).
    fn contract_stages(&mut self, node: &Arc<Node>, spec: &Arc<ContractSpec>) -> Result<usize> {
        let mut operands = self.operands(node)?;
        let (Some(b), Some(a)) = (operands.pop(), operands.pop()) else {
            return Err(Error::invalid(
                &spec.origin,
                "a contraction needs two operands",
            ));
        };
        let contracted_grid: Vec<usize> = spec
            .contracted
            .iter()
            .map(|&(x, _)| a.chunks.lens(x).len())
            .collect();
        let blocks: usize = contracted_grid.iter().product();
        let (pair, fixed) = product_bytes(&a.chunks, &b.chunks, &node.chunks, node.dtype.size());
        let budget = task_budget(&self.options);
        let per_task = (budget.saturating_sub(fixed) / pair.max(1)).max(1);
        let groups = contracted_groups(blocks, usize::try_from(per_task).unwrap_or(usize::MAX));
        let mut grid = node.chunks.numblocks();
        let name = if groups.len() > 1 {
            grid.push(groups.len());
            format!(
                "{} ({blocks} contracted blocks in {} groups: a task holding more would exceed {})",
                spec.origin,
                groups.len(),
                human_bytes(budget)
            )
        } else {
            format!("{} ({blocks} contracted blocks per task)", spec.origin)
        };
        let mut count = groups.len();
        let stage = Stage {
            name,
            kind: StageKind::Contract(ContractStage {
                spec: spec.clone(),
                a,
                b,
                out: node.chunks.clone(),
                contracted_grid,
                groups,
            }),
            grid,
            dtype: node.dtype,
        };
        let mut prev = self.add_stage(stage);
        let mut level = 1;
        while count > 1 {
            let next = count.div_ceil(SUM_SPLIT_EVERY);
            let mut grid = node.chunks.numblocks();
            if next > 1 {
                grid.push(next);
            }
            let stage = Stage {
                name: format!("{}.sum[level {level}]", spec.origin),
                kind: StageKind::Sum(SumStage {
                    prev,
                    prev_groups: count,
                    factor: SUM_SPLIT_EVERY,
                    ndim: node.shape.len(),
                }),
                grid,
                dtype: node.dtype,
            };
            prev = self.add_stage(stage);
            (count, level) = (next, level + 1);
        }
        Ok(prev)
    }

    /// The levels of a top-k tree: a partial level selecting each input
    /// block's candidates, then merges of `split_every` neighbours along the
    /// axis until one is left; returns the top level.
    fn select_stages(&mut self, node: &Arc<Node>, spec: &TopKSpec) -> Result<usize> {
        let input = &node.inputs[0];
        let prev = self.value_stage(input)?;
        self.select_levels(node, spec, input.dtype, prev, input.chunks.clone(), true)
    }

    /// The levels of a top-k tree over `prev`, whose blocks are cut as
    /// `prev_chunks` and hold values of `input_dtype`: when `partial`, blocks
    /// of values, whose candidates the first level selects; otherwise
    /// selections already, which every level merges. Returns the top level.
    fn select_levels(
        &mut self,
        node: &Arc<Node>,
        spec: &TopKSpec,
        input_dtype: DType,
        mut prev: usize,
        mut prev_chunks: Chunks,
        partial: bool,
    ) -> Result<usize> {
        let axis = spec.axis;
        for level in usize::from(!partial).. {
            let partial = level == 0;
            let factor = if partial { 1 } else { spec.split_every.max(2) };
            let merged: Vec<usize> = prev_chunks
                .lens(axis)
                .chunks(factor)
                .map(|group| group.iter().sum::<usize>().min(spec.count()))
                .collect();
            let last = merged.len() <= 1;
            let out = if last {
                node.chunks.clone()
            } else {
                let mut lens = prev_chunks.all_lens().to_vec();
                lens[axis] = merged;
                Chunks::from_checked(lens)
            };
            let name = match (partial, last) {
                (_, true) => format!("{spec}.finish"),
                (true, false) => format!("{spec}.partial"),
                (false, false) => format!("{spec}.merge[level {level}]"),
            };
            let stage = Stage {
                name,
                grid: out.numblocks(),
                dtype: if last { node.dtype } else { input_dtype },
                kind: StageKind::Select(SelectStage {
                    spec: spec.clone(),
                    input_dtype,
                    prev,
                    partial,
                    prev_chunks,
                    factor,
                    finish: last.then(|| node.chunks.clone()),
                }),
            };
            prev = self.add_stage(stage);
            if last {
                break;
            }
            prev_chunks = out;
        }
        Ok(prev)
    }

    /// The distance tiles of a nearest-rows search (each task selecting a
    /// query block's nearest rows of one corpus block), then the top-k
    /// levels merging them over the corpus blocks; returns the top level.
    fn nearest_stages(&mut self, node: &Arc<Node>, spec: &NearestSpec) -> Result<usize> {
        let mut operands = self.operands(node)?;
        let (Some(corpus), Some(queries)) = (operands.pop(), operands.pop()) else {
            return Err(Error::invalid("nearest", "needs queries and a corpus"));
        };
        let query_lens = queries.chunks.lens(0).to_vec();
        let corpus_lens = corpus.chunks.lens(0).to_vec();
        let kept = corpus_lens.iter().map(|&rows| rows.min(spec.k)).collect();
        let name = format!(
            "{spec}.distances ({} × {} rows per task)",
            query_lens.iter().max().unwrap_or(&0),
            corpus_lens.iter().max().unwrap_or(&0),
        );
        let stage = Stage {
            name,
            grid: vec![query_lens.len(), corpus_lens.len()],
            dtype: DType::F64,
            kind: StageKind::Nearest(NearestStage {
                k: spec.k,
                queries,
                corpus,
            }),
        };
        let prev = self.add_stage(stage);
        let prev_chunks = Chunks::from_checked(vec![query_lens, kept]);
        self.select_levels(node, &spec.merge(), DType::F64, prev, prev_chunks, false)
    }

    /// The partial stage and the combine levels of a reduction; returns the top level.
    fn reduce_stages(&mut self, node: &Arc<Node>, spec: &ReduceSpec) -> Result<usize> {
        let input = &node.inputs[0];
        let mut prev = self.fused_stage(input, Some(spec))?;
        let mut grid = input.chunks.numblocks();
        let mut level = 1;
        loop {
            let factors = level_factors(&grid, &spec.axes, spec.split_every);
            let next: Vec<usize> = grid
                .iter()
                .zip(&factors)
                .map(|(&n, &f)| n.div_ceil(f))
                .collect();
            let last = spec.axes.iter().all(|&a| next[a] <= 1);
            let (name, out_grid) = if last {
                (
                    format!("{}.finish", spec.kind.name()),
                    node.chunks.numblocks(),
                )
            } else {
                (
                    format!("{}.combine[level {level}]", spec.kind.name()),
                    next.clone(),
                )
            };
            let kind = StageKind::Combine(CombineStage {
                spec: spec.clone(),
                input_dtype: input.dtype,
                prev_stage: prev,
                prev_grid: grid.clone(),
                factors,
                finish: last.then(|| node.chunks.clone()),
            });
            let dtype = if last { node.dtype } else { input.dtype };
            prev = self.add_stage(Stage {
                name,
                kind,
                grid: out_grid,
                dtype,
            });
            if last {
                return Ok(prev);
            }
            grid = next;
            level += 1;
        }
    }

    /// The scatter chains and the extraction stage of a streaming gather; returns
    /// the extraction stage, whose blocks are the gather's blocks.
    ///
    /// When every group's buffer fits half the memory limit together, the
    /// groups fill in lockstep and each source block is read once. Otherwise
    /// (a permutation of an input larger than memory) groups of a quarter of
    /// the limit fill one after another, each reading the source blocks
    /// again, so what is held stays one group and one source block per thread.
    fn scatter_stages(&mut self, node: &Arc<Node>, spec: &Arc<GatherSpec>) -> Result<usize> {
        let input = &node.inputs[0];
        let source = self.value_stage(input)?;
        let itemsize = node.dtype.size();
        let all_groups = spec.index.len() as u64 * position_bytes(spec, &input.chunks, itemsize);
        let source_block = input.chunks.max_block_len() as u64 * itemsize as u64;
        let half = self.options.memory_limit / 2;
        let reread = all_groups + source_block > half;
        // Re-reading: a group buffer and the source block it reads take a
        // quarter of the limit, leaving room for a second thread's pair and
        // the consumers' results.
        let budget = if reread {
            (self.options.memory_limit / 4).saturating_sub(source_block)
        } else {
            self.options.gather_bytes
        };
        let groups = Arc::new(plan_groups(
            spec,
            &input.chunks,
            &node.chunks,
            itemsize,
            budget,
        )?);
        let a = spec.axis;
        let mut grid = input.chunks.numblocks()[..a].to_vec();
        grid.extend([groups.len(), input.chunks.lens(a).len()]);
        grid.extend_from_slice(&input.chunks.numblocks()[a + spec.naxes..]);
        let scatter = ScatterStage {
            spec: spec.clone(),
            source: input.chunks.clone(),
            out: node.chunks.clone(),
            groups: groups.clone(),
            reread,
            source_stage: source,
        };
        let name = format!(
            "{}.scatter ({} groups{})",
            spec.origin,
            groups.len(),
            if reread {
                ", one at a time, each re-reading its input"
            } else {
                ""
            }
        );
        let stage = Stage {
            name,
            kind: StageKind::Scatter(scatter),
            grid,
            dtype: node.dtype,
        };
        let scatter = self.add_stage(stage);
        let extract = ExtractStage {
            scatter,
            spec: spec.clone(),
            out: node.chunks.clone(),
            groups,
        };
        let stage = Stage {
            name: format!("{}.extract", spec.origin),
            kind: StageKind::Extract(extract),
            grid: node.chunks.numblocks(),
            dtype: node.dtype,
        };
        Ok(self.add_stage(stage))
    }

    /// Creates the chain steps of `scatter` for the outer blocks `outer` and
    /// inner blocks `inner`, source block by source block, so that task order
    /// (the executor's priority) consumes each source block right after it is
    /// read: of every group at once, or of group `group` alone for a
    /// re-reading gather. Each chain is created once.
    fn scatter_chains(&mut self, scatter: usize, chain: &Chain) -> Result<()> {
        let Chain {
            outer,
            inner,
            group,
        } = chain;
        let StageKind::Scatter(sc) = &self.stages[scatter].kind else {
            return Err(Error::invalid("plan", "extract without a scatter stage"));
        };
        let groups = sc.groups.clone();
        let wanted: Vec<usize> = if sc.reread {
            vec![*group]
        } else {
            (0..groups.len()).collect()
        };
        let key = (scatter, outer.to_vec(), inner.to_vec(), wanted[0]);
        if !self.chains.insert(key) {
            return Ok(());
        }
        let m = sc.source.lens(sc.spec.axis).len();
        for s in 0..m {
            for &g in &wanted {
                if groups[g].touched.binary_search(&s).is_ok() {
                    let mut key = outer.to_vec();
                    key.extend([g, s]);
                    key.extend_from_slice(inner);
                    self.task(scatter, &key)?;
                }
            }
        }
        Ok(())
    }

    /// The task computing `block` of `stage`, creating it and its dependencies if new.
    fn task(&mut self, stage: usize, block: &[usize]) -> Result<TaskId> {
        if let Some(&t) = self
            .by_block
            .get(&(stage, BlockKey::from_slice(block), self.replica))
        {
            return Ok(t);
        }
        with_stack(|| self.new_task(stage, block))
    }

    /// [`Lowering::task`] for a block not planned yet: its dependencies are
    /// the tasks of what the stage says it reads ([`StageKind::reads`]).
    fn new_task(&mut self, stage: usize, block: &[usize]) -> Result<TaskId> {
        let kind = &self.stages[stage].kind;
        let reads = kind.reads(stage, block);
        // A re-reading gather computes each source block again for each
        // group, so none is held across groups (see `ScatterStage::reread`).
        let reread_group = match kind {
            StageKind::Scatter(sc) if sc.reread => Some(block[sc.spec.axis] as u32 + 1),
            StageKind::Sort(sort) if sort.reread => Some(block[0] as u32 + 1),
            _ => None,
        };
        // An extract reads the last step of its scatter chain, whose steps
        // are created together, source block by source block.
        if let StageKind::Extract(ex) = kind {
            if let Some((chain, _)) = ex.chain(block) {
                self.scatter_chains(ex.scatter, &chain)?;
            }
        }
        let mut deps = Vec::with_capacity(reads.len());
        for (s, b) in reads {
            let outer_replica = self.replica;
            if let (Some(group), true) = (reread_group, s != stage) {
                self.replica = group;
            }
            let dep = self.task(s, &b);
            self.replica = outer_replica;
            deps.push(dep?);
        }
        let inputs: Vec<u64> = deps.iter().map(|&d| self.tasks[d].out_bytes).collect();
        let (out_bytes, work_bytes) =
            self.stages[stage]
                .kind
                .cost(self.stages[stage].dtype, block, &inputs);
        self.tasks.push(Task {
            stage,
            block: block.to_vec(),
            deps,
            out_bytes,
            work_bytes,
        });
        let id = self.tasks.len() - 1;
        self.by_block
            .insert((stage, BlockKey::from_slice(block), self.replica), id);
        self.rechunk_siblings(stage, block)?;
        Ok(id)
    }

    /// After a rechunk task reading a computed input, creates the other tasks
    /// reading the same input blocks, so that task order (the executor's
    /// priority) uses up each input block soon after it is computed. Without
    /// this, (20000, 200) strips rechunked to (2000, 2000) blocks in C order
    /// would hold every strip until the last block row.
    fn rechunk_siblings(&mut self, stage: usize, block: &[usize]) -> Result<()> {
        let siblings = match &self.stages[stage].kind {
            StageKind::Region(r) if r.is_rechunk_of_stage() && !self.expanding.contains(&stage) => {
                r.sharing_inputs(block)
            }
            _ => return Ok(()),
        };
        self.expanding.insert(stage);
        let created = siblings
            .iter()
            .try_for_each(|b| self.task(stage, b).map(drop));
        self.expanding.remove(&stage);
        created
    }
}

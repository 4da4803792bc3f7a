//! Lowering: stages created per logical node, tasks created on demand from the
//! blocks a consumer needs (so unneeded blocks are culled).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::chunks::Chunks;
use crate::config::{human_bytes, PlanOptions};
use crate::error::{Error, Result};
use crate::expr::gather::gather_input;
use crate::expr::{GatherSpec, Node, NodeId, Op, ReduceSpec};
use crate::plan::fuse::{broadcast_block, compile};
use crate::plan::layout::{ConcatStage, ReshapeStage, ViewStage};
use crate::plan::rechunk::{box_indices, intermediate_chunks, RechunkStage};
use crate::plan::reduce::{contiguous_runs, level_factors, CombineStage, STATE_BYTES};
use crate::plan::scatter::{plan_groups, position_bytes, ExtractStage, ScatterStage};
use crate::plan::{
    BlockwiseReduce, FusedStage, GatherFrom, LeafSource, Plan, Stage, StageKind, Task, TaskId,
};

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
    let mut l = Lowering {
        facts: Arc::new(graph_facts(nodes, options)?),
        options: *options,
        stages: Vec::new(),
        inputs: Vec::new(),
        by_node: HashMap::new(),
        tasks: Vec::new(),
        by_block: HashMap::new(),
        expanding: HashSet::new(),
        replica: 0,
        chains: HashSet::new(),
    };
    let mut outputs = Vec::new();
    let mut starts = Vec::with_capacity(nodes.len());
    for node in nodes {
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
    };
    Ok((plan, starts))
}

/// Stage-level facts the task builder needs beyond [`StageKind`].
enum Inputs {
    /// Fused: dependencies come from the leaves (see [`leaf_deps`]).
    Fused,
    Combine,
    /// Scatter chains reading source blocks from this stage.
    Scatter(usize),
    Extract,
    /// The input stage, or none for a persisted input.
    Rechunk(Option<usize>),
    MapBlocks(usize),
    Store(usize),
    /// The input stage, or none for an in-memory input.
    View(Option<usize>),
    Concat(Vec<usize>),
    Reshape(usize),
}

/// The (stage, block) pairs a fused task at `block` reads, in leaf order: the
/// broadcast block of each stage leaf, and every block a gather reads from.
fn leaf_deps(f: &FusedStage, block: &[usize]) -> Vec<(usize, Vec<usize>)> {
    let ndim = f.chunks.ndim();
    let mut deps = Vec::new();
    for leaf in &f.leaves {
        match &leaf.source {
            LeafSource::Stage(s) => deps.push((
                *s,
                leaf.source_block(&broadcast_block(&leaf.shape, ndim, block)),
            )),
            LeafSource::Gather {
                from: GatherFrom::Stage(s),
                source_shape,
                block_lens,
                spec,
            } => deps.extend((0..block_lens.len()).map(|b| {
                let mut at = vec![0; source_shape.len()];
                at[spec.axis] = b;
                (*s, at)
            })),
            _ => {}
        }
    }
    deps
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
    /// their own so that each block is generated (read) once.
    pub shared_sources: HashSet<NodeId>,
    /// Elementwise nodes with several consumers whose program would exceed
    /// [`RECOMPUTE_LIMIT`]: consumers read them from their own stage. Without
    /// this, `y = (y + y.flip(0)) * 0.5` repeated n times would recompute every
    /// earlier step inside every later one, O(n²) work.
    pub materialised: HashSet<NodeId>,
    /// Per gather: the node it reads (its input rechunked to be held whole or
    /// streamed) and whether it is held whole (see [`gather_input`]).
    pub gathers: HashMap<NodeId, (Arc<Node>, bool)>,
}

impl GraphFacts {
    /// The node gather `node` reads.
    pub fn gather_input(&self, node: &Node) -> Result<Arc<Node>> {
        self.gathers
            .get(&node.id)
            .map(|(input, _)| input.clone())
            .ok_or_else(|| Error::invalid("plan", format!("gather #{} was not prepared", node.id)))
    }

    /// True for a gather that holds its input whole, run inside its consumer's task.
    pub fn is_resident(&self, node: &Node) -> bool {
        self.gathers.get(&node.id).is_some_and(|(_, r)| *r)
    }
}

/// Consumer counts and the recompute bound over the graph of `roots`, in one
/// walk: O(nodes × [`RECOMPUTE_LIMIT`]) however often nodes are reused.
fn graph_facts(roots: &[Arc<Node>], options: &PlanOptions) -> Result<GraphFacts> {
    let order = crate::expr::topological(roots);
    let mut consumers: HashMap<NodeId, usize> = HashMap::with_capacity(order.len());
    for root in roots {
        *consumers.entry(root.id).or_default() += 1;
    }
    for node in &order {
        let mut inputs: Vec<NodeId> = node.inputs.iter().map(|n| n.id).collect();
        inputs.sort_unstable();
        inputs.dedup();
        for id in inputs {
            *consumers.entry(id).or_default() += 1;
        }
    }
    let shared = |id: NodeId| consumers.get(&id).is_some_and(|&c| c > 1);
    let mut facts = GraphFacts::default();
    // The elementwise nodes a program rooted at each node would inline, while
    // there are at most RECOMPUTE_LIMIT of them (None past that).
    let mut inlined: HashMap<NodeId, Option<Vec<NodeId>>> = HashMap::new();
    for node in &order {
        match &node.op {
            Op::FromFn(_) if shared(node.id) => {
                facts.shared_sources.insert(node.id);
            }
            Op::Gather(spec) => {
                let read = gather_input(spec, &node.inputs[0], options.gather_bytes)?;
                facts.gathers.insert(node.id, read);
            }
            _ => {}
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
    Ok(facts)
}

/// Runs `f` with at least 256 KiB of stack left, growing the stack onto the
/// heap when needed: planning recurses once per stage along a chain, and a
/// chain of 10⁵ views must not overflow a 2 MiB thread stack.
pub(crate) fn with_stack<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(256 << 10, 4 << 20, f)
}

struct Lowering {
    facts: Arc<GraphFacts>,
    options: PlanOptions,
    stages: Vec<Stage>,
    inputs: Vec<Inputs>,
    by_node: HashMap<NodeId, usize>,
    tasks: Vec<Task>,
    /// Tasks by stage, block and replica.
    by_block: HashMap<(usize, Vec<usize>, u32), TaskId>,
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
    fn add_stage(&mut self, stage: Stage, inputs: Inputs) -> usize {
        self.stages.push(stage);
        self.inputs.push(inputs);
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
            Op::Gather(spec) if !self.facts.is_resident(node) => self.scatter_stages(node, spec)?,
            Op::Rechunk { budget } => self.rechunk_stages(node, *budget)?,
            Op::MapBlocks(f) => {
                let input = self.value_stage(&node.inputs[0])?;
                let kind = StageKind::MapBlocks {
                    f: f.clone(),
                    chunks: node.chunks.clone(),
                };
                let stage = Stage {
                    name: format!("map_blocks[{}]", f.name),
                    kind,
                    grid: node.chunks.numblocks(),
                    dtype: node.dtype,
                };
                self.add_stage(stage, Inputs::MapBlocks(input))
            }
            Op::Store(sink) => {
                let input = self.value_stage(&node.inputs[0])?;
                let kind = StageKind::Store { sink: sink.clone() };
                let stage = self.stage_for(node, sink.name.clone(), kind);
                self.add_stage(stage, Inputs::Store(input))
            }
            Op::View(spec) => {
                let input = &node.inputs[0];
                let (memory, from, source) = match &input.op {
                    Op::Memory(a) => (Some(a.clone()), Chunks::single(&input.shape), None),
                    _ => (None, input.chunks.clone(), Some(self.value_stage(input)?)),
                };
                let kind = StageKind::View(ViewStage {
                    spec: spec.clone(),
                    from,
                    to: node.chunks.clone(),
                    memory,
                });
                let stage = self.stage_for(node, spec.origin.clone(), kind);
                self.add_stage(stage, Inputs::View(source))
            }
            Op::Concatenate(axis) => {
                let mut stages = Vec::with_capacity(node.inputs.len());
                let mut first_block = vec![0];
                for input in &node.inputs {
                    stages.push(self.value_stage(input)?);
                    let end = first_block[first_block.len() - 1] + input.chunks.lens(*axis).len();
                    first_block.push(end);
                }
                let kind = StageKind::Concat(ConcatStage {
                    axis: *axis,
                    first_block,
                });
                let stage = self.stage_for(node, format!("concatenate(axis={axis})"), kind);
                self.add_stage(stage, Inputs::Concat(stages))
            }
            Op::Reshape(groups) => {
                let input = self.value_stage(&node.inputs[0])?;
                let kind = StageKind::Reshape(ReshapeStage {
                    to: node.chunks.clone(),
                    groups: groups.clone(),
                    input_ndim: node.inputs[0].shape.len(),
                });
                let stage = self.stage_for(node, "reshape".into(), kind);
                self.add_stage(stage, Inputs::Reshape(input))
            }
            Op::Invalid(e) => return Err(e.clone()),
            _ => self.fused_stage(node, None)?,
        };
        self.by_node.insert(node.id, s);
        Ok(s)
    }

    /// The stages of a rechunk: a direct copy, or two copies through intermediate
    /// chunks when a direct task would hold more than the budget (a persisted
    /// input is read in place, so it is always copied directly). Returns the last.
    fn rechunk_stages(&mut self, node: &Arc<Node>, budget: Option<u64>) -> Result<usize> {
        let input = &node.inputs[0];
        let (mut source, mut resident) = match &input.op {
            Op::Persisted(blocks) => (None, Some(blocks.clone())),
            _ => (Some(self.value_stage(input)?), None),
        };
        let mut from = input.chunks.clone();
        let mut steps = vec![(node.chunks.clone(), String::new())];
        if resident.is_none() {
            let budget = match budget {
                Some(b) => b,
                None => self.options.rechunk_bytes,
            };
            let itemsize = node.dtype.size();
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
                kind: StageKind::Rechunk(RechunkStage {
                    from,
                    to: to.clone(),
                    resident: resident.take(),
                }),
                dtype: node.dtype,
            };
            let s = self.add_stage(stage, Inputs::Rechunk(source));
            (source, last, from) = (Some(s), Some(s), to);
        }
        last.ok_or_else(|| Error::invalid("plan", "rechunk without stages"))
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

    /// A reduction whose axes are whole in every block of its input, with the
    /// ones below it whose axes are too, as one fused stage finishing them in
    /// the task (bottom first); `None` when `node`'s own axes are split.
    fn blockwise_reduce_stage(&mut self, node: &Arc<Node>) -> Result<Option<usize>> {
        let mut chain = Vec::new();
        let mut base = node.clone();
        while let Op::Reduce(spec) = &base.op {
            let input = &base.inputs[0];
            let whole = spec.axes.iter().all(|&a| input.chunks.lens(a).len() == 1);
            if !whole || spec.flat || self.by_node.contains_key(&base.id) {
                break;
            }
            chain.push(BlockwiseReduce {
                spec: spec.clone(),
                dtype: base.dtype,
                chunks: base.chunks.clone(),
            });
            base = input.clone();
        }
        if chain.is_empty() {
            return Ok(None);
        }
        chain.reverse();
        self.fused_stage_reducing(&base, None, chain).map(Some)
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
        Ok(self.add_stage(stage, Inputs::Fused))
    }

    /// The partial stage and the combine levels of a reduction; returns the top level.
    fn reduce_stages(&mut self, node: &Arc<Node>, spec: &ReduceSpec) -> Result<usize> {
        if let Some(s) = self.blockwise_reduce_stage(node)? {
            return Ok(s);
        }
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
            prev = self.add_stage(
                Stage {
                    name,
                    kind,
                    grid: out_grid,
                    dtype,
                },
                Inputs::Combine,
            );
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
        let input = self.facts.gather_input(node)?;
        let input = &input;
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
        ));
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
        let scatter = self.add_stage(stage, Inputs::Scatter(source));
        let extract = ExtractStage { scatter, groups };
        let stage = Stage {
            name: format!("{}.extract", spec.origin),
            kind: StageKind::Extract(extract),
            grid: node.chunks.numblocks(),
            dtype: node.dtype,
        };
        Ok(self.add_stage(stage, Inputs::Extract))
    }

    /// Creates the chain steps of `scatter` for the outer blocks `outer` and
    /// inner blocks `inner`, source block by source block, so that task order
    /// (the executor's priority) consumes each source block right after it is
    /// read: of every group at once, or of group `group` alone for a
    /// re-reading gather. Each chain is created once.
    fn scatter_chains(
        &mut self,
        scatter: usize,
        outer: &[usize],
        inner: &[usize],
        group: usize,
    ) -> Result<()> {
        let StageKind::Scatter(sc) = &self.stages[scatter].kind else {
            return Err(Error::invalid("plan", "extract without a scatter stage"));
        };
        let groups = sc.groups.clone();
        let wanted: Vec<usize> = if sc.reread {
            vec![group]
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

    /// Bytes of block `block` of `stage`, whose chunks are `chunks`.
    fn block_bytes(&self, stage: usize, chunks: &Chunks, block: &[usize]) -> u64 {
        chunks.block_shape(block).iter().product::<usize>() as u64
            * self.stages[stage].dtype.size() as u64
    }

    /// The task computing `block` of `stage`, creating it and its dependencies if new.
    fn task(&mut self, stage: usize, block: &[usize]) -> Result<TaskId> {
        if let Some(&t) = self.by_block.get(&(stage, block.to_vec(), self.replica)) {
            return Ok(t);
        }
        with_stack(|| self.new_task(stage, block))
    }

    /// [`Lowering::task`] for a block not planned yet.
    fn new_task(&mut self, stage: usize, block: &[usize]) -> Result<TaskId> {
        let (deps, out_bytes, work_bytes) = match (&self.inputs[stage], &self.stages[stage].kind) {
            (Inputs::Fused, StageKind::Fused(f)) => {
                let program_block = f.program_block(block);
                let wanted = leaf_deps(f, &program_block);
                let block_shape = f.chunks.block_shape(&program_block);
                let elems = block_shape.iter().product::<usize>() as u64;
                let program_dtype = f.program.dtypes.last().copied();
                let itemsize = program_dtype.unwrap_or(self.stages[stage].dtype).size();
                let value_bytes = elems * itemsize as u64;
                let materialised: u64 = f
                    .leaves
                    .iter()
                    .filter(|l| {
                        matches!(l.source, LeafSource::FromFn(_) | LeafSource::Gather { .. })
                            || matches!(&l.source, LeafSource::Generate(g) if !g.is_positional() && l.shape != f.full_shape)
                    })
                    .map(|l| l.chunks.max_block_len() as u64 * l.dtype.size() as u64)
                    .sum();
                let (out, work) = match &f.reduce {
                    Some(spec) => {
                        let kept: u64 = block_shape
                            .iter()
                            .enumerate()
                            .filter(|(a, _)| !spec.axes.contains(a))
                            .map(|(_, &n)| n as u64)
                            .product();
                        let state = kept * STATE_BYTES;
                        let block = if contiguous_runs(&block_shape, &spec.axes).is_some() {
                            0
                        } else {
                            value_bytes
                        };
                        (state, state + block + materialised)
                    }
                    None if !f.blockwise.is_empty() => {
                        let result = self.block_bytes(stage, f.result_chunks(), block);
                        (result, result + value_bytes + materialised)
                    }
                    None => (value_bytes, value_bytes + materialised),
                };
                let mut deps = Vec::with_capacity(wanted.len());
                for (s, b) in wanted {
                    deps.push(self.task(s, &b)?);
                }
                (deps, out, work)
            }
            (Inputs::Combine, StageKind::Combine(c)) => {
                let ranges = c.input_ranges(block);
                let prev = c.prev_stage;
                let kept: u64 = match &c.finish {
                    Some(chunks) => {
                        let shape = chunks.block_shape(block);
                        shape.iter().product::<usize>() as u64 * STATE_BYTES
                    }
                    None => 0,
                };
                let mut deps = Vec::new();
                for b in box_indices(&ranges) {
                    deps.push(self.task(prev, &b)?);
                }
                let state = if kept > 0 {
                    kept
                } else {
                    deps.first().map(|&d| self.tasks[d].out_bytes).unwrap_or(0)
                };
                (deps, state, state)
            }
            (Inputs::Scatter(source), StageKind::Scatter(sc)) => {
                let source = *source;
                let (a, naxes) = (sc.spec.axis, sc.spec.naxes);
                let (g, s) = (block[a], block[a + 1]);
                let group = &sc.groups[g];
                let step = group
                    .touched
                    .binary_search(&s)
                    .map_err(|_| Error::invalid("plan", "untouched source block"))?;
                let mut prev = block.to_vec();
                let previous = (step > 0).then(|| {
                    prev[a + 1] = group.touched[step - 1];
                    prev
                });
                let mut src_block = block[..a].to_vec();
                src_block.push(s);
                src_block.extend(std::iter::repeat_n(0, naxes - 1));
                src_block.extend_from_slice(&block[a + 2..]);
                let other: u64 = (0..sc.source.ndim())
                    .filter(|&ax| ax < a || ax >= a + naxes)
                    .zip(block[..a].iter().chain(&block[a + 2..]))
                    .map(|(ax, &b)| sc.source.lens(ax)[b] as u64)
                    .product();
                let bytes =
                    group.positions.len() as u64 * other * self.stages[stage].dtype.size() as u64;
                let reread = sc.reread;
                let mut deps = Vec::with_capacity(2);
                if let Some(p) = previous {
                    deps.push(self.task(stage, &p)?);
                }
                // A re-reading gather computes each source block again for
                // each group, so none is held across groups.
                let outer_replica = self.replica;
                if reread {
                    self.replica = g as u32 + 1;
                }
                let read = self.task(source, &src_block);
                self.replica = outer_replica;
                deps.push(read?);
                (deps, bytes, bytes)
            }
            (Inputs::Extract, StageKind::Extract(ex)) => {
                let scatter = ex.scatter;
                let StageKind::Scatter(sc) = &self.stages[scatter].kind else {
                    return Err(Error::invalid("plan", "extract without a scatter stage"));
                };
                let (a, k) = (sc.spec.axis, sc.spec.index_shape.len());
                let chunk = if k == 0 { 0 } else { block[a] };
                let g = ex.groups.partition_point(|grp| grp.chunks.end <= chunk);
                let last = ex.groups[g].touched.last().copied();
                let bytes = sc.out.block_shape(block).iter().product::<usize>() as u64
                    * self.stages[stage].dtype.size() as u64;
                let (outer, inner) = (block[..a].to_vec(), block[a + k..].to_vec());
                let deps = match last {
                    Some(s) => {
                        self.scatter_chains(scatter, &outer, &inner, g)?;
                        let mut key = outer;
                        key.extend([g, s]);
                        key.extend_from_slice(&inner);
                        vec![self.task(scatter, &key)?]
                    }
                    None => Vec::new(),
                };
                (deps, bytes, bytes)
            }
            (Inputs::Rechunk(input), StageKind::Rechunk(r)) => {
                let input = *input;
                let bytes = self.block_bytes(stage, &r.to, block);
                let mut deps = Vec::new();
                if let Some(input) = input {
                    for b in box_indices(&r.input_ranges(block)) {
                        deps.push(self.task(input, &b)?);
                    }
                }
                (deps, bytes, bytes)
            }
            (Inputs::View(source), StageKind::View(v)) => {
                let source = *source;
                let bytes = self.block_bytes(stage, &v.to, block);
                let mut deps = Vec::new();
                if let Some(s) = source {
                    for b in box_indices(&v.input_ranges(block)) {
                        deps.push(self.task(s, &b)?);
                    }
                }
                (deps, bytes, bytes)
            }
            (Inputs::Concat(stages), StageKind::Concat(c)) => {
                let (k, local) = c.source(block);
                let input = stages[k];
                let dep = self.task(input, &local)?;
                let bytes = self.tasks[dep].out_bytes;
                (vec![dep], bytes, 0)
            }
            (Inputs::Reshape(input), StageKind::Reshape(r)) => {
                let input = *input;
                let bytes = self.block_bytes(stage, &r.to, block);
                (vec![self.task(input, &r.source(block))?], bytes, 0)
            }
            (Inputs::MapBlocks(input), StageKind::MapBlocks { chunks, .. }) => {
                let input = *input;
                let bytes = chunks.block_shape(block).iter().product::<usize>() as u64
                    * self.stages[stage].dtype.size() as u64;
                (vec![self.task(input, block)?], bytes, 2 * bytes)
            }
            (Inputs::Store(input), StageKind::Store { .. }) => {
                let dep = self.task(*input, block)?;
                (vec![dep], 0, self.tasks[dep].out_bytes)
            }
            _ => {
                return Err(Error::invalid(
                    "plan",
                    format!("stage {stage} has inconsistent inputs"),
                ))
            }
        };
        self.tasks.push(Task {
            stage,
            block: block.to_vec(),
            deps,
            out_bytes,
            work_bytes,
        });
        let id = self.tasks.len() - 1;
        self.by_block
            .insert((stage, block.to_vec(), self.replica), id);
        self.rechunk_siblings(stage, block)?;
        Ok(id)
    }

    /// After a rechunk task reading a computed input, creates the other tasks
    /// reading the same input blocks, so that task order (the executor's
    /// priority) uses up each input block soon after it is computed. Without
    /// this, (20000, 200) strips rechunked to (2000, 2000) blocks in C order
    /// would hold every strip until the last block row.
    fn rechunk_siblings(&mut self, stage: usize, block: &[usize]) -> Result<()> {
        let siblings = match (&self.inputs[stage], &self.stages[stage].kind) {
            (Inputs::Rechunk(Some(_)), StageKind::Rechunk(r))
                if !self.expanding.contains(&stage) =>
            {
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

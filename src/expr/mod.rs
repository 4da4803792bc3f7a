//! The logical graph: one [`Node`] per array-level operation (not per chunk).
//!
//! A node knows its shape, chunks and dtype; the planner (`crate::plan`) turns a
//! graph into tasks. Building nodes does no I/O and no work.

pub mod blocks;
pub mod contract;
pub mod elementwise;
pub mod gather;
pub mod generate;
pub mod linalg;
pub mod pad;
pub mod reduce;
pub mod resident;
pub mod select;
pub mod user;
pub mod view;

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::chunks::Chunks;
use crate::element::DType;
use crate::error::Error;

pub use crate::registry::{BlockFn, StoreFn};
pub use blocks::{BlockMap, BlockOp, Kernel, RadixPass, ScanKind, ScanSpec, Splitters};
pub use contract::ContractSpec;
pub use elementwise::{BinaryOp, CmpOp, ElemOp, UnaryOp};
pub use gather::{GatherRead, GatherSpec};
pub use generate::{Distribution, Generator};
pub use linalg::Factor;
pub use pad::{Boundary, BoxKind, BoxSpec, PadSpec};
pub use reduce::{BlockwiseReduce, ReduceKind, ReduceSpec};
pub use resident::Resident;
pub use select::{NearestSpec, SortSpec, TopKSpec};
pub use user::{TileFn, UserFn};
pub use view::{ViewAxis, ViewSpec};

/// Identity of a node, unique within the process.
pub type NodeId = u64;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// One array-level operation and its inputs.
#[derive(Debug)]
pub struct Node {
    /// Unique id.
    pub id: NodeId,
    /// What the node computes.
    pub op: Op,
    /// Input nodes, in the order the op uses them.
    pub inputs: Vec<Arc<Node>>,
    /// Result shape.
    pub shape: Vec<usize>,
    /// Result chunks.
    pub chunks: Chunks,
    /// Result dtype.
    pub dtype: DType,
    /// The `Op::Invalid` node this one depends on, if any (the first found, in
    /// input order): found once at construction, so asking costs nothing however
    /// often the graph reuses a node.
    failed: Option<Arc<Node>>,
}

/// Dropping a node drops its inputs iteratively, so a chain of a million ops
/// does not overflow the stack.
impl Drop for Node {
    fn drop(&mut self) {
        let mut pending = std::mem::take(&mut self.inputs);
        while let Some(node) = pending.pop() {
            if let Some(mut inner) = Arc::into_inner(node) {
                pending.append(&mut inner.inputs);
            }
        }
    }
}

/// What a node computes.
#[derive(Clone, Debug)]
pub enum Op {
    /// Values the caller holds: an in-memory array (`from_array`, one block
    /// cut by the node's chunks) or blocks computed by `persist` (the node's
    /// chunks).
    Resident(Resident),
    /// Values computed from the position and the block index (constants, ranges, random).
    Generate(Generator),
    /// A user function producing each block from its index and shape.
    FromFn(UserFn<BlockFn>),
    /// An elementwise operation over broadcast inputs.
    Elementwise(ElemOp),
    /// A function applied block by block: each output block from one block
    /// of each input (`map_blocks`, `blockwise`, the scans' kernels); the
    /// node's chunks are the output's.
    MapBlocks(BlockMap),
    /// The single input with the node's chunks; `budget` bounds the bytes a
    /// task may hold (default: [`crate::config::rechunk_budget`]).
    Rechunk {
        /// Bytes a task may hold, if set for this rechunk.
        budget: Option<u64>,
    },
    /// Integer indexing of the single input.
    Gather {
        /// Which axes are replaced by which positions.
        spec: Arc<GatherSpec>,
        /// How the input is read: chosen by the planner's gather rule
        /// (`plan::rules`), under the executor's budget.
        read: GatherRead,
    },
    /// An affine view of the input (slicing, transposes, new and removed axes,
    /// broadcasts).
    View(Arc<ViewSpec>),
    /// The inputs joined along an axis.
    Concatenate(usize),
    /// The input grown beyond its edges.
    Pad(PadSpec),
    /// Each output block a box of the input, possibly beyond its edges
    /// (`overlap`, `trim_internal`).
    Boxes(std::sync::Arc<BoxSpec>),
    /// The input reshaped block by block (C order): per group, its input axes
    /// and its output axes (see [`crate::plan::reshape::ReshapeStage`]).
    Reshape(Vec<(std::ops::Range<usize>, std::ops::Range<usize>)>),
    /// A contraction of the two inputs: blockwise products summed over the
    /// contracted axes (`matmul`, `tensordot`, `einsum`, ...).
    Contract(Arc<ContractSpec>),
    /// A dense factorisation kernel over 2-d blocks (`ndchunk::linalg`).
    Linalg(Factor),
    /// A reduction over some axes.
    Reduce(ReduceSpec),
    /// The `k` largest or smallest elements along an axis, or their positions.
    TopK(TopKSpec),
    /// A sample sort of the 1-d input, one output block per bucket.
    Sort(Arc<SortSpec>),
    /// For every row of the first input, the positions of the nearest rows
    /// of the second (f64, `(m, d)` and `(n, d)`, each one block along `d`).
    Nearest(NearestSpec),
    /// Reductions whose axes are whole in every block of their input,
    /// applied one after another inside each block's task (bottom first):
    /// made by the planner's reduction-fusion rule from `Reduce` nodes.
    BlockwiseReduce(Vec<BlockwiseReduce>),
    /// Each block of the single input stored by a sink's writer; the node's
    /// blocks are acknowledgements. Its recipe lets workers store blocks
    /// themselves; a `serial` sink (one file no two writers may hold, as
    /// HDF5) stores them one after another, in C order.
    Store {
        /// The writer.
        sink: UserFn<StoreFn>,
        /// True when blocks must be stored one at a time.
        serial: bool,
    },
    /// An operation that could not be built; computing it returns the error.
    Invalid(Error),
}

impl Node {
    /// A new node with a fresh id.
    pub fn new(op: Op, inputs: Vec<Arc<Node>>, chunks: Chunks, dtype: DType) -> Arc<Node> {
        let failed = inputs.iter().find_map(|n| match n.op {
            Op::Invalid(_) => Some(n.clone()),
            _ => n.failed.clone(),
        });
        Arc::new(Node {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            op,
            inputs,
            shape: chunks.shape(),
            chunks,
            dtype,
            failed,
        })
    }

    /// A node standing for an error found while building; it keeps the shape asked for.
    pub fn invalid(err: Error, shape: Vec<usize>, dtype: DType) -> Arc<Node> {
        let chunks = Chunks::single(&shape);
        Node::new(Op::Invalid(err), Vec::new(), chunks, dtype)
    }

    /// The first build error in this node or its inputs, if any (O(1)).
    pub fn error(&self) -> Option<&Error> {
        match (&self.op, &self.failed) {
            (Op::Invalid(e), _) => Some(e),
            (_, Some(node)) => node.error(),
            _ => None,
        }
    }

    /// This node's op and chunks over `inputs` (a fresh node, for rewrites
    /// that replace a node's inputs and keep what it computes).
    pub fn with_inputs(&self, inputs: Vec<Arc<Node>>) -> Arc<Node> {
        Node::new(self.op.clone(), inputs, self.chunks.clone(), self.dtype)
    }

    /// True for ops the planner fuses into their consumer's tile loop.
    pub fn is_elementwise(&self) -> bool {
        matches!(self.op, Op::Elementwise(_))
    }

    /// Total bytes of the result.
    pub fn nbytes(&self) -> u64 {
        self.shape.iter().product::<usize>() as u64 * self.dtype.size() as u64
    }

    /// Every node reachable from this one, inputs before consumers, each once.
    pub fn topological(self: &Arc<Node>) -> Vec<Arc<Node>> {
        topological(std::slice::from_ref(self))
    }

    /// A short description of the op: `mul`, `from_array`, `sum(axes=[0])`, ...
    pub fn label(&self) -> String {
        self.op.to_string()
    }
}

/// The axes an `insert_axis` view node inserts (see
/// [`ViewSpec::inserted_axes`]); `None` for any other node.
pub fn inserted_axes(node: &Node) -> Option<Vec<usize>> {
    match &node.op {
        Op::View(spec) => spec.inserted_axes(&node.inputs[0].shape, &node.shape),
        _ => None,
    }
}

/// `node` with `chunks`: the node itself if they already match, or a rechunk
/// node (its tasks holding at most `budget` bytes if set). Where the rechunk
/// goes is the planner's rechunk-pushdown rule's business (`plan::rules`).
pub(crate) fn rechunk_node(node: &Arc<Node>, chunks: Chunks, budget: Option<u64>) -> Arc<Node> {
    if node.chunks == chunks {
        return node.clone();
    }
    Node::new(
        Op::Rechunk { budget },
        vec![node.clone()],
        chunks,
        node.dtype,
    )
}

/// Every node reachable from `roots`, inputs before consumers, each once (an
/// iterative walk: no recursion however deep the graph).
pub fn topological(roots: &[Arc<Node>]) -> Vec<Arc<Node>> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    let mut stack: Vec<(Arc<Node>, bool)> =
        roots.iter().rev().map(|r| (r.clone(), false)).collect();
    while let Some((node, expanded)) = stack.pop() {
        if expanded {
            out.push(node);
            continue;
        }
        if !seen.insert(node.id) {
            continue;
        }
        stack.push((node.clone(), true));
        for input in node.inputs.iter().rev() {
            if !seen.contains(&input.id) {
                stack.push((input.clone(), false));
            }
        }
    }
    out
}

/// How many consumers each node of `order` (the [`topological`] order of
/// `roots`) has: the distinct nodes using it as an input, plus one per
/// appearance among `roots`.
pub fn consumer_counts(roots: &[Arc<Node>], order: &[Arc<Node>]) -> HashMap<NodeId, usize> {
    let mut consumers: HashMap<NodeId, usize> = HashMap::with_capacity(order.len());
    for root in roots {
        *consumers.entry(root.id).or_default() += 1;
    }
    for node in order {
        let mut inputs: Vec<NodeId> = node.inputs.iter().map(|n| n.id).collect();
        inputs.sort_unstable();
        inputs.dedup();
        for id in inputs {
            *consumers.entry(id).or_default() += 1;
        }
    }
    consumers
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Resident(Resident {
                computed: Some(what),
                ..
            }) => write!(f, "{what} (computed when built)"),
            Op::Resident(r) if r.is_whole() => write!(f, "from_array"),
            Op::Resident(_) => write!(f, "persisted"),
            Op::Generate(g) => write!(f, "{g}"),
            Op::FromFn(u) => write!(f, "from_fn[{}]", u.name),
            Op::Elementwise(e) => write!(f, "{e}"),
            Op::MapBlocks(m) => write!(f, "map_blocks[{}]", m.f.name()),
            Op::Rechunk { .. } => write!(f, "rechunk"),
            Op::Gather { spec, .. } => write!(f, "{spec}"),
            Op::View(v) => write!(f, "{v}"),
            Op::Concatenate(a) => write!(f, "concatenate(axis={a})"),
            Op::Reshape(_) => write!(f, "reshape"),
            Op::Pad(p) => write!(f, "pad({})", p.rules_name()),
            Op::Boxes(b) => write!(f, "{}", b.kind.name()),
            Op::Contract(c) => write!(f, "{c}"),
            Op::Linalg(k) => write!(f, "{k}"),
            Op::Reduce(r) => write!(f, "{r}"),
            Op::TopK(t) => write!(f, "{t}"),
            Op::Nearest(n) => write!(f, "{n}"),
            Op::Sort(s) => write!(f, "{s}"),
            Op::BlockwiseReduce(chain) => {
                let steps: Vec<String> = chain.iter().map(|r| r.spec.to_string()).collect();
                write!(f, "{} (blockwise)", steps.join(" → "))
            }
            Op::Store { sink, .. } => write!(f, "store[{}]", sink.name),
            Op::Invalid(e) => write!(f, "invalid: {e}"),
        }
    }
}

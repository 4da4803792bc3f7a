//! Rule "fuse blockwise": compile a chain of elementwise nodes into one
//! [`Program`] evaluated tile by tile, with no intermediate block per op.
//!
//! The nodes below the chain become the program's leaves: in-memory arrays and
//! generators are read or generated inside the task; anything else is the result
//! of another stage.

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::Result;
use crate::expr::{inserted_axes, GatherRead, Generator, Node, NodeId, Op};
use crate::plan::lower::{with_stack, GraphFacts};
use crate::plan::{Instr, Leaf, LeafSource, Program, Source};

/// A compiled elementwise chain.
pub struct Fused {
    /// The program.
    pub program: Program,
    /// Its leaves.
    pub leaves: Vec<Leaf>,
    /// The names of the fused ops, producers first (for `explain`).
    pub names: Vec<String>,
}

/// Compiles the elementwise chain ending at `root`; `stage_of` plans the stage of a
/// non-fusable input and returns its index. Shared user generators and
/// materialised nodes (see [`GraphFacts`]) are read from their own stage instead
/// of being inlined, except `root` itself when `own_value` says this program is
/// where root's value is computed.
pub(crate) fn compile(
    root: &Arc<Node>,
    own_value: bool,
    facts: &GraphFacts,
    stage_of: &mut dyn FnMut(&Arc<Node>) -> Result<usize>,
) -> Result<Fused> {
    let mut c = Compiler {
        fused: Fused {
            program: Program::default(),
            leaves: Vec::new(),
            names: Vec::new(),
        },
        regs: HashMap::new(),
        leaf_regs: HashMap::new(),
        own: own_value.then_some(root.id),
        facts,
    };
    c.visit(root, stage_of)?;
    Ok(c.fused)
}

struct Compiler<'a> {
    fused: Fused,
    regs: HashMap<NodeId, usize>,
    leaf_regs: HashMap<NodeId, usize>,
    /// The node whose value this program computes, if any.
    own: Option<NodeId>,
    facts: &'a GraphFacts,
}

impl Compiler<'_> {
    fn push(&mut self, instr: Instr, node: &Node) -> usize {
        self.fused.program.instrs.push(instr);
        self.fused.program.dtypes.push(node.dtype);
        self.fused.program.instrs.len() - 1
    }

    fn visit(
        &mut self,
        node: &Arc<Node>,
        stage_of: &mut dyn FnMut(&Arc<Node>) -> Result<usize>,
    ) -> Result<usize> {
        if let Some(&r) = self
            .regs
            .get(&node.id)
            .or_else(|| self.leaf_regs.get(&node.id))
        {
            return Ok(r);
        }
        with_stack(|| self.compile_node(node, stage_of))
    }

    /// [`Compiler::visit`] for a node not compiled yet.
    fn compile_node(
        &mut self,
        node: &Arc<Node>,
        stage_of: &mut dyn FnMut(&Arc<Node>) -> Result<usize>,
    ) -> Result<usize> {
        let own = self.own == Some(node.id);
        let reg = match &node.op {
            Op::Elementwise(op) if own || !self.facts.materialised.contains(&node.id) => {
                let mut args = Vec::with_capacity(node.inputs.len());
                for input in &node.inputs {
                    args.push(self.visit(input, stage_of)?);
                }
                self.fused.names.push(op.to_string());
                let r = self.push(Instr::Op(op.clone(), args), node);
                self.regs.insert(node.id, r);
                r
            }
            _ => {
                let (base, inserted) = peel_inserted_axes(node);
                if let Op::Generate(Generator::Full(v)) = &base.op {
                    let r = self.push(Instr::Const(*v), node);
                    self.leaf_regs.insert(node.id, r);
                    return Ok(r);
                }
                let source = match &base.op {
                    Op::Resident(r) => LeafSource::Resident(r.clone()),
                    Op::Generate(g) => LeafSource::Generate(g.clone()),
                    // A user generator runs once per block: inlined where it has a
                    // single consumer, otherwise its own stage shares the blocks.
                    Op::FromFn(f)
                        if self.own == Some(base.id)
                            || !self.facts.shared_sources.contains(&base.id) =>
                    {
                        LeafSource::FromFn(f.clone())
                    }
                    // A gather from a resident input runs inside this task; one
                    // from a chunked input streams through its own stages.
                    Op::Gather {
                        spec,
                        read: GatherRead::Resident,
                    } => {
                        let input = &base.inputs[0];
                        let (from, block_lens) = match &input.op {
                            Op::Resident(r) => (
                                Source::Resident(r.clone()),
                                r.chunks.lens(spec.axis).to_vec(),
                            ),
                            _ => (
                                Source::Stage(stage_of(input)?),
                                input.chunks.lens(spec.axis).to_vec(),
                            ),
                        };
                        LeafSource::Gather {
                            spec: spec.clone(),
                            source_shape: input.shape.clone(),
                            block_lens,
                            from,
                        }
                    }
                    _ => LeafSource::Stage(stage_of(&base)?),
                };
                self.fused.names.push(node.label());
                self.fused.leaves.push(Leaf {
                    source,
                    shape: node.shape.clone(),
                    chunks: node.chunks.clone(),
                    source_chunks: base.chunks.clone(),
                    dtype: node.dtype,
                    inserted,
                });
                let r = self.push(Instr::Leaf(self.fused.leaves.len() - 1), node);
                self.leaf_regs.insert(node.id, r);
                r
            }
        };
        Ok(reg)
    }
}

/// The node under an `insert_axis` view (views compose, so there is at most
/// one), and the axes (of `node`'s shape) it inserted; `node` itself and no
/// axes otherwise.
pub fn peel_inserted_axes(node: &Arc<Node>) -> (Arc<Node>, Vec<usize>) {
    match inserted_axes(node) {
        Some(inserted) => (node.inputs[0].clone(), inserted),
        None => (node.clone(), Vec::new()),
    }
}

//! Resident-gather choice: how a gather reads its input, under the
//! executor's gather budget.
//!
//! Resident: each output task reads the whole input, in memory or computed
//! as blocks split along the gathered axis only and held together; the
//! gather then runs inside its consumer's fused task. Streaming: each input
//! block is read once and its rows scattered into the output groups that
//! need them (scatter and extract stages), which needs the gathered axes
//! after the first whole.

use std::sync::Arc;

use crate::chunks::{regular_lens, Chunks};
use crate::error::Result;
use crate::expr::{rechunk_node, GatherRead, Node, Op};
use crate::plan::rules::{Context, Rule};

/// The rule.
pub(super) const RULE: Rule = Rule {
    name: "gather read choice",
    apply,
};

/// Most blocks a resident gather input keeps along the gathered axis: each output
/// task depends on all of them.
const MAX_RESIDENT_BLOCKS: usize = 64;

fn apply(node: &Arc<Node>, cx: &Context) -> Result<Option<Arc<Node>>> {
    let Op::Gather {
        spec,
        read: GatherRead::Unchosen,
    } = &node.op
    else {
        return Ok(None);
    };
    let input = &node.inputs[0];
    let (shape, axis) = (&input.shape, spec.axis);
    let (read, lens) = if matches!(&input.op, Op::Resident(r) if r.is_whole()) {
        (GatherRead::Resident, input.chunks.all_lens().to_vec())
    } else if input.nbytes() <= cx.options.gather_bytes {
        // Whole along every other axis, so each block is one C-order run of rows.
        let mut lens: Vec<Vec<usize>> = shape.iter().map(|&n| vec![n]).collect();
        lens[axis] = input.chunks.lens(axis).to_vec();
        if lens[axis].len() > MAX_RESIDENT_BLOCKS {
            lens[axis] = regular_lens(shape[axis], shape[axis].div_ceil(MAX_RESIDENT_BLOCKS))?;
        }
        (GatherRead::Resident, lens)
    } else {
        let mut lens = input.chunks.all_lens().to_vec();
        for l in &mut lens[axis + 1..axis + spec.naxes] {
            *l = vec![l.iter().sum()];
        }
        (GatherRead::Streaming, lens)
    };
    let input = rechunk_node(input, Chunks::new(lens)?, None);
    let op = Op::Gather {
        spec: spec.clone(),
        read,
    };
    Ok(Some(Node::new(
        op,
        vec![input],
        node.chunks.clone(),
        node.dtype,
    )))
}

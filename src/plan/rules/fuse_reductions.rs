//! Reduction fusion: a reduction whose axes are whole in every block of its
//! input is finished inside the task computing the block, with the
//! reductions below it whose axes are too (when nothing else reads them):
//! `x.sum_axis(2).mean_axis(1)` with axes 1 and 2 whole is one stage of
//! tasks, not a partial stage and a combine tree per reduction.

use std::sync::Arc;

use crate::error::Result;
use crate::expr::{BlockwiseReduce, Node, Op};
use crate::plan::rules::{Context, Rule};

/// The rule.
pub(super) const RULE: Rule = Rule {
    name: "reduction fusion",
    apply,
};

fn apply(node: &Arc<Node>, cx: &Context) -> Result<Option<Arc<Node>>> {
    let Op::Reduce(spec) = &node.op else {
        return Ok(None);
    };
    let input = &node.inputs[0];
    let whole = spec.axes.iter().all(|&a| input.chunks.lens(a).len() == 1);
    if !whole || spec.flat {
        return Ok(None);
    }
    let step = BlockwiseReduce {
        spec: spec.clone(),
        dtype: node.dtype,
        chunks: node.chunks.clone(),
    };
    let (mut chain, base) = match &input.op {
        Op::BlockwiseReduce(below) if cx.consumers(input) == 1 => {
            (below.clone(), input.inputs[0].clone())
        }
        _ => (Vec::new(), input.clone()),
    };
    chain.push(step);
    Ok(Some(Node::new(
        Op::BlockwiseReduce(chain),
        vec![base],
        node.chunks.clone(),
        node.dtype,
    )))
}

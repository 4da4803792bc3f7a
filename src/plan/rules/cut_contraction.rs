//! Contraction cut: when one product of a contraction (a block of each
//! operand, the result block and the kernel's copies) would hold more than a
//! task may ([`task_budget`]), the contracted axis with the longest blocks is
//! cut into nested pieces in both operands, until one product fits; lowering
//! then groups as many products per task as fit, so no task holds a whole
//! contracted axis that does not fit.

use std::sync::Arc;

use crate::chunks::{nested_lens, Chunks};
use crate::error::Result;
use crate::expr::{rechunk_node, Node, Op};
use crate::plan::contract::{product_bytes, task_budget};
use crate::plan::rules::{Context, Rule};

/// The rule.
pub(super) const RULE: Rule = Rule {
    name: "contraction cut",
    apply,
};

fn apply(node: &Arc<Node>, cx: &Context) -> Result<Option<Arc<Node>>> {
    let Op::Contract(spec) = &node.op else {
        return Ok(None);
    };
    let (a, b) = (&node.inputs[0], &node.inputs[1]);
    let itemsize = node.dtype.size();
    let (pair, fixed) = product_bytes(&a.chunks, &b.chunks, &node.chunks, itemsize);
    let budget = task_budget(cx.options);
    // What the operands and their layout copies may take besides the result.
    let room = budget.saturating_sub(fixed - pair);
    // Fits already; or the result block alone does not fit, which only
    // smaller output chunks (the caller's) would change.
    if fixed + pair <= budget || room == 0 {
        return Ok(None);
    }
    let Some(&(x, y)) = spec
        .contracted
        .iter()
        .max_by_key(|&&(x, _)| a.chunks.lens(x).iter().max().copied().unwrap_or(0))
    else {
        return Ok(None);
    };
    let longest = a.chunks.lens(x).iter().max().copied().unwrap_or(0);
    let pieces = (2 * pair).div_ceil(room) as usize;
    let most = longest.div_ceil(pieces.max(2));
    let lens = nested_lens(a.chunks.lens(x), most);
    if lens == a.chunks.lens(x) {
        return Ok(None);
    }
    let cut = |operand: &Arc<Node>, axis: usize| {
        let mut all = operand.chunks.all_lens().to_vec();
        all[axis] = lens.clone();
        rechunk_node(operand, Chunks::from_checked(all), None)
    };
    Ok(Some(Node::new(
        Op::Contract(spec.clone()),
        vec![cut(a, x), cut(b, y)],
        node.chunks.clone(),
        node.dtype,
    )))
}

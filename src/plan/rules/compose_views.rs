//! View composition: a view of a view is one view of the inner view's input,
//! so a chain of slices, flips and transposes is one region stage.

use std::sync::Arc;

use crate::error::Result;
use crate::expr::{Node, Op};
use crate::plan::rules::{Context, Rule};

/// The rule.
pub(super) const RULE: Rule = Rule {
    name: "view composition",
    apply,
};

fn apply(node: &Arc<Node>, _: &Context) -> Result<Option<Arc<Node>>> {
    let Op::View(outer) = &node.op else {
        return Ok(None);
    };
    let input = &node.inputs[0];
    let Op::View(inner) = &input.op else {
        return Ok(None);
    };
    let spec = Arc::new(outer.after(inner));
    let composed = Node::new(
        Op::View(spec),
        vec![input.inputs[0].clone()],
        node.chunks.clone(),
        node.dtype,
    );
    Ok(Some(composed))
}

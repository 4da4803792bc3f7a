//! Rechunk pushdown: a rechunk moves toward the leaves where that saves work.
//!
//! - a rechunk to the chunks its input already has is the input;
//! - an in-memory array is cut again instead of copied;
//! - a rechunk of an `insert_axis` view rechunks the viewed array, so the
//!   view stays fused into its consumer;
//! - a rechunk of a rechunk nothing else reads is one rechunk of the first's
//!   input (planned through intermediate chunks when the budget needs it).

use std::sync::Arc;

use crate::chunks::Chunks;
use crate::error::Result;
use crate::expr::{inserted_axes, rechunk_node, Node, Op};
use crate::plan::rules::{Context, Rule};

/// The rule.
pub(super) const RULE: Rule = Rule {
    name: "rechunk pushdown",
    apply,
};

fn apply(node: &Arc<Node>, cx: &Context) -> Result<Option<Arc<Node>>> {
    let Op::Rechunk { budget } = node.op else {
        return Ok(None);
    };
    let input = &node.inputs[0];
    if input.chunks == node.chunks {
        return Ok(Some(input.clone()));
    }
    let pushed = match &input.op {
        Op::Resident(r) if r.is_whole() => Node::new(
            Op::Resident(r.clone()),
            Vec::new(),
            node.chunks.clone(),
            node.dtype,
        ),
        Op::View(spec) if inserted_axes(input).is_some() => {
            let inserted = inserted_axes(input).unwrap_or_default();
            let lens: Vec<Vec<usize>> = (0..node.chunks.ndim())
                .filter(|a| !inserted.contains(a))
                .map(|a| node.chunks.lens(a).to_vec())
                .collect();
            let inner = rechunk_node(&input.inputs[0], Chunks::from_checked(lens), budget);
            Node::new(
                Op::View(spec.clone()),
                vec![inner],
                node.chunks.clone(),
                node.dtype,
            )
        }
        Op::Rechunk { budget: first } if cx.consumers(input) == 1 => {
            let budget = match (budget, *first) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            rechunk_node(&input.inputs[0], node.chunks.clone(), budget)
        }
        _ => return Ok(None),
    };
    Ok(Some(pushed))
}

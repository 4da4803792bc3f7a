//! Rewrites of the logical graph, applied before lowering: one file per rule,
//! applied from one list (`RULES`).
//!
//! Arrays are built as the user wrote them; the rules then rewrite the graph
//! bottom up. Each node's inputs are rewritten first, then the rules are
//! tried on the node in list order; when one fires, its result is rewritten
//! again (its own new inputs too), until none fires. A rule must make
//! progress (fewer nodes, or an op moved toward the leaves, or a decision
//! taken), so this ends; a node that takes more than [`MAX_FIRINGS`] is a
//! bug reported as an error. Shared nodes are rewritten once, so a graph
//! reusing a node costs one visit per node.
//!
//! A new rule is one file with a `Rule` constant, and one line in
//! `RULES`. `explain()` names the rules that fired ([`Plan::rules`]).
//!
//! ```
//! use ndchunk::prelude::*;
//! let x = ndchunk::ones::<f64>(&[8, 6], [4, 3])?;
//! // Two views, composed into one.
//! let y = x.flip(Axis(0))?.t();
//! assert!(y.explain().contains("view composition ×1"));
//! # Ok::<(), ndchunk::Error>(())
//! ```
//!
//! [`Plan::rules`]: crate::plan::Plan::rules

mod compose_views;
mod cut_contraction;
mod fuse_reductions;
mod gather_read;
mod push_rechunk;

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::config::PlanOptions;
use crate::error::{Error, Result};
use crate::expr::{consumer_counts, topological, Node, NodeId};
use crate::plan::lower::with_stack;

/// A rewrite: what replaces `node` (whose inputs are already rewritten), or
/// `None` when the rule does not apply.
pub(crate) type Rewrite = fn(node: &Arc<Node>, cx: &Context) -> Result<Option<Arc<Node>>>;

/// One rule.
pub(crate) struct Rule {
    /// The rule's name, as `explain()` prints it.
    pub name: &'static str,
    /// The rewrite.
    pub apply: Rewrite,
}

/// The rules, in the order they are tried on each node.
pub(crate) const RULES: [Rule; 5] = [
    compose_views::RULE,
    push_rechunk::RULE,
    gather_read::RULE,
    fuse_reductions::RULE,
    cut_contraction::RULE,
];

/// Most rules that may fire on one node before the rewrite is declared stuck.
pub const MAX_FIRINGS: usize = 64;

/// How often a rule fired while rewriting one graph.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fired {
    /// The rule's name.
    pub rule: String,
    /// Times it fired.
    pub times: usize,
}

/// What a rule may ask about the graph being rewritten.
pub(crate) struct Context<'a> {
    /// The options the graph is planned with.
    pub options: &'a PlanOptions,
    /// Consumers of each node (a root counts as one); nodes made by rules
    /// and absent here have one.
    consumers: HashMap<NodeId, usize>,
}

impl Context<'_> {
    /// How many nodes (and roots) use `node`'s value.
    pub fn consumers(&self, node: &Node) -> usize {
        self.consumers.get(&node.id).copied().unwrap_or(1)
    }
}

/// `roots` rewritten by [`RULES`], and the rules that fired (in list order).
pub(crate) fn rewrite(
    roots: &[Arc<Node>],
    options: &PlanOptions,
) -> Result<(Vec<Arc<Node>>, Vec<Fired>)> {
    let order = topological(roots);
    let consumers = consumer_counts(roots, &order);
    let mut rewriter = Rewriter {
        cx: Context { options, consumers },
        done: HashMap::with_capacity(order.len()),
        fired: [0; RULES.len()],
    };
    // Inputs before consumers: rewriting a node finds its inputs done, so
    // nothing recurses along the user's graph.
    for node in &order {
        rewriter.rewrite(node)?;
    }
    let roots = roots
        .iter()
        .map(|r| rewriter.rewrite(r))
        .collect::<Result<_>>()?;
    let fired = RULES
        .iter()
        .zip(rewriter.fired)
        .filter(|(_, times)| *times > 0)
        .map(|(rule, times)| Fired {
            rule: rule.name.into(),
            times,
        })
        .collect();
    Ok((roots, fired))
}

struct Rewriter<'a> {
    cx: Context<'a>,
    /// Each node seen, by id, and what it became (a rewritten node maps to
    /// itself, so a rule's result that reuses one is not visited again).
    done: HashMap<NodeId, Arc<Node>>,
    fired: [usize; RULES.len()],
}

impl Rewriter<'_> {
    /// `node` with every rule applied, below and at it.
    fn rewrite(&mut self, node: &Arc<Node>) -> Result<Arc<Node>> {
        match self.done.get(&node.id) {
            Some(done) => Ok(done.clone()),
            None => with_stack(|| self.rewrite_new(node)),
        }
    }

    /// [`Rewriter::rewrite`] for a node not seen yet: only nodes a rule has
    /// just made recurse, and those are shallow.
    fn rewrite_new(&mut self, node: &Arc<Node>) -> Result<Arc<Node>> {
        let mut current = self.over_rewritten_inputs(node)?;
        for _ in 0..MAX_FIRINGS {
            let Some((i, next)) = self.first_firing(&current)? else {
                self.record(node, &current);
                return Ok(current);
            };
            self.fired[i] += 1;
            // What the rule made may have new inputs: rewrite them too, then
            // try the rules again on the result.
            current = self.over_rewritten_inputs(&next)?;
        }
        Err(Error::invalid(
            "plan",
            format!(
                "the rewrite rules did not settle on {} after {MAX_FIRINGS} rewrites",
                node.label()
            ),
        ))
    }

    /// `node` over its inputs rewritten: `node` itself when none changed.
    fn over_rewritten_inputs(&mut self, node: &Arc<Node>) -> Result<Arc<Node>> {
        let inputs = node
            .inputs
            .iter()
            .map(|i| self.rewrite(i))
            .collect::<Result<Vec<_>>>()?;
        let unchanged = inputs.iter().zip(&node.inputs).all(|(a, b)| a.id == b.id);
        Ok(if unchanged {
            node.clone()
        } else {
            node.with_inputs(inputs)
        })
    }

    /// The first rule (its index) that rewrites `node`, and its result.
    fn first_firing(&self, node: &Arc<Node>) -> Result<Option<(usize, Arc<Node>)>> {
        for (i, rule) in RULES.iter().enumerate() {
            if let Some(next) = (rule.apply)(node, &self.cx)? {
                return Ok(Some((i, next)));
            }
        }
        Ok(None)
    }

    /// Notes that `node` became `result`: `result`'s consumers now include
    /// `node`'s (counting the replaced node too when `result` already
    /// existed, which errs toward sharing).
    fn record(&mut self, node: &Arc<Node>, result: &Arc<Node>) {
        if node.id != result.id {
            let theirs = self.cx.consumers(node);
            let count = match self.cx.consumers.get(&result.id) {
                Some(c) => c + theirs,
                None => theirs,
            };
            self.cx.consumers.insert(result.id, count);
        }
        self.done.insert(node.id, result.clone());
        self.done.insert(result.id, result.clone());
    }
}

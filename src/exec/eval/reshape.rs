//! Evaluates blockwise reshapes.

use std::sync::Arc;

use ndarray::IxDyn;

use crate::element::Element;
use crate::error::{Error, Result};
use crate::exec::Value;
use crate::plan::reshape::ReshapeStage;

/// Output block `block` of reshape stage `r`: its input block with the output
/// block's shape (C order).
pub fn reshape(r: &ReshapeStage, block: &[usize], deps: Vec<Arc<Value>>) -> Result<Value> {
    let dep = deps
        .into_iter()
        .next()
        .ok_or_else(|| Error::invalid("reshape", "no input block"))?;
    let input = Value::take_block(dep, "reshape")?;
    let shape = r.to.block_shape(block);
    dyn_match!(input, a: T => {
        let a = if a.is_standard_layout() { a } else { a.as_standard_layout().into_owned() };
        a.into_shape_with_order(IxDyn(&shape))
            .map(|b| Value::Block(T::wrap(b)))
            .map_err(|e| Error::invalid("reshape", format!("block {block:?}: {e}")))
    })
}

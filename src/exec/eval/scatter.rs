//! Scatter steps and extraction of a streaming gather.
//!
//! A group buffer is C-order `(outer, positions, inner)`: `outer` the elements of
//! the outer block (axes before the gathered ones), `inner` those of the inner
//! block (axes after them). Each step copies the rows of one source block into
//! the positions that need them; the buffer moves from step to step without a copy
//! (the step is its previous step's only consumer).

use std::sync::Arc;

use ndarray::{ArrayD, IxDyn};

use crate::block::DynArray;
use crate::element::{DType, Element};
use crate::error::{Error, Result};
use crate::exec::Value;
use crate::plan::scatter::{row_factor, ExtractStage, ScatterStage};

fn not_a_block(op: &str) -> Error {
    Error::invalid(op, "input is not a block")
}

/// Runs the chain step of `sc` at `block` (outer blocks, group, source block,
/// inner blocks); `deps` are the previous step (if any) and the source block.
pub fn scatter_step(
    sc: &ScatterStage,
    dtype: DType,
    block: &[usize],
    deps: Vec<Arc<Value>>,
) -> Result<Value> {
    let (a, naxes) = (sc.spec.axis, sc.spec.naxes);
    let (g, s) = (block[a], block[a + 1]);
    let group = &sc.groups[g];
    let mut deps = deps.into_iter();
    let (prev, source) = match (deps.next(), deps.next(), deps.next()) {
        (Some(prev), Some(source), None) => (Some(prev), source),
        (Some(source), None, None) => (None, source),
        _ => {
            return Err(Error::invalid(
                "gather.scatter",
                "expects one or two inputs",
            ))
        }
    };
    let Value::Block(src) = &*source else {
        return Err(not_a_block("gather.scatter"));
    };
    let src_shape = src.shape().to_vec();
    let outer: usize = src_shape[..a].iter().product();
    let inner: usize = src_shape[a + naxes..].iter().product();
    let rows_here: usize = src_shape[a..a + naxes].iter().product();
    let positions = group.positions.len();
    let factor = row_factor(&sc.spec, &sc.source.shape()).max(1);
    let row0 = sc.source.offsets(a)[s];
    let order = group
        .order
        .range(group.offsets[s] as usize..group.offsets[s + 1] as usize)?;
    let index = sc.spec.index.range(group.positions.clone())?;
    let mut buffer = match prev {
        Some(p) => Value::take_block(p, "gather.scatter")?,
        None => DynArray::zeros(dtype, &[outer, positions, inner]),
    };
    dyn_match!(&mut buffer, dst: T => {
        let src = T::unwrap_ref(src).and_then(|x| x.as_slice()).ok_or_else(|| not_a_block("gather.scatter"))?;
        let dst = dst.as_slice_mut().ok_or_else(|| not_a_block("gather.scatter"))?;
        for &k in order.iter() {
            let k = k as usize;
            let l = index[k];
            let local = (l / factor - row0) * factor + l % factor;
            for o in 0..outer {
                let from = (o * rows_here + local) * inner;
                let to = (o * positions + k) * inner;
                dst[to..to + inner].copy_from_slice(&src[from..from + inner]);
            }
        }
    });
    Ok(Value::Block(buffer))
}

/// Cuts output block `block` out of its group's buffer (`deps[0]`, absent for a
/// group with no positions).
pub fn extract(
    ex: &ExtractStage,
    dtype: DType,
    block: &[usize],
    deps: &[Arc<Value>],
) -> Result<Value> {
    let shape = ex.out.block_shape(block);
    let Some(dep) = deps.first() else {
        return Ok(Value::Block(DynArray::zeros(dtype, &shape)));
    };
    let Value::Block(buffer) = &**dep else {
        return Err(not_a_block("gather.extract"));
    };
    let (a, k) = (ex.spec.axis, ex.spec.index_shape.len());
    let chunk = if k == 0 { 0 } else { block[a] };
    let group = &ex.groups[ex.groups.partition_point(|grp| grp.chunks.end <= chunk)];
    let per_row: usize = ex.spec.index_shape.iter().skip(1).product::<usize>().max(1);
    let start: usize =
        ex.out.offsets(a).get(chunk).copied().unwrap_or(0) * per_row - group.positions.start;
    let count: usize = shape[a..a + k].iter().product();
    let [outer, positions, inner] = buffer.shape() else {
        return Err(Error::invalid("gather.extract", "group buffer is not 3-d"));
    };
    let (outer, positions, inner) = (*outer, *positions, *inner);
    dyn_match!(buffer, b: T => {
        let data = b.as_slice().ok_or_else(|| not_a_block("gather.extract"))?;
        let mut out: Vec<T> = Vec::with_capacity(outer * count * inner);
        for o in 0..outer {
            let from = (o * positions + start) * inner;
            out.extend_from_slice(&data[from..from + count * inner]);
        }
        ArrayD::from_shape_vec(IxDyn(&shape), out)
            .map(|x| Value::Block(T::wrap(x)))
            .map_err(|e| Error::invalid("gather.extract", e.to_string()))
    })
}

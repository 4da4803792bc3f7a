//! Evaluates the stages that move values: views, concatenation, reshapes.

use std::ops::Range;
use std::sync::Arc;

use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn, SliceInfoElem};

use crate::block::DynArray;
use crate::element::{DType, Element};
use crate::error::{Error, Result};
use crate::exec::Value;
use crate::expr::{ViewAxis, ViewSpec};
use crate::plan::layout::{ReshapeStage, ViewStage};

/// Block `block` of view stage `v`, from the input blocks it overlaps (`deps`, in
/// C order of [`ViewStage::input_ranges`]) or from the in-memory input.
pub fn view(v: &ViewStage, dtype: DType, block: &[usize], deps: &[Arc<Value>]) -> Result<Value> {
    let out = v.to.block_ranges(block);
    let shape: Vec<usize> = out.iter().map(Range::len).collect();
    let inputs: Vec<(Vec<Range<usize>>, &DynArray)> = match &v.memory {
        Some(arr) => vec![(v.from.block_ranges(&vec![0; v.from.ndim()]), &**arr)],
        None => v
            .input_blocks(block)
            .iter()
            .zip(deps)
            .map(|(idx, dep)| match &**dep {
                Value::Block(b) => Ok((v.from.block_ranges(idx), b)),
                _ => Err(Error::invalid(&v.spec.origin, "input is not a block")),
            })
            .collect::<Result<_>>()?,
    };
    with_dtype!(dtype, T => {
        let mut result: Option<ArrayD<T>> = None;
        let whole = inputs.len() == 1;
        for (in_ranges, data) in inputs {
            let data = T::unwrap_ref(data).ok_or_else(|| Error::DtypeMismatch {
                op: v.spec.origin.clone(),
                expected: T::DTYPE.to_string(),
                found: data.dtype().to_string(),
            })?;
            let Some((dst, piece)) = piece(&v.spec, &out, &in_ranges, data.view())? else {
                continue;
            };
            if whole && dst.iter().zip(&shape).all(|(r, &n)| r.len() == n) {
                let full = piece.broadcast(IxDyn(&shape)).ok_or_else(|| {
                    Error::invalid(&v.spec.origin, "piece does not broadcast to its block")
                })?;
                return Ok(Value::Block(T::wrap(full.as_standard_layout().into_owned())));
            }
            let target = result.get_or_insert_with(|| ArrayD::<T>::default(IxDyn(&shape)));
            let info: Vec<SliceInfoElem> = dst.iter().map(|r| SliceInfoElem::from(r.clone())).collect();
            target.slice_mut(info.as_slice()).assign(&piece);
        }
        Ok(Value::Block(T::wrap(result.unwrap_or_else(|| ArrayD::<T>::default(IxDyn(&shape))))))
    })
}

/// Where in the output block a piece goes, and its values.
type Piece<'a, T> = (Vec<Range<usize>>, ArrayViewD<'a, T>);

/// The part of output box `out` that input block `data` (covering `in_ranges`
/// of the input) supplies: its place in the output block, and the values as a
/// view that broadcasts to that place. `None` when the block supplies nothing.
fn piece<'a, T: Element>(
    spec: &ViewSpec,
    out: &[Range<usize>],
    in_ranges: &[Range<usize>],
    data: ArrayViewD<'a, T>,
) -> Result<Option<Piece<'a, T>>> {
    let mut dst = Vec::with_capacity(out.len());
    let mut info = vec![SliceInfoElem::from(..); spec.input_ndim];
    // Output axes reading an input axis, in output order.
    let mut read: Vec<usize> = Vec::new();
    for (j, axis) in spec.axes.iter().enumerate() {
        let here = match *axis {
            ViewAxis::Input { axis, start, step } => {
                let within = spec.output_within(j, &out[j], &in_ranges[axis]);
                if within.is_empty() && !out[j].is_empty() {
                    return Ok(None);
                }
                let base = in_ranges[axis].start as isize;
                let at = |i: usize| start as isize + step * i as isize - base;
                info[axis] = if within.is_empty() {
                    SliceInfoElem::from(0..0)
                } else {
                    let (first, last) = (at(within.start), at(within.end - 1));
                    match step {
                        0 => SliceInfoElem::from(first..first + 1),
                        s if s > 0 => SliceInfoElem::Slice {
                            start: first,
                            end: Some(last + 1),
                            step: s,
                        },
                        s => SliceInfoElem::Slice {
                            start: last,
                            end: Some(first + 1),
                            step: s,
                        },
                    }
                };
                read.push(axis);
                within
            }
            ViewAxis::New => out[j].clone(),
        };
        dst.push(here.start - out[j].start..here.end - out[j].start);
    }
    for &(axis, i) in &spec.fixed {
        let local = i - in_ranges[axis].start;
        info[axis] = SliceInfoElem::Index(local as isize);
    }
    let sliced = data.slice_move(info.as_slice());
    // `sliced` has the read input axes in input order; put them in output order.
    let mut order: Vec<usize> = read.clone();
    order.sort_unstable();
    let perm: Vec<usize> = read
        .iter()
        .map(|a| order.binary_search(a).unwrap_or(0))
        .collect();
    let mut view = sliced.permuted_axes(IxDyn(&perm));
    for (j, axis) in spec.axes.iter().enumerate() {
        if matches!(axis, ViewAxis::New) {
            view.insert_axis_inplace(Axis(j));
        }
    }
    Ok(Some((dst, view)))
}

/// Output block of a concatenation: its one input block, moved when this task
/// is its last consumer.
pub fn concat(deps: Vec<Arc<Value>>) -> Result<Value> {
    let dep = deps
        .into_iter()
        .next()
        .ok_or_else(|| Error::invalid("concatenate", "no input block"))?;
    Ok(Value::Block(Value::take_block(dep, "concatenate")?))
}

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

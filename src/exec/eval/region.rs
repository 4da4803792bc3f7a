//! Assembles an output block of a region stage (rechunk, view, pad, join,
//! overlap, trim) from
//! the input blocks its box overlaps, filling what lies beyond the input's
//! edges by the stage's boundary rule.

use std::mem::MaybeUninit;
use std::ops::Range;
use std::sync::Arc;

use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn, SliceInfoElem};

use crate::block::DynArray;
use crate::element::{DType, Element};
use crate::error::{Error, Result};
use crate::exec::Value;
use crate::expr::{Boundary, ViewAxis, ViewSpec};
use crate::huge_pages;
use crate::plan::region::RegionStage;
use crate::plan::Source;

/// An input block the task reads: its ranges in input indices, the array
/// holding it, and its ranges in that array.
type Input<'a> = (Vec<Range<usize>>, &'a DynArray, Vec<Range<usize>>);

/// Values and the ranges (of the view's input) they cover.
type Located<'a, T> = (Vec<Range<usize>>, ArrayViewD<'a, T>);

/// Runs `r` at `block`; `deps` are the blocks [`RegionStage::reads`] names,
/// in its order.
pub fn run(r: &RegionStage, dtype: DType, block: &[usize], deps: Vec<Arc<Value>>) -> Result<Value> {
    let out = r.to.block_ranges(block);
    let shape: Vec<usize> = out.iter().map(Range::len).collect();
    let Some(grown) = r.grown_box(block) else {
        return Ok(Value::Block(DynArray::zeros(dtype, &shape)));
    };
    if r.passes_through(block) {
        let dep = deps.into_iter().next().ok_or_else(|| missing(r, block))?;
        return Ok(Value::Block(Value::take_block(dep, &r.spec.origin)?));
    }
    let mut deps = deps.iter();
    let mut inputs: Vec<Input> = Vec::new();
    for idx in r.input_blocks(block) {
        let ranges = r.from.block_ranges(&idx);
        let (k, _, start) = r.source_of(&idx);
        let found = match &r.sources[k] {
            Source::Stage(_) => match deps.next().map(|d| &**d) {
                Some(Value::Block(b)) => {
                    let whole = b.shape().iter().map(|&n| 0..n).collect();
                    (b, whole)
                }
                _ => return Err(missing(r, block)),
            },
            Source::Resident(res) => {
                let mut local = ranges.clone();
                if let Some(join) = &r.join {
                    let a = join.axis;
                    local[a] = local[a].start - start..local[a].end - start;
                }
                res.locate(&local)?
            }
        };
        inputs.push((ranges, found.0, found.1));
    }
    // Where the pieces go: the output block's own range, or for boxes given
    // per block (whose view is the identity) the box itself.
    let target = match r.boxes {
        Some(_) => grown.clone(),
        None => out,
    };
    with_dtype!(dtype, T => {
        let views = typed_views::<T>(&r.spec.origin, &inputs)?;
        let assembled = match r.interior(&grown) {
            // Inside the input: each block's piece goes straight to the output.
            Some(_) => {
                let shifted = views
                    .into_iter()
                    .map(|(ranges, v)| {
                        let at = ranges
                            .iter()
                            .enumerate()
                            .map(|(axis, x)| x.start + r.before(axis)..x.end + r.before(axis))
                            .collect();
                        (at, v)
                    })
                    .collect::<Vec<_>>();
                assemble(&r.spec, &target, &shifted)?
            }
            // Beyond an edge: the grown box first, then the view of it.
            None => {
                let grown_values = grow::<T>(r, &grown, &views)?;
                assemble(&r.spec, &target, &[(grown, grown_values.view())])?
            }
        };
        Ok(Value::Block(T::wrap(assembled)))
    })
}

fn missing(r: &RegionStage, block: &[usize]) -> Error {
    Error::invalid(
        &r.spec.origin,
        format!("an input block of output block {block:?} is missing"),
    )
}

/// The inputs as typed views of their ranges.
fn typed_views<'a, T: Element>(op: &str, inputs: &[Input<'a>]) -> Result<Vec<Located<'a, T>>> {
    inputs
        .iter()
        .map(|(ranges, data, local)| {
            let a = T::unwrap_ref(data).ok_or_else(|| Error::DtypeMismatch {
                op: op.into(),
                expected: T::DTYPE.to_string(),
                found: data.dtype().to_string(),
            })?;
            Ok((ranges.clone(), a.slice(slice_info(local).as_slice())))
        })
        .collect()
}

/// The output block covering `out`, made of the pieces the inputs (each
/// covering its ranges of the view's input) supply, each written once into a
/// fresh buffer (advised for huge pages, never zero-filled).
fn assemble<T: Element>(
    spec: &ViewSpec,
    out: &[Range<usize>],
    inputs: &[Located<T>],
) -> Result<ArrayD<T>> {
    let shape: Vec<usize> = out.iter().map(Range::len).collect();
    let n: usize = shape.iter().product();
    let mut buf: Vec<MaybeUninit<T>> = Vec::with_capacity(n);
    huge_pages::advise(&mut buf);
    buf.resize_with(n, MaybeUninit::uninit);
    let mut block = ArrayD::from_shape_vec(IxDyn(&shape), buf)
        .map_err(|e| Error::invalid(&spec.origin, e.to_string()))?;
    let mut written = 0;
    for (ranges, data) in inputs {
        let Some((dst, values)) = piece(spec, out, ranges, data.view()) else {
            continue;
        };
        let dst_shape: Vec<usize> = dst.iter().map(Range::len).collect();
        let values = values.broadcast(IxDyn(&dst_shape)).ok_or_else(|| {
            Error::invalid(&spec.origin, "a piece does not broadcast to its place")
        })?;
        values.assign_to(block.slice_mut(slice_info(&dst).as_slice()));
        written += dst_shape.iter().product::<usize>();
    }
    if written != n {
        return Err(Error::invalid(
            &spec.origin,
            format!("the input blocks cover {written} of the block's {n} elements"),
        ));
    }
    // SAFETY: every element was written. Along each axis the input blocks
    // are consecutive and the output indices each supplies partition the
    // output range, so the pieces tile the block without overlap, and they
    // were counted above.
    Ok(unsafe { block.assume_init() })
}

/// The part of output box `out` that `data` (covering `in_ranges` of the
/// view's input) supplies: its place in the output block, and the values as
/// a view that broadcasts to that place (the ranges are the place's, in the
/// output block). `None` when it supplies nothing.
fn piece<'a, T: Element>(
    spec: &ViewSpec,
    out: &[Range<usize>],
    in_ranges: &[Range<usize>],
    data: ArrayViewD<'a, T>,
) -> Option<Located<'a, T>> {
    let mut dst = Vec::with_capacity(out.len());
    let mut info = vec![SliceInfoElem::from(..); spec.input_ndim];
    // Output axes reading an input axis, in output order.
    let mut read: Vec<usize> = Vec::new();
    for (j, axis) in spec.axes.iter().enumerate() {
        let here = match *axis {
            ViewAxis::Input { axis, start, step } => {
                let within = spec.output_within(j, &out[j], &in_ranges[axis]);
                if within.is_empty() {
                    return None;
                }
                let base = in_ranges[axis].start as isize;
                let at = |i: usize| start as isize + step * i as isize - base;
                let (first, last) = (at(within.start), at(within.end - 1));
                info[axis] = match step {
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
                };
                read.push(axis);
                within
            }
            ViewAxis::New => out[j].clone(),
        };
        dst.push(here.start - out[j].start..here.end - out[j].start);
    }
    for &(axis, i) in &spec.fixed {
        if !in_ranges[axis].contains(&i) {
            return None;
        }
        info[axis] = SliceInfoElem::Index((i - in_ranges[axis].start) as isize);
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
    Some((dst, view))
}

/// The values of the grown input over the box `grown`: the inputs where it
/// lies inside, the boundary rule beyond.
fn grow<T: Element>(
    r: &RegionStage,
    grown: &[Range<usize>],
    inputs: &[Located<T>],
) -> Result<ArrayD<T>> {
    let shape: Vec<usize> = grown.iter().map(Range::len).collect();
    let rules = r.pad.as_ref().map_or(&[][..], |p| &p.rules[..]);
    let rule = |axis: usize| rules.get(axis).copied().unwrap_or(Boundary::Edge);
    if let Some(&Boundary::Constant(v)) = rules.first() {
        if rules.iter().all(|&r| r == Boundary::Constant(v)) {
            return Ok(constant_grown(r, grown, &shape, v.cast::<T>(), inputs));
        }
    }
    // The inputs' hull, then axis after axis the indices the rule reads
    // (a constant where it reads none).
    let hull = r
        .source_box(grown)
        .ok_or_else(|| Error::invalid(&r.spec.origin, "a padded block reads no input"))?;
    let identity = ViewSpec::identity(hull.len(), &r.spec.origin);
    let mut values = assemble(&identity, &hull, inputs)?;
    for (axis, g) in grown.iter().enumerate() {
        let (before, n) = (r.before(axis) as isize, r.from.shape()[axis]);
        let picks: Vec<Option<usize>> = g
            .clone()
            .map(|c| {
                rule(axis)
                    .source_index(c as isize - before, n)
                    .map(|i| i - hull[axis].start)
            })
            .collect();
        if picks.iter().all(Option::is_some) {
            let picks: Vec<usize> = picks.into_iter().flatten().collect();
            let unchanged = picks.len() == values.shape()[axis]
                && picks.iter().enumerate().all(|(k, &i)| k == i);
            if !unchanged {
                values = values.select(Axis(axis), &picks);
            }
            continue;
        }
        let Boundary::Constant(v) = rule(axis) else {
            return Err(Error::invalid(
                &r.spec.origin,
                format!("axis {axis} has no values to repeat"),
            ));
        };
        let mut along = values.shape().to_vec();
        along[axis] = picks.len();
        let mut filled = ArrayD::from_elem(IxDyn(&along), v.cast::<T>());
        for (k, pick) in picks.iter().enumerate() {
            if let Some(i) = pick {
                filled
                    .index_axis_mut(Axis(axis), k)
                    .assign(&values.index_axis(Axis(axis), *i));
            }
        }
        values = filled;
    }
    Ok(values)
}

/// The grown box `grown` (of `shape`) where every axis's rule is the
/// constant `v`: `v` everywhere, then each input's overlap with the box.
fn constant_grown<T: Element>(
    r: &RegionStage,
    grown: &[Range<usize>],
    shape: &[usize],
    v: T,
    inputs: &[Located<T>],
) -> ArrayD<T> {
    let mut values = ArrayD::from_elem(IxDyn(shape), v);
    for (ranges, data) in inputs {
        let mut src = Vec::with_capacity(shape.len());
        let mut dst = Vec::with_capacity(shape.len());
        for (axis, (g, i)) in grown.iter().zip(ranges).enumerate() {
            let before = r.before(axis);
            let (lo, hi) = (g.start.max(i.start + before), g.end.min(i.end + before));
            src.push(lo - before - i.start..hi.max(lo) - before - i.start);
            dst.push(lo - g.start..hi.max(lo) - g.start);
        }
        values
            .slice_mut(slice_info(&dst).as_slice())
            .assign(&data.slice(slice_info(&src).as_slice()));
    }
    values
}

pub(crate) fn slice_info(ranges: &[Range<usize>]) -> Vec<SliceInfoElem> {
    ranges
        .iter()
        .map(|r| SliceInfoElem::from(ndarray::Slice::from(r.clone())))
        .collect()
}

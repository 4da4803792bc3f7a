//! Block-map stages: a user function or a built-in kernel applied to one
//! block of each input, its result checked against the output's chunks.

use std::sync::Arc;

use ndarray::{ArrayD, Axis};

use crate::block::DynArray;
use crate::chunks::Chunks;
use crate::element::{DType, Element, NumElement};
use crate::error::{Error, Result};
use crate::exec::eval::{counting, order, radix};
use crate::exec::Value;
use crate::expr::{BlockMap, BlockOp, Kernel, ScanKind, ScanSpec};
use crate::plan::{Operand, Source};

/// Runs `map` at `block`; `deps` are the blocks of the inputs computed by
/// stages ([`crate::plan::StageKind::reads`] names them, in order), and
/// resident inputs are read in place.
pub fn run(
    map: &BlockMap,
    chunks: &Chunks,
    inputs: &[Operand],
    dtype: DType,
    block: &[usize],
    deps: Vec<Arc<Value>>,
) -> Result<Value> {
    let name = map.f.name();
    if let BlockOp::Kernel(Kernel::Radix(pass)) = &map.f {
        // Reads its block once, so a resident one is not copied.
        let at = map.input_block(0, block);
        let out = match (
            inputs.first().map(|i| &i.source),
            deps.first().map(|d| &**d),
        ) {
            (Some(Source::Resident(r)), _) => {
                let (array, local) = r.locate(&inputs[0].chunks.block_ranges(&at))?;
                radix::radix_pass(pass, array, Some(&local), at[pass.axis])?
            }
            (_, Some(Value::Block(b))) => radix::radix_pass(pass, b, None, at[pass.axis])?,
            _ => return Err(missing(&name)),
        };
        return checked(&name, out, chunks, dtype, block);
    }
    let deps = with_residents(map, inputs, block, deps)?;
    let out = match &map.f {
        BlockOp::User(f) => {
            let inputs = deps
                .iter()
                .map(|d| match &**d {
                    Value::Block(b) => Ok(b),
                    _ => Err(Error::invalid(&name, "an input is not a block")),
                })
                .collect::<Result<Vec<&DynArray>>>()?;
            (f.f)(block, &inputs)?
        }
        BlockOp::Kernel(Kernel::Sort { axis, arg }) => {
            order::sort_lanes(first_block(&deps, &name)?, *axis, *arg)
        }
        BlockOp::Kernel(Kernel::BucketCounts(splitters)) => {
            order::bucket_counts(splitters, first_block(&deps, &name)?, block[0])?
        }
        BlockOp::Kernel(Kernel::Quantile {
            axis,
            q,
            q_axis,
            nan,
            median,
        }) => {
            let lanes = order::Lanes {
                axis: *axis,
                nan: *nan,
                median: *median,
            };
            order::quantiles(first_block(&deps, &name)?, &lanes, q, *q_axis, dtype)?
        }
        BlockOp::Kernel(Kernel::Radix(_)) => {
            return Err(Error::invalid(&name, "a radix pass out of place"))
        }
        BlockOp::Kernel(Kernel::SearchSorted { right }) => match deps.as_slice() {
            [a, v] => match (&**a, &**v) {
                (Value::Block(a), Value::Block(v)) => order::search_counts(a, v, *right)?,
                _ => return Err(missing(&name)),
            },
            _ => return Err(missing(&name)),
        },
        BlockOp::Kernel(Kernel::Histogram { edges, weighted }) => {
            let (x, w) = one_or_two(&deps, *weighted, &name)?;
            counting::histogram(x, edges, w)?
        }
        BlockOp::Kernel(Kernel::Histogram2d { x_edges, y_edges }) => {
            match one_or_two(&deps, true, &name)? {
                (x, Some(y)) => counting::histogram2d(x, y, x_edges, y_edges)?,
                _ => return Err(missing(&name)),
            }
        }
        BlockOp::Kernel(Kernel::BinCount { len, weighted }) => {
            let (x, w) = one_or_two(&deps, *weighted, &name)?;
            counting::bincount(x, *len, w)?
        }
        BlockOp::Kernel(Kernel::IsIn { invert }) => match one_or_two(&deps, true, &name)? {
            (test, Some(x)) => counting::isin(test, x, *invert)?,
            _ => return Err(missing(&name)),
        },
        BlockOp::Kernel(Kernel::Scan(spec)) => {
            let mut deps = deps.into_iter();
            let x = deps.next().ok_or_else(|| missing(&name))?;
            let carry = deps.next();
            let x = Value::take_block(x, &name)?;
            let carry = match carry.as_deref() {
                Some(Value::Block(c)) => Some(c),
                Some(_) => return Err(missing(&name)),
                None => None,
            };
            scan(spec, x.into_dtype(dtype), carry)?
        }
    };
    checked(&name, out, chunks, dtype, block)
}

/// `out` as output block `block`, if it has the block's shape and `dtype`.
fn checked(
    name: &str,
    out: DynArray,
    chunks: &Chunks,
    dtype: DType,
    block: &[usize],
) -> Result<Value> {
    let expected = chunks.block_shape(block);
    if out.shape() != expected.as_slice() || out.dtype() != dtype {
        return Err(Error::BlockShape {
            op: format!("{name} (dtype {dtype}, got {})", out.dtype()),
            block: block.to_vec(),
            expected,
            found: out.shape().to_vec(),
        });
    }
    Ok(Value::Block(out))
}

/// One block per input, in the map's order: the dependencies for inputs
/// computed by stages, copies of their boxes for resident ones.
fn with_residents(
    map: &BlockMap,
    inputs: &[Operand],
    block: &[usize],
    deps: Vec<Arc<Value>>,
) -> Result<Vec<Arc<Value>>> {
    let mut deps = deps.into_iter();
    inputs
        .iter()
        .enumerate()
        .map(|(k, input)| match &input.source {
            Source::Stage(_) => deps.next().ok_or_else(|| missing(&map.f.name())),
            Source::Resident(r) => {
                let (array, local) =
                    r.locate(&input.chunks.block_ranges(&map.input_block(k, block)))?;
                let whole = local
                    .iter()
                    .zip(array.shape())
                    .all(|(r, &n)| r.start == 0 && r.end == n);
                Ok(Arc::new(Value::Block(match whole {
                    true => array.clone(),
                    false => array.region(&local),
                })))
            }
        })
        .collect()
}

fn first_block<'a>(deps: &'a [Arc<Value>], name: &str) -> Result<&'a DynArray> {
    match deps.first().map(|d| &**d) {
        Some(Value::Block(b)) => Ok(b),
        _ => Err(missing(name)),
    }
}

/// The first input block, and the second when `two`.
fn one_or_two<'a>(
    deps: &'a [Arc<Value>],
    two: bool,
    name: &str,
) -> Result<(&'a DynArray, Option<&'a DynArray>)> {
    let first = first_block(deps, name)?;
    if !two {
        return Ok((first, None));
    }
    match deps.get(1).map(|d| &**d) {
        Some(Value::Block(b)) => Ok((first, Some(b))),
        _ => Err(missing(name)),
    }
}

fn missing(name: &str) -> Error {
    Error::invalid(name, "an input block is missing")
}

/// `x` scanned along the spec's axis in place, started from `carry` (one
/// element along the axis) or the identity.
fn scan(spec: &ScanSpec, x: DynArray, carry: Option<&DynArray>) -> Result<DynArray> {
    let dtype = x.dtype();
    with_num_dtype!(dtype, T => {
        let x = T::unwrap(x).map_err(|_| Error::invalid("scan", "block of the wrong dtype"))?;
        let carry = match carry {
            Some(c) => Some(T::unwrap_ref(c).ok_or_else(|| Error::DtypeMismatch {
                op: "scan carry".into(),
                expected: dtype.to_string(),
                found: c.dtype().to_string(),
            })?),
            None => None,
        };
        Ok(T::wrap(scan_typed(spec, x, carry)?))
    }, else => Err(Error::invalid("scan", format!("no scan of {dtype}"))))
}

fn scan_typed<T: NumElement>(
    spec: &ScanSpec,
    x: ArrayD<T>,
    carry: Option<&ArrayD<T>>,
) -> Result<ArrayD<T>> {
    let shape = x.shape().to_vec();
    let axis = spec.axis;
    let n = shape[axis];
    let outer: usize = shape[..axis].iter().product();
    let inner: usize = shape[axis + 1..].iter().product();
    let mut x = if x.is_standard_layout() {
        x
    } else {
        x.as_standard_layout().into_owned()
    };
    let identity = match spec.kind {
        ScanKind::Sum => T::zero(),
        ScanKind::Prod => T::one(),
    };
    let start: Vec<T> = match carry {
        Some(c) => {
            if c.len_of(Axis(axis)) != 1 || c.len() != outer * inner {
                return Err(Error::invalid(
                    "scan",
                    format!(
                        "carry of shape {:?} for a block of shape {shape:?}",
                        c.shape()
                    ),
                ));
            }
            c.iter().copied().collect()
        }
        None => vec![identity; outer * inner],
    };
    let combine = match spec.kind {
        ScanKind::Sum => <T as NumElement>::add,
        ScanKind::Prod => <T as NumElement>::mul,
    };
    let data = x
        .as_slice_mut()
        .ok_or_else(|| Error::invalid("scan", "block is not contiguous"))?;
    let mut acc = vec![identity; inner];
    for o in 0..outer {
        acc.copy_from_slice(&start[o * inner..(o + 1) * inner]);
        for i in 0..n {
            let row = &mut data[(o * n + i) * inner..(o * n + i + 1) * inner];
            if spec.exclusive {
                for (a, v) in acc.iter_mut().zip(row.iter_mut()) {
                    let next = combine(*a, *v);
                    *v = *a;
                    *a = next;
                }
            } else {
                for (a, v) in acc.iter_mut().zip(row.iter_mut()) {
                    *a = combine(*a, *v);
                    *v = *a;
                }
            }
        }
    }
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(axis: usize, kind: ScanKind, exclusive: bool) -> ScanSpec {
        ScanSpec {
            axis,
            kind,
            exclusive,
        }
    }

    #[test]
    fn scans_any_axis_from_a_carry() {
        let x = ndarray::arr2(&[[1i64, 2, 3], [4, 5, 6]]).into_dyn();
        let rows = scan_typed(&spec(0, ScanKind::Sum, false), x.clone(), None).unwrap();
        assert_eq!(rows, ndarray::arr2(&[[1, 2, 3], [5, 7, 9]]).into_dyn());
        let carry = ndarray::arr2(&[[10i64], [20]]).into_dyn();
        let cols = scan_typed(&spec(1, ScanKind::Prod, false), x.clone(), Some(&carry)).unwrap();
        assert_eq!(
            cols,
            ndarray::arr2(&[[10, 20, 60], [80, 400, 2400]]).into_dyn()
        );
        let excl = scan_typed(&spec(1, ScanKind::Sum, true), x, Some(&carry)).unwrap();
        assert_eq!(
            excl,
            ndarray::arr2(&[[10, 11, 13], [20, 24, 29]]).into_dyn()
        );
    }

    #[test]
    fn a_carry_of_the_wrong_shape_is_an_error() {
        let x = ndarray::arr2(&[[1.0f64, 2.0]]).into_dyn();
        let carry = ndarray::arr2(&[[1.0f64, 2.0]]).into_dyn();
        assert!(scan_typed(&spec(1, ScanKind::Sum, false), x, Some(&carry)).is_err());
    }
}

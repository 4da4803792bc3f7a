//! Reduction states: what one position of a partial reduction holds, how two
//! states merge, and how a state becomes the NumPy result.

use ndarray::ArrayD;
use ndchunk_kernels::minmax::{arg_extreme, extreme, nan_extreme, Extreme};
use ndchunk_kernels::moments::Moments;
use ndchunk_kernels::sum;
use serde::{Deserialize, Serialize};

use crate::block::DynArray;
use crate::element::{DType, Element, NumElement, Scalar};
use crate::error::{Error, Result};
use crate::expr::{ReduceKind, ReduceSpec};

/// [`Moments`] as serde sees it (the kernels crate has no serde).
#[derive(Serialize, Deserialize)]
#[serde(remote = "Moments")]
struct MomentsDef {
    count: f64,
    mean: f64,
    m2: f64,
}

/// The partial result of a reduction at one output position.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum State {
    /// Float sum or product.
    Float(f64),
    /// Signed integer sum or product, or a count.
    Int(i64),
    /// Unsigned integer sum or product.
    UInt(u64),
    /// Sum and count, for means.
    Mean(f64, f64),
    /// Count, mean and squared deviations, for variances.
    Moments(#[serde(with = "MomentsDef")] Moments),
    /// Extreme value so far (NaN when a NaN-skipping reduction has seen only NaN).
    Extreme(Scalar),
    /// Extreme value and its global position.
    Arg(Scalar, i64),
    /// Truth value, for `any` and `all`.
    Bool(bool),
}

/// Partial states of a block, one per position of its kept-dimensions shape.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StateBlock {
    /// The block's shape with reduced axes as length 1.
    pub shape: Vec<usize>,
    /// States in C order.
    pub states: Vec<State>,
}

fn extreme_of(kind: ReduceKind) -> Extreme {
    match kind {
        ReduceKind::Min | ReduceKind::NanMin | ReduceKind::ArgMin => Extreme::Min,
        _ => Extreme::Max,
    }
}

/// The state of the values `xs` (of a numeric dtype); `index_of` maps a position
/// in `xs` to the global index argmin/argmax report.
fn num_state<N: NumElement>(
    kind: ReduceKind,
    xs: &[N],
    index_of: &dyn Fn(usize) -> i64,
) -> Result<State> {
    let float = N::DTYPE.is_float();
    let signed = matches!(N::DTYPE, DType::I8 | DType::I16 | DType::I32 | DType::I64);
    Ok(match kind {
        ReduceKind::Sum | ReduceKind::NanSum if float => {
            State::Float(if kind == ReduceKind::NanSum {
                sum::pairwise_nansum(xs)
            } else {
                sum::pairwise_sum(xs)
            })
        }
        ReduceKind::Sum | ReduceKind::NanSum if signed => State::Int(sum::wrapping_sum_i64(xs)),
        ReduceKind::Sum | ReduceKind::NanSum => State::UInt(sum::wrapping_sum_u64(xs)),
        ReduceKind::Prod if float => State::Float(sum::prod_f64(xs, false)),
        ReduceKind::Prod if signed => State::Int(sum::wrapping_prod_i64(xs)),
        ReduceKind::Prod => State::UInt(sum::wrapping_prod_u64(xs)),
        ReduceKind::Mean => State::Mean(sum::pairwise_sum(xs), xs.len() as f64),
        ReduceKind::NanMean => State::Mean(sum::pairwise_nansum(xs), sum::count_not_nan(xs) as f64),
        ReduceKind::Var | ReduceKind::Std => State::Moments(Moments::of(xs, false)),
        _ => any_state(kind, xs, index_of)?,
    })
}

/// The state of `xs` for reductions that need only ordering and truth values.
fn any_state<T: Element>(
    kind: ReduceKind,
    xs: &[T],
    index_of: &dyn Fn(usize) -> i64,
) -> Result<State> {
    let nan = || {
        let nan: T = f64::NAN.cast();
        nan.to_scalar()
    };
    Ok(match kind {
        ReduceKind::Min | ReduceKind::Max => State::Extreme(
            extreme(xs, extreme_of(kind))
                .ok_or_else(|| empty(kind))?
                .to_scalar(),
        ),
        ReduceKind::NanMin | ReduceKind::NanMax => State::Extreme(
            nan_extreme(xs, extreme_of(kind))
                .map(Element::to_scalar)
                .unwrap_or_else(nan),
        ),
        ReduceKind::ArgMin | ReduceKind::ArgMax => {
            let (i, v) = arg_extreme(xs, extreme_of(kind)).ok_or_else(|| empty(kind))?;
            State::Arg(v.to_scalar(), index_of(i))
        }
        ReduceKind::Any => State::Bool(xs.iter().any(|v| v.is_nonzero())),
        ReduceKind::All => State::Bool(xs.iter().all(|v| v.is_nonzero())),
        ReduceKind::CountNonzero => State::Int(xs.iter().filter(|v| v.is_nonzero()).count() as i64),
        _ => return Err(Error::invalid(kind.name(), "not defined for this dtype")),
    })
}

fn empty(kind: ReduceKind) -> Error {
    Error::EmptyReduction {
        op: kind.name().into(),
        axes: Vec::new(),
        shape: vec![0],
    }
}

/// Element types that can be reduced: numeric ones through the numeric kernels,
/// `bool` as 0/1 where a number is needed.
pub trait Reducible: Element {
    /// The state of the values `xs`; `index_of` maps a position in `xs` to the
    /// global index argmin/argmax report.
    fn state(kind: ReduceKind, xs: &[Self], index_of: &dyn Fn(usize) -> i64) -> Result<State>;
}

macro_rules! reducible_num {
    ($($t:ty),*) => {$(
        impl Reducible for $t {
            fn state(kind: ReduceKind, xs: &[Self], index_of: &dyn Fn(usize) -> i64) -> Result<State> {
                num_state(kind, xs, index_of)
            }
        }
    )*};
}
reducible_num!(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64);

impl Reducible for bool {
    fn state(kind: ReduceKind, xs: &[Self], index_of: &dyn Fn(usize) -> i64) -> Result<State> {
        match kind {
            ReduceKind::Any
            | ReduceKind::All
            | ReduceKind::CountNonzero
            | ReduceKind::Min
            | ReduceKind::Max
            | ReduceKind::ArgMin
            | ReduceKind::ArgMax
            | ReduceKind::NanMin
            | ReduceKind::NanMax => any_state(kind, xs, index_of),
            _ => {
                let as_u8: Vec<u8> = xs.iter().map(|&v| u8::from(v)).collect();
                num_state(kind, &as_u8, index_of).map(|s| match s {
                    State::UInt(v) => State::Int(v as i64),
                    other => other,
                })
            }
        }
    }
}

/// The state with no values (the reduction's identity); `None` when there is none.
pub fn identity(kind: ReduceKind, input: DType) -> Option<State> {
    let float = input.is_float();
    let signed = matches!(
        input,
        DType::Bool | DType::I8 | DType::I16 | DType::I32 | DType::I64
    );
    Some(match kind {
        ReduceKind::Sum | ReduceKind::NanSum if float => State::Float(0.0),
        ReduceKind::Sum | ReduceKind::NanSum if signed => State::Int(0),
        ReduceKind::Sum | ReduceKind::NanSum => State::UInt(0),
        ReduceKind::Prod if float => State::Float(1.0),
        ReduceKind::Prod if signed => State::Int(1),
        ReduceKind::Prod => State::UInt(1),
        ReduceKind::Mean | ReduceKind::NanMean => State::Mean(0.0, 0.0),
        ReduceKind::Var | ReduceKind::Std => State::Moments(Moments::default()),
        ReduceKind::Any => State::Bool(false),
        ReduceKind::All => State::Bool(true),
        ReduceKind::CountNonzero => State::Int(0),
        _ => return None,
    })
}

/// Two states merged as if their values had been reduced together.
pub fn merge(kind: ReduceKind, a: State, b: State) -> State {
    match (a, b) {
        (State::Float(x), State::Float(y)) => State::Float(if kind == ReduceKind::Prod {
            x * y
        } else {
            x + y
        }),
        (State::Int(x), State::Int(y)) => State::Int(if kind == ReduceKind::Prod {
            x.wrapping_mul(y)
        } else {
            x.wrapping_add(y)
        }),
        (State::UInt(x), State::UInt(y)) => State::UInt(if kind == ReduceKind::Prod {
            x.wrapping_mul(y)
        } else {
            x.wrapping_add(y)
        }),
        (State::Mean(s, c), State::Mean(t, d)) => State::Mean(s + t, c + d),
        (State::Moments(m), State::Moments(n)) => State::Moments(m.merge(n)),
        (State::Extreme(x), State::Extreme(y)) => State::Extreme(merge_extreme(kind, x, y)),
        (State::Arg(x, i), State::Arg(y, j)) => merge_arg(kind, (x, i), (y, j)),
        (State::Bool(x), State::Bool(y)) => State::Bool(if kind == ReduceKind::All {
            x && y
        } else {
            x || y
        }),
        (a, _) => a,
    }
}

fn scalar_is_nan(s: &Scalar) -> bool {
    match s {
        Scalar::F32(v) => v.is_nan(),
        Scalar::F64(v) => v.is_nan(),
        _ => false,
    }
}

fn scalar_better(which: Extreme, a: &Scalar, b: &Scalar) -> bool {
    // Both scalars share one dtype; compare in f64 unless they are 64-bit integers.
    match (a, b) {
        (Scalar::I64(x), Scalar::I64(y)) => which.better(x, y),
        (Scalar::U64(x), Scalar::U64(y)) => which.better(x, y),
        _ => which.better(&a.cast::<f64>(), &b.cast::<f64>()),
    }
}

fn merge_extreme(kind: ReduceKind, x: Scalar, y: Scalar) -> Scalar {
    let skip_nan = matches!(kind, ReduceKind::NanMin | ReduceKind::NanMax);
    match (scalar_is_nan(&x), scalar_is_nan(&y)) {
        (true, _) if !skip_nan => x,
        (_, true) if !skip_nan => y,
        (true, _) => y,
        (_, true) => x,
        _ if scalar_better(extreme_of(kind), &y, &x) => y,
        _ => x,
    }
}

fn merge_arg(kind: ReduceKind, a: (Scalar, i64), b: (Scalar, i64)) -> State {
    let first = if a.1 <= b.1 { a } else { b };
    let pick = match (scalar_is_nan(&a.0), scalar_is_nan(&b.0)) {
        (true, true) => first,
        (true, false) => a,
        (false, true) => b,
        _ if scalar_better(extreme_of(kind), &b.0, &a.0) => b,
        _ if scalar_better(extreme_of(kind), &a.0, &b.0) => a,
        _ => first,
    };
    State::Arg(pick.0, pick.1)
}

/// The NumPy result of a finished state, as a scalar of the output dtype.
pub fn finish(spec: &ReduceSpec, out: DType, s: State) -> Scalar {
    let v = match s {
        State::Float(v) => Scalar::F64(v),
        State::Int(v) => Scalar::I64(v),
        State::UInt(v) => Scalar::U64(v),
        State::Mean(s, c) => Scalar::F64(if c > 0.0 { s / c } else { f64::NAN }),
        State::Moments(m) => {
            let var = m.variance(spec.ddof);
            Scalar::F64(if spec.kind == ReduceKind::Std {
                var.sqrt()
            } else {
                var
            })
        }
        State::Extreme(x) => x,
        State::Arg(_, i) => Scalar::I64(i),
        State::Bool(b) => Scalar::Bool(b),
    };
    with_dtype!(out, T => v.cast::<T>().to_scalar())
}

/// Partial states of a materialised block reduced over `spec.axes`; `offset` is the
/// block's position in the array (for argmin/argmax along one axis).
pub fn block_states(spec: &ReduceSpec, block: &DynArray, offset: &[usize]) -> Result<StateBlock> {
    let ndim = block.shape().len();
    let kept: Vec<usize> = (0..ndim).filter(|a| !spec.axes.contains(a)).collect();
    let order: Vec<usize> = kept.iter().chain(&spec.axes).copied().collect();
    let shape: Vec<usize> = block
        .shape()
        .iter()
        .enumerate()
        .map(|(a, &n)| if spec.axes.contains(&a) { 1 } else { n })
        .collect();
    let positions: usize = shape.iter().product();
    let run: usize = spec.axes.iter().map(|&a| block.shape()[a]).product();
    let leading = spec.axes.iter().enumerate().all(|(i, &a)| a == i);
    if leading && run > 0 && positions > 0 && spec.axes.len() < ndim {
        if let Some(states) = column_sums(spec.kind, block, run, positions) {
            return Ok(StateBlock { shape, states });
        }
    }
    let axis_offset = spec.axes.first().map(|&a| offset[a] as i64).unwrap_or(0);
    let index_of = move |i: usize| axis_offset + i as i64;
    let states = dyn_match!(block, a: T => {
        let permuted = a.view().permuted_axes(order.clone());
        let data = permuted.as_standard_layout();
        let flat = data.as_slice().unwrap_or(&[]);
        let mut states = Vec::with_capacity(positions);
        for k in 0..positions {
            let xs: &[T] = if run == 0 { &[] } else { &flat[k * run..(k + 1) * run] };
            states.push(if xs.is_empty() {
                identity(spec.kind, T::DTYPE).ok_or_else(|| empty(spec.kind))?
            } else {
                T::state(spec.kind, xs, &index_of)?
            });
        }
        states
    });
    Ok(StateBlock { shape, states })
}

/// Float sums and means over the leading axes of a standard-layout block,
/// accumulated in `f64` one row of `positions` values at a time: no transpose,
/// and each row is a vectorised add. `None` for other kinds, dtypes or layouts.
fn column_sums(
    kind: ReduceKind,
    block: &DynArray,
    run: usize,
    positions: usize,
) -> Option<Vec<State>> {
    let mut sums = ColumnSums::new(kind, block.dtype(), positions)?;
    match block {
        DynArray::F32(a) => sums.add(a.as_slice()?, 0),
        DynArray::F64(a) => sums.add(a.as_slice()?, 0),
        _ => return None,
    }
    Some(sums.into_states(run))
}

/// Per-column `f64` sums of a C-order block reduced over its leading axes,
/// fed in pieces (a whole block, or a fused stage's tiles as they are made):
/// element `q` of the block adds to column `q % positions`, rows in order,
/// so the result is the same however the block is cut.
///
/// ```
/// use ndchunk::exec::eval::reduce::{ColumnSums, State};
/// use ndchunk::expr::ReduceKind;
/// use ndchunk::DType;
///
/// // A 3 x 2 block [[1, 2], [3, 4], [5, 6]], fed in two uneven pieces.
/// let mut sums = ColumnSums::new(ReduceKind::Mean, DType::F32, 2).unwrap();
/// sums.add(&[1f32, 2.0, 3.0], 0);
/// sums.add(&[4f32, 5.0, 6.0], 3);
/// assert_eq!(sums.into_states(3), [State::Mean(9.0, 3.0), State::Mean(12.0, 3.0)]);
/// // Only float sums and means are taken.
/// assert!(ColumnSums::new(ReduceKind::Max, DType::F32, 2).is_none());
/// ```
pub struct ColumnSums {
    kind: ReduceKind,
    sums: Vec<f64>,
}

impl ColumnSums {
    /// Sums for `positions` columns; `None` unless `kind` is a sum or a mean
    /// of floats.
    pub fn new(kind: ReduceKind, dtype: DType, positions: usize) -> Option<ColumnSums> {
        let float = matches!(dtype, DType::F32 | DType::F64);
        (float && matches!(kind, ReduceKind::Sum | ReduceKind::Mean)).then(|| ColumnSums {
            kind,
            sums: vec![0f64; positions],
        })
    }

    /// Adds `values`, the block's elements from flat position `start` on.
    pub fn add<T: Copy + Into<f64>>(&mut self, values: &[T], start: usize) {
        let width = self.sums.len();
        if width == 0 {
            return;
        }
        let (mut rest, mut col) = (values, start % width);
        while !rest.is_empty() {
            let seg = (width - col).min(rest.len());
            for (s, &v) in self.sums[col..col + seg].iter_mut().zip(&rest[..seg]) {
                *s += v.into();
            }
            rest = &rest[seg..];
            col = 0;
        }
    }

    /// The columns' states, each over `run` elements.
    pub fn into_states(self, run: usize) -> Vec<State> {
        let kind = self.kind;
        self.sums
            .into_iter()
            .map(|sum| match kind {
                ReduceKind::Mean => State::Mean(sum, run as f64),
                _ => State::Float(sum),
            })
            .collect()
    }
}

/// Merges the states of several blocks position by position.
pub fn combine(kind: ReduceKind, blocks: &[&StateBlock]) -> Result<StateBlock> {
    let first = blocks
        .first()
        .ok_or_else(|| Error::invalid(kind.name(), "combine of no blocks"))?;
    let mut states = first.states.clone();
    for b in &blocks[1..] {
        if b.states.len() != states.len() {
            return Err(Error::invalid(
                kind.name(),
                "partial states of different shapes",
            ));
        }
        for (s, &t) in states.iter_mut().zip(&b.states) {
            *s = merge(kind, *s, t);
        }
    }
    Ok(StateBlock {
        shape: first.shape.clone(),
        states,
    })
}

/// The finished block of results, shaped `shape` (reduced axes dropped or kept).
pub fn finish_block(
    spec: &ReduceSpec,
    out: DType,
    states: &StateBlock,
    shape: &[usize],
) -> Result<DynArray> {
    with_dtype!(out, T => {
        let values: Vec<T> = states.states.iter().map(|&s| finish(spec, out, s).cast::<T>()).collect();
        ArrayD::from_shape_vec(shape.to_vec(), values)
            .map(T::wrap)
            .map_err(|e| Error::invalid(spec.kind.name(), e.to_string()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planner_state_size_covers_the_real_state() {
        assert!(std::mem::size_of::<State>() as u64 <= crate::plan::reduce::STATE_BYTES);
    }
}

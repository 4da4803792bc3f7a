//! Contraction tasks: the products of a group of operand blocks, through a
//! GEMM kernel, and the sums adding groups.

use std::sync::Arc;

use ndarray::{Array3, ArrayView2, ArrayViewD, ArrayViewMut2, Axis, IxDyn, Order};

use crate::block::DynArray;
use crate::element::{DType, NumElement};
use crate::error::{Error, Result};
use crate::exec::Value;
use crate::plan::contract::ContractStage;
use crate::plan::Operand;
use crate::plan::Source;

/// The task at `block` of contraction `c`: its products, added.
pub fn run(c: &ContractStage, dtype: DType, block: &[usize], deps: &[Arc<Value>]) -> Result<Value> {
    with_num_dtype!(dtype, T => products::<T>(c, block, deps),
        else => Err(Error::invalid(&c.spec.origin, format!("no product of {dtype} values"))))
}

/// Adds the partial results `deps` of one output block (the first is
/// reused in place when this task is its last consumer).
pub fn sum(dtype: DType, deps: Vec<Arc<Value>>, origin: &str) -> Result<Value> {
    let mut deps = deps.into_iter();
    let first = deps
        .next()
        .ok_or_else(|| Error::invalid(origin, "no partial results to add"))?;
    let acc = Value::take_block(first, origin)?;
    with_num_dtype!(dtype, T => add_all::<T>(acc, deps, origin),
        else => Err(Error::invalid(origin, format!("no sum of {dtype} values"))))
}

fn add_all<T: NumElement>(
    acc: DynArray,
    rest: impl Iterator<Item = Arc<Value>>,
    origin: &str,
) -> Result<Value> {
    let wrong = || Error::invalid(origin, "a partial result of another kind or dtype");
    let mut acc = T::unwrap(acc).map_err(|_| wrong())?;
    for dep in rest {
        let Value::Block(other) = &*dep else {
            return Err(wrong());
        };
        acc.zip_mut_with(T::unwrap_ref(other).ok_or_else(wrong)?, |a, &b| {
            *a = <T as NumElement>::add(*a, b)
        });
    }
    Ok(Value::Block(T::wrap(acc)))
}

/// A GEMM kernel: `acc += a · b`.
pub trait Gemm: NumElement {
    /// Adds the product of `a` (m × k) and `b` (k × n) to `acc` (m × n).
    fn gemm_acc(acc: ArrayViewMut2<Self>, a: ArrayView2<Self>, b: ArrayView2<Self>);
}

/// Floats go through faer's GEMM, one thread per task (the executor runs
/// tasks in parallel): twice matrixmultiply's speed on one core here
/// (BENCHMARKS.md, "Block products").
macro_rules! float_gemm {
    ($($t:ty),*) => {$(
        impl Gemm for $t {
            fn gemm_acc(mut acc: ArrayViewMut2<$t>, a: ArrayView2<$t>, b: ArrayView2<$t>) {
                let ((m, k), n) = (a.dim(), b.ncols());
                let (sa, sb, sc) = (a.strides(), b.strides(), acc.strides().to_vec());
                // SAFETY: each matrix is an ndarray view's own pointer, shape
                // and element strides, valid for this call; `acc` is borrowed
                // mutably, so nothing else aliases it.
                let (a, b, acc) = unsafe {
                    (
                        faer::MatRef::from_raw_parts(a.as_ptr(), m, k, sa[0], sa[1]),
                        faer::MatRef::from_raw_parts(b.as_ptr(), k, n, sb[0], sb[1]),
                        faer::MatMut::from_raw_parts_mut(acc.as_mut_ptr(), m, n, sc[0], sc[1]),
                    )
                };
                faer::linalg::matmul::matmul(acc, faer::Accum::Add, a, b, 1.0, faer::Par::Seq);
            }
        }
    )*};
}
float_gemm!(f32, f64);

macro_rules! integer_gemm {
    ($($t:ty),*) => {$(
        impl Gemm for $t {
            fn gemm_acc(acc: ArrayViewMut2<$t>, a: ArrayView2<$t>, b: ArrayView2<$t>) {
                integer_product(acc, a, b);
            }
        }
    )*};
}
integer_gemm!(i8, i16, i32, i64, u8, u16, u32, u64);

/// `acc += a · b` for integers, wrapping as NumPy's do (no BLAS has them):
/// row by row, each row of `b` scaled into the row of `acc`.
fn integer_product<T: NumElement>(mut acc: ArrayViewMut2<T>, a: ArrayView2<T>, b: ArrayView2<T>) {
    for (mut out, a_row) in acc.rows_mut().into_iter().zip(a.rows()) {
        for (&x, b_row) in a_row.iter().zip(b.rows()) {
            out.zip_mut_with(&b_row, |o, &y| {
                *o = <T as NumElement>::add(*o, <T as NumElement>::mul(x, y))
            });
        }
    }
}

fn products<T: Gemm>(c: &ContractStage, block: &[usize], deps: &[Arc<Value>]) -> Result<Value> {
    let spec = &c.spec;
    let out_shape = c.out.block_shape(&block[..c.out.ndim()]);
    let (nbatch, nfree_a) = (spec.batch.len(), spec.free_a.len());
    let batch: usize = out_shape[..nbatch].iter().product();
    let m: usize = out_shape[nbatch..nbatch + nfree_a].iter().product();
    let n: usize = out_shape[nbatch + nfree_a..].iter().product();
    let mut acc = Array3::<T>::zeros((batch, m, n));
    let (a_order, b_order) = (spec.a_order(), spec.b_order());
    let mut deps = deps.iter();
    for (ia, ib) in c.operand_blocks(block) {
        let a = operand_block::<T>(&c.a, &ia, &mut deps, &spec.origin)?;
        let b = operand_block::<T>(&c.b, &ib, &mut deps, &spec.origin)?;
        let k: usize = spec.contracted.iter().map(|&(x, _)| a.shape()[x]).product();
        let shape_error = |e: ndarray::ShapeError| Error::invalid(&spec.origin, e.to_string());
        let a = a.permuted_axes(a_order.clone());
        let a = a
            .to_shape(((batch, m, k), Order::RowMajor))
            .map_err(shape_error)?;
        let b = b.permuted_axes(b_order.clone());
        let b = b
            .to_shape(((batch, k, n), Order::RowMajor))
            .map_err(shape_error)?;
        for i in 0..batch {
            T::gemm_acc(
                acc.index_axis_mut(Axis(0), i),
                a.index_axis(Axis(0), i),
                b.index_axis(Axis(0), i),
            );
        }
    }
    let out = acc
        .into_shape_with_order(IxDyn(&out_shape))
        .map_err(|e| Error::invalid(&spec.origin, e.to_string()))?;
    Ok(Value::Block(T::wrap(out)))
}

/// Block `at` of `operand`: the next dependency, or its box of a resident array.
pub(crate) fn operand_block<'a, T: NumElement>(
    operand: &'a Operand,
    at: &[usize],
    deps: &mut std::slice::Iter<'a, Arc<Value>>,
    origin: &str,
) -> Result<ArrayViewD<'a, T>> {
    let wrong = || Error::invalid(origin, "an operand block of another kind or dtype");
    match &operand.source {
        Source::Stage(_) => match deps.next().map(|d| &**d) {
            Some(Value::Block(block)) => Ok(T::unwrap_ref(block).ok_or_else(wrong)?.view()),
            _ => Err(wrong()),
        },
        Source::Resident(r) => {
            let (block, local) = r.locate(&operand.chunks.block_ranges(at))?;
            let view = T::unwrap_ref(block).ok_or_else(wrong)?.view();
            Ok(view.slice_move(
                local
                    .iter()
                    .map(|r| ndarray::SliceInfoElem::from(r.clone()))
                    .collect::<Vec<_>>()
                    .as_slice(),
            ))
        }
    }
}

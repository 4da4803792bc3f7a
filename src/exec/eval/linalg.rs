//! Factorisation tasks, through faer. The row-blockwise QR kernels run on
//! one thread (the executor runs blocks in parallel); the single-block
//! kernels use faer's global parallelism, as they are a plan's only task at
//! their level.

use std::sync::Arc;

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::solvers::Solve as _;
use faer::{Mat, MatRef, Par};
use ndarray::{s, Array2, ArrayView2, ArrayViewD, Ix2};

use crate::element::{DType, FloatElement};
use crate::error::{Error, Result};
use crate::exec::eval::contract::operand_block;
use crate::exec::Value;
use crate::expr::Factor;
use crate::plan::linalg::LinalgStage;

/// Floats faer factors.
trait Dense: FloatElement + faer::traits::RealField {}
impl Dense for f32 {}
impl Dense for f64 {}

/// The task at `block` of `l`.
pub fn run(l: &LinalgStage, dtype: DType, block: &[usize], deps: &[Arc<Value>]) -> Result<Value> {
    with_float_dtype!(dtype, T => kernel::<T>(l, block, deps),
        else => Err(Error::invalid(&l.factor.to_string(), format!("no factorisation of {dtype} values"))))
}

fn kernel<T: Dense>(l: &LinalgStage, block: &[usize], deps: &[Arc<Value>]) -> Result<Value> {
    let name = l.factor.to_string();
    let mut deps = deps.iter();
    let mut inputs = Vec::with_capacity(l.inputs.len());
    for (i, input) in l.inputs.iter().enumerate() {
        inputs.push(operand_block::<T>(
            input,
            &l.input_block(i, block),
            &mut deps,
            &name,
        )?);
    }
    let matrix = |i: usize| -> Result<ArrayView2<'_, T>> { as_matrix(&inputs[i], &name) };
    let out: ndarray::ArrayD<T> = match l.factor {
        Factor::BlockR => block_qr(matrix(0)?).r().into_dyn(),
        Factor::ApplyQ => block_qr(matrix(0)?).apply_q(matrix(1)?).into_dyn(),
        Factor::QrPacked => qr_packed(matrix(0)?).into_dyn(),
        Factor::SvdPacked => svd_packed(matrix(0)?, &name)?.into_dyn(),
        Factor::SingularValues => singular_values(matrix(0)?, &name)?.into_dyn(),
        Factor::Cholesky { upper } => cholesky(matrix(0)?, upper, &name)?.into_dyn(),
        Factor::Solve => {
            let x = solve(matrix(0)?, matrix(1)?, &name)?;
            match inputs[1].ndim() {
                1 => x.column(0).to_owned().into_dyn(),
                _ => x.into_dyn(),
            }
        }
    };
    let expected = l.out.block_shape(block);
    if out.shape() != expected.as_slice() {
        return Err(Error::BlockShape {
            op: name,
            block: block.to_vec(),
            expected,
            found: out.shape().to_vec(),
        });
    }
    Ok(Value::Block(T::wrap(out)))
}

/// A block as a matrix: 2-d as it is, 1-d as one column.
fn as_matrix<'a, T: Dense>(a: &ArrayViewD<'a, T>, name: &str) -> Result<ArrayView2<'a, T>> {
    let a = a.clone();
    match a.ndim() {
        1 => {
            let n = a.len();
            a.into_shape_with_order((n, 1))
                .map_err(|e| Error::invalid(name, e.to_string()))
        }
        _ => a
            .into_dimensionality::<Ix2>()
            .map_err(|e| Error::invalid(name, format!("a block is not a matrix: {e}"))),
    }
}

/// `a` as a faer matrix, borrowing its elements.
fn faer_ref<'a, T: Dense>(a: &ArrayView2<'a, T>) -> MatRef<'a, T> {
    let (m, n) = a.dim();
    let strides = a.strides();
    // SAFETY: the pointer, shape and element strides are the view's own, and
    // the view outlives the borrow ('a).
    unsafe { MatRef::from_raw_parts(a.as_ptr(), m, n, strides[0], strides[1]) }
}

/// A faer matrix copied into an ndarray one.
fn to_array<T: Dense>(m: MatRef<'_, T>) -> Array2<T> {
    Array2::from_shape_fn((m.nrows(), m.ncols()), |(i, j)| m[(i, j)])
}

/// A block's Householder QR, factored on one thread.
struct BlockQr<T: Dense> {
    /// `R` above the diagonal, the Householder vectors below.
    factors: Mat<T>,
    /// The block Householder coefficients.
    coeff: Mat<T>,
}

fn block_qr<T: Dense>(a: ArrayView2<'_, T>) -> BlockQr<T> {
    use faer::linalg::qr::no_pivoting::factor;
    let (m, n) = a.dim();
    let mut factors = faer_ref(&a).to_owned();
    let size = m.min(n);
    let block_size = factor::recommended_block_size::<T>(m, n).max(1);
    let mut coeff = Mat::<T>::zeros(block_size, size);
    if size > 0 {
        let scratch = factor::qr_in_place_scratch::<T>(m, n, block_size, Par::Seq, default());
        let mut buffer = MemBuffer::new(scratch);
        factor::qr_in_place(
            factors.as_mut(),
            coeff.as_mut(),
            Par::Seq,
            MemStack::new(&mut buffer),
            default(),
        );
    }
    BlockQr { factors, coeff }
}

/// faer's default parameters for a kernel.
fn default<P: Default>() -> P {
    P::default()
}

impl<T: Dense> BlockQr<T> {
    /// `min(m, n) × n`: the upper triangle of the factored block.
    fn r(&self) -> Array2<T> {
        let (m, n) = self.factors.shape();
        Array2::from_shape_fn((m.min(n), n), |(i, j)| {
            if j >= i {
                self.factors[(i, j)]
            } else {
                T::zero()
            }
        })
    }

    /// `Q · w` for `w` of `min(m, n)` rows: the reflections applied to `w`
    /// padded with zero rows to `m`.
    fn apply_q(&self, w: ArrayView2<'_, T>) -> Array2<T> {
        use faer::linalg::householder;
        let (m, n) = self.factors.shape();
        let size = m.min(n);
        let p = w.ncols();
        let mut out = Mat::<T>::zeros(m, p);
        out.as_mut()
            .get_mut(..size, ..)
            .copy_from(faer_ref(&w.slice(s![..size, ..])));
        if size > 0 && p > 0 {
            // The basis: unit lower trapezoidal, as faer's `Qr` keeps it.
            let mut basis = Mat::<T>::zeros(m, size);
            for j in 0..size {
                basis[(j, j)] = T::one();
                for i in j + 1..m {
                    basis[(i, j)] = self.factors[(i, j)];
                }
            }
            let scratch =
                householder::apply_block_householder_sequence_on_the_left_in_place_scratch::<T>(
                    m,
                    self.coeff.nrows(),
                    p,
                );
            let mut buffer = MemBuffer::new(scratch);
            householder::apply_block_householder_sequence_on_the_left_in_place_with_conj(
                basis.as_ref(),
                self.coeff.as_ref(),
                faer::Conj::No,
                out.as_mut(),
                Par::Seq,
                MemStack::new(&mut buffer),
            );
        }
        to_array(out.as_ref())
    }
}

/// `[Q; R]` of the thin QR (`k = min(m, n)`): `(m + k) × n`, `Q` in the
/// first `k` columns.
fn qr_packed<T: Dense>(a: ArrayView2<'_, T>) -> Array2<T> {
    let (m, n) = a.dim();
    let k = m.min(n);
    let qr = block_qr(a);
    let identity = Array2::<T>::eye(k);
    let mut out = Array2::<T>::zeros((m + k, n));
    out.slice_mut(s![..m, ..k])
        .assign(&qr.apply_q(identity.view()));
    out.slice_mut(s![m.., ..]).assign(&qr.r());
    out
}

/// `[U; s; Vᵀ]` of the thin SVD of `a` (`m ≥ n`): `(m + 1 + n) × n`, with
/// each row of `Vᵀ` summing to zero or more.
fn svd_packed<T: Dense>(a: ArrayView2<'_, T>, name: &str) -> Result<Array2<T>> {
    let (m, n) = a.dim();
    if m < n {
        return Err(Error::invalid(
            name,
            format!("a {m} × {n} block is wider than tall"),
        ));
    }
    let mut out = Array2::<T>::zeros((m + 1 + n, n));
    if n == 0 {
        return Ok(out);
    }
    let svd = faer_ref(&a)
        .thin_svd()
        .map_err(|e| Error::invalid(name, format!("the SVD did not converge ({e:?})")))?;
    let (u, v, s) = (svd.U(), svd.V(), svd.S().column_vector());
    for c in 0..n {
        let total = (0..n).fold(T::zero(), |acc, j| acc + v[(j, c)]);
        let sign = if total < T::zero() {
            -T::one()
        } else {
            T::one()
        };
        for i in 0..m {
            out[[i, c]] = sign * u[(i, c)];
        }
        out[[m, c]] = s[c];
        for j in 0..n {
            out[[m + 1 + c, j]] = sign * v[(j, c)];
        }
    }
    Ok(out)
}

/// The singular values of `a`, largest first.
fn singular_values<T: Dense>(a: ArrayView2<'_, T>, name: &str) -> Result<ndarray::Array1<T>> {
    if a.is_empty() {
        return Ok(ndarray::Array1::zeros(a.nrows().min(a.ncols())));
    }
    let values = faer_ref(&a)
        .singular_values()
        .map_err(|e| Error::invalid(name, format!("the SVD did not converge ({e:?})")))?;
    Ok(ndarray::Array1::from(values))
}

/// The Cholesky factor of `a` from its lower triangle: `L` (or `Lᵀ`).
fn cholesky<T: Dense>(a: ArrayView2<'_, T>, upper: bool, name: &str) -> Result<Array2<T>> {
    let n = a.nrows();
    if n == 0 {
        return Ok(Array2::zeros((0, 0)));
    }
    let llt = faer_ref(&a).llt(faer::Side::Lower).map_err(|e| {
        Error::invalid(
            name,
            format!("the {n} × {n} matrix is not positive definite ({e:?})"),
        )
    })?;
    let l = llt.L();
    Ok(Array2::from_shape_fn((n, n), |(i, j)| {
        let (row, col) = if upper { (j, i) } else { (i, j) };
        if row >= col {
            l[(row, col)]
        } else {
            T::zero()
        }
    }))
}

/// `x` with `a x = b`, by LU with partial pivoting; an exactly zero pivot
/// is a singular matrix, an error (as NumPy's `LinAlgError`).
fn solve<T: Dense>(a: ArrayView2<'_, T>, b: ArrayView2<'_, T>, name: &str) -> Result<Array2<T>> {
    let n = a.nrows();
    if n == 0 {
        return Ok(Array2::zeros(b.dim()));
    }
    let lu = faer_ref(&a).partial_piv_lu();
    let u = lu.U();
    if let Some(i) = (0..n).find(|&i| u[(i, i)] == T::zero()) {
        return Err(Error::invalid(
            name,
            format!("the {n} × {n} matrix is singular (pivot {i} is zero)"),
        ));
    }
    Ok(to_array(lu.solve(faer_ref(&b)).as_ref()))
}

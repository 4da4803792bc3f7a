//! Linear algebra out of core, as `dask.array.linalg`: tall-and-skinny QR
//! (the Benson–Gleich–Demmel tree), `qr`, `svd` through it, randomised
//! `svd_compressed`, `svdvals`, `lstsq`, and, for matrices that fit one
//! block, `solve`, `inv` and `cholesky`; `norm` with NumPy's `ord` and
//! `axis`. Every function builds a lazy graph; compute several results of
//! one factorisation together with [`crate::compute_all`], so the
//! factorisation is planned once.
//!
//! Floats only (`f32`, `f64`): cast integers with `astype::<f64>()`, which
//! is what NumPy does for them. Results match LAPACK's to rounding: the
//! tests compare with faer's dense factorisations and with identities
//! (`Q R = A`, `QᵀQ = I`, `U S Vᵀ = A`) within `1e-10` (f64) and `1e-4`
//! (f32) of the matrix's scale.

use std::sync::Arc;

use ndarray::{s, Axis};

use crate::array::creation::eye;
use crate::array::elementwise::where_;
use crate::array::random::standard_normal;
use crate::array::reductions::ReduceOptions;
use crate::array::Array;
use crate::chunks::Chunks;
use crate::element::{Element, FloatElement};
use crate::error::{Error, Result};
use crate::expr::{Factor, Node, Op};

/// R factors one level of the QR tree stacks at most, unless their stack
/// has no more rows than the level's largest block.
pub const TSQR_SPLIT_EVERY: usize = 16;

/// The tall-and-skinny QR of `a` (`m × n`, `m ≥ n`): `Q` (`m × n`, `a`'s
/// row chunks, one column block) and `R` (`n × n`, one block), with
/// `a = Q R`. Each row block is factored on its own, their `R`s stacked
/// (at most [`TSQR_SPLIT_EVERY`] per block, in further levels when there
/// are more) and factored again; `Q`'s blocks apply each block's
/// reflections to its rows of the level above, so no task holds more than
/// one row block. Columns in several chunks are joined into one first. For
/// dask users: `da.linalg.tsqr(a)`.
///
/// ```
/// let a = ndchunk::random::uniform::<f64>(&[1000, 4], [250, 4], 1)?;
/// let (q, r) = ndchunk::linalg::tsqr(&a)?;
/// assert_eq!((q.shape(), r.shape()), (&[1000, 4][..], &[4, 4][..]));
/// let back = q.matmul(&r)?.compute()?;
/// let a = a.compute()?;
/// assert!((&back - &a).iter().all(|d| d.abs() < 1e-12));
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn tsqr<T: FloatElement>(a: &Array<T>) -> Result<(Array<T>, Array<T>)> {
    let (m, n) = matrix_shape("tsqr", a)?;
    if m < n {
        return Err(Error::invalid(
            "tsqr",
            format!("a {m} × {n} array is wider than tall; qr() factors it as one block"),
        ));
    }
    let tree = Tree::new(a)?;
    Ok((tree.q_times(None)?, tree.r.clone()))
}

/// The thin QR of `a` (`m × n`, `k = min(m, n)`): `Q` (`m × k`) and `R`
/// (`k × n`), with `a = Q R` (NumPy's `mode="reduced"`). A tall array goes
/// through [`tsqr`]; a wide one is factored as one block. For dask users:
/// `da.linalg.qr(a)`.
///
/// ```
/// let a = ndchunk::from_array(ndarray::array![[1.0f64, 2.0, 3.0], [4.0, 5.0, 6.0]], [1, 2])?;
/// let (q, r) = ndchunk::linalg::qr(&a)?;
/// assert_eq!((q.shape(), r.shape()), (&[2, 2][..], &[2, 3][..]));
/// let back = q.matmul(&r)?.compute()?;
/// assert!((&back - &a.compute()?).iter().all(|d| d.abs() < 1e-12));
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn qr<T: FloatElement>(a: &Array<T>) -> Result<(Array<T>, Array<T>)> {
    let (m, n) = matrix_shape("qr", a)?;
    if m >= n {
        return tsqr(a);
    }
    let tree = Tree::new(&a.rechunk(Chunks::single(&[m, n]))?)?;
    Ok((tree.q_times(None)?, tree.r.clone()))
}

/// The thin SVD of `a` (`m × n`, `k = min(m, n)`): `U` (`m × k`), the
/// singular values `s` (`k`, largest first) and `Vᵀ` (`k × n`), with
/// `a = U diag(s) Vᵀ`. One side must be small enough for a `k × k` block:
/// a tall array goes through [`tsqr`] and the SVD of its `R`; a wide one
/// through its transpose. Signs follow dask's `svd_flip`: each row of `Vᵀ`
/// sums to zero or more. For dask users: `da.linalg.svd(a)`.
///
/// ```
/// let a = ndchunk::from_array(ndarray::array![[3.0f64, 0.0], [0.0, -2.0], [0.0, 0.0]], [2, 2])?;
/// let (u, s, vt) = ndchunk::linalg::svd(&a)?;
/// let [u, s, vt] = <[_; 3]>::try_from(ndchunk::compute_all(&[&u, &s, &vt])?).unwrap();
/// assert!((s[0] - 3.0).abs() < 1e-12 && (s[1] - 2.0).abs() < 1e-12);
/// assert!(vt.sum_axis(ndarray::Axis(1)).iter().all(|&t| t >= 0.0));
/// assert!((u[[1, 1]] + 1.0).abs() < 1e-12); // -2 = u · 2 · v with v = +1
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn svd<T: FloatElement>(a: &Array<T>) -> Result<(Array<T>, Array<T>, Array<T>)> {
    let (m, n) = matrix_shape("svd", a)?;
    if m >= n {
        let tree = Tree::new(a)?;
        let packed = linalg_node(Factor::SvdPacked, &[&tree.r], &[2 * n + 1, n]);
        let u_r = packed.slice(s![..n, ..])?;
        let s = packed.slice(s![n as isize, ..])?;
        let vt = packed.slice(s![n + 1.., ..])?;
        return Ok((tree.q_times(Some(&u_r))?, s, vt));
    }
    // aᵀ = U' S V'ᵀ, so a = V' S U'ᵀ; the signs are then set by the rows
    // of the new Vᵀ = U'ᵀ, whose sums need a pass over it.
    let (u_t, s, vt_t) = svd(&a.t())?;
    let (u, vt) = (vt_t.t(), u_t.t());
    let sums = vt.sum_axis(Axis(1))?.astype::<T>();
    let signs = where_(&sums.ge(T::zero()), T::one(), -T::one());
    Ok((&u * &signs, s, &vt * &signs.insert_axis(Axis(1))?))
}

/// The singular values of `a`, largest first, without the singular vectors
/// (NumPy's `svdvals`): from the `R` of [`tsqr`] (of `aᵀ` for a wide
/// array), one pass over `a`.
///
/// ```
/// let a = ndchunk::from_array(ndarray::array![[0.0f64, 2.0], [1.0, 0.0], [0.0, 0.0]], [1, 2])?;
/// let s = ndchunk::linalg::svdvals(&a)?.compute()?;
/// assert!((s[0] - 2.0).abs() < 1e-12 && (s[1] - 1.0).abs() < 1e-12);
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn svdvals<T: FloatElement>(a: &Array<T>) -> Result<Array<T>> {
    let (m, n) = matrix_shape("svdvals", a)?;
    if m < n {
        return svdvals(&a.t());
    }
    let tree = Tree::new(a)?;
    Ok(linalg_node(Factor::SingularValues, &[&tree.r], &[n]))
}

/// Options of [`svd_compressed`] (dask's defaults).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SvdCompressed {
    /// Power iterations, each a pass of `a` and one of `aᵀ`, with the basis
    /// re-orthonormalised between them; more sharpen a slowly decaying
    /// spectrum.
    pub n_power_iter: usize,
    /// Extra columns sampled beyond `k`.
    pub n_oversamples: usize,
    /// Seed of the random test matrix.
    pub seed: u64,
}

impl Default for SvdCompressed {
    fn default() -> Self {
        SvdCompressed {
            n_power_iter: 0,
            n_oversamples: 10,
            seed: 0,
        }
    }
}

/// The first `k` singular triplets of `a` by randomised SVD (Halko,
/// Martinsson and Tropp): `a` times a Gaussian test matrix of
/// `k + n_oversamples` columns, power iterations, a [`tsqr`] basis `Q`,
/// the SVD of the small `Qᵀ a`. Returns `U` (`m × k`), `s` (`k`) and `Vᵀ`
/// (`k × n`), signs as [`svd`]. For dask users:
/// `da.linalg.svd_compressed(a, k, n_power_iter=..., seed=...)`.
///
/// ```
/// use ndchunk::linalg::{svd_compressed, SvdCompressed};
/// let u = ndchunk::random::standard_normal::<f64>(&[500, 3], [100, 3], 1)?;
/// let v = ndchunk::random::standard_normal::<f64>(&[3, 40], [3, 40], 2)?;
/// let a = u.matmul(&v)?; // rank 3
/// let options = SvdCompressed { n_power_iter: 2, ..Default::default() };
/// let (_, s, _) = svd_compressed(&a, 3, &options)?;
/// let exact = ndchunk::linalg::svdvals(&a)?.compute()?;
/// let s = s.compute()?;
/// assert!((0..3).all(|i| (s[i] - exact[i]).abs() < 1e-8 * exact[0]));
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn svd_compressed<T: FloatElement>(
    a: &Array<T>,
    k: usize,
    options: &SvdCompressed,
) -> Result<(Array<T>, Array<T>, Array<T>)> {
    let (m, n) = matrix_shape("svd_compressed", a)?;
    if k == 0 || k > m.min(n) {
        return Err(Error::invalid(
            "svd_compressed",
            format!(
                "k = {k} must be between 1 and min(m, n) = {} for a {m} × {n} array",
                m.min(n)
            ),
        ));
    }
    let width = (k + options.n_oversamples).min(m.min(n));
    let omega_chunks = vec![a.chunks().lens(1).to_vec(), vec![width]];
    let omega = standard_normal::<T>(&[n, width], omega_chunks, options.seed)?;
    let mut sample = a.matmul(&omega)?;
    for _ in 0..options.n_power_iter {
        let (q, _) = tsqr(&sample)?;
        let (q, _) = tsqr(&a.t().matmul(&q)?)?;
        sample = a.matmul(&q)?;
    }
    let (q, _) = tsqr(&sample)?;
    let (u_b, s, vt) = svd(&q.t().matmul(a)?)?;
    let u = q.matmul(&u_b)?;
    Ok((
        u.slice(s![.., ..k])?,
        s.slice(s![..k])?,
        vt.slice(s![..k, ..])?,
    ))
}

/// What [`lstsq`] returns, as NumPy's `lstsq`.
#[derive(Clone, Debug)]
pub struct Lstsq<T: FloatElement> {
    /// The least-squares solution `x` (`n` or `n × p`, as `b`), of least
    /// norm when `a` is rank deficient.
    pub solution: Array<T>,
    /// Squared residuals `‖a x − b‖²` per column of `b` (length 1 for a
    /// vector `b`); always computed, as dask does (NumPy leaves them empty
    /// for rank-deficient or wide `a`).
    pub residuals: Array<T>,
    /// The effective rank of `a` (a 0-d array).
    pub rank: Array<i64>,
    /// The singular values of `a`, largest first.
    pub singular_values: Array<T>,
}

/// The least-squares solution of `a x = b` through the SVD of `a`
/// ([`svd`]): `x = V diag(1/s) Uᵀ b` over the singular values above
/// `rcond · s_max` (default `rcond`: machine epsilon times `max(m, n)`, as
/// NumPy), so rank-deficient and wide systems get the least-norm solution,
/// as LAPACK's `gelsd`. `b` has `a`'s rows, as a vector or a matrix. For
/// dask users: `da.linalg.lstsq(a, b)`.
///
/// ```
/// // y = 1 + 2 t, sampled with no noise.
/// let t = ndchunk::linspace::<f64>(0.0, 1.0, 20, [5])?;
/// let a = ndchunk::stack(ndarray::Axis(1), &[ndchunk::ones(&[20], [5])?, t.clone()])?;
/// let y = &(&t * 2.0) + 1.0;
/// let fit = ndchunk::linalg::lstsq(&a, &y, None)?;
/// let x = fit.solution.compute()?;
/// assert!((x[0] - 1.0).abs() < 1e-12 && (x[1] - 2.0).abs() < 1e-12);
/// assert_eq!(fit.rank.compute()?[[]], 2);
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn lstsq<T: FloatElement>(a: &Array<T>, b: &Array<T>, rcond: Option<f64>) -> Result<Lstsq<T>> {
    let (m, n) = matrix_shape("lstsq", a)?;
    check_rhs("lstsq", b, (m, n))?;
    let vector = b.ndim() == 1;
    let b2 = if vector {
        b.insert_axis(Axis(1))?
    } else {
        b.clone()
    };
    let (u, s, vt) = svd(a)?;
    let rcond = rcond.unwrap_or(T::epsilon().cast::<f64>() * m.max(n) as f64);
    let cutoff = &s.max_with(&ReduceOptions::new().keepdims(true))? * rcond.cast::<T>();
    let kept = s.gt(&cutoff);
    let inverse = where_(&kept, s.powi(-1), T::zero());
    let projected = &u.t().matmul(&b2)? * &inverse.insert_axis(Axis(1))?;
    let x = vt.t().matmul(&projected)?;
    let residuals = (&a.matmul(&x)? - &b2)
        .powi(2)
        .sum_axis(Axis(0))?
        .astype::<T>();
    let solution = if vector { x.remove_axis(Axis(1))? } else { x };
    Ok(Lstsq {
        solution,
        residuals,
        rank: kept.count_nonzero()?,
        singular_values: s,
    })
}

/// `x` with `a x = b`, for a square `a` and `b` a vector or a matrix of
/// `a`'s rows, by LU with partial pivoting; both are read as one block. A
/// singular `a` is an error. For dask users: `da.linalg.solve(a, b)`.
///
/// ```
/// let a = ndchunk::from_array(ndarray::array![[2.0f64, 1.0], [1.0, 3.0]], [1, 1])?;
/// let b = ndchunk::from_array(ndarray::array![3.0f64, 5.0], [1])?;
/// let x = ndchunk::linalg::solve(&a, &b)?.compute()?;
/// assert!((x[0] - 0.8).abs() < 1e-12 && (x[1] - 1.4).abs() < 1e-12);
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn solve<T: FloatElement>(a: &Array<T>, b: &Array<T>) -> Result<Array<T>> {
    let n = square_shape("solve", a)?;
    check_rhs("solve", b, (n, n))?;
    let a = a.rechunk(Chunks::single(a.shape()))?;
    let b = b.rechunk(Chunks::single(b.shape()))?;
    Ok(linalg_node(Factor::Solve, &[&a, &b], b.shape()))
}

/// The inverse of a square `a`, read as one block ([`solve`] with the
/// identity). For dask users: `da.linalg.inv(a)`.
///
/// ```
/// let a = ndchunk::from_array(ndarray::array![[4.0f64, 7.0], [2.0, 6.0]], [2, 2])?;
/// let inv = ndchunk::linalg::inv(&a)?.compute()?;
/// assert!((inv[[0, 0]] - 0.6).abs() < 1e-12 && (inv[[1, 0]] + 0.2).abs() < 1e-12);
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn inv<T: FloatElement>(a: &Array<T>) -> Result<Array<T>> {
    let n = square_shape("inv", a)?;
    solve(a, &eye::<T>(n, [n.max(1), n.max(1)])?)
}

/// The Cholesky factor of a symmetric positive definite `a`, read as one
/// block from its lower triangle: lower triangular `L` with `a = L Lᵀ`
/// (NumPy's default), or with `upper`, `U = Lᵀ` with `a = Uᵀ U` (dask's
/// default). A matrix that is not positive definite is an error. For dask
/// users: `da.linalg.cholesky(a, lower=True)`.
///
/// ```
/// let a = ndchunk::from_array(ndarray::array![[4.0, 2.0], [2.0, 5.0]], [1, 1])?;
/// let l = ndchunk::linalg::cholesky(&a, false)?.compute()?;
/// assert_eq!(l, ndarray::array![[2.0, 0.0], [1.0, 2.0]].into_dyn());
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn cholesky<T: FloatElement>(a: &Array<T>, upper: bool) -> Result<Array<T>> {
    square_shape("cholesky", a)?;
    let a = a.rechunk(Chunks::single(a.shape()))?;
    Ok(linalg_node(Factor::Cholesky { upper }, &[&a], a.shape()))
}

/// The order of a [`norm`], as NumPy's `ord`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NormOrd {
    /// Frobenius (matrices only; the default's value).
    Fro,
    /// Nuclear: the sum of the singular values (matrices only).
    Nuc,
    /// `inf`: the largest `|x|` (vectors), the largest row sum of `|x|`
    /// (matrices).
    Inf,
    /// `-inf`: the smallest `|x|`, the smallest row sum of `|x|`.
    NegInf,
    /// A number `p`: `(Σ|x|^p)^(1/p)` for vectors (0 counts the non-zero
    /// elements); for matrices 1 and -1 (largest, smallest column sum of
    /// `|x|`) and 2 and -2 (largest, smallest singular value).
    P(f64),
}

/// A vector or matrix norm, as NumPy's `norm(x, ord, axis, keepdims)`.
/// With no `axis`, `x` is a vector (1-d) or a matrix (2-d), or, for no
/// `ord`, flattened; one axis gives vector norms along it, two give matrix
/// norms over them. Spectral and nuclear norms need 2-d `x` (one
/// [`svdvals`]). For dask users: `da.linalg.norm(x, ord, axis, keepdims)`.
///
/// ```
/// use ndchunk::linalg::{norm, NormOrd};
/// let x = ndchunk::from_array(ndarray::array![[3.0, -4.0], [0.0, 12.0]], [1, 2])?;
/// assert_eq!(norm(&x, None, None, false)?.compute()?[[]], 13.0);
/// let rows = norm(&x, Some(NormOrd::P(1.0)), Some(&[1]), false)?.compute()?;
/// assert_eq!(rows, ndarray::array![7.0, 12.0].into_dyn());
/// assert_eq!(norm(&x, Some(NormOrd::Inf), None, false)?.compute()?[[]], 12.0);
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn norm<T: FloatElement>(
    x: &Array<T>,
    ord: Option<NormOrd>,
    axis: Option<&[isize]>,
    keepdims: bool,
) -> Result<Array<T>> {
    let ndim = x.ndim();
    let axes: Vec<usize> = match axis {
        Some(axes) => axes
            .iter()
            .map(|&a| normalise_axis(a, ndim))
            .collect::<Result<_>>()?,
        None if ord.is_none() => {
            let all: Vec<usize> = (0..ndim).collect();
            return vector_norm(x, 2.0, &all, keepdims);
        }
        None => match ndim {
            1 => vec![0],
            2 => vec![0, 1],
            _ => {
                return Err(Error::invalid(
                    "norm",
                    format!(
                        "an ord needs a vector or a matrix, or an axis; x has {ndim} dimensions"
                    ),
                ))
            }
        },
    };
    match (axes.as_slice(), ord) {
        (&[a], None) => vector_norm(x, 2.0, &[a], keepdims),
        (&[a], Some(NormOrd::P(p))) => vector_norm(x, p, &[a], keepdims),
        (&[a], Some(NormOrd::Inf)) => vector_norm(x, f64::INFINITY, &[a], keepdims),
        (&[a], Some(NormOrd::NegInf)) => vector_norm(x, f64::NEG_INFINITY, &[a], keepdims),
        (&[_], Some(other)) => Err(Error::invalid(
            "norm",
            format!("{other:?} is a matrix norm; one axis asks for a vector norm"),
        )),
        (&[r, c], _) if r == c => Err(Error::invalid(
            "norm",
            format!("the two axes of a matrix norm are the same ({r})"),
        )),
        (&[r, c], ord) => matrix_norm(x, ord.unwrap_or(NormOrd::Fro), (r, c), keepdims),
        _ => Err(Error::invalid(
            "norm",
            format!("axis must name one or two axes, not {}", axes.len()),
        )),
    }
}

/// `(Σ|x|^p)^(1/p)` over `axes`, with NumPy's special orders.
fn vector_norm<T: FloatElement>(
    x: &Array<T>,
    p: f64,
    axes: &[usize],
    keepdims: bool,
) -> Result<Array<T>> {
    let opts = reduce_options(axes, keepdims);
    let magnitude = x.abs();
    Ok(if p == f64::INFINITY {
        magnitude.max_with(&opts)?
    } else if p == f64::NEG_INFINITY {
        magnitude.min_with(&opts)?
    } else if p == 0.0 {
        x.ne(T::zero()).count_nonzero_with(&opts)?.astype::<T>()
    } else if p == 1.0 {
        magnitude.sum_with(&opts)?.astype::<T>()
    } else if p == 2.0 {
        magnitude.powi(2).sum_with(&opts)?.astype::<T>().sqrt()
    } else {
        magnitude
            .powf(p.cast::<T>())
            .sum_with(&opts)?
            .astype::<T>()
            .powf((1.0 / p).cast::<T>())
    })
}

/// A matrix norm over the axes `(rows, cols)`.
fn matrix_norm<T: FloatElement>(
    x: &Array<T>,
    ord: NormOrd,
    (rows, cols): (usize, usize),
    keepdims: bool,
) -> Result<Array<T>> {
    let line_sums = |summed: usize, extreme: usize, largest: bool| -> Result<Array<T>> {
        let sums = x
            .abs()
            .sum_with(&reduce_options(&[summed], true))?
            .astype::<T>();
        let opts = reduce_options(&[extreme], true);
        let picked = if largest {
            sums.max_with(&opts)?
        } else {
            sums.min_with(&opts)?
        };
        squeeze_pair(picked, (rows, cols), keepdims)
    };
    let singular = |pick: &dyn Fn(&Array<T>) -> Result<Array<T>>| -> Result<Array<T>> {
        if x.ndim() != 2 {
            return Err(Error::invalid(
                "norm",
                format!(
                    "{ord:?} norms need a 2-d array; x has {} dimensions",
                    x.ndim()
                ),
            ));
        }
        // A matrix and its transpose have the same singular values.
        let value = pick(&svdvals(x)?)?;
        match keepdims {
            true => value.reshape(&[1, 1]),
            false => Ok(value),
        }
    };
    match ord {
        NormOrd::Fro => vector_norm(x, 2.0, &[rows, cols], keepdims),
        NormOrd::Inf => line_sums(cols, rows, true),
        NormOrd::NegInf => line_sums(cols, rows, false),
        NormOrd::P(1.0) => line_sums(rows, cols, true),
        NormOrd::P(-1.0) => line_sums(rows, cols, false),
        NormOrd::P(2.0) => singular(&|s| s.max()),
        NormOrd::P(-2.0) => singular(&|s| s.min()),
        NormOrd::Nuc => singular(&|s| Ok(s.sum()?.astype::<T>())),
        NormOrd::P(p) => Err(Error::invalid(
            "norm",
            format!("ord {p} is not a matrix norm (1, -1, 2, -2, inf, -inf, fro, nuc are)"),
        )),
    }
}

/// `picked`, reduced with kept axes over both matrix axes, without them
/// unless `keepdims`.
fn squeeze_pair<T: FloatElement>(
    picked: Array<T>,
    (rows, cols): (usize, usize),
    keepdims: bool,
) -> Result<Array<T>> {
    if keepdims {
        return Ok(picked);
    }
    let (high, low) = (rows.max(cols), rows.min(cols));
    picked.remove_axis(Axis(high))?.remove_axis(Axis(low))
}

fn reduce_options(axes: &[usize], keepdims: bool) -> ReduceOptions {
    let axes: Vec<isize> = axes.iter().map(|&a| a as isize).collect();
    ReduceOptions::new().axes(&axes).keepdims(keepdims)
}

fn normalise_axis(axis: isize, ndim: usize) -> Result<usize> {
    let resolved = if axis < 0 { axis + ndim as isize } else { axis };
    if (0..ndim as isize).contains(&resolved) {
        Ok(resolved as usize)
    } else {
        Err(Error::AxisOutOfBounds {
            op: "norm".into(),
            axis,
            ndim,
        })
    }
}

/// The `(m, n)` of a 2-d `a`, or an error naming `op`.
fn matrix_shape<T: FloatElement>(op: &str, a: &Array<T>) -> Result<(usize, usize)> {
    if let Some(e) = a.error() {
        return Err(e.clone());
    }
    match *a.shape() {
        [m, n] => Ok((m, n)),
        _ => Err(Error::invalid(
            op,
            format!("needs a 2-d array, not one of shape {:?}", a.shape()),
        )),
    }
}

/// An error naming `op` unless `b` is a vector or a matrix of the rows of
/// an `a` of shape `(m, n)`.
fn check_rhs<T: FloatElement>(op: &str, b: &Array<T>, (m, n): (usize, usize)) -> Result<()> {
    if (1..=2).contains(&b.ndim()) && b.shape()[0] == m {
        return Ok(());
    }
    Err(Error::invalid(
        op,
        format!(
            "b (shape {:?}) must be a vector or a matrix of a's {m} rows (a: {m} × {n})",
            b.shape()
        ),
    ))
}

/// The order of a square 2-d `a`, or an error naming `op`.
fn square_shape<T: FloatElement>(op: &str, a: &Array<T>) -> Result<usize> {
    match matrix_shape(op, a)? {
        (m, n) if m == n => Ok(n),
        (m, n) => Err(Error::invalid(
            op,
            format!("needs a square matrix, not {m} × {n}"),
        )),
    }
}

/// A node applying `factor` to `inputs`, with one block of `shape`, or,
/// for a row-blockwise kernel, `inputs[0]`'s row chunks.
fn linalg_node<T: FloatElement>(factor: Factor, inputs: &[&Array<T>], shape: &[usize]) -> Array<T> {
    let chunks = if factor.blockwise() {
        let mut lens: Vec<Vec<usize>> = shape.iter().map(|&n| vec![n]).collect();
        lens[0] = inputs[0].chunks().lens(0).to_vec();
        Chunks::from_checked(lens)
    } else {
        Chunks::single(shape)
    };
    linalg_node_chunked(factor, inputs, chunks)
}

fn linalg_node_chunked<T: FloatElement>(
    factor: Factor,
    inputs: &[&Array<T>],
    chunks: Chunks,
) -> Array<T> {
    let inputs: Vec<Arc<Node>> = inputs.iter().map(|a| a.node().clone()).collect();
    Array::from_node(Node::new(Op::Linalg(factor), inputs, chunks, T::DTYPE))
}

/// One level of a tall-and-skinny QR: `Q = blockdiag(Q_i) · Q_above`,
/// where `A_i = Q_i R_i` are the level's row blocks and `Q_above` is the
/// Q of their stacked `R_i` (the level above), down to a level of one
/// block, factored whole.
struct Tree<T: FloatElement> {
    /// The level's input, with one column block.
    a: Array<T>,
    /// How the level completes its Q: one block, or row blocks under a level above.
    level: Level<T>,
    /// The final `R` (`min(m, n) × n`, one block).
    r: Array<T>,
}

enum Level<T: FloatElement> {
    /// One block, its QR packed as `[Q; R]`.
    One { packed: Array<T> },
    /// Row blocks whose `R`s (of these row lengths) are the level above's
    /// input.
    Blocks {
        stacked_rows: Vec<usize>,
        above: Box<Tree<T>>,
    },
}

impl<T: FloatElement> Tree<T> {
    fn new(a: &Array<T>) -> Result<Tree<T>> {
        let (m, n) = (a.shape()[0], a.shape()[1]);
        let k = m.min(n);
        let rows = a.chunks().lens(0).to_vec();
        let a = if rows.len() > 1 && n == 0 {
            // No columns: nothing to factor, and no R rows to stack.
            a.rechunk(Chunks::single(&[m, n]))?
        } else if a.chunks().lens(1).len() > 1 {
            a.rechunk(vec![rows.clone(), vec![n]])?
        } else {
            a.clone()
        };
        if rows.len() <= 1 || n == 0 {
            let packed = linalg_node(Factor::QrPacked, &[&a], &[m + k, n]);
            let r = packed.slice(s![m.., ..])?;
            return Ok(Tree {
                a,
                level: Level::One { packed },
                r,
            });
        }
        let stacked_rows: Vec<usize> = rows.iter().map(|&r| r.min(n)).collect();
        let stacked = linalg_node_chunked(
            Factor::BlockR,
            &[&a],
            Chunks::from_checked(vec![stacked_rows.clone(), vec![n]]),
        );
        let total: usize = stacked_rows.iter().sum();
        let largest = rows.iter().copied().max().unwrap_or(0);
        let grouped: Vec<usize> = if rows.len() <= TSQR_SPLIT_EVERY || total <= largest {
            vec![total]
        } else {
            stacked_rows
                .chunks(TSQR_SPLIT_EVERY)
                .map(|group| group.iter().sum())
                .collect()
        };
        let above = Tree::new(&stacked.rechunk(vec![grouped, vec![n]])?)?;
        let r = above.r.clone();
        Ok(Tree {
            a,
            level: Level::Blocks {
                stacked_rows,
                above: Box::new(above),
            },
            r,
        })
    }

    /// `Q · w` for a `min(m, n) × p` matrix `w` (one block), or `Q` itself.
    fn q_times(&self, w: Option<&Array<T>>) -> Result<Array<T>> {
        match &self.level {
            Level::One { packed } => {
                let (m, n) = (self.a.shape()[0], self.a.shape()[1]);
                let q = packed.slice(s![..m, ..m.min(n)])?;
                match w {
                    Some(w) => q.matmul(w),
                    None => Ok(q),
                }
            }
            Level::Blocks {
                stacked_rows,
                above,
            } => {
                let inner = above.q_times(w)?;
                let p = inner.shape()[1];
                let inner = inner.rechunk(vec![stacked_rows.clone(), vec![p]])?;
                let shape = [self.a.shape()[0], p];
                Ok(linalg_node(Factor::ApplyQ, &[&self.a, &inner], &shape))
            }
        }
    }
}

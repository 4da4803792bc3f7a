//! The rest of the Rust API: counting, padding and tiling, overlap, the
//! contractions' helpers, linear algebra and exact nearest neighbours.

use ndchunk::linalg::NormOrd;
use ndchunk::{Axis, Bins, Boundaries, OverlapBoundary, PadMode};
use numpy::IntoPyArray;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::array::{typed, unsupported, RawArray};
use crate::convert::scalar;
use crate::errors::IntoPy;

/// NumPy's `histogram`: `bins` a count or edges; counts (or `weights` sums,
/// or a density) and the edges.
#[pyfunction]
#[pyo3(signature = (a, bins, range = None, weights = None, density = false))]
pub fn histogram(
    a: PyRef<'_, RawArray>,
    bins: Bound<'_, PyAny>,
    range: Option<(f64, f64)>,
    weights: Option<PyRef<'_, RawArray>>,
    density: bool,
) -> PyResult<(RawArray, Vec<f64>)> {
    let bins = match bins.extract::<usize>() {
        Ok(n) => Bins::Count(n),
        Err(_) => Bins::Edges(bins.extract()?),
    };
    let dt = a.inner.dtype();
    ndchunk::with_num_dtype!(dt, T => {
        let x = typed::<T>(&a.inner)?;
        if weights.is_none() && !density {
            let (counts, edges) = x.histogram(bins, range).py()?;
            return Ok((counts.into(), edges));
        }
        let w = weights.map(|w| typed::<f64>(&w.inner)).transpose()?;
        let (values, edges) = x.histogram_with(bins, range, w.as_ref(), density).py()?;
        Ok((values.into(), edges))
    }, else => Err(unsupported("histogram", dt)))
}

/// NumPy's `digitize(x, bins, right)`.
#[pyfunction]
pub fn digitize(a: PyRef<'_, RawArray>, bins: Vec<f64>, right: bool) -> PyResult<RawArray> {
    let dt = a.inner.dtype();
    ndchunk::with_num_dtype!(dt, T => Ok(typed::<T>(&a.inner)?.digitize(&bins, right).py()?.into()),
        else => Err(unsupported("digitize", dt)))
}

/// NumPy's `bincount(x, weights, minlength)` of non-negative integers.
#[pyfunction]
#[pyo3(signature = (a, minlength = 0, weights = None))]
pub fn bincount(
    a: PyRef<'_, RawArray>,
    minlength: usize,
    weights: Option<PyRef<'_, RawArray>>,
) -> PyResult<RawArray> {
    let dt = a.inner.dtype();
    ndchunk::with_int_dtype!(dt, T => {
        let x = typed::<T>(&a.inner)?;
        Ok(match weights {
            None => x.bincount(minlength).py()?.into(),
            Some(w) => x.bincount_weighted(&typed::<f64>(&w.inner)?, minlength).py()?.into(),
        })
    }, else => Err(unsupported("bincount", dt)))
}

/// NumPy's `pad`: `mode` `constant` (with `value`), `edge`, `reflect`,
/// `symmetric` or `wrap`.
#[pyfunction]
pub fn pad(
    a: PyRef<'_, RawArray>,
    widths: Vec<(usize, usize)>,
    mode: &str,
    value: Bound<'_, PyAny>,
) -> PyResult<RawArray> {
    ndchunk::with_dtype!(a.inner.dtype(), T => {
        let mode = match mode {
            "constant" => PadMode::Constant(scalar(&value)?.cast::<T>()),
            "edge" => PadMode::Edge,
            "reflect" => PadMode::Reflect,
            "symmetric" => PadMode::Symmetric,
            "wrap" => PadMode::Wrap,
            other => return Err(PyValueError::new_err(format!("pad: mode {other:?} is not supported (constant, edge, reflect, symmetric, wrap)"))),
        };
        Ok(typed::<T>(&a.inner)?.pad(&widths, mode).py()?.into())
    })
}

/// `roll` (by `n` along `axis`), `repeat` (each element `n` times along
/// `axis`), `tile` (by `reps`).
#[pyfunction]
#[pyo3(signature = (a, op, n = 0, axis = 0, reps = None))]
pub fn layout(
    a: PyRef<'_, RawArray>,
    op: &str,
    n: isize,
    axis: usize,
    reps: Option<Vec<usize>>,
) -> PyResult<RawArray> {
    ndchunk::with_dtype!(a.inner.dtype(), T => {
        let x = typed::<T>(&a.inner)?;
        Ok(match op {
            "roll" => x.roll(n, Axis(axis)),
            "repeat" => x.repeat(n.max(0) as usize, Axis(axis)),
            "tile" => x.tile(&reps.unwrap_or_default()),
            other => return Err(PyValueError::new_err(format!("unknown layout operation {other}"))),
        }.py()?.into())
    })
}

/// The diagonal `offset` of the axes `axis1`, `axis2` (or its sum, `trace`).
#[pyfunction]
pub fn diagonal(
    a: PyRef<'_, RawArray>,
    offset: isize,
    axis1: isize,
    axis2: isize,
    trace: bool,
) -> PyResult<RawArray> {
    let dt = a.inner.dtype();
    ndchunk::with_num_dtype!(dt, T => {
        let x = typed::<T>(&a.inner)?;
        Ok(if trace { x.trace(offset, axis1, axis2).py()?.into() } else { x.diagonal(offset, axis1, axis2).py()?.into() })
    }, else => Err(unsupported("diagonal", dt)))
}

/// dask's boundaries: `none`, `reflect`, `periodic`, `nearest`, or a number;
/// one for every axis, or one per axis.
fn boundaries<T: ndchunk::Element>(spec: &[Bound<'_, PyAny>]) -> PyResult<Boundaries<T>> {
    let one = |b: &Bound<'_, PyAny>| -> PyResult<OverlapBoundary<T>> {
        if let Ok(name) = b.extract::<String>() {
            return Ok(match name.as_str() {
                "none" => OverlapBoundary::None,
                "reflect" => OverlapBoundary::Reflect,
                "periodic" => OverlapBoundary::Periodic,
                "nearest" => OverlapBoundary::Nearest,
                other => {
                    return Err(PyValueError::new_err(format!(
                    "boundary {other:?} is not one of none, reflect, periodic, nearest or a number"
                )))
                }
            });
        }
        Ok(OverlapBoundary::Constant(scalar(b)?.cast::<T>()))
    };
    match spec {
        [b] => Ok(one(b)?.into()),
        many => Ok(many.iter().map(one).collect::<PyResult<Vec<_>>>()?.into()),
    }
}

/// dask's `overlap(depth, boundary)` (`trim` false) or `trim_internal`
/// (`trim` true).
#[pyfunction]
pub fn overlap(
    a: PyRef<'_, RawArray>,
    depth: Vec<usize>,
    boundary: Vec<Bound<'_, PyAny>>,
    trim: bool,
) -> PyResult<RawArray> {
    ndchunk::with_dtype!(a.inner.dtype(), T => {
        let x = typed::<T>(&a.inner)?;
        let b = boundaries::<T>(&boundary)?;
        Ok(if trim { x.trim_internal(&depth, b) } else { x.overlap(&depth, b) }.py()?.into())
    })
}

/// NumPy's `outer` and `vdot` (`op`).
#[pyfunction]
pub fn product(a: PyRef<'_, RawArray>, b: PyRef<'_, RawArray>, op: &str) -> PyResult<RawArray> {
    let dt = a.inner.dtype();
    ndchunk::with_num_dtype!(dt, T => {
        let (x, y) = (typed::<T>(&a.inner)?, typed::<T>(&b.inner)?);
        Ok(match op {
            "outer" => x.outer(&y),
            _ => x.vdot(&y),
        }.py()?.into())
    }, else => Err(unsupported(op, dt)))
}

/// `numpy.linalg`'s functions of float matrices: `op` one of `solve`,
/// `inv`, `cholesky`, `qr`, `svd`, `svdvals`, `lstsq`; the results in a list.
#[pyfunction]
#[pyo3(signature = (op, a, b = None, upper = false, rcond = None))]
pub fn linalg(
    op: &str,
    a: PyRef<'_, RawArray>,
    b: Option<PyRef<'_, RawArray>>,
    upper: bool,
    rcond: Option<f64>,
) -> PyResult<Vec<RawArray>> {
    let dt = a.inner.dtype();
    ndchunk::with_float_dtype!(dt, F => {
        use ndchunk::linalg as la;
        let x = typed::<F>(&a.inner)?;
        let other = || -> PyResult<ndchunk::Array<F>> {
            let b = b.as_ref().ok_or_else(|| PyValueError::new_err(format!("{op} needs a second matrix")))?;
            typed::<F>(&b.inner)
        };
        Ok(match op {
            "solve" => vec![la::solve(&x, &other()?).py()?.into()],
            "inv" => vec![la::inv(&x).py()?.into()],
            "cholesky" => vec![la::cholesky(&x, upper).py()?.into()],
            "qr" => { let (q, r) = la::qr(&x).py()?; vec![q.into(), r.into()] }
            "svd" => { let (u, s, v) = la::svd(&x).py()?; vec![u.into(), s.into(), v.into()] }
            "svdvals" => vec![la::svdvals(&x).py()?.into()],
            "lstsq" => {
                let out = la::lstsq(&x, &other()?, rcond).py()?;
                vec![out.solution.into(), out.residuals.into(), out.rank.into()]
            }
            other => return Err(PyValueError::new_err(format!("unknown linalg function {other}"))),
        })
    }, else => Err(unsupported(op, dt)))
}

/// `numpy.linalg.norm(x, ord, axis, keepdims)`: `ord` `None`, `"fro"`,
/// `"nuc"`, `inf`, `-inf` or a number.
#[pyfunction]
#[pyo3(signature = (a, ord = None, axis = None, keepdims = false))]
pub fn norm(
    a: PyRef<'_, RawArray>,
    ord: Option<Bound<'_, PyAny>>,
    axis: Option<Vec<isize>>,
    keepdims: bool,
) -> PyResult<RawArray> {
    let ord = match ord {
        None => None,
        Some(o) => Some(match o.extract::<String>() {
            Ok(s) if s == "fro" => NormOrd::Fro,
            Ok(s) if s == "nuc" => NormOrd::Nuc,
            Ok(s) => {
                return Err(PyValueError::new_err(format!(
                    "norm: ord {s:?} is not supported"
                )))
            }
            Err(_) => match o.extract::<f64>()? {
                p if p == f64::INFINITY => NormOrd::Inf,
                p if p == f64::NEG_INFINITY => NormOrd::NegInf,
                p => NormOrd::P(p),
            },
        }),
    };
    let dt = a.inner.dtype();
    ndchunk::with_float_dtype!(dt, F => Ok(ndchunk::linalg::norm(&typed::<F>(&a.inner)?, ord, axis.as_deref(), keepdims).py()?.into()),
        else => Err(unsupported("norm", dt)))
}

/// Exact `k` nearest neighbours of every row (Euclidean): the positions and
/// distances, as NumPy arrays (computed now).
#[pyfunction]
pub fn knn<'py>(
    py: Python<'py>,
    a: PyRef<'_, RawArray>,
    k: usize,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let dt = a.inner.dtype();
    let inner = a.inner.clone();
    ndchunk::with_float_dtype!(dt, F => {
        let x = typed::<F>(&inner)?;
        let (idx, dist) = crate::exec::run(py, &Default::default(), move |ex| ndchunk::neighbors::knn_with(&x, k, ex))?;
        Ok((idx.into_pyarray(py).into_any(), dist.into_pyarray(py).into_any()))
    }, else => Err(unsupported("knn", dt)))
}

/// NumPy's `histogram2d(x, y, bins, range)` of two 1-d arrays of one
/// dtype: the counts and both edges.
#[pyfunction]
#[pyo3(signature = (x, y, bins, range = None))]
#[allow(clippy::type_complexity)]
pub fn histogram2d(
    x: PyRef<'_, RawArray>,
    y: PyRef<'_, RawArray>,
    bins: (Bound<'_, PyAny>, Bound<'_, PyAny>),
    range: Option<((f64, f64), (f64, f64))>,
) -> PyResult<(RawArray, Vec<f64>, Vec<f64>)> {
    let one = |b: &Bound<'_, PyAny>| -> PyResult<Bins> {
        Ok(match b.extract::<usize>() {
            Ok(n) => Bins::Count(n),
            Err(_) => Bins::Edges(b.extract()?),
        })
    };
    let bins = (one(&bins.0)?, one(&bins.1)?);
    let dt = x.inner.dtype();
    ndchunk::with_num_dtype!(dt, T => {
        let (counts, xe, ye) = typed::<T>(&x.inner)?.histogram2d(&typed::<T>(&y.inner)?, bins, range).py()?;
        Ok((counts.into(), xe, ye))
    }, else => Err(unsupported("histogram2d", dt)))
}

/// NumPy's `gradient` along `axis` with uniform `spacing` (floats).
#[pyfunction]
pub fn gradient(a: PyRef<'_, RawArray>, axis: usize, spacing: f64) -> PyResult<RawArray> {
    let dt = a.inner.dtype();
    ndchunk::with_float_dtype!(dt, F => {
        let h = ndchunk::Scalar::F64(spacing).cast::<F>();
        Ok(typed::<F>(&a.inner)?.gradient(Axis(axis), h).py()?.into())
    }, else => Err(unsupported("gradient", dt)))
}

/// A random permutation of the positions along `axis` (from `seed`)
/// applied to the array: `permutation` (a new order) or `shuffle` (the
/// same, in dask's name).
#[pyfunction]
pub fn permutation(a: PyRef<'_, RawArray>, axis: usize, seed: u64) -> PyResult<RawArray> {
    ndchunk::with_dtype!(a.inner.dtype(), T => Ok(typed::<T>(&a.inner)?.permutation(Axis(axis), seed).py()?.into()))
}

/// dask's `svd_compressed(a, k)`: a randomised thin SVD of rank `k`.
#[pyfunction]
#[pyo3(signature = (a, k, n_power_iter = 0, n_oversamples = 10, seed = 0))]
pub fn svd_compressed(
    a: PyRef<'_, RawArray>,
    k: usize,
    n_power_iter: usize,
    n_oversamples: usize,
    seed: u64,
) -> PyResult<Vec<RawArray>> {
    let dt = a.inner.dtype();
    let options = ndchunk::linalg::SvdCompressed {
        n_power_iter,
        n_oversamples,
        seed,
    };
    ndchunk::with_float_dtype!(dt, F => {
        let (u, s, v) = ndchunk::linalg::svd_compressed(&typed::<F>(&a.inner)?, k, &options).py()?;
        Ok(vec![u.into(), s.into(), v.into()])
    }, else => Err(unsupported("svd_compressed", dt)))
}

/// The exact `k` nearest rows of `corpus` to every row of `queries`
/// (Euclidean; NumPy arrays of positions and distances, computed now).
#[pyfunction]
pub fn kneighbors<'py>(
    py: Python<'py>,
    queries: PyRef<'_, RawArray>,
    corpus: PyRef<'_, RawArray>,
    k: usize,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let dt = queries.inner.dtype();
    let (q, c) = (queries.inner.clone(), corpus.inner.clone());
    ndchunk::with_float_dtype!(dt, F => {
        let (q, c) = (typed::<F>(&q)?, typed::<F>(&c)?);
        let (idx, dist) = crate::exec::run(py, &Default::default(), move |ex| ndchunk::neighbors::kneighbors_with(&q, &c, k, ex))?;
        Ok((idx.into_pyarray(py).into_any(), dist.into_pyarray(py).into_any()))
    }, else => Err(unsupported("kneighbors", dt)))
}

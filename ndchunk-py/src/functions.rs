//! Module-level functions: creation, joins, contractions and compute.

use ndchunk::{AnyArray, Axis, DynArray};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::array::{typed, unsupported, Other, RawArray};
use crate::convert::{chunk_spec, dtype, scalar, to_numpy};
use crate::errors::IntoPy;
use crate::exec::{run, shippable, ExecOptions};

/// A NumPy array (aligned, native order, C-contiguous) as a lazy array of
/// `chunks`, read in place (or copied once, with `copy`).
#[pyfunction]
#[pyo3(signature = (array, chunks, copy = false))]
pub fn from_numpy(
    array: &Bound<'_, PyAny>,
    chunks: &Bound<'_, PyAny>,
    copy: bool,
) -> PyResult<RawArray> {
    crate::convert::from_numpy(array, chunk_spec(chunks)?, copy).map(RawArray::from)
}

/// Computes `arrays` in one plan and returns them as NumPy arrays that own
/// the results (no copy).
#[pyfunction]
#[pyo3(signature = (arrays, options = None))]
pub fn compute<'py>(
    py: Python<'py>,
    arrays: Vec<PyRef<'py, RawArray>>,
    options: Option<Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyList>> {
    let options = ExecOptions::from_dict(options.as_ref())?;
    let any = shippable(&options, arrays.iter().map(|a| a.inner.clone()).collect())?;
    let blocks: Vec<DynArray> = run(py, &options, |ex| ndchunk::compute_any(&any, ex))?;
    PyList::new(py, blocks.into_iter().map(|b| to_numpy(py, b)))
}

/// Computes `array`'s blocks and returns an array backed by them.
#[pyfunction]
#[pyo3(signature = (array, options = None))]
pub fn persist(
    py: Python<'_>,
    array: PyRef<'_, RawArray>,
    options: Option<Bound<'_, PyDict>>,
) -> PyResult<RawArray> {
    let options = ExecOptions::from_dict(options.as_ref())?;
    let inner = shippable(&options, vec![array.inner.clone()])?.remove(0);
    run(
        py,
        &options,
        move |ex| ndchunk::with_dtype!(inner.dtype(), T => Ok(RawArray::from(inner.typed::<T>()?.persist_with(ex)?))),
    )
}

/// An array of `shape` filled with `value` (of `dtype`).
#[pyfunction]
pub fn full(
    shape: Vec<usize>,
    value: &Bound<'_, PyAny>,
    dtype_name: &str,
    chunks: &Bound<'_, PyAny>,
) -> PyResult<RawArray> {
    let (dt, v, spec) = (dtype(dtype_name)?, scalar(value)?, chunk_spec(chunks)?);
    ndchunk::with_dtype!(dt, T => Ok(ndchunk::full::<T>(&shape, v.cast(), spec).py()?.into()))
}

/// NumPy's `arange(start, stop, step, dtype=...)`.
#[pyfunction]
pub fn arange(
    start: f64,
    stop: f64,
    step: f64,
    dtype_name: &str,
    chunks: &Bound<'_, PyAny>,
) -> PyResult<RawArray> {
    let (dt, spec) = (dtype(dtype_name)?, chunk_spec(chunks)?);
    ndchunk::with_num_dtype!(dt, T => {
        let s = |v: f64| ndchunk::Scalar::F64(v).cast::<T>();
        Ok(ndchunk::arange::<T>(s(start), s(stop), s(step), spec).py()?.into())
    }, else => Err(unsupported("arange", dt)))
}

/// NumPy's `linspace(start, stop, num)`.
#[pyfunction]
pub fn linspace(
    start: f64,
    stop: f64,
    num: usize,
    dtype_name: &str,
    chunks: &Bound<'_, PyAny>,
) -> PyResult<RawArray> {
    let (dt, spec) = (dtype(dtype_name)?, chunk_spec(chunks)?);
    ndchunk::with_num_dtype!(dt, T => Ok(ndchunk::linspace::<T>(start, stop, num, spec).py()?.into()),
        else => Err(unsupported("linspace", dt)))
}

/// Random arrays: `kind` is `uniform` (over `[low, high)`), `normal`
/// (standard normal) or `integers` (over `[low, high)`).
#[pyfunction]
#[pyo3(signature = (kind, shape, dtype_name, chunks, seed, low = 0.0, high = 1.0))]
#[allow(clippy::too_many_arguments)]
pub fn random(
    kind: &str,
    shape: Vec<usize>,
    dtype_name: &str,
    chunks: &Bound<'_, PyAny>,
    seed: u64,
    low: f64,
    high: f64,
) -> PyResult<RawArray> {
    let (dt, spec) = (dtype(dtype_name)?, chunk_spec(chunks)?);
    match kind {
        "integers" => {
            ndchunk::with_num_dtype!(dt, T => Ok(ndchunk::random::integers::<T>(low as i64, high as i64, &shape, spec, seed).py()?.into()),
            else => Err(unsupported("random.integers", dt)))
        }
        _ => ndchunk::with_float_dtype!(dt, T => Ok(match kind {
                "uniform" => ndchunk::random::uniform_range::<T>(low, high, &shape, spec, seed),
                _ => ndchunk::random::standard_normal::<T>(&shape, spec, seed),
            }.py()?.into()),
            else => Err(unsupported(kind, dt))),
    }
}

/// `a` where `cond` is true, else `b` (`a` and `b` of one dtype).
#[pyfunction]
#[pyo3(name = "where")]
pub fn where_(cond: PyRef<'_, RawArray>, a: Other<'_>, b: Other<'_>) -> PyResult<RawArray> {
    let cond = typed::<bool>(&cond.inner)?;
    let dt = match (&a, &b) {
        (Other::Array(x), _) | (_, Other::Array(x)) => x.inner.dtype(),
        _ => {
            return Err(PyTypeError::new_err(
                "where: one of the values must be an array",
            ))
        }
    };
    ndchunk::with_dtype!(dt, T => Ok(ndchunk::where_(&cond, a.array::<T>()?, b.array::<T>()?).into()))
}

/// The arrays (one dtype) joined along an existing axis.
#[pyfunction]
pub fn concatenate(arrays: Vec<PyRef<'_, RawArray>>, axis: usize) -> PyResult<RawArray> {
    join(arrays, |dt, list| {
        ndchunk::with_dtype!(dt, T => {
            let typed = list.iter().map(typed::<T>).collect::<PyResult<Vec<_>>>()?;
            Ok(ndchunk::concatenate(Axis(axis), &typed).py()?.into())
        })
    })
}

/// The arrays (one dtype and shape) stacked along a new axis.
#[pyfunction]
pub fn stack(arrays: Vec<PyRef<'_, RawArray>>, axis: usize) -> PyResult<RawArray> {
    join(arrays, |dt, list| {
        ndchunk::with_dtype!(dt, T => {
            let typed = list.iter().map(typed::<T>).collect::<PyResult<Vec<_>>>()?;
            Ok(ndchunk::stack(Axis(axis), &typed).py()?.into())
        })
    })
}

fn join(
    arrays: Vec<PyRef<'_, RawArray>>,
    f: impl FnOnce(ndchunk::DType, &[AnyArray]) -> PyResult<RawArray>,
) -> PyResult<RawArray> {
    let list: Vec<AnyArray> = arrays.iter().map(|a| a.inner.clone()).collect();
    let dt = list.first().map(|a| a.dtype()).ok_or_else(|| {
        pyo3::exceptions::PyValueError::new_err("need at least one array to join")
    })?;
    f(dt, &list)
}

/// NumPy's `matmul` (`a @ b`) of one dtype.
#[pyfunction]
pub fn matmul(a: PyRef<'_, RawArray>, b: PyRef<'_, RawArray>) -> PyResult<RawArray> {
    let dt = a.inner.dtype();
    ndchunk::with_num_dtype!(dt, T => Ok(typed::<T>(&a.inner)?.matmul(&typed::<T>(&b.inner)?).py()?.into()),
        else => Err(unsupported("matmul", dt)))
}

/// NumPy's `tensordot(a, b, axes=(a_axes, b_axes))`.
#[pyfunction]
pub fn tensordot(
    a: PyRef<'_, RawArray>,
    b: PyRef<'_, RawArray>,
    a_axes: Vec<isize>,
    b_axes: Vec<isize>,
) -> PyResult<RawArray> {
    let dt = a.inner.dtype();
    ndchunk::with_num_dtype!(dt, T => Ok(typed::<T>(&a.inner)?.tensordot(&typed::<T>(&b.inner)?, &a_axes, &b_axes).py()?.into()),
        else => Err(unsupported("tensordot", dt)))
}

/// NumPy's `einsum(subscripts, *operands)` (operands of one dtype).
#[pyfunction]
pub fn einsum(subscripts: &str, operands: Vec<PyRef<'_, RawArray>>) -> PyResult<RawArray> {
    join(operands, |dt, list| {
        ndchunk::with_num_dtype!(dt, T => {
        let typed = list.iter().map(typed::<T>).collect::<PyResult<Vec<_>>>()?;
        let refs: Vec<_> = typed.iter().collect();
        Ok(ndchunk::einsum(subscripts, &refs).py()?.into())
    }, else => Err(unsupported("einsum", dt)))
    })
}

/// The chunk lengths `chunks` (a spec as `convert::chunk_spec` reads it)
/// gives an array of `shape` and `dtype`.
#[pyfunction]
pub fn resolve_chunks(
    chunks: &Bound<'_, PyAny>,
    shape: Vec<usize>,
    dtype_name: &str,
) -> PyResult<Vec<Vec<usize>>> {
    let resolved = chunk_spec(chunks)?
        .resolve(&shape, dtype(dtype_name)?)
        .py()?;
    Ok(resolved.all_lens().to_vec())
}

/// The Zarr array at `path` (v2 or v3) of `dtype_name`, in its stored
/// chunks, or in `chunks` rounded up to them.
#[pyfunction]
#[pyo3(signature = (path, dtype_name, chunks = None))]
pub fn from_zarr(
    path: &str,
    dtype_name: &str,
    chunks: Option<Bound<'_, PyAny>>,
) -> PyResult<RawArray> {
    let dt = dtype(dtype_name)?;
    let spec = chunks.map(|c| chunk_spec(&c)).transpose()?;
    ndchunk::with_dtype!(dt, T => Ok(match spec {
        None => ndchunk::from_zarr::<T>(path),
        Some(spec) => ndchunk::from_zarr_with::<T>(path, spec),
    }.py()?.into()))
}

/// Writes each array to its Zarr v3 path in one compute, each complete or
/// absent (crash-safe). `codec` is `zstd`, `blosc` or `none`.
#[pyfunction]
#[pyo3(signature = (arrays, paths, codec = "zstd", level = 3, chunks = None, dimension_names = None, overwrite = false, options = None))]
#[allow(clippy::too_many_arguments)]
pub fn store(
    py: Python<'_>,
    arrays: Vec<PyRef<'_, RawArray>>,
    paths: Vec<String>,
    codec: &str,
    level: i32,
    chunks: Option<Vec<Option<Vec<usize>>>>,
    dimension_names: Option<Vec<Option<Vec<String>>>>,
    overwrite: bool,
    options: Option<Bound<'_, PyDict>>,
) -> PyResult<()> {
    let codec = match codec {
        "zstd" => ndchunk::ZarrCodec::Zstd(level),
        "blosc" => ndchunk::ZarrCodec::Blosc(level.clamp(0, 9) as u8),
        "none" => ndchunk::ZarrCodec::None,
        other => {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "store: unknown codec {other:?} (zstd, blosc, none)"
            )))
        }
    };
    let mut items = Vec::with_capacity(arrays.len());
    for (k, (array, path)) in arrays.iter().zip(&paths).enumerate() {
        let mut opts = ndchunk::ZarrOptions::default()
            .codec(codec.clone())
            .overwrite(overwrite);
        if let Some(Some(c)) = chunks.as_ref().and_then(|c| c.get(k)) {
            opts = opts.chunks(c);
        }
        if let Some(Some(names)) = dimension_names.as_ref().and_then(|d| d.get(k)) {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            opts = opts.dimension_names(&names);
        }
        items.push((array.inner.clone(), std::path::PathBuf::from(path), opts));
    }
    let options = ExecOptions::from_dict(options.as_ref())?;
    let shipped = shippable(&options, items.iter().map(|(a, _, _)| a.clone()).collect())?;
    for (item, a) in items.iter_mut().zip(shipped) {
        item.0 = a;
    }
    run(py, &options, move |ex| {
        let refs: Vec<_> = items
            .iter()
            .map(|(a, p, o)| (a.clone(), p.as_path(), o.clone()))
            .collect();
        ndchunk::store_with(&refs, ex)
    })
}

/// Serves ndchunk tasks when `argv` are a Dask worker's (`ndchunk-worker
/// --ndchunk-worker-server`): does not return then. Returns `False` otherwise.
#[pyfunction]
pub fn run_worker(argv: Vec<String>) -> bool {
    ndchunk::worker::run_worker_with(&argv)
}

/// The HDF5 dataset `dataset` of the file at `path` (of `dtype_name`), in
/// its stored chunks or in `chunks`.
#[pyfunction]
#[pyo3(signature = (path, dataset, dtype_name, chunks = None))]
pub fn from_hdf5(
    path: &str,
    dataset: &str,
    dtype_name: &str,
    chunks: Option<Bound<'_, PyAny>>,
) -> PyResult<RawArray> {
    let dt = dtype(dtype_name)?;
    let spec = chunks.map(|c| chunk_spec(&c)).transpose()?;
    ndchunk::with_dtype!(dt, T => Ok(match spec {
        None => ndchunk::from_hdf5::<T>(path, dataset),
        Some(spec) => ndchunk::from_hdf5_with::<T>(path, dataset, spec),
    }.py()?.into()))
}

/// Writes `array` as the HDF5 dataset `dataset` of the file at `path`
/// (crash-safe: complete, or not there), with `deflate` compression when
/// given and stored chunks of `chunks` (default: the blocks).
#[pyfunction]
#[pyo3(signature = (array, path, dataset, chunks = None, deflate = None, overwrite = false, options = None))]
#[allow(clippy::too_many_arguments)]
pub fn to_hdf5(
    py: Python<'_>,
    array: PyRef<'_, RawArray>,
    path: String,
    dataset: String,
    chunks: Option<Vec<usize>>,
    deflate: Option<u8>,
    overwrite: bool,
    options: Option<Bound<'_, PyDict>>,
) -> PyResult<()> {
    let mut opts = ndchunk::Hdf5Options::default().overwrite(overwrite);
    if let Some(c) = &chunks {
        opts = opts.chunks(c);
    }
    if let Some(level) = deflate {
        opts = opts.deflate(level);
    }
    let options = ExecOptions::from_dict(options.as_ref())?;
    let inner = shippable(&options, vec![array.inner.clone()])?.remove(0);
    run(
        py,
        &options,
        move |ex| ndchunk::with_dtype!(inner.dtype(), T => inner.typed::<T>()?.to_hdf5_with(&path, &dataset, opts, ex)),
    )
}

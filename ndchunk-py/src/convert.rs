//! Values crossing the boundary: dtype names, NumPy arrays in and out,
//! Python scalars and chunk specifications.

use std::sync::Arc;

use ndarray::{ArrayD, ArrayViewD, IxDyn, ShapeBuilder};
use ndchunk::{AnyArray, AxisChunks, ChunkSpec, DType, DynArray, Element, Scalar};

use numpy::{IntoPyArray, PyArrayDyn, PyArrayMethods, PyUntypedArray, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt};

use crate::errors::IntoPy;

/// The dtype NumPy calls `name` (`"float32"`, `"int64"`, `"bool"`, ...).
pub fn dtype(name: &str) -> PyResult<DType> {
    DType::ALL
        .into_iter()
        .find(|d| d.name() == name)
        .ok_or_else(|| {
            PyTypeError::new_err(format!(
                "dtype {name} is not supported by ndchunk (bool, int8..int64, uint8..uint64, float32, float64)"
            ))
        })
}

/// A NumPy array as a lazy array cut into `chunks`: with `copy`, its
/// values copied once into memory ndchunk holds (as the Rust API's
/// `from_array`); otherwise read in place: each block copies its region from NumPy's buffer when a task
/// needs it, and the array holds a reference to the NumPy array until it
/// and every array built on it are dropped. The caller (the Python layer)
/// passes an aligned, native-order, C-contiguous array; writing to it while
/// a compute runs changes what the compute reads, as with
/// `dask.array.from_array`.
pub fn from_numpy(array: &Bound<'_, PyAny>, chunks: ChunkSpec, copy: bool) -> PyResult<AnyArray> {
    let untyped = array.cast::<PyUntypedArray>()?;
    if !untyped.is_c_contiguous() || !untyped.is_aligned() {
        return Err(PyValueError::new_err(
            "from_numpy: the array must be aligned and C-contiguous (np.ascontiguousarray)",
        ));
    }
    let descr = untyped.dtype();
    let dt = dtype(&descr.getattr("name")?.extract::<String>()?)?;
    if !descr.getattr("isnative")?.extract::<bool>()? {
        return Err(PyValueError::new_err(format!(
            "from_numpy: dtype {} is not in native byte order",
            descr.getattr("str")?
        )));
    }
    let shape = untyped.shape().to_vec();
    ndchunk::with_dtype!(dt, T => {
        let typed = array.cast::<PyArrayDyn<T>>()?;
        if copy {
            // Into a buffer backed by huge pages where the kernel allows, as
            // NumPy backs its own large arrays: random gathers from it then
            // miss the TLB far less.
            let source = typed.readonly();
            let values = source.as_slice()?;
            let mut buffer = ndchunk::huge_pages::zeroed::<T>(values.len());
            buffer.copy_from_slice(values);
            let owned = ArrayD::from_shape_vec(IxDyn(&shape), buffer)
                .map_err(|e| PyValueError::new_err(format!("from_numpy: {e}")))?;
            return Ok(ndchunk::from_array(owned, chunks).py()?.into());
        }
        let buffer = Buffer {
            data: typed.data() as usize,
            shape: shape.clone(),
            owner: Arc::new(typed.clone().into_any().unbind()),
        };
        let grid = chunks.resolve(&shape, dt).py()?;
        let offsets = grid.clone();
        let lazy = ndchunk::from_fn::<T, _>(&shape, grid, move |block, block_shape| {
            buffer.region::<T>(&offsets.block_offset(block), block_shape)
        })
        .py()?;
        Ok(lazy.into())
    })
}

/// A NumPy array's buffer, kept alive by `owner`.
struct Buffer {
    /// The address of the first element (C order, aligned, native order).
    data: usize,
    shape: Vec<usize>,
    /// The NumPy array, released when the last lazy array reading it goes.
    #[allow(dead_code)]
    owner: Arc<Py<PyAny>>,
}

impl Buffer {
    /// The box at `start` of `shape`, copied out of the buffer.
    fn region<T: Element>(&self, start: &[usize], shape: &[usize]) -> ArrayD<T> {
        // SAFETY: `data` points to a live (held by `owner`), aligned, C-order
        // buffer of `self.shape` elements of `T` (checked by `from_numpy`);
        // the slice stays inside it because the blocks tile the shape.
        let whole = unsafe {
            ArrayViewD::from_shape_ptr(
                IxDyn(&self.shape).strides(c_strides(&self.shape)),
                self.data as *const T,
            )
        };
        let mut view = whole;
        for (axis, (&s, &n)) in start.iter().zip(shape).enumerate() {
            view.slice_axis_inplace(ndarray::Axis(axis), ndarray::Slice::from(s..s + n));
        }
        view.to_owned()
    }
}

/// C-order strides (in elements) of `shape`.
fn c_strides(shape: &[usize]) -> IxDyn {
    let mut strides = vec![0usize; shape.len()];
    let mut step = 1usize;
    for (s, &n) in strides.iter_mut().zip(shape).rev() {
        *s = step;
        step *= n.max(1);
    }
    IxDyn(&strides)
}

/// A computed block as a NumPy array that owns it (no copy).
pub fn to_numpy(py: Python<'_>, block: DynArray) -> Bound<'_, PyAny> {
    ndchunk::dyn_match!(block, a: T => a.into_pyarray(py).into_any())
}

/// A Python `bool`, `int` or `float` (or a NumPy scalar) as a [`Scalar`]:
/// the Python layer has already checked it fits the dtype it meets.
pub fn scalar(value: &Bound<'_, PyAny>) -> PyResult<Scalar> {
    if value.is_instance_of::<PyBool>() {
        return Ok(Scalar::Bool(value.extract()?));
    }
    if value.is_instance_of::<PyInt>() {
        if let Ok(v) = value.extract::<i64>() {
            return Ok(Scalar::I64(v));
        }
        return Ok(Scalar::U64(value.extract()?));
    }
    if value.is_instance_of::<PyFloat>() {
        return Ok(Scalar::F64(value.extract()?));
    }
    Err(PyTypeError::new_err(format!(
        "expected a bool, int or float scalar, got {}",
        value.get_type().name()?
    )))
}

/// A chunk specification from the Python layer, which has already turned
/// dask's forms into one of: `None` (auto), an `int` (bytes per chunk,
/// auto shape), or a list with one entry per axis: `-1` (whole axis), a
/// positive length, `None` (auto), or a list of lengths.
pub fn chunk_spec(spec: &Bound<'_, PyAny>) -> PyResult<ChunkSpec> {
    if spec.is_none() {
        return Ok(ChunkSpec::Auto);
    }
    if let Ok(bytes) = spec.extract::<u64>() {
        return Ok(ChunkSpec::AutoBytes(bytes));
    }
    let axes: Vec<Bound<'_, PyAny>> = spec.extract()?;
    let mut out = Vec::with_capacity(axes.len());
    for (axis, entry) in axes.iter().enumerate() {
        out.push(if entry.is_none() {
            AxisChunks::Auto
        } else if let Ok(n) = entry.extract::<i64>() {
            match n {
                -1 => AxisChunks::Whole,
                n if n > 0 => AxisChunks::Len(n as usize),
                n => {
                    return Err(PyValueError::new_err(format!(
                        "chunks: axis {axis}: chunk length {n} must be positive (or -1 for the whole axis)"
                    )))
                }
            }
        } else {
            AxisChunks::Lens(entry.extract()?)
        });
    }
    Ok(ChunkSpec::PerAxis(out))
}

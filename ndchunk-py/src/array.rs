//! The array class the Python layer wraps: one lazy ndchunk array of a
//! dtype known at run time, with its operations named as NumPy names them.
//! Argument checking and NumPy's promotion rules live in the Python layer
//! (`python/ndchunk/core.py`); this layer dispatches to the typed Rust API.

use ndchunk::{AnyArray, Array, Axis, DType, Element, ReduceOptions};
use numpy::{IntoPyArray, PyArrayMethods, PyReadonlyArrayDyn};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

use crate::convert::{chunk_spec, dtype, scalar};
use crate::errors::IntoPy;

/// A lazy ndchunk array (the Python layer's `ndchunk.Array` wraps one).
#[pyclass(frozen, module = "ndchunk._ndchunk", name = "RawArray")]
#[derive(Clone)]
pub struct RawArray {
    pub inner: AnyArray,
}

impl From<AnyArray> for RawArray {
    fn from(inner: AnyArray) -> Self {
        RawArray { inner }
    }
}

impl<T: Element> From<Array<T>> for RawArray {
    fn from(a: Array<T>) -> Self {
        RawArray { inner: a.into() }
    }
}

/// The typed array inside `a`.
pub fn typed<T: Element>(a: &AnyArray) -> PyResult<Array<T>> {
    a.typed::<T>().py()
}

/// A `TypeError` for `op` on an array of `dt`.
pub fn unsupported(op: &str, dt: DType) -> PyErr {
    PyTypeError::new_err(format!("{op} is not supported for dtype {dt}"))
}

/// The other operand of a binary operation: an array (of the same dtype, as
/// the Python layer promotes first) or a scalar.
#[derive(FromPyObject)]
pub enum Other<'py> {
    Array(PyRef<'py, RawArray>),
    Scalar(Bound<'py, PyAny>),
}

impl Other<'_> {
    /// The operand as an array of `T` (a scalar as a 0-d constant, which
    /// fuses into programs as an immediate).
    pub fn array<T: Element>(&self) -> PyResult<Array<T>> {
        match self {
            Other::Array(a) => typed::<T>(&a.inner),
            Other::Scalar(s) => {
                let v: T = scalar(s)?.cast();
                ndchunk::full(&[], v, Vec::<usize>::new()).py()
            }
        }
    }
}

/// Axes as the Rust API takes them.
fn reduce_options(
    axes: Option<Vec<isize>>,
    keepdims: bool,
    ddof: usize,
    split_every: Option<usize>,
) -> ReduceOptions {
    let mut opts = ReduceOptions::new().keepdims(keepdims).ddof(ddof);
    if let Some(axes) = axes {
        opts = opts.axes(&axes);
    }
    if let Some(n) = split_every {
        opts = opts.split_every(n);
    }
    opts
}

#[pymethods]
impl RawArray {
    /// Raises the error found while building this array, if any (a shape
    /// that does not broadcast, say), so that it surfaces where the
    /// expression is written, as in NumPy.
    fn check(&self) -> PyResult<()> {
        match self.inner.error() {
            Some(e) => Err(crate::errors::to_pyerr(e.clone())),
            None => Ok(()),
        }
    }

    /// NumPy's name of the dtype.
    #[getter]
    fn dtype(&self) -> &'static str {
        self.inner.dtype().name()
    }

    #[getter]
    fn shape(&self) -> Vec<usize> {
        self.inner.shape().to_vec()
    }

    /// The chunk lengths along each axis.
    #[getter]
    fn chunks(&self) -> Vec<Vec<usize>> {
        self.inner.chunks().all_lens().to_vec()
    }

    /// The values cast to `dtype` (NumPy's `astype`, unsafe casting).
    fn astype(&self, dtype_name: &str) -> PyResult<RawArray> {
        let to = dtype(dtype_name)?;
        ndchunk::with_dtype!(self.inner.dtype(), T => {
            let a = typed::<T>(&self.inner)?;
            Ok(ndchunk::with_dtype!(to, U => RawArray::from(a.astype::<U>())))
        })
    }

    /// The elementwise binary `op` of `self` and `other` (`other` and `self`
    /// when `reflected`); both operands have `self`'s dtype.
    #[pyo3(signature = (op, other, reflected = false))]
    fn binary(&self, op: &str, other: Other<'_>, reflected: bool) -> PyResult<RawArray> {
        let dt = self.inner.dtype();
        let fail = || unsupported(op, dt);
        ndchunk::with_dtype!(dt, T => {
            let (mut a, mut b) = (typed::<T>(&self.inner)?, other.array::<T>()?);
            if reflected {
                std::mem::swap(&mut a, &mut b);
            }
            binary_any(op, &a, &b).or_else(|| binary_num(op, &a, &b)).unwrap_or_else(|| Err(fail()))
        })
    }

    /// The elementwise unary `op`.
    fn unary(&self, op: &str) -> PyResult<RawArray> {
        let dt = self.inner.dtype();
        ndchunk::with_dtype!(dt, T => {
            let a = typed::<T>(&self.inner)?;
            unary_any(op, &a).or_else(|| unary_num(op, &a)).unwrap_or_else(|| Err(unsupported(op, dt)))
        })
    }

    /// Each element (float) raised to the integer power `n` by repeated
    /// multiplication (NumPy's fast path for `x ** 2`).
    fn powi(&self, n: i32) -> PyResult<RawArray> {
        let dt = self.inner.dtype();
        ndchunk::with_float_dtype!(dt, F => Ok(typed::<F>(&self.inner)?.powi(n).into()),
            else => Err(unsupported("powi", dt)))
    }

    /// Each element limited to `[lo, hi]` (scalars of the array's dtype).
    fn clip(&self, lo: Bound<'_, PyAny>, hi: Bound<'_, PyAny>) -> PyResult<RawArray> {
        let dt = self.inner.dtype();
        ndchunk::with_num_dtype!(dt, T => {
            let a = typed::<T>(&self.inner)?;
            Ok(a.clip(scalar(&lo)?.cast(), scalar(&hi)?.cast()).into())
        }, else => Err(unsupported("clip", dt)))
    }

    /// The reduction `op` over `axes` (all when `None`).
    #[pyo3(signature = (op, axes = None, keepdims = false, ddof = 0, split_every = None))]
    fn reduce(
        &self,
        op: &str,
        axes: Option<Vec<isize>>,
        keepdims: bool,
        ddof: usize,
        split_every: Option<usize>,
    ) -> PyResult<RawArray> {
        let opts = reduce_options(axes, keepdims, ddof, split_every);
        let dt = self.inner.dtype();
        ndchunk::with_dtype!(dt, T => {
            let a = typed::<T>(&self.inner)?;
            let out: RawArray = match op {
                "sum" => a.sum_with(&opts).py()?.into(),
                "prod" => a.prod_with(&opts).py()?.into(),
                "mean" => a.mean_with(&opts).py()?.into(),
                "min" => a.min_with(&opts).py()?.into(),
                "max" => a.max_with(&opts).py()?.into(),
                "argmin" => a.argmin_with(&opts).py()?.into(),
                "argmax" => a.argmax_with(&opts).py()?.into(),
                "any" => a.any_with(&opts).py()?.into(),
                "all" => a.all_with(&opts).py()?.into(),
                "count_nonzero" => a.count_nonzero_with(&opts).py()?.into(),
                "nansum" => a.nansum_with(&opts).py()?.into(),
                "nanmean" => a.nanmean_with(&opts).py()?.into(),
                "nanmin" => a.nanmin_with(&opts).py()?.into(),
                "nanmax" => a.nanmax_with(&opts).py()?.into(),
                "var" => a.var_with(&opts).py()?.into(),
                "std" => a.std_with(&opts).py()?.into(),
                _ => return Err(PyValueError::new_err(format!("unknown reduction {op}"))),
            };
            Ok(out)
        })
    }

    /// Basic indexing: one entry per axis (after the Python layer expanded
    /// `...`): `(start, stop, step)` as ndarray takes it, an integer, or
    /// `None` for a new axis.
    fn slice(&self, entries: Vec<Bound<'_, PyAny>>) -> PyResult<RawArray> {
        let mut info = Vec::with_capacity(entries.len());
        for e in &entries {
            info.push(if e.is_none() {
                ndarray::SliceInfoElem::NewAxis
            } else if let Ok(i) = e.extract::<isize>() {
                ndarray::SliceInfoElem::Index(i)
            } else {
                let (start, end, step): (isize, Option<isize>, isize) = e.extract()?;
                ndarray::SliceInfoElem::Slice { start, end, step }
            });
        }
        ndchunk::with_dtype!(self.inner.dtype(), T => Ok(typed::<T>(&self.inner)?.slice(info.as_slice()).py()?.into()))
    }

    /// Positions `index` along `axis` (NumPy's `take`).
    fn take(&self, index: PyReadonlyArrayDyn<'_, i64>, axis: usize) -> PyResult<RawArray> {
        let index = index.as_array();
        ndchunk::with_dtype!(self.inner.dtype(), T => Ok(typed::<T>(&self.inner)?.take(&index, Axis(axis)).py()?.into()))
    }

    /// Pointwise indexing of the leading axes (dask's `vindex`).
    fn vindex(&self, indexers: Vec<PyReadonlyArrayDyn<'_, i64>>) -> PyResult<RawArray> {
        let views: Vec<_> = indexers.iter().map(|i| i.as_array()).collect();
        ndchunk::with_dtype!(self.inner.dtype(), T => Ok(typed::<T>(&self.inner)?.vindex(&views).py()?.into()))
    }

    /// The same values in new chunks (see `convert::chunk_spec`), with tasks
    /// holding at most `budget` bytes where intermediate chunks allow it.
    #[pyo3(signature = (chunks, budget = None))]
    fn rechunk(&self, chunks: Bound<'_, PyAny>, budget: Option<u64>) -> PyResult<RawArray> {
        let spec = chunk_spec(&chunks)?;
        ndchunk::with_dtype!(self.inner.dtype(), T => {
            let a = typed::<T>(&self.inner)?;
            Ok(match budget {
                Some(b) => a.rechunk_within(spec, b),
                None => a.rechunk(spec),
            }.py()?.into())
        })
    }

    /// NumPy's `reshape` (C order; one `-1` allowed).
    fn reshape(&self, shape: Vec<isize>) -> PyResult<RawArray> {
        ndchunk::with_dtype!(self.inner.dtype(), T => Ok(typed::<T>(&self.inner)?.reshape(&shape).py()?.into()))
    }

    /// The axes in the order `axes`.
    fn transpose(&self, axes: Vec<usize>) -> PyResult<RawArray> {
        ndchunk::with_dtype!(self.inner.dtype(), T => Ok(typed::<T>(&self.inner)?.permuted_axes(&axes).py()?.into()))
    }

    fn broadcast_to(&self, shape: Vec<usize>) -> PyResult<RawArray> {
        ndchunk::with_dtype!(self.inner.dtype(), T => Ok(typed::<T>(&self.inner)?.broadcast_to(&shape).py()?.into()))
    }

    /// `func` applied to each block: called (holding the GIL) with a NumPy
    /// copy of the block, it returns a C-contiguous NumPy array of
    /// `dtype_name`, of the block's shape in `chunks`. An exception it raises
    /// fails the compute and is raised again by it.
    fn map_blocks(
        &self,
        func: Py<PyAny>,
        dtype_name: &str,
        chunks: Vec<Vec<usize>>,
    ) -> PyResult<RawArray> {
        let to = dtype(dtype_name)?;
        let func = std::sync::Arc::new(func);
        ndchunk::with_dtype!(self.inner.dtype(), T => {
            let a = typed::<T>(&self.inner)?;
            ndchunk::with_dtype!(to, U => {
                let func = func.clone();
                let out = a.try_map_blocks_with_chunks::<U>(chunks, move |block| {
                    Python::attach(|py| -> PyResult<ndarray::ArrayD<U>> {
                        let arg = block.to_owned().into_pyarray(py);
                        let result = func.call1(py, (arg,))?;
                        let result = result.bind(py).cast::<numpy::PyArrayDyn<U>>()?;
                        Ok(result.readonly().as_array().to_owned())
                    })
                    .map_err(crate::errors::carry)
                });
                Ok(out.py()?.into())
            })
        })
    }

    /// An operation along one `axis`: the scans (`cumsum`, `cumprod`,
    /// `nancumsum`, `nancumprod`), `sort`, `argsort`, `flip`, and `diff`
    /// (`n` times), `topk`/`argtopk` (`k` largest, or smallest when negative),
    /// `partition`/`argpartition` (`k` the kth position).
    #[pyo3(signature = (op, axis, n = 1))]
    fn along(&self, op: &str, axis: usize, n: isize) -> PyResult<RawArray> {
        let dt = self.inner.dtype();
        let ax = Axis(axis);
        ndchunk::with_dtype!(dt, T => {
            let a = typed::<T>(&self.inner)?;
            let out: RawArray = match op {
                "cumsum" => a.cumsum(ax).py()?.into(),
                "cumprod" => a.cumprod(ax).py()?.into(),
                "nancumsum" => a.nancumsum(ax).py()?.into(),
                "nancumprod" => a.nancumprod(ax).py()?.into(),
                "sort" => a.sort(ax).py()?.into(),
                "argsort" => a.argsort(ax).py()?.into(),
                "flip" => a.flip(ax).py()?.into(),
                "partition" => a.partition(n, ax).py()?.into(),
                "argpartition" => a.argpartition(n, ax).py()?.into(),
                _ => return ndchunk::with_num_dtype!(dt, N => {
                    let a = typed::<N>(&self.inner)?;
                    Ok(match op {
                        "diff" => a.diff(n.max(0) as usize, ax).py()?.into(),
                        "topk" => a.topk(n, ax).py()?.into(),
                        "argtopk" => a.argtopk(n, ax).py()?.into(),
                        _ => return Err(PyValueError::new_err(format!("unknown operation {op}"))),
                    })
                }, else => Err(unsupported(op, dt))),
            };
            Ok(out)
        })
    }

    /// Quantiles `q` (in [0, 1], NumPy's linear method) along `axis` (of the
    /// flattened array when `None`), as float64 with the quantiles' axis first;
    /// NaN-ignoring when `skip_nan`.
    #[pyo3(signature = (q, axis = None, skip_nan = false))]
    fn quantiles(&self, q: Vec<f64>, axis: Option<usize>, skip_nan: bool) -> PyResult<RawArray> {
        let dt = self.inner.dtype();
        ndchunk::with_num_dtype!(dt, N => {
            let a = typed::<N>(&self.inner)?;
            let ax = axis.map(Axis);
            Ok(if skip_nan { a.nanquantiles(&q, ax) } else { a.quantiles(&q, ax) }.py()?.into())
        }, else => Err(unsupported("quantile", dt)))
    }

    /// The sorted distinct values (NaNs kept once, as NumPy 2), and, when
    /// asked, the first positions, the inverse and the counts (`None` when not).
    #[pyo3(signature = (index = false, inverse = false, counts = false))]
    #[allow(clippy::type_complexity)]
    fn unique(
        &self,
        index: bool,
        inverse: bool,
        counts: bool,
    ) -> PyResult<(
        RawArray,
        Option<RawArray>,
        Option<RawArray>,
        Option<RawArray>,
    )> {
        let opts = ndchunk::UniqueOptions {
            index,
            inverse,
            counts,
        };
        ndchunk::with_dtype!(self.inner.dtype(), T => {
            let u = typed::<T>(&self.inner)?.unique_with(opts).py()?;
            Ok((u.values.into(), u.index.map(Into::into), u.inverse.map(Into::into), u.counts.map(Into::into)))
        })
    }

    /// Whether each element is in `test` (same dtype).
    #[pyo3(signature = (test, invert = false))]
    fn isin(&self, test: PyRef<'_, RawArray>, invert: bool) -> PyResult<RawArray> {
        ndchunk::with_dtype!(self.inner.dtype(), T => Ok(typed::<T>(&self.inner)?.isin(&typed::<T>(&test.inner)?, invert).py()?.into()))
    }

    /// Positions in this sorted 1-d array where `values` (same dtype) go.
    fn searchsorted(&self, values: PyRef<'_, RawArray>, right: bool) -> PyResult<RawArray> {
        let side = if right {
            ndchunk::Side::Right
        } else {
            ndchunk::Side::Left
        };
        ndchunk::with_dtype!(self.inner.dtype(), T => Ok(typed::<T>(&self.inner)?.searchsorted(&typed::<T>(&values.inner)?, side).py()?.into()))
    }

    /// The plan, as `explain()` prints it.
    fn explain(&self) -> PyResult<String> {
        ndchunk::with_dtype!(self.inner.dtype(), T => Ok(typed::<T>(&self.inner)?.explain()))
    }

    /// The logical graph in Graphviz's DOT language.
    fn to_dot(&self) -> PyResult<String> {
        ndchunk::with_dtype!(self.inner.dtype(), T => Ok(typed::<T>(&self.inner)?.to_dot()))
    }
}

/// Operations of every dtype: comparisons, and the logical ones of `bool`.
fn binary_any<T: Element>(op: &str, a: &Array<T>, b: &Array<T>) -> Option<PyResult<RawArray>> {
    let out: RawArray = match op {
        "equal" => a.eq(b).into(),
        "not_equal" => a.ne(b).into(),
        "less" => a.lt(b).into(),
        "less_equal" => a.le(b).into(),
        "greater" => a.gt(b).into(),
        "greater_equal" => a.ge(b).into(),
        _ => return bool_binary(op, a, b),
    };
    Some(Ok(out))
}

/// `and`, `or`, `xor` of bool arrays (NumPy's `logical_*` and `bitwise_*`).
fn bool_binary<T: Element>(op: &str, a: &Array<T>, b: &Array<T>) -> Option<PyResult<RawArray>> {
    if T::DTYPE != DType::Bool {
        return None;
    }
    let a: AnyArray = a.into();
    let b: AnyArray = b.into();
    let run = || -> PyResult<Option<RawArray>> {
        let (a, b) = (typed::<bool>(&a)?, typed::<bool>(&b)?);
        Ok(match op {
            "logical_and" | "bitwise_and" => Some(a.and(&b).into()),
            "logical_or" | "bitwise_or" => Some(a.or(&b).into()),
            "logical_xor" | "bitwise_xor" | "not_equal" => Some(a.xor(&b).into()),
            _ => None,
        })
    };
    run().transpose()
}

/// Arithmetic and the ufuncs of numeric dtypes.
fn binary_num<T: Element>(op: &str, a: &Array<T>, b: &Array<T>) -> Option<PyResult<RawArray>> {
    let (any_a, any_b): (AnyArray, AnyArray) = (a.into(), b.into());
    ndchunk::with_num_dtype!(T::DTYPE, N => {
        let run = || -> PyResult<Option<RawArray>> {
            let (a, b) = (typed::<N>(&any_a)?, typed::<N>(&any_b)?);
            let out: RawArray = match op {
                "add" => (&a + &b).into(),
                "subtract" => (&a - &b).into(),
                "multiply" => (&a * &b).into(),
                "divide" => (&a / &b).into(),
                "floor_divide" => a.floor_divide(&b).into(),
                "remainder" => a.remainder(&b).into(),
                "fmod" => a.fmod(&b).into(),
                "maximum" => a.maximum(&b).into(),
                "minimum" => a.minimum(&b).into(),
                "fmax" => a.fmax(&b).into(),
                "fmin" => a.fmin(&b).into(),
                _ => return binary_kind(op, &any_a, &any_b),
            };
            Ok(Some(out))
        };
        run().transpose()
    }, else => None)
}

/// The float-only and integer-only binary ufuncs.
fn binary_kind(op: &str, a: &AnyArray, b: &AnyArray) -> PyResult<Option<RawArray>> {
    ndchunk::with_float_dtype!(a.dtype(), F => {
        let (a, b) = (typed::<F>(a)?, typed::<F>(b)?);
        Ok(Some(match op {
            "power" => a.powf(&b).into(),
            "hypot" => a.hypot(&b).into(),
            "arctan2" => a.arctan2(&b).into(),
            "copysign" => a.copysign(&b).into(),
            "logaddexp" => a.logaddexp(&b).into(),
            _ => return Ok(None),
        }))
    }, else => ndchunk::with_int_dtype!(a.dtype(), I => {
        let (a, b) = (typed::<I>(a)?, typed::<I>(b)?);
        Ok(Some(match op {
            "bitwise_and" => a.bitwise_and(&b).into(),
            "bitwise_or" => a.bitwise_or(&b).into(),
            "bitwise_xor" => a.bitwise_xor(&b).into(),
            "left_shift" => a.left_shift(&b).into(),
            "right_shift" => a.right_shift(&b).into(),
            _ => return Ok(None),
        }))
    }, else => Ok(None)))
}

/// Unary ops of every dtype.
fn unary_any<T: Element>(op: &str, a: &Array<T>) -> Option<PyResult<RawArray>> {
    let out: RawArray = match op {
        "isnan" => a.isnan().into(),
        "isfinite" => a.isfinite().into(),
        "isinf" => a.isinf().into(),
        "logical_not" | "invert" if T::DTYPE == DType::Bool => {
            return Some(typed::<bool>(&a.into()).map(|b| b.not().into()))
        }
        _ => return None,
    };
    Some(Ok(out))
}

/// Unary ops of numeric dtypes, and the float functions.
fn unary_num<T: Element>(op: &str, a: &Array<T>) -> Option<PyResult<RawArray>> {
    let any: AnyArray = a.into();
    ndchunk::with_num_dtype!(T::DTYPE, N => {
        let run = || -> PyResult<Option<RawArray>> {
            let a = typed::<N>(&any)?;
            let out: RawArray = match op {
                "negative" => (-&a).into(),
                "absolute" => a.abs().into(),
                "sign" => a.sign().into(),
                "signbit" => a.signbit().into(),
                _ => return unary_kind(op, &any),
            };
            Ok(Some(out))
        };
        run().transpose()
    }, else => None)
}

/// The float functions (`sqrt`, `sin`, ...) and integer `invert`.
fn unary_kind(op: &str, a: &AnyArray) -> PyResult<Option<RawArray>> {
    ndchunk::with_float_dtype!(a.dtype(), F => {
        let a = typed::<F>(a)?;
        Ok(Some(match op {
            "sqrt" => a.sqrt(),
            "exp" => a.exp(),
            "log" => a.ln(),
            "log10" => a.log10(),
            "log2" => a.log2(),
            "sin" => a.sin(),
            "cos" => a.cos(),
            "tan" => a.tan(),
            "tanh" => a.tanh(),
            "floor" => a.floor(),
            "ceil" => a.ceil(),
            "rint" => a.rint(),
            "arcsin" => a.arcsin(),
            "arccos" => a.arccos(),
            "arctan" => a.arctan(),
            "sinh" => a.sinh(),
            "cosh" => a.cosh(),
            "arcsinh" => a.arcsinh(),
            "arccosh" => a.arccosh(),
            "arctanh" => a.arctanh(),
            "exp2" => a.exp2(),
            "log1p" => a.log1p(),
            "expm1" => a.expm1(),
            "cbrt" => a.cbrt(),
            "trunc" => a.trunc(),
            "deg2rad" => a.deg2rad(),
            "rad2deg" => a.rad2deg(),
            "square" => a.powi(2),
            "reciprocal" => a.powi(-1),
            _ => return Ok(None),
        }.into()))
    }, else => ndchunk::with_int_dtype!(a.dtype(), I => {
        let a = typed::<I>(a)?;
        Ok(match op {
            "invert" => Some(a.invert().into()),
            _ => None,
        })
    }, else => Ok(None)))
}

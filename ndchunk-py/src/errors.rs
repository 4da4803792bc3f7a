//! ndchunk's errors as Python exceptions of the class NumPy would raise.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use ndchunk::Error;
use pyo3::exceptions::{
    PyIndexError, PyKeyboardInterrupt, PyMemoryError, PyOSError, PyRuntimeError, PyTypeError,
    PyValueError,
};
use pyo3::prelude::*;

/// The op name under which a Python function's exception travels through a
/// compute: the message is the key of the exception kept in [`raised`].
const PYTHON_FN: &str = "python function";

/// Exceptions raised by Python functions inside tasks, by key, until the
/// compute that ran them reports its error.
fn raised() -> &'static Mutex<HashMap<u64, PyErr>> {
    static RAISED: OnceLock<Mutex<HashMap<u64, PyErr>>> = OnceLock::new();
    RAISED.get_or_init(Default::default)
}

/// Keeps `err` (raised by a Python function in a task) and returns the
/// ndchunk error that carries it out of the compute; [`to_pyerr`] raises the
/// original exception again.
pub fn carry(err: PyErr) -> Error {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let key = NEXT.fetch_add(1, Ordering::Relaxed);
    if let Ok(mut map) = raised().lock() {
        map.insert(key, err);
    }
    Error::InvalidArgument {
        op: PYTHON_FN.into(),
        message: key.to_string(),
    }
}

/// The Python exception for `err`: `IndexError` for indices out of bounds,
/// `numpy.exceptions.AxisError` for axes, `TypeError` for dtypes,
/// `MemoryError` for the memory limit, `OSError` for storage,
/// `KeyboardInterrupt` for a cancelled compute, `ValueError` for other bad
/// arguments, `RuntimeError` for the executor; an exception raised by a
/// Python function in a task is raised again as it was.
pub fn to_pyerr(err: Error) -> PyErr {
    let message = err.to_string();
    match err {
        Error::Task { task, source } => {
            let inner = to_pyerr(*source);
            Python::attach(|py| {
                let _ = inner.add_note(py, format!("while computing {task}"));
            });
            inner
        }
        Error::InvalidArgument { op, message: key } if op == PYTHON_FN => {
            let kept = key
                .parse::<u64>()
                .ok()
                .and_then(|k| raised().lock().ok()?.remove(&k));
            kept.unwrap_or_else(|| PyRuntimeError::new_err(message))
        }
        Error::IndexOutOfBounds { .. } | Error::IndexerOutOfBounds { .. } => {
            PyIndexError::new_err(message)
        }
        Error::AxisOutOfBounds { .. } => Python::attach(|py| axis_error(py, message)),
        Error::DtypeMismatch { .. } => PyTypeError::new_err(message),
        Error::MemoryLimit { .. } => PyMemoryError::new_err(message),
        Error::Storage { .. } => PyOSError::new_err(message),
        Error::Cancelled { .. } => PyKeyboardInterrupt::new_err(message),
        Error::Executor(_) | Error::Environment { .. } => PyRuntimeError::new_err(message),
        _ => PyValueError::new_err(message),
    }
}

/// NumPy's `AxisError` (both a `ValueError` and an `IndexError`).
fn axis_error(py: Python<'_>, message: String) -> PyErr {
    let class = py
        .import("numpy.exceptions")
        .and_then(|m| m.getattr("AxisError"));
    match class.and_then(|c| c.call1((message.clone(),))) {
        Ok(value) => PyErr::from_value(value),
        Err(_) => PyIndexError::new_err(message),
    }
}

/// `Result<T, ndchunk::Error>` to `PyResult<T>`.
pub trait IntoPy<T> {
    /// The error as [`to_pyerr`] maps it.
    fn py(self) -> PyResult<T>;
}

impl<T> IntoPy<T> for ndchunk::Result<T> {
    fn py(self) -> PyResult<T> {
        self.map_err(to_pyerr)
    }
}

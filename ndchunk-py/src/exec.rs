//! Running computes from Python: the GIL released, Ctrl-C cancelling.

use std::sync::mpsc;
use std::time::Duration;

use ndchunk::exec::CancelToken;
use ndchunk::{AnyArray, Executor};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::IntoPy;

/// How often a compute waiting on the main thread checks for Ctrl-C.
const SIGNAL_POLL: Duration = Duration::from_millis(20);

/// Executor settings, from a dict of the Python layer.
#[derive(Clone, Debug, Default)]
pub struct ExecOptions {
    /// Worker threads of the local executor.
    pub threads: Option<usize>,
    /// Bytes the local executor may hold.
    pub memory_limit: Option<u64>,
    /// Show the progress bar on long computes.
    pub progress: Option<bool>,
    /// A Dask scheduler's address (`tcp://127.0.0.1:8786`): run there.
    pub dask: Option<String>,
    /// The Python that runs the Dask driver.
    pub python: Option<String>,
    /// The program Dask workers start to run ndchunk tasks (`ndchunk-worker`).
    pub worker: Option<String>,
}

impl ExecOptions {
    /// The options in `dict` (keys as the fields; missing or `None` ones unset).
    pub fn from_dict(dict: Option<&Bound<'_, PyDict>>) -> PyResult<ExecOptions> {
        let Some(dict) = dict else {
            return Ok(ExecOptions::default());
        };
        fn get<'py, T: FromPyObjectOwned<'py>>(
            d: &Bound<'py, PyDict>,
            key: &str,
        ) -> PyResult<Option<T>> {
            match d.get_item(key)? {
                Some(v) if !v.is_none() => Ok(Some(v.extract().map_err(Into::into)?)),
                _ => Ok(None),
            }
        }
        Ok(ExecOptions {
            threads: get(dict, "threads")?,
            memory_limit: get(dict, "memory_limit")?,
            progress: get(dict, "progress")?,
            dask: get(dict, "dask")?,
            python: get(dict, "python")?,
            worker: get(dict, "worker")?,
        })
    }

    /// The executor these options describe.
    pub fn executor(&self) -> Executor {
        let mut ex = match &self.dask {
            Some(address) => Executor::dask(address),
            None => Executor::default(),
        };
        if let Some(n) = self.threads {
            ex = ex.threads(n);
        }
        if let Some(b) = self.memory_limit {
            ex = ex.memory_limit(b);
        }
        if let Some(p) = self.progress {
            ex = ex.progress(p);
        }
        if let Some(python) = &self.python {
            ex = ex.python(python);
        }
        if let Some(worker) = &self.worker {
            ex = ex.worker_exe(worker);
        }
        ex
    }
}

/// `arrays` ready for `options`' executor: under Dask, closure sources (NumPy
/// inputs read in place) are computed first and travel in the plan.
pub fn shippable(options: &ExecOptions, arrays: Vec<AnyArray>) -> PyResult<Vec<AnyArray>> {
    if options.dask.is_none() {
        return Ok(arrays);
    }
    arrays
        .iter()
        .map(|a| a.with_closure_sources_computed().py())
        .collect()
}

/// Runs `work` with `options`' executor, with the GIL released; on the main
/// thread, a Ctrl-C (or any pending signal whose handler raises) cancels the
/// compute and raises its exception once the running tasks have finished.
pub fn run<R: Send>(
    py: Python<'_>,
    options: &ExecOptions,
    work: impl FnOnce(&Executor) -> ndchunk::Result<R> + Send,
) -> PyResult<R> {
    let token = CancelToken::new();
    let executor = options.executor().cancel_on(token.clone());
    py.detach(|| {
        std::thread::scope(|scope| {
            let (done, finished) = mpsc::channel();
            let executor = &executor;
            scope.spawn(move || {
                let result =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(executor)))
                        .unwrap_or_else(|_| {
                            Err(ndchunk::Error::Executor("a compute panicked".into()))
                        });
                let _ = done.send(result);
            });
            loop {
                match finished.recv_timeout(SIGNAL_POLL) {
                    Ok(result) => return result.py(),
                    Err(mpsc::RecvTimeoutError::Disconnected) => {
                        return Err(pyo3::exceptions::PyRuntimeError::new_err(
                            "the compute thread ended without a result",
                        ))
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        if let Err(signal) = Python::attach(|py| py.check_signals()) {
                            token.cancel();
                            let _ = finished.recv();
                            return Err(signal);
                        }
                    }
                }
            }
        })
    })
}

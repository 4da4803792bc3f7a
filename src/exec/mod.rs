//! Executors: run a [`Plan`] and hand back the result's blocks.
//!
//! The local executor runs tasks on a rayon pool, lowest task id first (task ids
//! are a depth-first post-order, so consumers finish before new producers start),
//! drops each intermediate result after its last consumer, and keeps the bytes in
//! flight under a memory limit.

pub(crate) mod allocator;
mod cancel;
pub mod dask;
#[doc(hidden)] // task evaluation: used by worker processes and tests, not API
pub mod eval;
mod local;
pub(crate) mod pool;
mod progress;
mod report;
mod spill;

use std::sync::Arc;

use crate::block::{DynArray, DynSliceMut};
use crate::config::PlanOptions;
use crate::error::Result;
use crate::plan::Plan;

pub use cancel::CancelToken;
pub use dask::DaskOptions;
pub use eval::reduce::{State, StateBlock};

/// The result of one task: a block of values, or partial reduction states.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub enum Value {
    /// A block of values.
    Block(DynArray),
    /// Partial reduction states.
    States(StateBlock),
    /// Candidates of a top-k tree: values, and their positions along the
    /// axis (int64), of one shape.
    Selection {
        /// The values.
        values: DynArray,
        /// Their positions.
        positions: DynArray,
    },
    /// A block already written into the destination its sink offered.
    Written,
}

impl Value {
    /// The block of a shared result: moved out when this is its only holder,
    /// else copied. `what` names the consumer in the error for a non-block.
    pub fn take_block(value: Arc<Value>, what: &str) -> Result<DynArray> {
        match Arc::try_unwrap(value) {
            Ok(Value::Block(b)) => Ok(b),
            Ok(_) => Err(not_a_block(what)),
            Err(shared) => match &*shared {
                Value::Block(b) => Ok(b.clone()),
                _ => Err(not_a_block(what)),
            },
        }
    }
}

fn not_a_block(what: &str) -> crate::error::Error {
    crate::error::Error::invalid(what, "a task's result is not a block of values")
}

/// Receives the outputs of a plan as they are computed, on the worker threads
/// that computed them.
///
/// Any `Fn(usize, Value) -> Result<()> + Sync` closure is a sink that receives
/// every output. A sink that owns the memory the outputs end up in offers it
/// through [`Sink::destination`], so blocks are computed in place, not copied:
///
/// ```
/// use std::sync::Mutex;
/// use ndchunk::block::DynSliceMut;
/// use ndchunk::exec::{Sink, Value};
///
/// /// The regions of a caller's buffer, one per output block, each handed out once.
/// struct Regions<'a>(Vec<Mutex<Option<&'a mut [i64]>>>);
///
/// impl Sink for Regions<'_> {
///     fn destination(&self, i: usize) -> Option<DynSliceMut<'_>> {
///         self.0[i].lock().ok()?.take().map(DynSliceMut::I64)
///     }
///     fn receive(&self, i: usize, _value: Value) -> ndchunk::Result<()> {
///         Err(ndchunk::Error::Executor(format!("block {i} was not written in place")))
///     }
/// }
///
/// let x = ndchunk::arange::<i64>(0, 5, 1, [3])? * 10;
/// let mut out = vec![0; 5];
/// let (first, second) = out.split_at_mut(3);
/// let sink = Regions(vec![Mutex::new(Some(first)), Mutex::new(Some(second))]);
/// ndchunk::Executor::local().run_into(&x.plan()?, &sink)?;
/// drop(sink);
/// assert_eq!(out, vec![0, 10, 20, 30, 40]);
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub trait Sink: Sync {
    /// Where output `i` may be written in place (C order, exactly its elements),
    /// asked once, just before it is computed. When this returns a slice the
    /// executor fills it and does not call [`Sink::receive`] for that output.
    fn destination(&self, _i: usize) -> Option<DynSliceMut<'_>> {
        None
    }

    /// Receives output `i`.
    fn receive(&self, i: usize, value: Value) -> Result<()>;
}

impl<F: Fn(usize, Value) -> Result<()> + Sync> Sink for F {
    fn receive(&self, i: usize, value: Value) -> Result<()> {
        self(i, value)
    }
}

pub use allocator::MALLOC_TUNING_ENV;

/// Environment variable switching the progress bar: `0` never, `1` on long computes.
pub const PROGRESS_ENV: &str = "NDCHUNK_PROGRESS";

/// When to show a progress bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// On computes longer than about a second, when stderr is a terminal, from the
    /// main thread, unless `NDCHUNK_PROGRESS=0` (so never under `cargo test`).
    Auto,
    /// Never.
    Off,
}

/// Where and how to run a plan.
///
/// ```
/// use ndchunk::prelude::*;
/// let x = ndchunk::arange::<i64>(0, 10, 1, [3])?;
/// let ex = Executor::local().threads(1).memory_limit(1 << 20).progress(false);
/// assert_eq!(x.sum()?.compute_with(&ex)?.into_raw_vec_and_offset().0, vec![45]);
/// # Ok::<(), ndchunk::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Executor {
    kind: ExecutorKind,
    /// Options given with [`Executor::with_plan_options`], overriding those
    /// derived from the memory limit.
    plan: Option<PlanOptions>,
}

#[derive(Clone, Debug)]
enum ExecutorKind {
    Local(LocalOptions),
    Dask(DaskOptions),
}

/// Options of the local executor.
#[derive(Clone, Debug)]
pub struct LocalOptions {
    /// Worker threads; `None` uses rayon's global pool.
    pub threads: Option<usize>,
    /// Soft bound on bytes held and being produced at once.
    pub memory_limit: Option<u64>,
    /// Progress bar switch.
    pub progress: Progress,
    /// Stops computes when cancelled.
    pub cancel: Option<CancelToken>,
    /// Where spill directories are made; `None`: `NDCHUNK_SPILL_DIR`, else the
    /// temporary directory.
    pub spill_dir: Option<std::path::PathBuf>,
    /// Where each run writes its report (an HTML timeline), if anywhere.
    pub report: Option<std::path::PathBuf>,
}

impl Default for Executor {
    fn default() -> Self {
        Executor::local()
    }
}

impl Executor {
    /// The local executor with default options: all cores, the default memory
    /// limit, progress bar on long computes.
    ///
    /// ```
    /// let total = ndchunk::arange::<i64>(0, 5, 1, [2])?.sum()?.compute_with(&ndchunk::Executor::local())?;
    /// assert_eq!(total[[]], 10);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn local() -> Executor {
        Executor {
            kind: ExecutorKind::Local(LocalOptions {
                threads: None,
                memory_limit: None,
                progress: Progress::Auto,
                cancel: None,
                spill_dir: None,
                report: None,
            }),
            plan: None,
        }
    }

    /// The Dask executor on the scheduler at `address` (`tcp://host:8786`): one
    /// Dask task per physical task, each running this program in worker mode
    /// (call [`crate::worker::run_if_worker`] at the top of `main`). See
    /// [`dask`] for what it needs.
    ///
    /// ```no_run
    /// let ex = ndchunk::Executor::dask("tcp://127.0.0.1:8786");
    /// let x = ndchunk::random::uniform::<f32>(&[100_000_000], [10_000_000], 0)?;
    /// println!("{}", x.sum()?.compute_with(&ex)?);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn dask(address: &str) -> Executor {
        Executor::dask_with(Some(address.to_string()), 2)
    }

    /// The Dask executor on a cluster of batch jobs (SLURM, PBS, SGE, LSF, ...)
    /// that dask-jobqueue starts at the first run, with the options of its
    /// configuration file (`~/.config/dask/jobqueue.yaml` or
    /// `/etc/dask/jobqueue.yaml`); the jobs are cancelled when the executor
    /// (all its clones) is dropped. The scratch directory and the program must
    /// be on a filesystem the jobs share (see [`Executor::scratch`]).
    ///
    /// ```no_run
    /// use ndchunk::exec::dask::JobQueue;
    /// fn main() -> ndchunk::Result<()> {
    ///     ndchunk::worker::run_if_worker();
    ///     let ex = ndchunk::Executor::dask_jobqueue(JobQueue::slurm().jobs(4))
    ///         .scratch("/shared/scratch");
    ///     let x = ndchunk::random::uniform::<f32>(&[100_000, 1000], [10_000, 1000], 0)?;
    ///     println!("{}", x.mean()?.compute_with(&ex)?);
    ///     Ok(())
    /// }
    /// ```
    pub fn dask_jobqueue(cluster: dask::JobQueue) -> Executor {
        let mut ex = Executor::dask_with(None, 0);
        if let ExecutorKind::Dask(o) = &mut ex.kind {
            o.jobqueue = Some(cluster);
        }
        ex
    }

    /// The Dask executor on a `LocalCluster` of `n_workers` worker processes
    /// (one thread each), started at its first run and kept until the executor
    /// (all its clones) is dropped: for tests and laptops.
    ///
    /// ```no_run
    /// fn main() -> ndchunk::Result<()> {
    ///     ndchunk::worker::run_if_worker();
    ///     let x = ndchunk::arange::<i64>(0, 1000, 1, [100])?;
    ///     let total = x.sum()?.compute_with(&ndchunk::Executor::dask_local(2))?;
    ///     assert_eq!(total[[]], 499_500);
    ///     Ok(())
    /// }
    /// ```
    pub fn dask_local(n_workers: usize) -> Executor {
        Executor::dask_with(None, n_workers)
    }

    /// The Dask executor on the scheduler named by `DASK_SCHEDULER_ADDRESS`, or on
    /// a local cluster of `n_workers` processes when it is not set.
    ///
    /// ```
    /// let ex = ndchunk::Executor::dask_from_env(2);
    /// assert!(ex.is_distributed());
    /// ```
    pub fn dask_from_env(n_workers: usize) -> Executor {
        let address = std::env::var(dask::SCHEDULER_ENV)
            .ok()
            .filter(|a| !a.is_empty());
        Executor::dask_with(address, n_workers)
    }

    fn dask_with(address: Option<String>, local_workers: usize) -> Executor {
        Executor {
            kind: ExecutorKind::Dask(DaskOptions {
                address,
                local_workers,
                jobqueue: None,
                python: None,
                scratch: None,
                worker_exe: None,
                report: None,
                session: Default::default(),
            }),
            plan: None,
        }
    }

    /// Dask executor: the Python interpreter that runs the driver (default
    /// `NDCHUNK_PYTHON`, else the project's `.venv`, else `python3`). Ignored by
    /// the local executor.
    ///
    /// ```
    /// let ex = ndchunk::Executor::dask("tcp://10.0.0.5:8786")
    ///     .python("/opt/env/bin/python")
    ///     .scratch("/shared/scratch")
    ///     .worker_exe("/shared/bin/my-program");
    /// assert!(ex.is_distributed());
    /// ```
    pub fn python(mut self, path: impl Into<std::path::PathBuf>) -> Executor {
        if let ExecutorKind::Dask(o) = &mut self.kind {
            o.python = Some(path.into());
        }
        self
    }

    /// Dask executor: where scratch directories are made, on a filesystem every
    /// worker sees (default `NDCHUNK_SCRATCH`, else the temporary directory).
    /// Ignored by the local executor.
    pub fn scratch(mut self, dir: impl Into<std::path::PathBuf>) -> Executor {
        if let ExecutorKind::Dask(o) = &mut self.kind {
            o.scratch = Some(dir.into());
        }
        self
    }

    /// Dask executor: the program workers run for each task (default this
    /// process's executable); it must call [`crate::worker::run_if_worker`]
    /// and register the same functions. Ignored by the local executor.
    pub fn worker_exe(mut self, path: impl Into<std::path::PathBuf>) -> Executor {
        if let ExecutorKind::Dask(o) = &mut self.kind {
            o.worker_exe = Some(path.into());
        }
        self
    }

    /// Local executor: use `n` worker threads (at least one). Ignored by the
    /// Dask executor.
    ///
    /// ```
    /// let ex = ndchunk::Executor::local().threads(2);
    /// assert_eq!(ndchunk::ones::<f32>(&[8], [2])?.sum()?.compute_with(&ex)?[[]], 8.0);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn threads(mut self, n: usize) -> Executor {
        if let ExecutorKind::Local(o) = &mut self.kind {
            o.threads = Some(n.max(1));
        }
        self
    }

    /// Local executor: keep the bytes of results held plus tasks running under
    /// `bytes`. Ignored by the Dask executor.
    ///
    /// ```
    /// let ex = ndchunk::Executor::local().memory_limit(1 << 20);
    /// assert_eq!(ex.plan_options()?.memory_limit, 1 << 20);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn memory_limit(mut self, bytes: u64) -> Executor {
        if let ExecutorKind::Local(o) = &mut self.kind {
            o.memory_limit = Some(bytes);
            if let Some(p) = &mut self.plan {
                p.memory_limit = bytes;
            }
        }
        self
    }

    /// Local executor: make spill directories under `dir` (default
    /// `NDCHUNK_SPILL_DIR`, else the temporary directory; a rechunk through
    /// disk, see [`crate::plan::disk`], uses that default). When the results
    /// held between tasks would exceed the memory limit, those needed last
    /// are written there (zstd-compressed) and read back by their
    /// consumers; each run's spill directory is removed when it ends.
    /// Ignored by the Dask executor.
    ///
    /// ```
    /// use ndchunk::Axis;
    /// let dir = std::env::temp_dir().join(format!("ndchunk-doc-spill-{}", std::process::id()));
    /// let x = ndchunk::random::uniform::<f64>(&[512, 512], [16, 512], 1)?;
    /// // Every block (2 MiB in all) is held until the column means are
    /// // known: a 1 MiB limit makes the executor spill.
    /// let y = x.map_blocks(|b| b.mapv(|v| v * 2.0));
    /// let centred = (&y - &y.mean_axis(Axis(0))?).sum_axis(Axis(1))?;
    /// let small = ndchunk::Executor::local().memory_limit(1 << 20).spill_dir(&dir);
    /// assert!(centred.explain_with(&small).contains("spills:"));
    /// assert_eq!(centred.compute_with(&small)?, centred.compute()?);
    /// assert!(std::fs::read_dir(&dir)?.next().is_none()); // removed after the run
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn spill_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Executor {
        if let ExecutorKind::Local(o) = &mut self.kind {
            o.spill_dir = Some(dir.into());
        }
        self
    }

    /// After each run, write its report to `path`: an HTML timeline with a
    /// row per worker thread (of this process, or of each Dask worker) and a
    /// bar per task, coloured by stage, whose hover text gives the task's
    /// block, time, bytes read and written, and what was spilled (plotly.js
    /// is embedded: the file opens offline). A failed run writes its report
    /// too. The Dask dashboard shows the same tasks live, grouped by stage.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("ndchunk-doc-report-{}.html", std::process::id()));
    /// let ex = ndchunk::Executor::local().report(&path);
    /// let x = ndchunk::random::uniform::<f64>(&[1000, 100], [100, 100], 0)?;
    /// x.mean()?.compute_with(&ex)?;
    /// let html = std::fs::read_to_string(&path)?;
    /// // Rows are worker threads ("thread 0", ...); stages name the legend.
    /// assert!(html.contains("\"thread ") && html.contains("random.uniform"));
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn report(mut self, path: impl Into<std::path::PathBuf>) -> Executor {
        match &mut self.kind {
            ExecutorKind::Local(o) => o.report = Some(path.into()),
            ExecutorKind::Dask(o) => o.report = Some(path.into()),
        }
        self
    }

    /// Local executor: allow (`true`, on long computes) or forbid the progress
    /// bar. The Dask executor's progress is on the Dask dashboard.
    ///
    /// ```
    /// let ex = ndchunk::Executor::local().progress(false);
    /// assert_eq!(ndchunk::ones::<f32>(&[8], [2])?.sum()?.compute_with(&ex)?[[]], 8.0);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn progress(mut self, on: bool) -> Executor {
        if let ExecutorKind::Local(o) = &mut self.kind {
            o.progress = if on { Progress::Auto } else { Progress::Off };
        }
        self
    }

    /// Local executor: stop when `token` is cancelled (see [`CancelToken`]):
    /// no task starts after it, the running ones finish, and the compute
    /// returns [`crate::Error::Cancelled`]. Ignored by the Dask executor.
    ///
    /// ```
    /// let token = ndchunk::exec::CancelToken::new();
    /// token.cancel();
    /// let ex = ndchunk::Executor::local().cancel_on(token);
    /// assert!(ndchunk::ones::<f32>(&[8], [2])?.sum()?.compute_with(&ex).is_err());
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn cancel_on(mut self, token: CancelToken) -> Executor {
        if let ExecutorKind::Local(o) = &mut self.kind {
            o.cancel = Some(token);
        }
        self
    }

    /// True for executors whose tasks run in other processes (Dask): their
    /// plans may hold only functions a worker can find by name (storage
    /// sources and sinks, functions given to [`crate::register_fn`]).
    ///
    /// ```
    /// assert!(!ndchunk::Executor::local().is_distributed());
    /// assert!(ndchunk::Executor::dask_local(2).is_distributed());
    /// ```
    pub fn is_distributed(&self) -> bool {
        matches!(self.kind, ExecutorKind::Dask(_))
    }

    /// Plans for this executor are made under `options` (memory limit, gather,
    /// rechunk and chunk bytes) rather than under options derived from the
    /// environment; for the local executor, `options.memory_limit` is also the
    /// limit it runs under.
    ///
    /// ```
    /// let options = ndchunk::PlanOptions { rechunk_bytes: 1 << 20, ..ndchunk::PlanOptions::from_env()? };
    /// let ex = ndchunk::Executor::local().with_plan_options(options);
    /// assert_eq!(ex.plan_options()?.rechunk_bytes, 1 << 20);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn with_plan_options(mut self, options: PlanOptions) -> Executor {
        if let ExecutorKind::Local(o) = &mut self.kind {
            o.memory_limit = Some(options.memory_limit);
        }
        self.plan = Some(options);
        self
    }

    /// What plans for this executor are held to: the options given with
    /// [`Executor::with_plan_options`], else its memory limit (the local
    /// executor's own, else the default limit) and the gather and rechunk
    /// budgets derived from it.
    ///
    /// ```
    /// let ex = ndchunk::Executor::local().memory_limit(64 << 20);
    /// let options = ex.plan_options()?;
    /// assert_eq!(options.memory_limit, 64 << 20);
    /// assert!(options.gather_bytes <= options.memory_limit);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn plan_options(&self) -> Result<PlanOptions> {
        if let Some(options) = self.plan {
            return Ok(options);
        }
        match &self.kind {
            ExecutorKind::Local(LocalOptions {
                memory_limit: Some(limit),
                ..
            }) => PlanOptions::for_memory_limit(*limit),
            ExecutorKind::Local(_) => PlanOptions::from_env(),
            // Dask workers keep task results in the scratch directory.
            ExecutorKind::Dask(_) => Ok(PlanOptions {
                disk_rechunk: false,
                ..PlanOptions::from_env()?
            }),
        }
    }

    /// Runs `plan` and returns the values of its output tasks, in order.
    ///
    /// ```
    /// let x = ndchunk::arange::<i64>(0, 6, 1, [3])?;
    /// let values = ndchunk::Executor::local().run(&x.plan()?)?;
    /// assert_eq!(values.len(), 2);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn run(&self, plan: &Plan) -> Result<Vec<Arc<Value>>> {
        self.execute(plan, None)
    }

    /// Runs `plan`, handing output `i` to `sink` as soon as it is computed (in
    /// parallel, on worker threads); outputs are not kept. See [`Sink`] for
    /// writing outputs in place.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use ndchunk::exec::Value;
    /// let x = ndchunk::arange::<i64>(0, 10, 1, [3])?;
    /// let elements = AtomicU64::new(0);
    /// let sink = |_: usize, v: Value| -> ndchunk::Result<()> {
    ///     if let Value::Block(b) = v {
    ///         elements.fetch_add(b.shape().iter().product::<usize>() as u64, Ordering::Relaxed);
    ///     }
    ///     Ok(())
    /// };
    /// ndchunk::Executor::local().run_into(&x.plan()?, &sink)?;
    /// assert_eq!(elements.into_inner(), 10);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn run_into(&self, plan: &Plan, sink: &dyn Sink) -> Result<()> {
        self.execute(plan, Some(sink)).map(|_| ())
    }

    fn execute(&self, plan: &Plan, sink: Option<&dyn Sink>) -> Result<Vec<Arc<Value>>> {
        match &self.kind {
            ExecutorKind::Local(o) => {
                let limit = self.plan_options()?.memory_limit;
                local::run(plan, o, limit, sink)
            }
            ExecutorKind::Dask(o) => dask::run(plan, o, sink),
        }
    }
}

/// The error text for a task that panicked (a user function's closure, in
/// practice), with the panic's own message when it gave one as a string.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into());
    format!("the task panicked: {text}")
}

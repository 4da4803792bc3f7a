//! Worker mode: how Dask tasks run ndchunk tasks in processes of the same
//! program.
//!
//! Call [`run_if_worker`] at the top of `main`, after registering any functions
//! (see [`crate::register_fn`]) and before anything else:
//!
//! ```no_run
//! fn main() -> ndchunk::Result<()> {
//!     ndchunk::register_fn("double", |b: ndarray::ArrayViewD<f64>| b.mapv(|v| 2.0 * v));
//!     ndchunk::worker::run_if_worker();
//!     // ... the program: build arrays, compute_with(&Executor::dask(...)) ...
//!     Ok(())
//! }
//! ```
//!
//! The Dask executor starts `PROGRAM --ndchunk-worker-server` once per Dask
//! worker thread and sends it `SCRATCH TASK STAGE BLOCK DEPS` for each task. The
//! worker reads the stage from `SCRATCH/stages`, its inputs from
//! `SCRATCH/values`, runs the task and commits its result; a result already
//! committed (a retried task) is left as it is.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::exec::dask::Scratch;
use crate::exec::eval::run_task;
use crate::plan::{Stage, Task};

/// The first argument of a one-task worker invocation.
pub const WORKER_FLAG: &str = "--ndchunk-worker";

/// The first argument of a worker server: a process that runs task after task,
/// one per line of its stdin, so that tasks pay neither a process start nor
/// fresh memory each.
pub const SERVER_FLAG: &str = "--ndchunk-worker-server";

/// When this process was started by the Dask executor, does its work and exits;
/// returns at once otherwise.
///
/// - `PROGRAM --ndchunk-worker SCRATCH TASK STAGE BLOCK DEPS` runs that task:
///   status 0 once its result is committed, 1 with the error on stderr.
/// - `PROGRAM --ndchunk-worker-server` reads one task per line of stdin (the
///   same five fields, tab separated) and answers each with one JSON line on
///   stdout, `{"ok":true}` or `{"ok":false,"error":"..."}`, until stdin ends.
///   A panicking task is an error line; the server goes on.
pub fn run_if_worker() {
    let args: Vec<String> = std::env::args().collect();
    run_worker_with(&args);
}

/// [`run_if_worker`] with the program's arguments given (`args[0]` the
/// program): for programs whose own arguments are not the process's, such
/// as the Python package's `ndchunk-worker` (a Python script). Returns
/// `false` when `args` are not a worker's; otherwise does the work and exits.
///
/// ```
/// assert!(!ndchunk::worker::run_worker_with(&["prog".into(), "--help".into()]));
/// ```
pub fn run_worker_with(args: &[String]) -> bool {
    let flag = args.get(1).map(String::as_str);
    if matches!(flag, Some(WORKER_FLAG | SERVER_FLAG)) {
        // Plans name storage sources and sinks by kind.
        crate::io::register_kinds();
    }
    match flag {
        Some(WORKER_FLAG) => {
            let code = match run_worker_task(&args[2..]) {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("ndchunk worker: {e}");
                    1
                }
            };
            std::process::exit(code);
        }
        Some(SERVER_FLAG) => {
            serve(std::io::stdin().lock(), std::io::stdout().lock());
            std::process::exit(0);
        }
        _ => false,
    }
}

/// The worker server's loop: one task per line of `input`, one JSON answer per
/// line of `output`.
fn serve(input: impl std::io::BufRead, mut output: impl std::io::Write) {
    crate::exec::allocator::tune_once();
    let mut cache = StageCache::default();
    for line in input.lines() {
        let Ok(line) = line else { return };
        let fields: Vec<String> = line.split('\t').map(str::to_string).collect();
        let outcome =
            std::panic::catch_unwind(AssertUnwindSafe(|| run_task_with(&fields, &mut cache)))
                .unwrap_or_else(|p| Err(Error::Executor(crate::exec::panic_message(p.as_ref()))));
        // Reused buffers live for one task here, as for one compute locally.
        crate::exec::pool::clear();
        let answer = match outcome {
            Ok(Io { read, written }) => {
                serde_json::json!({ "ok": true, "read": read, "written": written })
            }
            Err(e) => serde_json::json!({ "ok": false, "error": e.to_string() }),
        };
        if writeln!(output, "{answer}")
            .and_then(|()| output.flush())
            .is_err()
        {
            return;
        }
    }
}

/// Runs the task described by `SCRATCH TASK STAGE BLOCK DEPS` (block and
/// dependencies comma separated, possibly empty).
fn run_worker_task(args: &[String]) -> Result<()> {
    run_task_with(args, &mut StageCache::default()).map(|_| ())
}

/// What a task read (its inputs' result files and its part of the plan
/// data) and wrote (its result file), in bytes: the run report's figures.
#[derive(Default)]
struct Io {
    read: u64,
    written: u64,
}

/// [`run_worker_task`], reading stages through `cache`.
fn run_task_with(args: &[String], cache: &mut StageCache) -> Result<Io> {
    let [scratch, task, stage, block, deps] = args else {
        return Err(Error::Executor(format!(
            "worker arguments: expected SCRATCH TASK STAGE BLOCK DEPS, got {args:?}"
        )));
    };
    let scratch = Scratch::open(Path::new(scratch));
    let id = number(task, "task")?;
    if scratch.has_value(id) {
        return Ok(Io::default());
    }
    let task = Task {
        stage: number(stage, "stage")?,
        block: numbers(block, "block")?,
        deps: numbers(deps, "deps")?,
        out_bytes: 0,
        work_bytes: 0,
    };
    let data_before = crate::ship::side::bytes_read();
    let stage = cache.stage(&scratch, task.stage)?;
    let mut read = 0;
    let inputs = task
        .deps
        .iter()
        .map(|&d| {
            let (value, bytes) = scratch.read_value_counted(d)?;
            read += bytes;
            Ok(Arc::new(value))
        })
        .collect::<Result<Vec<_>>>()?;
    let value = run_task(&stage, &task, inputs, &mut None)?;
    let written = scratch.write_value(id, &value)?;
    Ok(Io {
        read: read + crate::ship::side::bytes_read() - data_before,
        written,
    })
}

/// Stages read from one scratch directory, kept while a server runs its tasks:
/// a server usually runs many tasks of the same stage, and a stage keeps the
/// blocks and index pages its tasks have read from the run's data file
/// ([`crate::ship::side`]), so the next task that touches them reads nothing.
/// Stage files do not change during a run; a new scratch directory (a new run)
/// empties the cache.
#[derive(Default)]
struct StageCache {
    scratch: PathBuf,
    stages: HashMap<usize, Arc<Stage>>,
}

/// Stages kept at most; beyond that the cache starts again.
const CACHED_STAGES: usize = 8;

impl StageCache {
    /// Stage `s` of the run in `scratch`: all a task of it needs.
    fn stage(&mut self, scratch: &Scratch, s: usize) -> Result<Arc<Stage>> {
        if self.scratch != scratch.path() || self.stages.len() >= CACHED_STAGES {
            self.scratch = scratch.path().to_path_buf();
            self.stages.clear();
        }
        if let Some(stage) = self.stages.get(&s) {
            return Ok(stage.clone());
        }
        let stage = Arc::new(scratch.read_stage(s)?);
        self.stages.insert(s, stage.clone());
        Ok(stage)
    }
}

fn number(s: &str, what: &str) -> Result<usize> {
    s.parse()
        .map_err(|_| Error::Executor(format!("worker argument {what}: {s:?} is not a number")))
}

fn numbers(s: &str, what: &str) -> Result<Vec<usize>> {
    if s.is_empty() {
        return Ok(Vec::new());
    }
    s.split(',').map(|p| number(p, what)).collect()
}

//! The Dask executor: one Dask task per physical task, or per batch of tiny
//! ones (see [`batch`]), each run by a process of this program in worker mode
//! (see [`crate::worker`]).
//!
//! The driver (this process) writes the plan into a scratch directory on a
//! filesystem the Dask workers share: one file per stage (`stages/S.bin`, the
//! stage as data, see [`crate::ship`]), the stages' in-memory arrays and index
//! lists beside them (`data.bin`, read by each task only where it touches them,
//! see [`crate::ship::side`]) and the task graph (`graph.json`: per task
//! its stage, block and dependencies). It then hands the directory to the
//! embedded Python driver (`driver.py`, one process per executor, kept between
//! runs), which submits the graph to the scheduler. Each Dask worker
//! thread starts `EXE --ndchunk-worker-server` once per run and hands it its
//! tasks; the server reads a task's inputs from `values/`, runs it and commits
//! its result as `values/T.bin` (a temporary file renamed into place), so a task
//! retried after a lost worker finds its result and returns.
//! Dask moves only task ids. When the graph is done, the driver reads the output
//! tasks' results. A result file is deleted once every task reading it has
//! committed its own (so the scratch directory holds the working set, not
//! every result), and made again if a lost task needs it after all. The
//! scratch directory is removed after success and after failure.

pub mod batch;
mod jobqueue;
mod scratch;
mod session;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::exec::report::{write_timeline, TaskRecord};
use crate::exec::{Sink, Value};
use crate::plan::{Instr, LeafSource, Plan, StageKind};

pub use jobqueue::JobQueue;
pub use scratch::{Scratch, KEEP_SCRATCH_ENV};
use session::{Session, Target};

/// Environment variable naming the Python interpreter that runs the driver.
pub const PYTHON_ENV: &str = "NDCHUNK_PYTHON";

/// Environment variable naming the directory scratch directories are made in
/// (on a filesystem every Dask worker sees). Default: the system's temporary
/// directory, which suits a local cluster.
pub const SCRATCH_ENV: &str = "NDCHUNK_SCRATCH";

/// Environment variable with a Dask scheduler's address, used by
/// [`Executor::dask_from_env`](crate::Executor::dask_from_env).
pub const SCHEDULER_ENV: &str = "DASK_SCHEDULER_ADDRESS";

/// Where the Dask executor runs and what it runs with.
#[derive(Clone, Debug)]
pub struct DaskOptions {
    /// The scheduler (`tcp://host:8786`); `None` starts a `LocalCluster`, or
    /// the cluster of batch jobs `jobqueue` describes.
    pub address: Option<String>,
    /// A dask-jobqueue cluster the driver starts (and closes with the executor).
    pub jobqueue: Option<JobQueue>,
    /// Worker processes of the local cluster (one thread each).
    pub local_workers: usize,
    /// The Python interpreter; default [`PYTHON_ENV`], else the project's
    /// `.venv`, else `python3`.
    pub python: Option<PathBuf>,
    /// Parent of the scratch directory; default [`SCRATCH_ENV`], else the
    /// system's temporary directory.
    pub scratch: Option<PathBuf>,
    /// The program the workers run; default this process's executable.
    pub worker_exe: Option<PathBuf>,
    /// Where each run writes its report (see [`crate::Executor::report`]).
    pub report: Option<PathBuf>,
    /// The Python driver, shared by the executor's clones.
    pub(crate) session: Arc<Session>,
}

/// The task graph as the Python driver reads it.
#[derive(Serialize)]
struct Graph<'a> {
    exe: String,
    run: String,
    /// Tasks record their times and bytes for the run report.
    report: bool,
    tasks: Vec<GraphTask<'a>>,
    outputs: &'a [usize],
    /// Tasks that may share Dask tasks, by stage.
    groups: Vec<batch::Group>,
}

#[derive(Serialize)]
struct GraphTask<'a> {
    id: usize,
    stage: usize,
    block: &'a [usize],
    deps: &'a [usize],
    label: &'a str,
    /// The inputs whose result files this task may delete once it is done:
    /// `(dependency, its number of consumers)`, outputs excluded (see
    /// `release_inputs` in driver.py).
    release: Vec<(usize, usize)>,
}

/// Per task, how many distinct tasks read its result.
fn consumer_counts(plan: &Plan) -> Vec<usize> {
    let mut counts = vec![0; plan.tasks.len()];
    for task in &plan.tasks {
        let mut deps = task.deps.clone();
        deps.sort_unstable();
        deps.dedup();
        for d in deps {
            counts[d] += 1;
        }
    }
    counts
}

/// Runs `plan` on the cluster `options` describe; outputs go to `sink`, or are
/// returned in order.
pub(crate) fn run(
    plan: &Plan,
    options: &DaskOptions,
    sink: Option<&dyn Sink>,
) -> Result<Vec<Arc<Value>>> {
    check_portable(plan)?;
    let python = python(options);
    let exe = match &options.worker_exe {
        Some(p) => p.clone(),
        None => std::env::current_exe()
            .map_err(|e| Error::Executor(format!("cannot find this program's executable: {e}")))?,
    };
    let root = options
        .scratch
        .clone()
        .or_else(|| std::env::var_os(SCRATCH_ENV).map(PathBuf::from))
        .unwrap_or_else(std::env::temp_dir);
    let scratch = Scratch::create(&root)?;
    scratch.write_stages(&plan.stages)?;
    let consumers = consumer_counts(plan);
    let mut is_output = vec![false; plan.tasks.len()];
    for &t in &plan.outputs {
        is_output[t] = true;
    }
    let graph = Graph {
        exe: exe.display().to_string(),
        run: scratch.run_id().to_string(),
        report: options.report.is_some(),
        tasks: plan
            .tasks
            .iter()
            .enumerate()
            .map(|(id, t)| {
                let mut release: Vec<(usize, usize)> = t
                    .deps
                    .iter()
                    .filter(|&&d| !is_output[d])
                    .map(|&d| (d, consumers[d]))
                    .collect();
                release.sort_unstable();
                release.dedup();
                GraphTask {
                    id,
                    stage: t.stage,
                    block: &t.block,
                    deps: &t.deps,
                    label: &plan.stages[t.stage].name,
                    release,
                }
            })
            .collect(),
        outputs: &plan.outputs,
        groups: batch::groups(plan),
    };
    scratch.write_graph(&graph)?;
    let target = Target {
        address: options.address.as_deref(),
        local_workers: options.local_workers,
        jobqueue: options.jobqueue.as_ref(),
    };
    let ran = options.session.run(&python, &target, scratch.path());
    // A failed run's report is written too; the run's error comes first.
    let drawn = match &options.report {
        Some(path) => write_report(path, plan, &scratch),
        None => Ok(()),
    };
    ran?;
    drawn?;
    let mut values = Vec::with_capacity(if sink.is_some() {
        0
    } else {
        plan.outputs.len()
    });
    for (i, &t) in plan.outputs.iter().enumerate() {
        let value = scratch.read_value(t)?;
        match sink {
            Some(sink) => match (sink.destination(i), value) {
                (Some(dest), Value::Block(b)) => dest.write(&b)?,
                (_, value) => sink.receive(i, value)?,
            },
            None => values.push(Arc::new(value)),
        }
    }
    Ok(values)
}

/// Draws the run report from the lines the tasks appended to
/// `SCRATCH/timeline/` (one file per worker thread; see `record` in driver.py).
fn write_report(path: &Path, plan: &Plan, scratch: &Scratch) -> Result<()> {
    #[derive(serde::Deserialize)]
    struct Line {
        task: usize,
        worker: String,
        start: f64,
        end: f64,
        read: u64,
        written: u64,
    }
    let folder = scratch.path().join("timeline");
    let mut lines = Vec::new();
    if let Ok(files) = std::fs::read_dir(&folder) {
        for file in files.flatten() {
            let text = std::fs::read_to_string(file.path())
                .map_err(|e| scratch::io_error("cannot read", &file.path(), e))?;
            for l in text.lines() {
                let line: Line = serde_json::from_str(l)
                    .map_err(|e| Error::Executor(format!("run report line {l:?}: {e}")))?;
                if line.task < plan.tasks.len() {
                    lines.push(line);
                }
            }
        }
    }
    let t0 = lines.iter().map(|l| l.start).fold(f64::INFINITY, f64::min);
    let since = |t: f64| std::time::Duration::from_secs_f64((t - t0).max(0.0));
    let total = lines.iter().map(|l| since(l.end)).max().unwrap_or_default();
    let tasks: Vec<TaskRecord> = lines
        .into_iter()
        .map(|l| TaskRecord {
            task: l.task,
            worker: l.worker,
            start: since(l.start),
            end: since(l.end),
            read: l.read,
            written: l.written,
            unspilled: 0,
        })
        .collect();
    write_timeline(path, plan, &tasks, &[], total)
}

/// Refuses plans with user functions a worker process cannot find: closures
/// (`mapv`, `zip_with`, `map_blocks`, `from_fn`) rather than storage sources or
/// functions registered with [`crate::register_fn`].
fn check_portable(plan: &Plan) -> Result<()> {
    let refuse = |name: &str| {
        Err(Error::invalid(
            name,
            "this closure cannot run under the Dask executor: worker processes only know \
             functions registered by name (ndchunk::register_fn, then map_blocks_registered)",
        ))
    };
    for stage in &plan.stages {
        match &stage.kind {
            StageKind::Fused(f) => {
                for leaf in &f.leaves {
                    if let LeafSource::FromFn(u) = &leaf.source {
                        if !u.is_portable() {
                            return refuse(&u.name);
                        }
                    }
                }
                // Elementwise closures cannot be registered: none is portable.
                for instr in &f.program.instrs {
                    if let Instr::Op(crate::expr::ElemOp::User(u, _), _) = instr {
                        return refuse(&u.name);
                    }
                }
            }
            StageKind::MapBlocks { map, .. } if !map.f.is_portable() => {
                return refuse(&map.f.name())
            }
            StageKind::Store { sink, .. } if !sink.is_portable() => return refuse(&sink.name),
            _ => {}
        }
    }
    Ok(())
}

/// The interpreter: `options.python`, else `NDCHUNK_PYTHON`, else a `.venv` in
/// the current directory, the executable's directory or one of their ancestors
/// (a project's own virtualenv), else `python3`.
fn python(options: &DaskOptions) -> PathBuf {
    if let Some(p) = &options.python {
        return p.clone();
    }
    if let Some(p) = std::env::var_os(PYTHON_ENV) {
        return PathBuf::from(p);
    }
    let starts = [std::env::current_dir().ok(), std::env::current_exe().ok()];
    starts
        .iter()
        .flatten()
        .flat_map(|d| d.ancestors())
        .map(|a| a.join(".venv/bin/python"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("python3"))
}

/// The error a driver's answer reports, if any: `{"ok": false, "code": 3|4|5, ...}`.
fn answer_error(answer: &serde_json::Value, python: &Path, target: &Target) -> Option<Error> {
    if answer.get("ok").and_then(|v| v.as_bool()) == Some(true) {
        return None;
    }
    let field = |k: &str| answer.get(k).and_then(|v| v.as_str()).unwrap_or("");
    Some(match answer.get("code").and_then(|v| v.as_i64()) {
        Some(3) => Error::Executor(format!(
            "the Python at {} cannot import the `distributed` package (or, for a cluster of \
             batch jobs, `dask_jobqueue`; pip install distributed dask-jobqueue, or run \
             ./setup.sh): {}",
            python.display(),
            field("error")
        )),
        Some(4) => Error::Executor(match (target.address, target.jobqueue) {
            (Some(a), _) => format!("cannot reach the Dask scheduler at {a}: {}", field("error")),
            (None, Some(q)) => format!(
                "cannot start a dask-jobqueue cluster on {}: {}",
                q.system(),
                field("error")
            ),
            (None, None) => format!("cannot start a local Dask cluster: {}", field("error")),
        }),
        Some(5) if answer.get("task").is_some() => Error::Task {
            task: format!(
                "task {} ({} block [{}])",
                answer
                    .get("task")
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
                field("op"),
                field("block")
            ),
            source: Box::new(Error::Executor(
                match answer.get("exit").and_then(|v| v.as_i64()) {
                    Some(code) => format!("the worker process exited with {code}; "),
                    None => String::new(),
                } + &format!("its error and stderr:\n{}", field("stderr").trim_end()),
            )),
        },
        _ => Error::Executor(format!("the Dask graph failed: {}", field("error"))),
    })
}

//! The local scheduler: worker loops on a rayon pool sharing one ready queue.
//!
//! - Ready tasks run lowest id first: ids are a depth-first post-order of the
//!   plan, so a consumer's inputs complete before unrelated producers start.
//! - A result is dropped as soon as its last consumer has run.
//! - A task starts only if the bytes held plus the bytes of running tasks plus its
//!   own estimate fit the memory limit. When they do not, the held results
//!   needed last (their next consumer has the highest id) are spilled to disk
//!   until they do (see [`super::spill`]); when nothing is left to spill, the
//!   task waits, or runs if nothing else is running (so the plan always makes
//!   progress).
//! - Tasks may hold all but a sixteenth of the limit (a task needing more,
//!   up to the whole limit, runs alone, as above). Before a task starts,
//!   the allocator's free pages go back to the system if resident memory plus
//!   what the running tasks may yet allocate would come within that sixteenth
//!   of the limit (see [`super::allocator::Retention`]).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::block::DynSliceMut;
use crate::error::{Error, Result};
use crate::exec::allocator::Retention;
use crate::exec::eval::run_task;
use crate::exec::progress::Bar;
use crate::exec::report::{write_timeline, SpillRecord, TaskRecord};
use crate::exec::spill::SpillDir;
use crate::exec::{CancelToken, LocalOptions, Sink, Value};
use crate::plan::{Plan, TaskId};

/// Where a task's result is.
#[derive(Clone, Default)]
enum Slot {
    /// Not computed, or dropped (its last consumer has it).
    #[default]
    Empty,
    /// In memory.
    Memory(Arc<Value>),
    /// In memory, being written to the spill directory by a worker.
    Spilling(Arc<Value>),
    /// In the spill directory only.
    Disk,
}

struct Shared {
    ready: BinaryHeap<Reverse<TaskId>>,
    missing_deps: Vec<usize>,
    consumers_left: Vec<usize>,
    results: Vec<Slot>,
    /// Whether a result's bytes are in `bytes_in_flight`: from its task's end
    /// until it is spilled or its last consumer ends.
    counted: Vec<bool>,
    started: Vec<bool>,
    /// Bytes of held results (counted ones), running tasks, and spilled
    /// results read back for running tasks.
    bytes_in_flight: u64,
    /// Bytes of results being spilled: soon out of `bytes_in_flight`.
    spilling_bytes: u64,
    /// The estimates of the running tasks (part of `bytes_in_flight`).
    running_bytes: u64,
    running: usize,
    done: usize,
    error: Option<Error>,
    bar: Bar,
    /// What a run report draws, when one is asked for.
    records: Option<Records>,
}

/// The tasks and spills of a run, for its report.
#[derive(Default)]
struct Records {
    tasks: Vec<TaskRecord>,
    spills: Vec<SpillRecord>,
}

/// Runs `plan` with `threads` workers (rayon's global pool when `None`). With a
/// `sink`, each output is handed to it by the worker that computed it (and not
/// kept); otherwise the outputs are returned in order.
pub fn run(
    plan: &Plan,
    options: &LocalOptions,
    limit: u64,
    sink: Option<&dyn Sink>,
) -> Result<Vec<Arc<Value>>> {
    let (threads, progress) = (options.threads, options.progress);
    crate::exec::allocator::tune_once();
    if let Some((t, task)) = plan
        .tasks
        .iter()
        .enumerate()
        .find(|(_, t)| t.work_bytes > limit)
    {
        return Err(Error::MemoryLimit {
            task: describe(plan, t),
            needed: task.work_bytes,
            limit,
        });
    }
    let n = plan.tasks.len();
    let mut dependents: Vec<Vec<TaskId>> = vec![Vec::new(); n];
    let mut missing_deps = vec![0; n];
    let mut consumers_left = vec![0; n];
    for (t, task) in plan.tasks.iter().enumerate() {
        missing_deps[t] = task.deps.len();
        for &d in &task.deps {
            dependents[d].push(t);
            consumers_left[d] += 1;
        }
    }
    let mut output_of: Vec<Option<usize>> = vec![None; n];
    for (i, &o) in plan.outputs.iter().enumerate() {
        output_of[o] = Some(i);
        if sink.is_none() {
            consumers_left[o] += 1; // held for the caller
        }
    }
    let ready = (0..n)
        .filter(|&t| missing_deps[t] == 0)
        .map(Reverse)
        .collect();
    let shared = Mutex::new(Shared {
        ready,
        missing_deps,
        consumers_left,
        results: vec![Slot::Empty; n],
        counted: vec![false; n],
        started: vec![false; n],
        bytes_in_flight: 0,
        spilling_bytes: 0,
        running_bytes: 0,
        running: 0,
        done: 0,
        error: None,
        bar: Bar::new(progress, n),
        records: options.report.as_ref().map(|_| Records::default()),
    });
    let started = Instant::now();
    let wake = Condvar::new();
    let spill = SpillDir::new(options.spill_dir.as_deref());
    // What the plan may hold at once: its one-thread peak, or its largest
    // task on every thread.
    let threads_used = threads.unwrap_or_else(rayon::current_num_threads) as u64;
    let widest = plan.tasks.iter().map(|t| t.work_bytes).max().unwrap_or(0);
    let retention = Retention::new(
        limit,
        plan.estimated_peak_bytes().max(widest * threads_used),
    );
    let work = |thread: usize| {
        let run = Run {
            plan,
            dependents: &dependents,
            output_of: &output_of,
            sink,
            limit: limit - retention.reserve(),
            cancel: options.cancel.as_ref(),
            spill: &spill,
            retention: &retention,
            started,
            thread,
        };
        worker(&run, &shared, &wake);
        super::pool::clear();
    };
    match threads {
        Some(k) => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(k)
                .build()
                .map_err(|e| Error::Executor(format!("cannot start {k} threads: {e}")))?;
            pool.scope(|s| {
                for i in 0..k {
                    s.spawn(move |_| work(i));
                }
            });
        }
        None => rayon::scope(|s| {
            for i in 0..rayon::current_num_threads() {
                s.spawn(move |_| work(i));
            }
        }),
    }
    retention.finish();
    let mut state = shared
        .into_inner()
        .map_err(|_| Error::Executor("scheduler state poisoned".into()))?;
    state.bar.finish();
    if let (Some(path), Some(records)) = (&options.report, &state.records) {
        let drawn = write_timeline(
            path,
            plan,
            &records.tasks,
            &records.spills,
            started.elapsed(),
        );
        if state.error.is_none() {
            drawn?;
        }
    }
    if let Some(e) = state.error {
        return Err(e);
    }
    if sink.is_some() {
        return Ok(Vec::new());
    }
    plan.outputs
        .iter()
        .map(|&o| match &state.results[o] {
            Slot::Memory(v) | Slot::Spilling(v) => Ok(v.clone()),
            _ => Err(Error::Executor(format!("task {o} produced no result"))),
        })
        .collect()
}

fn describe(plan: &Plan, t: TaskId) -> String {
    let task = &plan.tasks[t];
    format!("{} block {:?}", plan.stages[task.stage].name, task.block)
}

/// What every worker of one run reads.
struct Run<'a> {
    plan: &'a Plan,
    dependents: &'a [Vec<TaskId>],
    output_of: &'a [Option<usize>],
    sink: Option<&'a dyn Sink>,
    /// The bytes tasks may hold: the memory limit less what is left to the
    /// allocator (see [`Retention::reserve`]).
    limit: u64,
    cancel: Option<&'a CancelToken>,
    spill: &'a SpillDir,
    retention: &'a Retention,
    /// When the run started, and this worker's number (for the report).
    started: Instant,
    thread: usize,
}

/// An input of a task about to run: in memory, or to be read back from the
/// spill directory (and its file deleted, for its last consumer).
enum Input {
    Held(Arc<Value>),
    Spilled { task: TaskId, last: bool },
}

/// The bytes task `t` adds while it runs: its own estimate, plus its spilled
/// inputs read back.
fn charge(plan: &Plan, s: &Shared, t: TaskId) -> u64 {
    let task = &plan.tasks[t];
    let reread: u64 = task
        .deps
        .iter()
        .filter(|&&d| matches!(s.results[d], Slot::Disk))
        .map(|&d| plan.tasks[d].out_bytes)
        .sum();
    task.work_bytes + reread
}

/// The held results to spill so that task `t` fits under `limit`: those
/// whose next consumer comes last, until enough bytes go (all there are
/// when that is not enough). Not `t`'s own inputs, nor outputs kept for the
/// caller.
fn choose_spills(run: &Run, s: &Shared, t: TaskId, need: u64) -> Vec<TaskId> {
    let plan = run.plan;
    let mut candidates: Vec<(TaskId, TaskId)> = (0..plan.tasks.len())
        .filter(|&d| {
            matches!(s.results[d], Slot::Memory(_))
                && s.counted[d]
                && run.output_of[d].is_none()
                && !plan.tasks[t].deps.contains(&d)
        })
        .filter_map(|d| {
            let next = run.dependents[d]
                .iter()
                .copied()
                .filter(|&c| !s.started[c])
                .min()?;
            Some((next, d))
        })
        .collect();
    candidates.sort_unstable_by(|a, b| b.cmp(a));
    let mut over =
        (s.bytes_in_flight.saturating_sub(s.spilling_bytes) + need).saturating_sub(run.limit);
    let mut chosen = Vec::new();
    for (_, d) in candidates {
        if over == 0 {
            break;
        }
        over = over.saturating_sub(plan.tasks[d].out_bytes);
        chosen.push(d);
    }
    chosen
}

/// How often a waiting worker looks at the cancel token.
const CANCEL_POLL: std::time::Duration = std::time::Duration::from_millis(50);

fn worker(run: &Run, shared: &Mutex<Shared>, wake: &Condvar) {
    let Run {
        plan,
        dependents,
        output_of,
        sink,
        limit,
        cancel,
        ..
    } = *run;
    let Ok(mut s) = shared.lock() else { return };
    loop {
        if cancel.is_some_and(CancelToken::is_cancelled) && s.error.is_none() {
            s.error = Some(Error::Cancelled {
                done: s.done,
                total: plan.tasks.len(),
            });
        }
        if s.error.is_some() || s.done == plan.tasks.len() {
            wake.notify_all();
            return;
        }
        let head = s.ready.peek().map(|r| r.0);
        let fits = |s: &Shared, t: TaskId| {
            s.bytes_in_flight.saturating_sub(s.spilling_bytes) + charge(plan, s, t) <= limit
        };
        if let Some(t) = head.filter(|&t| !fits(&s, t)) {
            let victims = choose_spills(run, &s, t, charge(plan, &s, t));
            if !victims.is_empty() {
                s = spill_results(run, s, shared, &victims);
                wake.notify_all();
                continue;
            }
        }
        let next = head.filter(|&t| (s.running == 0 && s.spilling_bytes == 0) || fits(&s, t));
        let Some(t) = next else {
            // With a token, wake now and then to look at it.
            let woken = match cancel {
                Some(_) => wake.wait_timeout(s, CANCEL_POLL).map(|(g, _)| g).ok(),
                None => wake.wait(s).ok(),
            };
            let Some(g) = woken else { return };
            s = g;
            continue;
        };
        s.ready.pop();
        let task = &plan.tasks[t];
        let charged = charge(plan, &s, t);
        let began = run.started.elapsed();
        s.started[t] = true;
        s.running += 1;
        s.bytes_in_flight += charged;
        s.running_bytes += charged;
        let running_bytes = s.running_bytes;
        // The last consumer of a result takes it, so it may reuse the buffer
        // (`Arc::try_unwrap`) instead of copying it.
        let mut inputs: Vec<Input> = Vec::with_capacity(task.deps.len());
        for &d in &task.deps {
            let last = s.consumers_left[d] == 1;
            let input = match &s.results[d] {
                Slot::Memory(v) if last => {
                    let v = v.clone();
                    s.results[d] = Slot::Empty;
                    Some(Input::Held(v))
                }
                Slot::Memory(v) | Slot::Spilling(v) => Some(Input::Held(v.clone())),
                Slot::Disk => {
                    if last {
                        s.results[d] = Slot::Empty;
                    }
                    Some(Input::Spilled { task: d, last })
                }
                Slot::Empty => None,
            };
            inputs.extend(input);
        }
        drop(s);
        run.retention.make_room(running_bytes);

        // Outputs go to the sink from this thread, in parallel with other tasks:
        // written straight into the destination it offers, or received whole.
        let to_sink = output_of[t].zip(sink);
        let mut dest = to_sink.and_then(|(i, sink)| sink.destination(i));
        let outcome = if inputs.len() == task.deps.len() {
            read_back(run.spill, inputs).and_then(|deps| {
                catch_unwind(AssertUnwindSafe(|| {
                    run_task(&plan.stages[task.stage], task, deps, &mut dest)
                }))
                .unwrap_or_else(|p| Err(Error::Executor(super::panic_message(p.as_ref()))))
            })
        } else {
            Err(Error::Executor(
                "a dependency's result was dropped too early".into(),
            ))
        };
        let outcome = match (outcome, to_sink) {
            (Ok(Value::Written), Some(_)) => Ok(None),
            (Ok(value), Some((i, sink))) => match dest {
                Some(d) => write_into(d, value).map(|()| None),
                None => sink.receive(i, value).map(|()| None),
            },
            (outcome, _) => outcome.map(Some),
        };

        s = match shared.lock() {
            Ok(g) => g,
            Err(_) => return,
        };
        s.running -= 1;
        s.bytes_in_flight -= charged;
        s.running_bytes -= charged;
        match outcome {
            Ok(value) => {
                if let Some(records) = &mut s.records {
                    let read: u64 = task.deps.iter().map(|&d| plan.tasks[d].out_bytes).sum();
                    records.tasks.push(TaskRecord {
                        task: t,
                        worker: format!("thread {}", run.thread),
                        start: began,
                        end: run.started.elapsed(),
                        read,
                        written: task.out_bytes,
                        unspilled: charged - task.work_bytes,
                    });
                }
                if let Some(value) = value {
                    s.bytes_in_flight += task.out_bytes;
                    s.counted[t] = true;
                    s.results[t] = Slot::Memory(Arc::new(value));
                }
                for &d in &task.deps {
                    s.consumers_left[d] -= 1;
                    if s.consumers_left[d] == 0 {
                        release(plan, &mut s, run.spill, d);
                    }
                }
                for &c in &dependents[t] {
                    s.missing_deps[c] -= 1;
                    if s.missing_deps[c] == 0 {
                        s.ready.push(Reverse(c));
                    }
                }
                s.done += 1;
                let done = s.done;
                s.bar.update(done);
            }
            Err(e) => {
                if s.error.is_none() {
                    s.error = Some(Error::Task {
                        task: describe(plan, t),
                        source: Box::new(e),
                    });
                }
            }
        }
        wake.notify_all();
    }
}

/// Drops result `d` once its last consumer has ended: from memory, or its
/// spilled file.
fn release(plan: &Plan, s: &mut Shared, spill: &SpillDir, d: TaskId) {
    if matches!(std::mem::take(&mut s.results[d]), Slot::Disk) {
        spill.remove(d);
    }
    if std::mem::take(&mut s.counted[d]) {
        s.bytes_in_flight -= plan.tasks[d].out_bytes;
    }
}

/// Writes `victims` to the spill directory, with the lock released while it
/// writes; returns the lock. A result whose last consumer took it meanwhile
/// loses its file at once; a failed write is the run's error.
fn spill_results<'a>(
    run: &Run,
    mut s: std::sync::MutexGuard<'a, Shared>,
    shared: &'a Mutex<Shared>,
    victims: &[TaskId],
) -> std::sync::MutexGuard<'a, Shared> {
    let plan = run.plan;
    let mut values = Vec::with_capacity(victims.len());
    for &d in victims {
        if let Slot::Memory(v) = &s.results[d] {
            let v = v.clone();
            s.results[d] = Slot::Spilling(v.clone());
            s.spilling_bytes += plan.tasks[d].out_bytes;
            values.push((d, v));
        }
    }
    drop(s);
    let written: Vec<(TaskId, Result<u64>, Duration, Duration)> = values
        .into_iter()
        .map(|(d, v)| {
            let start = run.started.elapsed();
            let outcome = run.spill.write(d, &v, plan.tasks[d].out_bytes);
            (d, outcome, start, run.started.elapsed())
        })
        .collect();
    let mut s = match shared.lock() {
        Ok(g) => g,
        Err(e) => e.into_inner(),
    };
    for (d, outcome, start, end) in written {
        s.spilling_bytes -= plan.tasks[d].out_bytes;
        if let (Ok(disk), Some(records)) = (&outcome, &mut s.records) {
            records.spills.push(SpillRecord {
                task: d,
                raw: plan.tasks[d].out_bytes,
                disk: *disk,
                worker: format!("thread {}", run.thread),
                start,
                end,
            });
        }
        match (outcome, &s.results[d]) {
            (Ok(_), Slot::Spilling(_)) => {
                s.results[d] = Slot::Disk;
                if std::mem::take(&mut s.counted[d]) {
                    s.bytes_in_flight -= plan.tasks[d].out_bytes;
                }
            }
            (Ok(_), _) => run.spill.remove(d),
            (Err(e), slot) => {
                if let Slot::Spilling(v) = slot {
                    s.results[d] = Slot::Memory(v.clone());
                }
                if s.error.is_none() {
                    s.error = Some(e);
                }
            }
        }
    }
    s
}

/// A task's inputs in memory: spilled ones read back (and their files
/// deleted for their last consumer).
fn read_back(spill: &SpillDir, inputs: Vec<Input>) -> Result<Vec<Arc<Value>>> {
    inputs
        .into_iter()
        .map(|input| match input {
            Input::Held(v) => Ok(v),
            Input::Spilled { task, last } => {
                let value = spill.read(task)?;
                if last {
                    spill.remove(task);
                }
                Ok(Arc::new(value))
            }
        })
        .collect()
}

/// Copies a computed output block into the destination its sink offered.
fn write_into(dest: DynSliceMut, value: Value) -> Result<()> {
    match value {
        Value::Block(b) => {
            dest.write(&b)?;
            dyn_match!(b, a: T => super::pool::give(a.into_raw_vec_and_offset().0));
            Ok(())
        }
        _ => Err(Error::invalid("sink", "output is not a block")),
    }
}

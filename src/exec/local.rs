//! The local scheduler: worker loops on a rayon pool sharing one ready queue.
//!
//! - Ready tasks run lowest id first: ids are a depth-first post-order of the
//!   plan, so a consumer's inputs complete before unrelated producers start.
//! - A result is dropped as soon as its last consumer has run.
//! - A task starts only if the bytes held plus the bytes of running tasks plus its
//!   own estimate fit the memory limit, or if nothing else is running (so the plan
//!   always makes progress).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex};

use crate::block::DynSliceMut;
use crate::error::{Error, Result};
use crate::exec::eval::run_task;
use crate::exec::progress::Bar;
use crate::exec::{CancelToken, LocalOptions, Sink, Value};
use crate::plan::{Plan, TaskId};

struct Shared {
    ready: BinaryHeap<Reverse<TaskId>>,
    missing_deps: Vec<usize>,
    consumers_left: Vec<usize>,
    results: Vec<Option<Arc<Value>>>,
    bytes_in_flight: u64,
    running: usize,
    done: usize,
    error: Option<Error>,
    bar: Bar,
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
        results: vec![None; n],
        bytes_in_flight: 0,
        running: 0,
        done: 0,
        error: None,
        bar: Bar::new(progress, n),
    });
    let wake = Condvar::new();
    let work = || {
        let run = Run {
            plan,
            dependents: &dependents,
            output_of: &output_of,
            sink,
            limit,
            cancel: options.cancel.as_ref(),
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
                for _ in 0..k {
                    s.spawn(|_| work());
                }
            });
        }
        None => rayon::scope(|s| {
            for _ in 0..rayon::current_num_threads() {
                s.spawn(|_| work());
            }
        }),
    }
    let mut state = shared
        .into_inner()
        .map_err(|_| Error::Executor("scheduler state poisoned".into()))?;
    state.bar.finish();
    if let Some(e) = state.error {
        return Err(e);
    }
    if sink.is_some() {
        return Ok(Vec::new());
    }
    plan.outputs
        .iter()
        .map(|&o| {
            state.results[o]
                .clone()
                .ok_or_else(|| Error::Executor(format!("task {o} produced no result")))
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
    limit: u64,
    cancel: Option<&'a CancelToken>,
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
        let next = s.ready.peek().map(|r| r.0).filter(|&t| {
            let need = plan.tasks[t].work_bytes;
            s.running == 0 || s.bytes_in_flight + need <= limit
        });
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
        s.running += 1;
        s.bytes_in_flight += task.work_bytes;
        // The last consumer of a result takes it, so it may reuse the buffer
        // (`Arc::try_unwrap`) instead of copying it.
        let mut deps: Vec<Arc<Value>> = Vec::with_capacity(task.deps.len());
        for &d in &task.deps {
            let last = s.consumers_left[d] == 1;
            let value = if last {
                s.results[d].take()
            } else {
                s.results[d].clone()
            };
            deps.extend(value);
        }
        drop(s);

        // Outputs go to the sink from this thread, in parallel with other tasks:
        // written straight into the destination it offers, or received whole.
        let to_sink = output_of[t].zip(sink);
        let mut dest = to_sink.and_then(|(i, sink)| sink.destination(i));
        let outcome = if deps.len() == task.deps.len() {
            catch_unwind(AssertUnwindSafe(|| {
                run_task(&plan.stages[task.stage], task, deps, &mut dest)
            }))
            .unwrap_or_else(|p| Err(Error::Executor(super::panic_message(p.as_ref()))))
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
        s.bytes_in_flight -= task.work_bytes;
        match outcome {
            Ok(value) => {
                if let Some(value) = value {
                    s.bytes_in_flight += task.out_bytes;
                    s.results[t] = Some(Arc::new(value));
                }
                for &d in &task.deps {
                    s.consumers_left[d] -= 1;
                    if s.consumers_left[d] == 0 {
                        s.results[d] = None;
                        s.bytes_in_flight -= plan.tasks[d].out_bytes;
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

//! Which tasks may share one Dask task: a Dask task costs the scheduler and
//! the driver a few milliseconds whatever it does, so a stage of many tiny
//! tasks (a reduction over thousands of small chunks, an elementwise map over
//! chunks of a few elements) runs in batches, each a handful of the stage's
//! tasks run one after the other in one worker server.
//!
//! A *group* is the small tasks ([`SMALL_TASK_BYTES`] of estimated work at
//! most) of one stage, in task order, where the stage runs no user function
//! (whose cost its bytes do not tell) and no task of it reads another of it.
//! The driver cuts each group into batches of at most [`Group::per_batch`]
//! tasks, and into enough of them to keep every worker thread busy (see
//! `batches` in driver.py). Stages come producers first and a task reads only
//! tasks of earlier stages, so a batch reads only batches of earlier stages:
//! the batches form a graph without cycles. (A plan breaking that order gets
//! no groups.)

use serde::Serialize;

use crate::expr::blocks::BlockOp;
use crate::plan::{LeafSource, Plan, Stage, StageKind};

/// A task estimated to allocate at most this many bytes (its result
/// included) is small enough to share a Dask task with others.
pub const SMALL_TASK_BYTES: u64 = 256 << 10;

/// A batch holds at most this many bytes of estimated work ...
pub const BATCH_BYTES: u64 = 16 << 20;

/// ... and at most this many tasks (a retried batch runs again only the
/// tasks whose results are missing, but a report row per task is kept).
pub const BATCH_TASKS: usize = 1024;

/// Tasks of one stage (in task order) that may run in batches of up to
/// `per_batch` tasks each.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Group {
    /// The tasks, in task order.
    pub tasks: Vec<usize>,
    /// The most tasks one batch may hold.
    pub per_batch: usize,
}

/// The groups of `plan`'s tasks that may share Dask tasks, by stage; groups
/// of one task are left out.
///
/// ```
/// use ndchunk::exec::dask::batch::{groups, BATCH_TASKS};
/// // 1000 chunks of one element, plus one: one stage of 1000 tiny tasks.
/// let x = ndchunk::arange::<i64>(0, 1000, 1, [1])? + 1;
/// let found = groups(&x.plan()?);
/// assert_eq!(found.len(), 1);
/// assert_eq!(found[0].tasks, (0..1000).collect::<Vec<_>>());
/// assert_eq!(found[0].per_batch, BATCH_TASKS);
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn groups(plan: &Plan) -> Vec<Group> {
    let mut reads_own_stage = vec![false; plan.stages.len()];
    for task in &plan.tasks {
        for &d in &task.deps {
            let from = plan.tasks[d].stage;
            if from > task.stage {
                return Vec::new();
            }
            reads_own_stage[task.stage] |= from == task.stage;
        }
    }
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); plan.stages.len()];
    for (id, task) in plan.tasks.iter().enumerate() {
        let s = task.stage;
        if task.work_bytes <= SMALL_TASK_BYTES
            && !reads_own_stage[s]
            && has_no_user_function(&plan.stages[s])
        {
            members[s].push(id);
        }
    }
    members
        .into_iter()
        .filter(|tasks| tasks.len() > 1)
        .filter_map(|tasks| {
            let largest = tasks
                .iter()
                .map(|&t| plan.tasks[t].work_bytes)
                .max()
                .unwrap_or(0)
                .max(1);
            let per_batch = ((BATCH_BYTES / largest) as usize).clamp(1, BATCH_TASKS);
            (per_batch > 1).then_some(Group { tasks, per_batch })
        })
        .collect()
}

/// True unless the stage runs a registered user function (a block map or a
/// generated input), whose cost its bytes do not tell: such tasks keep a Dask
/// task each. Storage readers and writers are the library's own.
fn has_no_user_function(stage: &Stage) -> bool {
    match &stage.kind {
        StageKind::Fused(f) => f.leaves.iter().all(|leaf| match &leaf.source {
            LeafSource::FromFn(u) => u.recipe.is_some(),
            _ => true,
        }),
        StageKind::MapBlocks { map, .. } => !matches!(map.f, BlockOp::User(_)),
        _ => true,
    }
}

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
pub(crate) const SMALL_TASK_BYTES: u64 = 256 << 10;

/// A batch holds at most this many bytes of estimated work ...
const BATCH_BYTES: u64 = 16 << 20;

/// ... and at most this many tasks (a retried batch runs again only the
/// tasks whose results are missing, but a report row per task is kept).
const BATCH_TASKS: usize = 1024;

/// Tasks of one stage (in task order) that may run in batches of up to
/// `per_batch` tasks each.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Group {
    pub tasks: Vec<usize>,
    pub per_batch: usize,
}

/// The groups of `plan`'s tasks that may share Dask tasks, by stage; groups
/// of one task are left out.
pub(crate) fn groups(plan: &Plan) -> Vec<Group> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    fn plan_of<T: Element>(x: &Array<T>) -> Plan {
        x.plan().expect("plan")
    }

    #[test]
    fn many_small_chunks_make_one_group_per_stage() {
        // 1000 one-element chunks plus one: one fused stage of 1000 tasks.
        let x = crate::arange::<i64>(0, 1000, 1, [1]).unwrap() + 1;
        let plan = plan_of(&x);
        assert_eq!(
            groups(&plan),
            vec![Group {
                tasks: (0..1000).collect(),
                per_batch: BATCH_TASKS
            }]
        );
    }

    #[test]
    fn groups_never_hold_a_task_and_its_input() {
        // A reduction of small chunks: partials, then levels of combines,
        // whose tasks come interleaved with the partials they read.
        let x = crate::arange::<f64>(0.0, 4096.0, 1.0, [4]).unwrap();
        let plan = plan_of(&x.sum().unwrap());
        let found = groups(&plan);
        assert!(found.len() >= 2, "{found:?}");
        let grouped: usize = found.iter().map(|g| g.tasks.len()).sum();
        assert!(
            grouped + 2 >= plan.tasks.len(),
            "{grouped} of {}",
            plan.tasks.len()
        );
        for group in &found {
            let stage = plan.tasks[group.tasks[0]].stage;
            for &t in &group.tasks {
                let task = &plan.tasks[t];
                assert_eq!(task.stage, stage);
                assert!(task.deps.iter().all(|&d| plan.tasks[d].stage < stage));
            }
        }
    }

    #[test]
    fn large_tasks_and_user_functions_keep_a_dask_task_each() {
        let big = crate::random::uniform::<f64>(&[4 << 20], [1 << 20], 1).unwrap();
        assert!(groups(&plan_of(&(big + 1.0))).is_empty());
        crate::register_fn("batch_test_double", |b: ndarray::ArrayViewD<f64>| {
            b.mapv(|v| 2.0 * v)
        });
        let small = crate::arange::<f64>(0.0, 100.0, 1.0, [1]).unwrap();
        let mapped = small
            .map_blocks_registered::<f64>("batch_test_double")
            .unwrap();
        let plan = plan_of(&mapped);
        let user_stage = plan.tasks[*plan.outputs.last().unwrap()].stage;
        let user_tasks = plan.tasks.iter().filter(|t| t.stage == user_stage);
        assert_eq!(user_tasks.count(), 100);
        assert!(groups(&plan)
            .iter()
            .all(|g| plan.tasks[g.tasks[0]].stage != user_stage));
    }
}

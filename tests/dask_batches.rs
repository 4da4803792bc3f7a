//! Which tasks the Dask executor runs in batches (`exec::dask::batch`): the
//! small tasks of a stage, never a task beside its input, never a user
//! function or a large task. (Running them on a cluster:
//! `tests/distributed.rs`, `tiny_tasks_share_dask_tasks`.)

use ndchunk::exec::dask::batch::{groups, SMALL_TASK_BYTES};

#[test]
fn groups_never_hold_a_task_and_its_input() {
    // A reduction of small chunks: partials, then levels of combines, whose
    // tasks come interleaved with the partials they read.
    let x = ndchunk::arange::<f64>(0.0, 4096.0, 1.0, [4]).unwrap();
    let plan = x.sum().unwrap().plan().unwrap();
    let found = groups(&plan);
    assert!(found.len() >= 2, "{found:?}");
    let grouped: usize = found.iter().map(|g| g.tasks.len()).sum();
    assert!(
        grouped + 2 >= plan.tasks.len(),
        "{grouped} of {} tasks grouped",
        plan.tasks.len()
    );
    for group in &found {
        let stage = plan.tasks[group.tasks[0]].stage;
        assert!(group.tasks.windows(2).all(|w| w[0] < w[1]));
        for &t in &group.tasks {
            let task = &plan.tasks[t];
            assert_eq!(task.stage, stage);
            assert!(task.work_bytes <= SMALL_TASK_BYTES);
            assert!(task.deps.iter().all(|&d| plan.tasks[d].stage < stage));
        }
    }
}

#[test]
fn large_tasks_keep_a_dask_task_each() {
    let big = ndchunk::random::uniform::<f64>(&[4 << 20], [1 << 20], 1).unwrap();
    let plan = (big + 1.0).plan().unwrap();
    assert!(plan.tasks.iter().all(|t| t.work_bytes > SMALL_TASK_BYTES));
    assert!(groups(&plan).is_empty());
}

#[test]
fn user_functions_keep_a_dask_task_each() {
    // A registered function's cost is not told by its bytes (it may sleep).
    ndchunk::register_fn("batches_double", |b: ndarray::ArrayViewD<f64>| {
        b.mapv(|v| 2.0 * v)
    });
    let small = ndchunk::arange::<f64>(0.0, 100.0, 1.0, [1]).unwrap();
    let plan = small
        .map_blocks_registered::<f64>("batches_double")
        .unwrap()
        .plan()
        .unwrap();
    let user_stage = plan.tasks[*plan.outputs.last().unwrap()].stage;
    let user_tasks = plan.tasks.iter().filter(|t| t.stage == user_stage);
    assert_eq!(user_tasks.count(), 100);
    assert!(groups(&plan)
        .iter()
        .all(|g| plan.tasks[g.tasks[0]].stage != user_stage));
    // Without the function, the same tiny tasks are grouped.
    let plain = (small * 2.0).plan().unwrap();
    assert_eq!(groups(&plain).len(), 1);
}

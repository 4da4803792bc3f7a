//! Rechunking: round trips (`x.rechunk(a).rechunk(b) == x`) over random shapes,
//! chunkings and dtypes, through direct and intermediate (budgeted) plans, on
//! in-memory, persisted and computed inputs; and the plan's memory: tasks within
//! the budget, each input block read once, stages and peak in `explain()`.

mod common;

use std::fmt::Debug;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::*;
use ndarray::ArrayD;
use ndchunk::plan::rechunk::intermediate_chunks;
use ndchunk::plan::Plan;
use ndchunk::{Array, Chunks, Element, Executor};
use proptest::prelude::*;

/// `a` in memory (rechunks re-cut it), persisted (read in place) and computed
/// block by block by a source stage; each with whether its rechunks may go
/// through intermediate chunks (only the computed one's).
fn forms<T: Element>(a: &ArrayD<T>, chunks: &[Vec<usize>]) -> Vec<(Array<T>, bool)> {
    let x = ndchunk::from_array(a.clone(), chunks.to_vec()).unwrap();
    let persisted = x.persist().unwrap();
    vec![(x, false), (persisted, false), (computed(a, chunks), true)]
}

/// The most any rechunk task of `plan` holds: its inputs and its output.
fn rechunk_task_bytes(plan: &Plan) -> u64 {
    plan.tasks
        .iter()
        .filter(|t| plan.stages[t.stage].kind.label() == "rechunk")
        .map(|t| t.work_bytes + t.deps.iter().map(|&d| plan.tasks[d].out_bytes).sum::<u64>())
        .max()
        .unwrap_or(0)
}

fn round_trips<T: Element + PartialEq + Debug>(
    (a, c0): Chunked<T>,
    c1: Vec<Vec<usize>>,
    c2: Vec<Vec<usize>>,
    budget: u64,
) -> Result<(), TestCaseError> {
    let ex = ndchunk::Executor::local().threads(2).progress(false);
    for (x, may_split) in forms(&a, &c0) {
        let y = x.rechunk_within(c1.clone(), budget).unwrap();
        prop_assert_eq!(y.chunks().all_lens(), &c1[..]);
        let z = y.rechunk_within(c2.clone(), budget).unwrap();
        prop_assert_eq!(z.chunks().all_lens(), &c2[..]);
        prop_assert_eq!(&z.compute_with(&ex).unwrap(), &a);
        let back = z.rechunk(c0.clone()).unwrap();
        prop_assert_eq!(back.chunks().all_lens(), &c0[..]);
        prop_assert_eq!(&back.compute_with(&ex).unwrap(), &a);
        // Two stages exactly when the planner finds an intermediate.
        let mid = intermediate_chunks(x.chunks(), y.chunks(), T::DTYPE.size(), budget);
        let text = y.explain();
        let planned_two = text.contains("(intermediate");
        prop_assert_eq!(planned_two, may_split && mid.is_some(), "{}", text);
    }
    Ok(())
}

/// A random array, two more chunkings of its shape, and a task budget.
type Case<T> = (Chunked<T>, Vec<Vec<usize>>, Vec<Vec<usize>>, u64);

/// A [`Case`] with a budget from nothing to a few times the array.
fn case<T: Gen>() -> impl Strategy<Value = Case<T>> {
    shape(3).prop_flat_map(|s| {
        let bytes = (s.iter().product::<usize>() * T::DTYPE.size()) as u64;
        (
            array_of(s.clone(), T::arb()),
            chunking(&s),
            chunking(&s),
            prop_oneof![Just(0), 0..4 * bytes + 1],
        )
    })
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn round_trip_i32((a, c1, c2, budget) in case::<i32>()) {
        round_trips(a, c1, c2, budget)?;
    }

    #[test]
    fn round_trip_f64((a, c1, c2, budget) in case::<f64>()) {
        round_trips(a, c1, c2, budget)?;
    }

    #[test]
    fn round_trip_f32((a, c1, c2, budget) in case::<f32>()) {
        round_trips(a, c1, c2, budget)?;
    }

    #[test]
    fn round_trip_u8((a, c1, c2, budget) in case::<u8>()) {
        round_trips(a, c1, c2, budget)?;
    }

    #[test]
    fn round_trip_i64((a, c1, c2, budget) in case::<i64>()) {
        round_trips(a, c1, c2, budget)?;
    }

    #[test]
    fn round_trip_bool((a, c1, c2, budget) in case::<bool>()) {
        round_trips(a, c1, c2, budget)?;
    }

    /// Tasks of a budgeted plan hold no more than the budget whenever the
    /// smallest possible tasks (one input block and the output piece it
    /// holds, one output block and its pieces) fit in it.
    #[test]
    fn budgeted_tasks_stay_within_budget(
        (s, c0, c1, budget) in nonempty_shape(3).prop_flat_map(|s| {
            let bytes = (s.iter().product::<usize>() * 8) as u64;
            (Just(s.clone()), chunking(&s), chunking(&s), 0..2 * bytes + 1)
        }),
    ) {
        let x = ndchunk::random::uniform::<f64>(&s, c0.clone(), 3).unwrap();
        let y = x.rechunk_within(c1.clone(), budget).unwrap();
        let plan = y.plan().unwrap();
        let (from, to) = (x.chunks(), y.chunks());
        let max_block = |c: &Chunks| c.max_block_len() as u64 * 8;
        let floor = (2 * max_block(from)).max(2 * max_block(to));
        if budget >= floor {
            prop_assert!(rechunk_task_bytes(&plan) <= budget, "{}", y.explain());
        }
        prop_assert_eq!(y.compute().unwrap(), x.compute().unwrap());
    }
}

#[test]
fn wide_rechunk_goes_through_intermediate_chunks_within_the_budget() {
    // The example: 20000 x 20000 f32, (2000, 2000) to (20000, 200). A
    // direct task holds one output block (16 MB) and ten input blocks (160 MB).
    let x = ndchunk::random::uniform::<f32>(&[20000, 20000], [2000, 2000], 0).unwrap();
    let budget = 64 << 20;
    let direct = x.rechunk_within([20000, 200], 1 << 30).unwrap();
    let direct_plan = direct.plan().unwrap();
    assert_eq!(direct_plan.stages.len(), 2, "{}", direct.explain());
    assert_eq!(rechunk_task_bytes(&direct_plan), 176_000_000);

    let y = x.rechunk_within([20000, 200], budget).unwrap();
    let plan = y.plan().unwrap();
    let text = y.explain();
    assert_eq!(plan.stages.len(), 3, "{text}");
    assert!(rechunk_task_bytes(&plan) <= budget, "{text}");
    let mid = Chunks::regular(&[20000, 20000], &[4000, 200]).unwrap();
    let first = format!("rechunk {} → {mid} (intermediate", x.chunks());
    let second = format!("rechunk {mid} → {}", y.chunks());
    assert!(text.contains(&first) && text.contains(&second), "{text}");
    assert!(text.contains("estimated peak memory"), "{text}");
}

#[test]
fn executor_with_a_small_limit_gets_the_two_stage_plan() {
    // Same binary, same environment: the plan follows the executor. Strips of
    // (200, 2000) f64 to (2000, 200) columns: a direct task holds one column
    // (3.2 MB) and ten strips (32 MB), over the 8 MiB rechunk budget that a
    // 32 MiB limit gives, and far under the default limit's.
    let x = ndchunk::random::uniform::<f64>(&[2000, 2000], [200, 2000], 3).unwrap();
    let y = x.rechunk([2000, 200]).unwrap();
    let default = Executor::local();
    let small = Executor::local().memory_limit(32 << 20);
    let plan = y.plan_with(&default.plan_options().unwrap()).unwrap();
    assert_eq!(plan.stages.len(), 2, "{}", y.explain_with(&default));
    let limited = y.plan_with(&small.plan_options().unwrap()).unwrap();
    let text = y.explain_with(&small);
    assert_eq!(limited.stages.len(), 3, "{text}");
    assert!(text.contains("(intermediate"), "{text}");
    assert!(rechunk_task_bytes(&limited) <= 8 << 20, "{text}");
    // Options given to the executor whole win over those from its limit.
    let options = ndchunk::PlanOptions {
        rechunk_bytes: 1 << 30,
        ..small.plan_options().unwrap()
    };
    let generous = small.clone().with_plan_options(options);
    assert!(!y.explain_with(&generous).contains("(intermediate"));
    assert_eq!(y.compute_with(&small).unwrap(), x.compute().unwrap());
}

#[test]
fn direct_rechunk_reads_each_input_block_once() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let x = ndchunk::from_fn(&[60, 40], [7, 9], move |b, shape| {
        counter.fetch_add(1, Ordering::Relaxed);
        ArrayD::from_elem(shape, (b[0] * 10 + b[1]) as i64)
    })
    .unwrap();
    let y = x.rechunk([13, 40]).unwrap().compute().unwrap();
    assert_eq!(calls.load(Ordering::Relaxed), x.chunks().nblocks());
    assert_eq!(y[[59, 39]], 84);
    // Through an intermediate too: each source block is still generated once.
    calls.store(0, Ordering::Relaxed);
    let z = x.rechunk_within([60, 3], 0).unwrap();
    assert!(z.explain().contains("(intermediate"), "{}", z.explain());
    assert_eq!(z.compute().unwrap(), y);
    assert_eq!(calls.load(Ordering::Relaxed), x.chunks().nblocks());
}

#[test]
fn persisted_input_is_read_in_place() {
    let x = ndchunk::random::uniform::<f32>(&[100, 100], [10, 10], 1)
        .unwrap()
        .persist()
        .unwrap();
    // Even with no budget at all: no copy of the input blocks, one task per output block.
    let y = x.rechunk_within([100, 5], 0).unwrap();
    let plan = y.plan().unwrap();
    assert_eq!(plan.tasks.len(), 20);
    assert_eq!(plan.stages.len(), 1);
    assert_eq!(y.compute().unwrap(), x.compute().unwrap());
}

#[test]
fn strips_back_to_blocks_hold_one_strip_column_at_a_time() {
    // 400 x 400 f32 in (40, 40) blocks, to (400, 4) strips and back. Each output
    // block column needs ten strips; planned in C order without care, every
    // strip would be held until the last block row.
    let x = ndchunk::random::uniform::<f32>(&[400, 400], [40, 40], 2).unwrap();
    let y = x.rechunk([400, 4]).unwrap().rechunk([40, 40]).unwrap();
    let plan = y.plan().unwrap();
    let array = 400 * 400 * 4;
    let column = 400 * 40 * 4;
    // The result is counted as held to the end; beyond it, a few block columns.
    let peak = plan.estimated_peak_bytes();
    assert!(
        peak <= (array + 3 * column) as u64,
        "{peak}: {}",
        y.explain()
    );
    assert_eq!(y.compute().unwrap(), x.compute().unwrap());
}

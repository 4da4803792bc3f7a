//! The planner's rewrite rules (`plan::rules`): each fires where it should and
//! not where it would duplicate work, `explain()` names what fired, and the
//! results are those of the graph as written.

use ndarray::{Array1, Array2, Array3};
use ndchunk::plan::{lower_many, Plan};
use ndchunk::prelude::*;
use ndchunk::PlanOptions;

/// The times rule `name` fired for `plan` (0 when it did not).
fn fired(plan: &Plan, name: &str) -> usize {
    plan.rules
        .iter()
        .find(|f| f.rule == name)
        .map_or(0, |f| f.times)
}

/// Stages of `plan` whose kind prints as `label`.
fn stages_labelled(plan: &Plan, label: &str) -> usize {
    plan.stages
        .iter()
        .filter(|s| s.kind.label() == label)
        .count()
}

fn data(rows: usize, cols: usize) -> Array2<f64> {
    Array2::from_shape_fn((rows, cols), |(i, j)| (i * cols + j) as f64 * 0.5 - 7.0)
}

#[test]
fn a_chain_of_views_is_one_region_stage_however_long() {
    // 100 001 views built one on another (on a 2 MiB test thread): the
    // rewrite walks them without recursing and composes them into one.
    let a = data(40, 30);
    let x = ndchunk::from_array(a.clone(), [7, 11]).unwrap() * 1.0;
    let mut y = x.t();
    for _ in 0..50_000 {
        y = y.flip(Axis(0)).unwrap().t();
    }
    let plan = y.plan().unwrap();
    assert_eq!(fired(&plan, "view composition"), 50_000 * 2);
    assert_eq!(stages_labelled(&plan, "view"), 1, "{}", y.explain());
    // Flipping axis 0 of the transpose and transposing back, an even number
    // of times, then one transpose.
    assert_eq!(y.compute().unwrap(), a.t().into_dyn());
    assert!(y
        .explain()
        .contains("rules fired: view composition ×100000"));
}

#[test]
fn rechunks_of_in_memory_arrays_are_recuts_and_chained_rechunks_are_one() {
    let a = data(60, 20);
    // In memory: no rechunk stage, the array is cut again.
    let x = ndchunk::from_array(a.clone(), [60, 20]).unwrap();
    let y = x.rechunk([13, 7]).unwrap();
    let plan = y.plan().unwrap();
    assert_eq!(fired(&plan, "rechunk pushdown"), 1);
    assert_eq!(stages_labelled(&plan, "rechunk"), 0, "{}", y.explain());
    assert_eq!(y.compute().unwrap(), a.clone().into_dyn());
    // Computed: three rechunks in a row are one stage from the first chunks.
    let z = (&x * 2.0)
        .rechunk([10, 20])
        .unwrap()
        .rechunk([60, 5])
        .unwrap()
        .rechunk([7, 9])
        .unwrap();
    let plan = z.plan().unwrap();
    assert_eq!(fired(&plan, "rechunk pushdown"), 2, "{}", z.explain());
    assert_eq!(stages_labelled(&plan, "rechunk"), 1, "{}", z.explain());
    assert_eq!(z.compute().unwrap(), (&a * 2.0).into_dyn());
    // Back to where it started: no rechunk at all.
    let back = (&x * 2.0)
        .rechunk([10, 20])
        .unwrap()
        .rechunk([60, 20])
        .unwrap();
    let plan = back.plan().unwrap();
    assert_eq!(stages_labelled(&plan, "rechunk"), 0, "{}", back.explain());
    assert_eq!(plan.stages.len(), 1);
}

#[test]
fn a_rechunk_another_array_reads_is_not_folded_into_the_next() {
    // `mid` is a result of its own: folding `mid.rechunk(..)` into one
    // rechunk of `x` would compute `x`'s blocks into two region stages.
    let a = data(60, 20);
    let x = ndchunk::from_array(a.clone(), [60, 20]).unwrap() * 3.0;
    let mid = x.rechunk([10, 20]).unwrap();
    let last = mid.rechunk([60, 4]).unwrap();
    let options = PlanOptions::from_env().unwrap();
    let (plan, _) = lower_many(&[mid.node().clone(), last.node().clone()], &options).unwrap();
    assert_eq!(fired(&plan, "rechunk pushdown"), 0);
    assert_eq!(stages_labelled(&plan, "rechunk"), 2);
    assert_eq!(last.compute().unwrap(), (&a * 3.0).into_dyn());
}

#[test]
fn a_rechunk_of_inserted_axes_stays_fused_into_its_consumer() {
    let a = Array1::from_shape_fn(48, |i| i as f64);
    let x = ndchunk::from_array(a.clone(), [48]).unwrap() + 1.0;
    let col = x.insert_axis(Axis(1)).unwrap().rechunk([12, 1]).unwrap();
    let m = ndchunk::from_array(Array2::<f64>::ones((48, 5)), [12, 5]).unwrap();
    let y = &m * &col;
    let plan = y.plan().unwrap();
    assert_eq!(fired(&plan, "rechunk pushdown"), 1, "{}", y.explain());
    // x is rechunked to 12-element blocks, then read as a column by the product.
    assert_eq!(stages_labelled(&plan, "view"), 0, "{}", y.explain());
    let want = Array2::from_shape_fn((48, 5), |(i, _)| i as f64 + 1.0);
    assert_eq!(y.compute().unwrap(), want.into_dyn());
}

#[test]
fn gathers_choose_how_to_read_under_the_executors_budget() {
    let a = data(2000, 8);
    let x = ndchunk::from_array(a.clone(), [250, 8]).unwrap() + 0.0;
    let idx: Vec<i64> = (0..2000).map(|i| (i * 7919) % 2000).collect();
    let y = x.take(&idx, Axis(0)).unwrap();
    let roomy = Executor::local();
    let tight = Executor::local().with_plan_options(PlanOptions {
        gather_bytes: 16 << 10,
        ..roomy.plan_options().unwrap()
    });
    let resident = y.plan_with(&roomy.plan_options().unwrap()).unwrap();
    let streaming = y.plan_with(&tight.plan_options().unwrap()).unwrap();
    assert_eq!(fired(&resident, "gather read choice"), 1);
    assert_eq!(fired(&streaming, "gather read choice"), 1);
    assert_eq!(stages_labelled(&resident, "scatter"), 0);
    assert_eq!(stages_labelled(&streaming, "scatter"), 1);
    assert!(y.explain_with(&tight).contains("gather read choice ×1"));
    let want = a.select(
        ndarray::Axis(0),
        &idx.iter().map(|&i| i as usize).collect::<Vec<_>>(),
    );
    assert_eq!(y.compute_with(&roomy).unwrap(), want.clone().into_dyn());
    assert_eq!(y.compute_with(&tight).unwrap(), want.into_dyn());
}

#[test]
fn a_gather_of_a_rechunked_in_memory_array_reads_it_in_place() {
    // The rechunk under the gather is pushed into the in-memory array, so the
    // gather runs inside its consumer's task with no stage of its own.
    let a = data(300, 4);
    let x = ndchunk::from_array(a.clone(), [300, 4])
        .unwrap()
        .rechunk([50, 4])
        .unwrap();
    let idx = [299i64, 0, 150, 150, -1];
    let y = x.take(&idx, Axis(0)).unwrap() * 2.0;
    let plan = y.plan().unwrap();
    assert_eq!(fired(&plan, "rechunk pushdown"), 1, "{}", y.explain());
    assert_eq!(fired(&plan, "gather read choice"), 1);
    assert_eq!(plan.stages.len(), 1, "{}", y.explain());
    let rows = [299usize, 0, 150, 150, 299];
    assert_eq!(
        y.compute().unwrap(),
        (a.select(ndarray::Axis(0), &rows) * 2.0).into_dyn()
    );
}

#[test]
fn a_reduction_another_array_reads_is_computed_once() {
    // s is read by two reductions: fusing it into both would compute it twice.
    let a = Array3::from_shape_fn((40, 6, 5), |(i, j, k)| (i * 30 + j * 5 + k) as f64);
    let x = ndchunk::from_array(a.clone(), [10, 6, 5]).unwrap() * 1.0;
    let s = x.sum_axis(Axis(2)).unwrap();
    let hi = s.max_axis(Axis(1)).unwrap();
    let lo = s.min_axis(Axis(1)).unwrap();
    let options = PlanOptions::from_env().unwrap();
    let (plan, _) = lower_many(&[hi.node().clone(), lo.node().clone()], &options).unwrap();
    assert_eq!(fired(&plan, "reduction fusion"), 3);
    // One stage computes s from x, each of the others reads it.
    assert_eq!(plan.stages.len(), 3);
    assert_eq!(plan.tasks.len(), 3 * 4);
    let sums = a.sum_axis(ndarray::Axis(2));
    let max = sums.map_axis(ndarray::Axis(1), |r| r.fold(f64::MIN, |m, &v| m.max(v)));
    let min = sums.map_axis(ndarray::Axis(1), |r| r.fold(f64::MAX, |m, &v| m.min(v)));
    assert_eq!(hi.compute().unwrap(), max.into_dyn());
    assert_eq!(lo.compute().unwrap(), min.into_dyn());
    // Read by one reduction only, it is fused: one stage.
    let one = s.max_axis(Axis(1)).unwrap();
    let plan = one.plan().unwrap();
    assert_eq!(fired(&plan, "reduction fusion"), 2);
    assert_eq!(plan.stages.len(), 1, "{}", one.explain());
}

#[test]
fn a_graph_no_rule_touches_plans_as_built_and_says_so() {
    let x = ndchunk::ones::<f64>(&[100], [25]).unwrap();
    let y = (&x + 1.0).sum().unwrap();
    let plan = y.plan().unwrap();
    assert!(plan.rules.is_empty());
    assert!(y.explain().contains("rules fired: none"));
}

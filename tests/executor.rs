//! The local executor: results independent of the thread count, memory limits,
//! persist, plan shapes (fusion, trees, culling) and how often user generators
//! run.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::*;
use ndarray::{ArrayD, Axis, Dimension, IxDyn};

use ndchunk::{random, Array, Error, Executor, ReduceOptions};
use proptest::prelude::*;

fn ex(threads: usize) -> Executor {
    Executor::local().threads(threads).progress(false)
}

/// An array of `shape` whose generator counts its calls.
fn counted(shape: &[usize], chunks: Vec<Vec<usize>>) -> (Array<f64>, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let x = ndchunk::from_fn(shape, chunks, move |block, bshape| {
        c.fetch_add(1, Ordering::SeqCst);
        let b = block.iter().sum::<usize>() as f64;
        ArrayD::from_shape_fn(IxDyn(bshape), |i| {
            b + i.slice().iter().sum::<usize>() as f64 * 0.25
        })
    })
    .unwrap();
    (x, calls)
}

proptest! {
    #![proptest_config(config(48))]

    /// Expressions and reductions give bit-identical results on 1, 2 and 3
    /// threads and on the default pool.
    #[test]
    fn results_do_not_depend_on_threads(
        ((a, ca), (b, cb)) in broadcast_pair(3).prop_flat_map(|(sa, sb)| (array_of(sa, f64::arb_nan()), array_of(sb, f64::arb()))),
        seed in any::<u64>(),
        split_every in 2usize..5,
    ) {
        let x = ndchunk::from_array(a, ca).unwrap();
        let y = ndchunk::from_array(b, cb).unwrap();
        let e = (&x * 3.0 - &y).abs() + 1.0;
        let nd = e.ndim();
        let r = random::uniform::<f64>(e.shape(), e.chunks().clone(), seed).unwrap();
        let mixed = &e * &r;
        let o = ReduceOptions::new().split_every(split_every);
        let reductions = [
            mixed.sum_with(&o).unwrap(),
            mixed.nanmean_with(&o).unwrap(),
            mixed.var_with(&o.clone().ddof(1)).unwrap(),
            if nd > 0 { mixed.sum_with(&o.clone().axes(&[0])).unwrap() } else { mixed.sum().unwrap() },
        ];
        let base = mixed.compute_with(&ex(1)).unwrap();
        for t in [2, 3] {
            assert_same(&mixed.compute_with(&ex(t)).unwrap(), &base, "elementwise");
        }
        assert_same(&mixed.compute().unwrap(), &base, "elementwise, default pool");
        for (i, red) in reductions.iter().enumerate() {
            let one = red.compute_with(&ex(1)).unwrap();
            assert_same(&red.compute_with(&ex(2)).unwrap(), &one, &format!("reduction {i}"));
            assert_same(&red.compute().unwrap(), &one, &format!("reduction {i}, default pool"));
        }
        if !mixed.is_empty() {
            let am = mixed.argmax().unwrap();
            prop_assert_eq!(am.compute_with(&ex(3)).unwrap(), am.compute_with(&ex(1)).unwrap());
        }
    }

    /// Any memory limit at least as large as the largest task computes the same
    /// result; a smaller one is a MemoryLimit error naming both sizes.
    #[test]
    fn memory_limits((a, c) in chunked_array(3, i64::arb()), threads in 1usize..4) {
        let x = ndchunk::from_array(a.clone(), c).unwrap();
        let e = (&x * 2 + 1).astype::<f64>();
        for plan_of in [e.clone(), e.sum().unwrap().astype::<f64>(), (&e * &e).rechunk(ndchunk::ChunkSpec::AutoBytes(40)).unwrap()] {
            let plan = plan_of.plan().unwrap();
            let need = plan.tasks.iter().map(|t| t.work_bytes).max().unwrap();
            let want = plan_of.compute_with(&ex(1)).unwrap();
            let got = plan_of.compute_with(&ex(threads).memory_limit(need)).unwrap();
            assert_same(&got, &want, "at the limit");
            prop_assert!(plan.estimated_peak_bytes() >= need);
            if need > 0 {
                match plan_of.compute_with(&ex(threads).memory_limit(need - 1)) {
                    Err(Error::MemoryLimit { needed, limit, task }) => {
                        prop_assert_eq!(needed, need);
                        prop_assert_eq!(limit, need - 1);
                        prop_assert!(task.contains("block"), "{}", task);
                    }
                    other => prop_assert!(false, "expected MemoryLimit, got {:?}", other),
                }
            }
        }
    }
}

#[test]
fn small_memory_limit_computes_many_blocks() {
    // 400 blocks of 800 bytes under a 2 KB limit: tasks run a few at a time.
    let u = random::uniform::<f64>(&[40_000], [100], 5).unwrap();
    let e = (&u * 2.0 - 1.0).powi(2);
    let want = e.compute_with(&ex(1)).unwrap();
    let got = e.compute_with(&ex(3).memory_limit(2000)).unwrap();
    assert_same(&got, &want, "small limit");
    let m1 = e.mean().unwrap().compute_with(&ex(1)).unwrap();
    let m2 = e
        .mean()
        .unwrap()
        .compute_with(&ex(2).memory_limit(2000))
        .unwrap();
    assert_same(&m1, &m2, "mean under a small limit");
    let err = e.compute_with(&ex(2).memory_limit(100)).unwrap_err();
    assert!(
        matches!(
            err,
            Error::MemoryLimit {
                needed: 800,
                limit: 100,
                ..
            }
        ),
        "{err}"
    );
    let msg = err.to_string();
    assert!(msg.contains("800") && msg.contains("100"), "{msg}");
}

#[test]
fn persist_reuses_blocks() {
    let (x, calls) = counted(&[10, 6], vec![vec![3, 3, 4], vec![2, 4]]);
    let want = x.compute().unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 6);
    let p = x.persist().unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 12);
    assert_eq!(p.chunks(), x.chunks());
    assert_eq!(p.compute().unwrap(), want);
    assert_eq!((&p * 2.0).compute().unwrap(), want.mapv(|v| v * 2.0));
    assert_eq!(
        p.sum_axis(Axis(1)).unwrap().compute().unwrap(),
        want.sum_axis(Axis(1))
    );
    assert_eq!(p.rechunk([5, 5]).unwrap().compute().unwrap(), want);
    assert_eq!(
        (&p + &p.rechunk([1, 6]).unwrap()).compute().unwrap(),
        want.mapv(|v| 2.0 * v)
    );
    assert_eq!(
        calls.load(Ordering::SeqCst),
        12,
        "persisted blocks are not recomputed"
    );
    // Persisting an expression with a reduction in it.
    let q = (&x - x.mean().unwrap()).persist_with(&ex(2)).unwrap();
    let mean = want.mean().unwrap();
    assert_close(
        &q.compute().unwrap(),
        &want.mapv(|v| v - mean),
        Tol::rel(1e-12),
        "persist of centred",
    );
    // Persisted random arrays equal themselves.
    let r = random::uniform::<f32>(&[100], [30], 7).unwrap();
    assert_eq!(
        r.persist().unwrap().compute().unwrap(),
        r.compute().unwrap()
    );
}

#[test]
fn user_generators_run_once_per_block_when_used_twice() {
    let (x, calls) = counted(&[10, 6], vec![vec![3, 3, 4], vec![2, 4]]);
    let want = x.compute().unwrap();
    calls.store(0, Ordering::SeqCst);
    let centred = (&x - x.mean().unwrap()).compute().unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 6, "one call per block");
    let mean = want.mean().unwrap();
    assert_close(
        &centred,
        &want.mapv(|v| v - mean),
        Tol::rel(1e-12),
        "x - x.mean()",
    );
}

#[test]
fn generators_run_once_per_block_in_a_fused_plan() {
    let (x, calls) = counted(&[8, 4], vec![vec![2, 2, 2, 2], vec![4]]);
    let m = ((&x * 2.0 + 1.0).powi(2)).mean().unwrap();
    let plan = m.plan().unwrap();
    assert_eq!(plan.tasks.len(), 5, "one task per block plus the finish");
    m.compute().unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    // The same array twice in one fused expression is generated once per block.
    let sq = (&x * &x + &x).sum().unwrap();
    sq.compute().unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 8);
    // A reduction over an axis that is whole in every block: finished in the
    // one task per block (no partial and finish levels).
    let s = x.sum_axis(Axis(1)).unwrap();
    assert_eq!(s.plan().unwrap().tasks.len(), 4);
    s.compute().unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 12);
}

#[test]
fn plans_fuse_elementwise_chains_and_build_trees() {
    let x = ndchunk::ones::<f64>(&[8, 6], [2, 3]).unwrap(); // 4 x 2 blocks
    let y = ndchunk::ones::<f64>(&[6], [3]).unwrap();
    // A whole elementwise chain, broadcasting included: one task per block.
    let e = ((&x * 2.0 + &y).sqrt() - 1.0).abs().gt(0.5).astype::<f32>();
    let plan = e.plan().unwrap();
    assert_eq!(plan.tasks.len(), 8);
    assert_eq!(plan.stages.len(), 1);
    assert!(plan.tasks.iter().all(|t| t.deps.is_empty()));
    // The canonical example: 4 blocks, mean of a fused chain = 4 partials + 1 finish.
    let u = random::uniform::<f32>(&[1000], [250], 0).unwrap();
    let m = ((&u * 2.0 + 1.0).powi(2)).mean().unwrap();
    let plan = m.plan().unwrap();
    assert_eq!(plan.tasks.len(), 5);
    assert_eq!(plan.stages.len(), 2);
    // split_every 2 over 8 blocks: 8 partials, 4 + 2 combines, 1 finish.
    let v = ndchunk::ones::<f64>(&[16], [2]).unwrap();
    let s = v.sum_with(&ReduceOptions::new().split_every(2)).unwrap();
    assert_eq!(s.plan().unwrap().tasks.len(), 15);
    assert_eq!(s.compute().unwrap()[[]], 16.0);
    // split_every 16 (default) over 8 blocks: a single level.
    assert_eq!(v.sum().unwrap().plan().unwrap().tasks.len(), 9);
    // Rechunk: the producer's 8 tasks plus one task per new block.
    let r = (&v * 2.0).rechunk([8]).unwrap();
    let plan = r.plan().unwrap();
    assert_eq!(plan.tasks.len(), 10);
    assert!(plan.stages.iter().any(|s| s.kind.label() == "rechunk"));
    assert_eq!(r.compute().unwrap(), ArrayD::from_elem(IxDyn(&[16]), 2.0));
    // Tasks come before their dependents.
    for (i, t) in plan.tasks.iter().enumerate() {
        assert!(t.deps.iter().all(|&d| d < i));
    }
}

#[test]
fn broadcast_inputs_are_planned_once_per_block() {
    // A (1, 6) stage broadcast over a (4, 6) result with 2 x 3 blocks: the
    // stage's 3 blocks are each computed once, not once per consumer.
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let row = ndchunk::arange::<f64>(0.0, 6.0, 1.0, [2])
        .unwrap()
        .map_blocks(move |b| {
            c.fetch_add(1, Ordering::SeqCst);
            b.mapv(|v| v * 10.0)
        });
    let z = ndchunk::zeros::<f64>(&[4, 6], [2, 2]).unwrap();
    let out = &z + &row;
    let plan = out.plan().unwrap();
    // 3 arange + 3 map_blocks + 6 output tasks.
    assert_eq!(plan.tasks.len(), 12);
    let got = out.compute().unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    for i in 0..4 {
        for j in 0..6 {
            assert_eq!(got[[i, j]], j as f64 * 10.0);
        }
    }
}

#[test]
fn user_function_panics_become_errors() {
    let x = ndchunk::arange::<i32>(0, 10, 1, [3]).unwrap();
    let bad = x.map_blocks(|b| {
        if b.len() == 1 {
            panic!("boom");
        }
        b.to_owned()
    });
    for executor in [ex(1), ex(2), Executor::default()] {
        match bad.compute_with(&executor) {
            Err(Error::Task { task, source }) => {
                assert!(
                    task.contains("map_blocks") && task.contains("[3]"),
                    "{task}"
                );
                assert!(matches!(*source, Error::Executor(_)), "{source}");
            }
            other => panic!("expected a task error, got {other:?}"),
        }
    }
    let m = x.mapv(|v| if v == 7 { panic!("seven") } else { v });
    assert!(matches!(
        m.sum().unwrap().compute(),
        Err(Error::Task { .. })
    ));
    // The executor keeps working afterwards.
    assert_eq!(x.sum().unwrap().compute().unwrap()[[]], 45);
}

#[test]
fn progress_setting_does_not_change_results() {
    let x = random::standard_normal::<f64>(&[5000], [1000], 1).unwrap();
    let a = x
        .sum()
        .unwrap()
        .compute_with(&Executor::local().progress(true))
        .unwrap();
    let b = x
        .sum()
        .unwrap()
        .compute_with(&Executor::local().progress(false).threads(0))
        .unwrap();
    assert_same(&a, &b, "progress on/off");
}

#[test]
fn a_cancelled_compute_stops_between_tasks() {
    // 200 blocks of 20 ms each: about 2 s on two threads, cancelled after
    // 100 ms from another thread.
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let x = ndchunk::from_fn(&[200], [1], move |_, shape| {
        seen.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(std::time::Duration::from_millis(20));
        ArrayD::<f64>::ones(IxDyn(shape))
    })
    .unwrap();
    let token = ndchunk::exec::CancelToken::new();
    let cancellable = ex(2).cancel_on(token.clone());
    let canceller = {
        let token = token.clone();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(100));
            token.cancel();
        })
    };
    let result = x.sum().unwrap().compute_with(&cancellable);
    canceller.join().unwrap();
    match result {
        Err(Error::Cancelled { done, total }) => {
            assert!(done < total, "{done} of {total}");
            assert!(calls.load(Ordering::SeqCst) < 200);
        }
        other => panic!("expected a cancelled compute, got {other:?}"),
    }
    assert!(token.is_cancelled());
    // A fresh token computes as before.
    let fresh = ex(2).cancel_on(ndchunk::exec::CancelToken::new());
    let small = ndchunk::ones::<f64>(&[10], [2]).unwrap();
    assert_eq!(small.sum().unwrap().compute_with(&fresh).unwrap()[[]], 10.0);
}

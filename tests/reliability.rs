//! The reliability issue's cases: build and plan cost linear in graph size
//! however often arrays are reused, per-task cost independent of the number
//! of blocks, and the exact errors NumPy gives where ndchunk used to answer.
//!
//! Work is checked by counting (plan instructions, tasks, bytes allocated per
//! task), never by the clock. Each reuse case also finishes at a size that took
//! 2^n steps before the fix (30 steps: minutes; 40: years).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use ndarray::{arr1, Array1, ArrayD};
use ndchunk::plan::{Plan, StageKind};
use ndchunk::prelude::*;

struct Counting;

static ALLOCATED: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards to the system allocator; only counts bytes allocated.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size() as u64, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size() as u64, Ordering::Relaxed);
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Held by every test of this binary: the allocation count is process-wide,
/// so a test counting bytes must not run beside another that allocates.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Instructions over all fused programs of `plan`: the tile-level work per element.
fn instructions(plan: &Plan) -> usize {
    plan.stages
        .iter()
        .map(|s| match &s.kind {
            StageKind::Fused(f) => f.program.instrs.len(),
            _ => 0,
        })
        .sum()
}

fn input() -> (Array1<f64>, ndchunk::Array<f64>) {
    let data = Array1::from_iter((0..40).map(|i| ((i * 37) % 11) as f64 - 5.0));
    let x = ndchunk::from_array(data.clone(), [7]).unwrap();
    (data, x)
}

#[test]
fn an_array_used_twice_per_step_builds_and_plans_linearly() {
    let _serial = serial();
    let (data, x) = input();
    let build = |n: usize| {
        let mut y = x.clone();
        for _ in 0..n {
            y = (&y + &y) * 0.5;
        }
        y
    };
    // 2^40 walks before the fix.
    let y = build(40);
    assert!(y.error().is_none());
    assert_eq!(y.compute().unwrap(), data.clone().into_dyn());
    let (small, large) = (build(500).plan().unwrap(), build(2000).plan().unwrap());
    let ratio = instructions(&large) as f64 / instructions(&small) as f64;
    assert!(
        ratio < 4.5,
        "4x the steps gave {ratio:.1}x the instructions"
    );
    assert_eq!(build(2000).compute().unwrap(), data.into_dyn());
}

/// `steps` of `y = (y + y[::-1]) / 2` on plain ndarray.
fn smoothed(data: &Array1<f64>, steps: usize) -> ArrayD<f64> {
    let mut y = data.clone();
    for _ in 0..steps {
        let flipped: Array1<f64> = y.iter().rev().copied().collect();
        y = (&y + &flipped) * 0.5;
    }
    y.into_dyn()
}

#[test]
fn a_view_and_an_op_of_the_same_array_per_step_stay_linear() {
    let _serial = serial();
    let (data, x) = input();
    let build = |n: usize| {
        let mut y = x.clone();
        for _ in 0..n {
            y = (&y + &y.flip(Axis(0)).unwrap()) * 0.5;
        }
        y
    };
    let (small, large) = (build(250).plan().unwrap(), build(1000).plan().unwrap());
    // Before the fix every step recomputed all earlier ones: 4x the steps
    // gave 16x the instructions.
    let ratio = instructions(&large) as f64 / instructions(&small) as f64;
    assert!(
        ratio < 4.5,
        "4x the steps gave {ratio:.1}x the instructions"
    );
    assert!(
        large.tasks.len() < 10 * 1000 * 6,
        "{} tasks",
        large.tasks.len()
    );
    let got = build(1000).compute().unwrap();
    let want = smoothed(&data, 1000);
    for (g, w) in got.iter().zip(&want) {
        assert!((g - w).abs() <= 1e-9 * w.abs().max(1.0), "{g} vs {w}");
    }
}

#[test]
fn centring_in_a_loop_stays_linear_and_correct() {
    let _serial = serial();
    let (data, x) = input();
    let build = |n: usize| {
        let mut y = x.clone();
        for _ in 0..n {
            y = &y - &y.mean().unwrap();
        }
        y
    };
    let (small, large) = (build(100).plan().unwrap(), build(400).plan().unwrap());
    let ratio = instructions(&large) as f64 / instructions(&small) as f64;
    assert!(
        ratio < 4.5,
        "4x the steps gave {ratio:.1}x the instructions"
    );
    let mean = data.mean().unwrap();
    let got = build(400).compute().unwrap();
    for (g, v) in got.iter().zip(&data) {
        assert!((g - (v - mean)).abs() < 1e-9, "{g} vs {}", v - mean);
    }
}

#[test]
fn a_long_chain_builds_plans_and_drops_without_deep_recursion() {
    let _serial = serial();
    // Runs on a 2 MiB test thread: recursion per op would overflow it.
    let (data, x) = input();
    let mut y = x.clone();
    for _ in 0..100_000 {
        y = &y + 1.0;
    }
    let plan = y.plan().unwrap();
    assert_eq!(instructions(&plan), 200_001);
    let got = y.compute().unwrap();
    assert_eq!(got, (data + 100_000.0).into_dyn());
    drop(y);
    // A chain of views and ops, each a stage of its own.
    let mut z = x.clone();
    for _ in 0..3_000 {
        z = &z.flip(Axis(0)).unwrap() * 1.0;
    }
    assert_eq!(z.compute().unwrap(), x.compute().unwrap());
}

/// Bytes allocated per task by summing `n` elements held in chunks of one.
fn bytes_per_task(n: usize) -> f64 {
    let x = ndchunk::arange::<i64>(0, n as i64, 1, [1]).unwrap();
    let s = x.sum().unwrap();
    let tasks = s.plan().unwrap().tasks.len();
    let ex = Executor::local().threads(2).progress(false);
    let before = ALLOCATED.load(Ordering::Relaxed);
    let total = s.compute_with(&ex).unwrap()[[]];
    let bytes = ALLOCATED.load(Ordering::Relaxed) - before;
    assert_eq!(total, (n as i64 - 1) * n as i64 / 2);
    bytes as f64 / tasks as f64
}

#[test]
fn per_task_cost_does_not_grow_with_the_number_of_blocks() {
    let _serial = serial();
    // Before the fix each task copied the chunks of all n blocks: 10x the
    // blocks meant 10x the bytes per task (8.6 s at 1e5 blocks).
    let (small, large) = (bytes_per_task(10_000), bytes_per_task(100_000));
    assert!(
        large < 2.0 * small,
        "bytes per task: {small:.0} at 1e4 blocks, {large:.0} at 1e5"
    );
    // A reversed take over 1e5 blocks plans each scatter chain once.
    let n = 100_000i64;
    let x = ndchunk::arange::<i64>(0, n, 1, [1]).unwrap();
    let idx: Vec<i64> = (0..n).rev().collect();
    let y = x.take(&idx[..], Axis(0)).unwrap();
    let got = y.slice(ndchunk::s![..3]).unwrap().compute().unwrap();
    assert_eq!(got, arr1(&[n - 1, n - 2, n - 3]).into_dyn());
    assert_eq!(y.sum().unwrap().compute().unwrap()[[]], (n - 1) * n / 2);
}

#[test]
fn broadcast_outer_indexers_are_gathers_not_one_position_per_element() {
    let _serial = serial();
    // NumPy: x[i[:, None], j[None, :]] is the outer product of the indices.
    let x = ndchunk::from_array(
        ndarray::Array2::from_shape_fn((5, 4), |(i, j)| (10 * i + j) as i32),
        [2, 3],
    )
    .unwrap();
    let i = ndarray::arr2(&[[4i64], [0], [-1]]).into_dyn();
    let j = ndarray::arr2(&[[3i64, 1]]).into_dyn();
    let y = x.vindex(&[i.clone(), j.clone()]).unwrap();
    assert_eq!(
        y.compute().unwrap(),
        ndarray::arr2(&[[43, 41], [3, 1], [43, 41]]).into_dyn()
    );
    // The transposed form: j varies along axis 0, i along axis 1.
    let yt = x
        .vindex(&[i.t().to_owned(), j.t().to_owned()])
        .unwrap()
        .compute()
        .unwrap();
    assert_eq!(yt, ndarray::arr2(&[[43, 3, 43], [41, 1, 41]]).into_dyn());
    // (1e5, 1) and (1, 1e5): 1e10 positions, which aborted the process
    // allocating 80 GB. Planned as two gathers of 1e5 indices each.
    let n = 100_000usize;
    let big = ndchunk::arange::<i64>(0, (n * 2) as i64, 1, [50_000])
        .unwrap()
        .reshape(&[n as isize, 2])
        .unwrap()
        .t()
        .rechunk([2, 50_000])
        .unwrap();
    let rows = ndarray::Array2::from_shape_fn((2, 1), |(r, _)| r as i64).into_dyn();
    let cols = ndarray::Array2::from_shape_fn((1, n), |(_, c)| (n - 1 - c) as i64).into_dyn();
    let z = big.vindex(&[rows, cols]).unwrap();
    assert_eq!(z.shape(), &[2, n]);
    assert_eq!(
        z.slice(ndchunk::s![.., ..2]).unwrap().compute().unwrap(),
        ndarray::arr2(&[
            [2 * (n as i64 - 1), 2 * (n as i64 - 2)],
            [2 * n as i64 - 1, 2 * n as i64 - 3]
        ])
        .into_dyn()
    );
    let huge_rows = ndarray::Array2::<i64>::zeros((n, 1)).into_dyn();
    let huge_cols = ndarray::Array2::<i64>::zeros((1, n)).into_dyn();
    let square = ndchunk::zeros::<f32>(&[n, n], [10_000, 10_000]).unwrap();
    let outer = square.vindex(&[huge_rows, huge_cols]).unwrap();
    assert_eq!(outer.shape(), &[n, n]);
    // Indexers sharing an axis need one position per element: 1e10 of them
    // are refused, naming the sizes, before anything is allocated.
    let cube = ndchunk::zeros::<u8>(&[n, n, 4], [10_000, 10_000, 4]).unwrap();
    let rows = ndarray::Array2::<i64>::zeros((n, 1)).into_dyn();
    let cols = ndarray::Array2::<i64>::zeros((1, n)).into_dyn();
    let err = cube
        .vindex(&[rows.clone(), cols, rows])
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("vindex")
            && err.contains("[100000, 100000]")
            && err.contains("memory limit"),
        "{err}"
    );
}

#[test]
fn numpy_errors_for_masks_and_indices() {
    let _serial = serial();
    let x = ndchunk::arange::<i32>(0, 4, 1, [2]).unwrap();
    // NumPy: x[np.ones((2, 2), bool)] on a length-4 axis is an IndexError.
    let two_d = ndarray::Array2::from_elem((2, 2), true);
    let err = x.mask(&two_d, Axis(0)).unwrap_err();
    assert!(err.to_string().contains("[2, 2]"), "{err}");
    let lazy = ndchunk::from_array(two_d.clone(), [2, 2]).unwrap();
    assert!(x.mask(&lazy, Axis(0)).is_err());
    // The value passed is the one named, not a clamped copy.
    let err = x
        .oindex(&[ndchunk::Index::from(&[u64::MAX][..])])
        .unwrap_err();
    assert!(err.to_string().contains("18446744073709551615"), "{err}");
    let err = x.take(&[u64::MAX], Axis(0)).unwrap_err();
    assert!(err.to_string().contains("18446744073709551615"), "{err}");
}

#[test]
fn float_to_int_casts_follow_numpy_in_range_and_saturate_outside() {
    let _serial = serial();
    // In range, as np.array(v).astype(t) gives: truncation toward zero.
    let v = arr1(&[-2.7f64, -0.5, 0.0, 0.9, 2.5, 126.99]);
    let x = ndchunk::from_array(v, [4]).unwrap();
    assert_eq!(
        x.astype::<i8>().compute().unwrap(),
        arr1(&[-2i8, 0, 0, 0, 2, 126]).into_dyn()
    );
    assert_eq!(
        x.astype::<i64>().compute().unwrap(),
        arr1(&[-2i64, 0, 0, 0, 2, 126]).into_dyn()
    );
    // Out of range and NaN: NumPy's result is platform-defined (INT_MIN on
    // x86-64 for i32); ndchunk documents Rust's saturating rule.
    let odd =
        ndchunk::from_array(arr1(&[f64::NAN, 1e20, -1e20, -1.0, f64::INFINITY]), [2]).unwrap();
    assert_eq!(
        odd.astype::<i32>().compute().unwrap(),
        arr1(&[0, i32::MAX, i32::MIN, -1, i32::MAX]).into_dyn()
    );
    assert_eq!(
        odd.astype::<u8>().compute().unwrap(),
        arr1(&[0u8, 255, 0, 0, 255]).into_dyn()
    );
    // Integer narrowing wraps, as NumPy's does.
    let ints = ndchunk::from_array(arr1(&[300i64, -1, -129]), [3]).unwrap();
    assert_eq!(
        ints.astype::<i8>().compute().unwrap(),
        arr1(&[44i8, -1, 127]).into_dyn()
    );
    assert_eq!(
        ints.astype::<u8>().compute().unwrap(),
        arr1(&[44u8, 255, 127]).into_dyn()
    );
}

#[test]
fn errors_read_well() {
    let _serial = serial();
    // A panicking closure's message reaches the error.
    let x = ndchunk::arange::<i32>(0, 4, 1, [2]).unwrap();
    let y = x.mapv(|v| -> i32 {
        assert!(v < 3, "value {v} is too large");
        v
    });
    let err = y.compute().unwrap_err().to_string();
    assert!(err.contains("value 3 is too large"), "{err}");
    // Debug is the sentence, as main() -> Result prints it.
    let e = ndchunk::zeros::<f32>(&[3], [0]).unwrap_err();
    assert_eq!(format!("{e:?}"), e.to_string());
    // Errors name the method called.
    let m = ndchunk::zeros::<f32>(&[3, 2], [3, 2]).unwrap();
    let e = m.index_axis(Axis(0), 7).unwrap_err().to_string();
    assert!(e.starts_with("index_axis"), "{e}");
    let e = m.slice_axis(Axis(1), ndarray::Slice::new(0, None, 0));
    assert!(e.unwrap_err().to_string().starts_with("slice_axis"));
    // A zero byte target for automatic chunks.
    let e = ndchunk::zeros::<f32>(&[3], ChunkSpec::AutoBytes(0)).unwrap_err();
    assert!(e.to_string().contains("AutoBytes(0)"), "{e}");
}

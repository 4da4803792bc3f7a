//! How build, plan and run costs grow with graph size and block count, and what
//! a memory-limited gather holds: the cases of the reliability issue, each timed
//! with a deadline so that a case that blows up reports "over Ns" instead of
//! hanging.
//!
//! Run: `cargo bench --bench core_scaling -- [case ...]`, cases `reuse`, `flip`,
//! `centre`, `chain`, `blocks`, `take`, `permutation` (default: all).
//! `permutation` writes a 256 MB Zarr array under the temporary directory and
//! reads it back through `permutation(..).mean()` with a 25 MB memory limit in a
//! child process, reporting that process's peak RSS.

use std::time::{Duration, Instant};

use ndchunk::prelude::*;

/// Per case, the longest a size may take before larger sizes are skipped.
const DEADLINE: Duration = Duration::from_secs(20);

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

/// Runs `f(n)` for each size until one takes longer than the deadline.
fn scale(case: &str, sizes: &[usize], mut f: impl FnMut(usize) -> String) {
    for &n in sizes {
        let t = Instant::now();
        let what = f(n);
        let took = t.elapsed();
        println!("{case:<12} n={n:<9} {:<10} {what}", secs(took));
        if took > DEADLINE {
            println!("{case:<12} larger sizes skipped (over {})", secs(DEADLINE));
            break;
        }
    }
}

fn reuse() {
    // y = (y + y) * 0.5: every step uses the previous array twice.
    scale("reuse", &[20, 24, 26, 1_000, 10_000], |n| {
        let x = ndchunk::random::uniform::<f64>(&[1000], [250], 0).unwrap();
        let t = Instant::now();
        let mut y = x.clone();
        for _ in 0..n {
            y = (&y + &y) * 0.5;
        }
        let build = t.elapsed();
        let t = Instant::now();
        let s = y.sum().unwrap().compute().unwrap()[[]];
        format!(
            "build {} ({:.0} steps/s), compute {} (sum {s:.3})",
            secs(build),
            n as f64 / build.as_secs_f64(),
            secs(t.elapsed())
        )
    });
}

/// Build time, then the plan and compute of `y.sum()`.
fn report(y: &ndchunk::Array<f64>, build: Duration) -> String {
    let total = y.sum().unwrap();
    let t = Instant::now();
    let plan = total.plan().unwrap();
    let planned = t.elapsed();
    let instrs: usize = plan
        .stages
        .iter()
        .map(|s| match &s.kind {
            ndchunk::plan::StageKind::Fused(f) => f.program.instrs.len(),
            _ => 0,
        })
        .sum();
    let (stages, tasks) = (plan.stages.len(), plan.tasks.len());
    drop(plan);
    let t = Instant::now();
    let s = total.compute().unwrap()[[]];
    format!(
        "build {}, plan {} ({stages} stages, {instrs} instructions, {tasks} tasks), compute {} (sum {s:.3e})",
        secs(build),
        secs(planned),
        secs(t.elapsed())
    )
}

fn flip() {
    // y = (y + y.flip(0)) * 0.5: the previous array feeds a view and an add.
    scale("flip", &[10, 100, 300, 1_000], |n| {
        let x = ndchunk::random::uniform::<f64>(&[1000], [250], 0).unwrap();
        let t = Instant::now();
        let mut y = x.clone();
        for _ in 0..n {
            y = (&y + &y.flip(Axis(0)).unwrap()) * 0.5;
        }
        let build = t.elapsed();
        report(&y, build)
    });
}

fn centre() {
    // y = y - y.mean(): the previous array feeds a reduction and a subtraction.
    scale("centre", &[10, 100, 300, 1_000], |n| {
        let x = ndchunk::random::uniform::<f64>(&[1000], [250], 0).unwrap();
        let t = Instant::now();
        let mut y = x.clone();
        for _ in 0..n {
            y = &y - &y.mean().unwrap();
        }
        let build = t.elapsed();
        report(&y, build)
    });
}

fn chain() {
    // A plain linear chain of n elementwise ops.
    scale("chain", &[1_000, 10_000, 100_000], |n| {
        let x = ndchunk::random::uniform::<f64>(&[1000], [250], 0).unwrap();
        let t = Instant::now();
        let mut y = x.clone();
        for _ in 0..n {
            y = &y + 1.0;
        }
        let build = t.elapsed();
        let t = Instant::now();
        let s = y.sum().unwrap().compute().unwrap()[[]];
        format!(
            "build {}, compute {} (sum {s:.3e})",
            secs(build),
            secs(t.elapsed())
        )
    });
}

fn blocks() {
    // A sum over n elements in chunks of one element.
    scale("blocks", &[10_000, 100_000, 1_000_000], |n| {
        let x = ndchunk::arange::<i64>(0, n as i64, 1, [1]).unwrap();
        let s = x.sum().unwrap();
        let t = Instant::now();
        let plan = s.plan().unwrap();
        let planned = t.elapsed();
        let tasks = plan.tasks.len();
        drop(plan);
        let t = Instant::now();
        let v = s.compute().unwrap()[[]];
        let run = t.elapsed();
        format!(
            "plan {} ({tasks} tasks), compute {} ({:.0} tasks/s), sum {v}",
            secs(planned),
            secs(run),
            tasks as f64 / run.as_secs_f64()
        )
    });
}

fn take() {
    // A reversed take over n size-1 blocks.
    scale("take", &[10_000, 100_000], |n| {
        let x = ndchunk::arange::<i64>(0, n as i64, 1, [1]).unwrap();
        let idx: Vec<i64> = (0..n as i64).rev().collect();
        let t = Instant::now();
        let y = x.take(&idx[..], Axis(0)).unwrap().sum().unwrap();
        let v = y.compute().unwrap()[[]];
        format!("take + sum {}, sum {v}", secs(t.elapsed()))
    });
}

const PERM_CHILD: &str = "NDCHUNK_BENCH_PERMUTATION_CHILD";

fn permutation() {
    let dir = std::env::temp_dir().join("ndchunk-bench-permutation.zarr");
    // 256 MB: 8192 rows of 4096 f64, chunks of 256 rows.
    let (rows, cols) = (8192usize, 4096usize);
    if !dir.exists() {
        let x = ndchunk::random::uniform::<f64>(&[rows, cols], [256, cols], 3).unwrap();
        x.to_zarr(&dir, ndchunk::ZarrOptions::default()).unwrap();
    }
    if std::env::var_os(PERM_CHILD).is_some() {
        let limit = 25u64 << 20;
        let ex = Executor::local().memory_limit(limit).progress(false);
        let x = ndchunk::from_zarr::<f64>(&dir).unwrap();
        let t = Instant::now();
        let p = x.permutation(Axis(0), 1).unwrap();
        let built = t.elapsed();
        let t = Instant::now();
        let m = p.mean().unwrap().compute_with(&ex);
        let run = t.elapsed();
        let hwm = std::fs::read_to_string("/proc/self/status")
            .unwrap()
            .lines()
            .find(|l| l.starts_with("VmHWM"))
            .map(|l| l.to_string())
            .unwrap_or_default();
        println!(
            "permutation  build {}, mean {} ({:?}), limit 25 MiB, {hwm}",
            secs(built),
            secs(run),
            m.map(|a| a[[]])
        );
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let status = std::process::Command::new(exe)
        .arg("permutation")
        .env(PERM_CHILD, "1")
        .status()
        .unwrap();
    assert!(status.success(), "permutation child failed: {status}");
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let all = [
        "reuse",
        "flip",
        "centre",
        "chain",
        "blocks",
        "take",
        "permutation",
    ];
    let cases: Vec<&str> = if args.is_empty() {
        all.to_vec()
    } else {
        args.iter().map(String::as_str).collect()
    };
    for case in cases {
        match case {
            "reuse" => reuse(),
            "flip" => flip(),
            "centre" => centre(),
            "chain" => chain(),
            "blocks" => blocks(),
            "take" => take(),
            "permutation" => permutation(),
            other => eprintln!("unknown case {other}; cases: {all:?}"),
        }
    }
}

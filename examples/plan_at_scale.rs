//! How planning grows with the number of tasks (issue 17, item 4): builds
//! and plans graphs of up to a million tasks without computing them, and
//! prints, per size, the tasks, the seconds of graph build + `plan()`, the
//! heap bytes the plan holds per task (counted by this binary's allocator)
//! and the lines of `explain()`.
//!
//! ```bash
//! cargo run --release --example plan_at_scale
//! cargo run --release --example plan_at_scale -- --huge  # adds 1e9 elements (about 20 GB)
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use ndchunk::prelude::*;

/// The system allocator, counting the bytes live.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        System.dealloc(p, layout)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Builds `build`'s array and plans it; prints one line.
fn measure<T: ndchunk::Element>(
    name: &str,
    build: impl Fn() -> ndchunk::Result<ndchunk::Array<T>>,
) -> ndchunk::Result<()> {
    let before = LIVE.load(Ordering::Relaxed);
    let t0 = Instant::now();
    let array = build()?;
    let plan = array.plan()?;
    let seconds = t0.elapsed().as_secs_f64();
    let held = LIVE.load(Ordering::Relaxed).saturating_sub(before);
    let tasks = plan.tasks.len();
    drop(plan);
    let lines = array.explain().lines().count();
    println!(
        "{name:<44} {tasks:>9} tasks  {seconds:>7.3} s  {:>6.0} bytes/task  explain {lines} lines",
        held as f64 / tasks.max(1) as f64
    );
    Ok(())
}

fn main() -> ndchunk::Result<()> {
    println!("graph build + plan(), without computing");
    for blocks in [10_000usize, 100_000, 1_000_000] {
        let n = blocks * 100;
        measure(&format!("sum((2x + 1)^2), {blocks} blocks of 100"), || {
            let x = ndchunk::random::uniform::<f32>(&[n], [100], 0)?;
            (&x * 2.0 + 1.0).powi(2).sum()
        })?;
    }
    let mut permutations = vec![(10_000_000usize, 1_000usize), (100_000_000, 1_000)];
    if std::env::args().any(|a| a == "--huge") {
        permutations.push((1_000_000_000, 10_000));
    }
    for (n, chunk) in permutations {
        measure(
            &format!("permutation of {n} over {} chunks", n / chunk),
            || ndchunk::arange::<f64>(0.0, n as f64, 1.0, [chunk])?.permutation(Axis(0), 7),
        )?;
    }
    Ok(())
}

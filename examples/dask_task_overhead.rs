//! The Dask executor's fixed costs (issue 17, item 5): runs 1 and then
//! `N` trivial tasks (`arange(N)` in chunks of 1, plus one) on a 2-worker
//! Dask LocalCluster and prints the wall time per task; each run also writes
//! its run report (`/tmp/dask_task_overhead_{N}.html`), whose bars are the
//! time each task spent in its worker server, so the report shows how much
//! of the time per task is the task itself and how much is Dask's.
//!
//! ```bash
//! cargo run --release --example dask_task_overhead -- 2001
//! ```

use std::time::Instant;

fn main() -> ndchunk::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    // Dask workers run this executable as the worker server.
    if ndchunk::worker::run_worker_with(&args) {
        return Ok(());
    }
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(2001);
    let executor = ndchunk::Executor::dask_local(2);
    // The first run starts the cluster and the worker servers.
    (ndchunk::arange::<i64>(0, 10, 1, [1])? + 1).compute_with(&executor)?;
    let mut one = 0.0;
    for tasks in [1, n] {
        let x = ndchunk::arange::<i64>(0, tasks as i64, 1, [1])? + 1;
        let report = format!("/tmp/dask_task_overhead_{tasks}.html");
        let t0 = Instant::now();
        x.compute_with(&executor.clone().report(&report))?;
        let seconds = t0.elapsed().as_secs_f64();
        if tasks == 1 {
            one = seconds;
        }
        println!(
            "{tasks} tasks: {seconds:.3} s ({:.2} ms per task beyond a one-task run; report {report})",
            (seconds - one) * 1e3 / (tasks.max(2) - 1) as f64
        );
    }
    Ok(())
}

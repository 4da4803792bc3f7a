//! UMAP's neighbour-distance pattern on a Dask cluster: for each point of `X`
//! (n x d) and its k nearest-neighbour candidates `knn` (n x k), the mean squared
//! distance to them, `((X[knn] - X[:, None, :])**2).sum(-1).mean(-1)`.
//!
//! ```text
//! # on a local cluster of 2 worker processes (started and stopped by the run):
//! cargo run --release --example distributed
//! # on a running scheduler (its dashboard, by default on port 8787, shows the tasks):
//! cargo run --release --example distributed -- --scheduler tcp://127.0.0.1:8786
//! # DASK_SCHEDULER_ADDRESS is used when --scheduler is not given
//! # on 4 SLURM jobs that dask-jobqueue submits (options from jobqueue.yaml):
//! cargo run --release --example distributed -- --jobqueue slurm --jobs 4
//! ```
//!
//! The same expression is computed by the local executor too, and the two
//! results are compared. `X` and `knn` are in the driver's memory, so they
//! travel with the plan (as dask embeds NumPy arrays in its graphs), in a
//! data file beside the stage files of which each task reads only the part it
//! touches; data larger than memory belongs in a Zarr store the workers read.

use std::time::Instant;

use clap::Parser;
use ndarray::Array2;
use ndchunk::exec::dask::JobQueue;
use ndchunk::prelude::*;
use rand::{Rng, SeedableRng};

#[derive(Parser)]
#[command(about = "UMAP neighbour distances on a Dask cluster")]
struct Args {
    /// Scheduler address (tcp://host:8786); default DASK_SCHEDULER_ADDRESS, else
    /// a local cluster.
    #[arg(long)]
    scheduler: Option<String>,
    /// A batch system (slurm, pbs, sge, lsf, ...) to run on through dask-jobqueue,
    /// with the options of its jobqueue.yaml.
    #[arg(long)]
    jobqueue: Option<String>,
    /// Jobs of the --jobqueue cluster.
    #[arg(long, default_value_t = 2)]
    jobs: usize,
    /// Worker processes of the local cluster.
    #[arg(long, default_value_t = 2)]
    workers: usize,
    /// Points.
    #[arg(long, default_value_t = 200_000)]
    n: usize,
    /// Dimensions per point.
    #[arg(long, default_value_t = 32)]
    d: usize,
    /// Neighbour candidates per point.
    #[arg(long, default_value_t = 15)]
    k: usize,
    /// Points per block.
    #[arg(long, default_value_t = 25_000)]
    chunk: usize,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // First thing: a Dask task runs this program again to compute one block.
    ndchunk::worker::run_if_worker();
    let args = Args::parse();
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
    let points = Array2::from_shape_fn((args.n, args.d), |_| rng.random::<f32>());
    let x = ndchunk::from_array(points, [args.chunk, args.d])?;
    let knn = Array2::from_shape_fn((args.n, args.k), |_| rng.random_range(0..args.n as i64));
    let gathered = x.vindex(&[knn.into_dyn()])?; // (n, k, d)
    let own = x.insert_axis(Axis(1))?; // (n, 1, d)
    let distances = (&gathered - &own)
        .powi(2)
        .sum_axis(Axis(2))?
        .mean_axis(Axis(1))?; // (n,)

    let env_address = std::env::var(ndchunk::exec::dask::SCHEDULER_ENV).ok();
    let (executor, where_) = match (
        &args.jobqueue,
        args.scheduler.as_ref().or(env_address.as_ref()),
    ) {
        (Some(system), _) => (
            Executor::dask_jobqueue(JobQueue::new(system).jobs(args.jobs)),
            format!("{} jobs on {system}", args.jobs),
        ),
        (None, Some(address)) => (Executor::dask(address), address.clone()),
        (None, None) => (
            Executor::dask_local(args.workers),
            format!("a local cluster of {} workers", args.workers),
        ),
    };
    println!(
        "{} points, {} candidates each, {} dimensions; {} tasks",
        args.n,
        args.k,
        args.d,
        distances.plan()?.tasks.len()
    );
    let start = Instant::now();
    let remote = distances.compute_with(&executor)?;
    let dask_seconds = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let local = distances.compute()?;
    let local_seconds = start.elapsed().as_secs_f64();
    println!("dask ({where_}): {dask_seconds:.2} s; local executor: {local_seconds:.2} s");
    println!(
        "mean distance {:.6}; results identical: {}",
        remote.mean().unwrap_or(f32::NAN),
        remote == local
    );
    if remote != local {
        return Err("the Dask and local results differ".into());
    }
    Ok(())
}

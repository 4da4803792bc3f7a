//! The Dask executor on a real SLURM cluster through dask-jobqueue: a
//! one-node SLURM (`scripts/slurm`) on 127.0.0.1, started and stopped by this
//! test, runs the worker jobs `SLURMCluster` submits (2 jobs of one core, from
//! a `jobqueue.yaml` in `DASK_CONFIG`). Each result equals the local
//! executor's; a worker job cancelled with `scancel` mid-run costs time, not
//! correctness.
//!
//! Needs Debian's `slurm-wlm` and `munge` (`./setup.sh --hpc` installs them) and
//! root (the daemons run as root, as in a container). Without them the test
//! says it is skipped, unless `NDCHUNK_REQUIRE_HPC=1`, which makes that a
//! failure (./test.sh sets it after `./setup.sh --hpc`, as in CI).
//!
//! Its own `main` (`harness = false`): the worker jobs run this binary again in
//! worker mode.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use common::{finish_named_tests, fresh_dir, run_named_tests, NamedTest, Outcome};
use ndarray::{Array2, ArrayD, ArrayViewD, IxDyn};
use ndchunk::exec::dask::JobQueue;
use ndchunk::prelude::*;
use ndchunk::ZarrOptions;

fn main() {
    ndchunk::register_fn("slow_double", |b: ArrayViewD<f64>| {
        std::thread::sleep(Duration::from_millis(150));
        b.mapv(|v| 2.0 * v)
    });
    ndchunk::worker::run_if_worker();
    std::env::set_var(ndchunk::exec::PROGRESS_ENV, "0");
    if let Err(why) = slurm_available() {
        if std::env::var("NDCHUNK_REQUIRE_HPC").is_ok_and(|v| v == "1") {
            println!("test slurm ... FAILED: {why}");
            std::process::exit(1);
        }
        println!("test slurm ... skipped: {why} (./setup.sh --hpc installs SLURM)");
        return;
    }
    let tests: &[NamedTest] = &[
        ("umap_neighbour_distances", umap_neighbour_distances),
        ("zarr_to_zarr_rechunk", zarr_to_zarr_rechunk),
        ("store_of_two_arrays", store_of_two_arrays),
        (
            "scancel_of_a_worker_job_mid_run",
            scancel_of_a_worker_job_mid_run,
        ),
    ];
    let cluster = match Slurm::start() {
        Ok(c) => c,
        Err(e) => {
            println!("test slurm ... FAILED: cannot start SLURM: {e}");
            std::process::exit(1);
        }
    };
    let (ran, failed) = run_named_tests(tests);
    // The executor's driver closes the SLURMCluster (cancelling its jobs)
    // before SLURM stops.
    drop(EXECUTOR.lock().map(|mut e| e.take()));
    drop(cluster);
    finish_named_tests(ran, &failed);
}

fn slurm_available() -> std::result::Result<(), String> {
    for program in ["slurmctld", "slurmd", "munged", "sbatch"] {
        if Command::new("sh")
            .args(["-c", &format!("command -v {program}")])
            .output()
            .map_or(true, |o| !o.status.success())
        {
            return Err(format!("{program} is not installed"));
        }
    }
    Ok(())
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/slurm")
}

/// The one-node SLURM cluster, stopped when dropped.
struct Slurm {
    dir: PathBuf,
}

static ROOT: OnceLock<PathBuf> = OnceLock::new();

impl Slurm {
    fn start() -> std::result::Result<Slurm, String> {
        let root = ROOT.get_or_init(|| fresh_dir("slurm"));
        let dir = root.join("cluster");
        let out = Command::new(script())
            .arg("start")
            .env("NDCHUNK_SLURM_DIR", &dir)
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        std::env::set_var("SLURM_CONF", dir.join("slurm.conf"));
        // dask-jobqueue's configuration, read from DASK_CONFIG as from
        // ~/.config/dask: one single-core worker per job, on the loopback
        // interface.
        let config = root.join("dask-config");
        std::fs::create_dir_all(&config).map_err(|e| e.to_string())?;
        let yaml = format!(
            "jobqueue:\n  slurm:\n    cores: 1\n    processes: 1\n    memory: 2GiB\n    \
             walltime: '00:30:00'\n    interface: lo\n    death-timeout: 30\n    \
             log-directory: {logs}\n    local-directory: {space}\n",
            logs = root.join("job-logs").display(),
            space = root.join("worker-space").display(),
        );
        std::fs::write(config.join("jobqueue.yaml"), yaml).map_err(|e| e.to_string())?;
        std::env::set_var("DASK_CONFIG", &config);
        Ok(Slurm { dir })
    }
}

impl Drop for Slurm {
    fn drop(&mut self) {
        let _ = Command::new(script())
            .arg("stop")
            .env("NDCHUNK_SLURM_DIR", &self.dir)
            .status();
    }
}

static EXECUTOR: Mutex<Option<Executor>> = Mutex::new(None);

/// The executor on two single-core SLURM jobs, shared by the tests (its last
/// clone, dropped at the end, closes the cluster).
fn slurm() -> Executor {
    let mut slot = EXECUTOR.lock().expect("executor lock");
    slot.get_or_insert_with(|| {
        Executor::dask_jobqueue(JobQueue::slurm().jobs(2))
            .scratch(ROOT.get().expect("SLURM started").join("scratch"))
    })
    .clone()
}

fn err(e: ndchunk::Error) -> String {
    e.to_string()
}

/// `x` computed on SLURM equals `x` computed locally.
fn same<T: Element + PartialEq + std::fmt::Debug>(what: &str, x: &Array<T>) -> Outcome {
    let local = x.compute().map_err(|e| format!("{what}: local: {e}"))?;
    let remote = x
        .compute_with(&slurm())
        .map_err(|e| format!("{what}: slurm: {e}"))?;
    if local != remote {
        return Err(format!(
            "{what}: SLURM gave\n{remote:?}\nlocal gave\n{local:?}"
        ));
    }
    Ok(())
}

/// The `distributed` example's expression: mean squared distance of each
/// point to its neighbour candidates, `((X[knn] - X[:, None])**2).sum(-1).mean(-1)`.
fn umap_neighbour_distances() -> Outcome {
    let (n, d, k) = (20_000, 16, 15);
    let points = Array2::from_shape_fn((n, d), |(i, j)| ((i * 31 + j * 17) % 101) as f32 / 50.0);
    let x = ndchunk::from_array(points, [2_500, d]).map_err(err)?;
    let knn = ArrayD::from_shape_fn(IxDyn(&[n, k]), |ix| {
        ((ix[0] as i64 * 7919 + ix[1] as i64 * 104_729) % n as i64) - (ix[1] % 2) as i64
    });
    let gathered = x.vindex(&[knn]).map_err(err)?;
    let own = x.insert_axis(Axis(1)).map_err(err)?;
    let distances = (&gathered - &own)
        .powi(2)
        .sum_axis(Axis(2))
        .map_err(err)?
        .mean_axis(Axis(1))
        .map_err(err)?;
    same("UMAP neighbour distances", &distances)
}

fn zarr_to_zarr_rechunk() -> Outcome {
    let dir = fresh_dir("slurm-rechunk");
    let source = dir.join("in.zarr");
    let x = ndchunk::random::uniform::<f64>(&[600, 400], [600, 20], 3).map_err(err)?;
    x.to_zarr(&source, ZarrOptions::default().chunks(&[600, 20]))
        .map_err(err)?;
    let z = ndchunk::from_zarr::<f64>(&source).map_err(err)?;
    let target = dir.join("out.zarr");
    z.rechunk([20, 400])
        .map_err(err)?
        .to_zarr_with(&target, ZarrOptions::default().chunks(&[20, 400]), &slurm())
        .map_err(err)?;
    let back = ndchunk::from_zarr::<f64>(&target).map_err(err)?;
    if back.chunks().all_lens() != [vec![20; 30], vec![400]] {
        return Err(format!("the target's chunks are {:?}", back.chunks()));
    }
    if back.compute().map_err(err)? != x.compute().map_err(err)? {
        return Err("the rechunked Zarr array differs from its source".into());
    }
    Ok(())
}

fn store_of_two_arrays() -> Outcome {
    let dir = fresh_dir("slurm-store");
    let x = ndchunk::random::uniform::<f64>(&[300, 50], [40, 50], 9).map_err(err)?;
    let centred = &x - &x.mean_axis(Axis(0)).map_err(err)?;
    let flags = x.gt(0.5);
    let options = ZarrOptions::default();
    let (a, b) = (dir.join("centred.zarr"), dir.join("flags.zarr"));
    ndchunk::store_with(
        &[
            ((&centred).into(), a.as_path(), options.clone()),
            ((&flags).into(), b.as_path(), options),
        ],
        &slurm(),
    )
    .map_err(err)?;
    let read_a = ndchunk::from_zarr::<f64>(&a).map_err(err)?.compute();
    let read_b = ndchunk::from_zarr::<bool>(&b).map_err(err)?.compute();
    if read_a.map_err(err)? != centred.compute().map_err(err)? {
        return Err("the first stored array differs".into());
    }
    if read_b.map_err(err)? != flags.compute().map_err(err)? {
        return Err("the second stored array differs".into());
    }
    Ok(())
}

/// The ids of the running SLURM jobs.
fn running_jobs() -> Vec<String> {
    Command::new("squeue")
        .args(["-h", "-t", "R", "-o", "%i"])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .split_whitespace()
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

/// Committed task results in the run's scratch directories under `root`.
fn committed_results(root: &Path) -> usize {
    let Ok(runs) = std::fs::read_dir(root) else {
        return 0;
    };
    runs.flatten()
        .filter_map(|run| std::fs::read_dir(run.path().join("values")).ok())
        .map(|values| {
            values
                .flatten()
                .filter(|f| f.file_name().to_string_lossy().ends_with(".bin"))
                .count()
        })
        .sum()
}

fn scancel_of_a_worker_job_mid_run() -> Outcome {
    let ex = slurm();
    // 40 blocks of 150 ms: about 3 s on the two jobs; one job is cancelled
    // once 6 blocks are done.
    let a = ndchunk::from_array(
        ArrayD::from_shape_fn(IxDyn(&[80, 6]), |ix| (ix[0] * 6 + ix[1]) as f64),
        vec![vec![2; 40], vec![6]],
    )
    .map_err(err)?;
    let y = a
        .map_blocks_registered::<f64>("slow_double")
        .map_err(err)?
        .sum_axis(Axis(1))
        .map_err(err)?;
    let expected = y.compute().map_err(err)?;
    let deadline = Instant::now() + Duration::from_secs(120);
    while running_jobs().len() < 2 {
        if Instant::now() > deadline {
            return Err(format!("2 jobs never ran: {:?}", running_jobs()));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let scratch = ROOT.get().expect("SLURM started").join("scratch");
    let killer = std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(60);
        while committed_results(&scratch) < 6 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let victim = running_jobs().into_iter().next();
        if let Some(job) = &victim {
            let _ = Command::new("scancel").arg(job).status();
        }
        victim
    });
    let got = y.compute_with(&ex).map_err(err);
    let victim = killer
        .join()
        .map_err(|_| "the scancel thread panicked".to_string())?
        .ok_or("no job to cancel")?;
    if running_jobs().contains(&victim) {
        return Err(format!("job {victim} still runs after scancel"));
    }
    if got? != expected {
        return Err("the result after cancelling a worker job differs".into());
    }
    Ok(())
}

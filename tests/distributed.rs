//! The Dask executor against the local one: every op kind gives identical
//! results on a 2-process `LocalCluster`; failures give clear errors; a worker
//! killed mid-run costs time, not correctness; scratch directories are removed.
//!
//! This test has its own `main` (`harness = false`): each Dask task runs this
//! binary again in worker mode, so `main` registers the functions and calls
//! `run_if_worker` before anything else, as a user's program does.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{finish_named_tests, fresh_dir, python, run_named_tests, NamedTest, Outcome};
use ndarray::{ArrayD, ArrayViewD, IxDyn};
use ndchunk::prelude::*;
use ndchunk::{Index, OverlapBoundary, PadMode, ZarrOptions};

fn main() {
    register_functions();
    ndchunk::worker::run_if_worker();
    // Gathers from inputs over 4 KiB stream through scatter stages.
    std::env::set_var(ndchunk::config::GATHER_BYTES_ENV, "4KiB");
    std::env::set_var(ndchunk::exec::PROGRESS_ENV, "0");
    let tests: &[NamedTest] = &[
        (
            "elementwise_and_generated_inputs",
            elementwise_and_generated_inputs,
        ),
        ("reductions", reductions),
        ("contractions", contractions),
        ("layout_ops_and_rechunks", layout_ops_and_rechunks),
        (
            "gathers_resident_and_streaming",
            gathers_resident_and_streaming,
        ),
        (
            "storage_sources_and_zarr_sink",
            storage_sources_and_zarr_sink,
        ),
        (
            "registered_functions_and_persisted_inputs",
            registered_functions_and_persisted_inputs,
        ),
        ("overlaps_and_scans", overlaps_and_scans),
        (
            "dask_local_starts_its_own_cluster",
            dask_local_starts_its_own_cluster,
        ),
        (
            "failing_task_names_task_op_and_stderr",
            failing_task_names_task_op_and_stderr,
        ),
        (
            "closures_are_refused_at_plan_time",
            closures_are_refused_at_plan_time,
        ),
        (
            "unreachable_scheduler_and_missing_python_are_errors",
            unreachable_scheduler_and_missing_python_are_errors,
        ),
        (
            "scratch_is_removed_after_success_and_failure",
            scratch_is_removed_after_success_and_failure,
        ),
        (
            "scratch_holds_the_working_set_not_every_result",
            scratch_holds_the_working_set_not_every_result,
        ),
        ("tiny_tasks_share_dask_tasks", tiny_tasks_share_dask_tasks),
        (
            "dask_run_report_has_a_row_per_worker_thread",
            dask_run_report_has_a_row_per_worker_thread,
        ),
        (
            "tasks_read_their_part_of_the_stage_data",
            tasks_read_their_part_of_the_stage_data,
        ),
        (
            "killing_a_worker_mid_run_keeps_the_result_correct",
            killing_a_worker_mid_run_keeps_the_result_correct,
        ),
    ];
    let (ran, failed) = run_named_tests(tests);
    if let Some(c) = CLUSTER.get() {
        c.stop();
    }
    finish_named_tests(ran, &failed);
}

fn register_functions() {
    ndchunk::register_fn("double", |b: ArrayViewD<f64>| b.mapv(|v| 2.0 * v));
    ndchunk::register_fn("centre", |b: ArrayViewD<f64>| {
        let m = b.mean().unwrap_or(0.0);
        b.mapv(|v| v - m)
    });
    // Each element plus its neighbours along axis 0 (clamped at the block's edges).
    ndchunk::register_fn("neighbour_sum", |b: ArrayViewD<f64>| {
        let n = b.shape()[0];
        ArrayD::from_shape_fn(b.raw_dim(), |ix| {
            let mut at = ix.clone();
            let mut total = 0.0;
            for i in [ix[0].saturating_sub(1), ix[0], (ix[0] + 1).min(n - 1)] {
                at[0] = i;
                total += b[&at];
            }
            total
        })
    });
    ndchunk::register_fn("slow_double", |b: ArrayViewD<f64>| {
        std::thread::sleep(Duration::from_millis(150));
        b.mapv(|v| 2.0 * v)
    });
    ndchunk::register_fn("fail_on_negative", |b: ArrayViewD<f64>| {
        assert!(
            b.iter().all(|&v| v >= 0.0),
            "a negative value reached fail_on_negative"
        );
        b.to_owned()
    });
}

/// A `LocalCluster` of 2 worker processes shared by the op tests.
struct Cluster {
    child: std::sync::Mutex<Child>,
    address: String,
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();

impl Cluster {
    fn stop(&self) {
        if let Ok(mut child) = self.child.lock() {
            drop(child.stdin.take()); // the script closes the cluster at EOF
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn cluster() -> Executor {
    let c = CLUSTER.get_or_init(|| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("python/dask_cluster.py");
        let mut child = Command::new(python())
            .arg(script)
            .arg("2")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the project's Python (./setup.sh makes .venv)");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout");
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)
            .expect("read the cluster's address");
        Cluster {
            child: std::sync::Mutex::new(child),
            address: line.trim().to_string(),
        }
    });
    Executor::dask(&c.address)
}

/// `x` computed by the Dask executor `ex` equals `x` computed locally.
fn same<T: Element + PartialEq + std::fmt::Debug>(
    what: &str,
    x: &Array<T>,
    ex: &Executor,
) -> Outcome {
    let local = x.compute().map_err(|e| format!("{what}: local: {e}"))?;
    let remote = x
        .compute_with(ex)
        .map_err(|e| format!("{what}: dask: {e}"))?;
    if local != remote {
        return Err(format!(
            "{what}: dask gave\n{remote:?}\nlocal gave\n{local:?}"
        ));
    }
    Ok(())
}

fn matrix(rows: usize, cols: usize) -> ArrayD<f64> {
    ArrayD::from_shape_fn(IxDyn(&[rows, cols]), |ix| {
        ((ix[0] * 31 + ix[1] * 17) % 23) as f64 / 7.0 - 1.0
    })
}

fn err(e: ndchunk::Error) -> String {
    e.to_string()
}

fn elementwise_and_generated_inputs() -> Outcome {
    let ex = cluster();
    let a = ndchunk::from_array(matrix(13, 9), vec![vec![5, 3, 5], vec![4, 5]]).map_err(err)?;
    let row = ndchunk::linspace::<f64>(0.0, 1.0, 9, [4]).map_err(err)?;
    let u = ndchunk::random::uniform::<f64>(&[13, 9], [6, 9], 7).map_err(err)?;
    let y = ((&a * &row) + &u - 0.5).abs().sqrt();
    same("broadcast arithmetic", &y, &ex)?;
    let z = ndchunk::where_(&a.gt(0.0), &a * 2.0, &u);
    same("where", &z, &ex)?;
    same("cast and compare", &(&a * 10.0).astype::<i32>().le(3), &ex)?;
    let i = ndchunk::arange::<i64>(0, 40, 1, [7]).map_err(err)?;
    same("integers", &((&i * 3) % 7), &ex)
}

fn reductions() -> Outcome {
    let ex = cluster();
    let a =
        ndchunk::from_array(matrix(37, 11), vec![vec![10, 10, 10, 7], vec![4, 7]]).map_err(err)?;
    same("sum", &a.sum().map_err(err)?, &ex)?;
    same("mean axis 0", &a.mean_axis(Axis(0)).map_err(err)?, &ex)?;
    same("var axis 1", &a.var_axis(Axis(1), 1).map_err(err)?, &ex)?;
    same("std", &a.std(0).map_err(err)?, &ex)?;
    same("min axis 0", &a.min_axis(Axis(0)).map_err(err)?, &ex)?;
    same("max", &a.max().map_err(err)?, &ex)?;
    same("argmax axis 1", &a.argmax_axis(Axis(1)).map_err(err)?, &ex)?;
    same("any", &a.gt(0.9).any().map_err(err)?, &ex)?;
    let big = ndchunk::random::uniform::<f32>(&[200, 30], [10, 30], 3).map_err(err)?;
    // 20 blocks: the sum goes through combine levels of the reduction tree.
    same("tree sum", &big.sum_axis(Axis(0)).map_err(err)?, &ex)
}

fn contractions() -> Outcome {
    let ex = cluster();
    let a = ndchunk::from_array(matrix(13, 40), vec![vec![5, 8], vec![10; 4]]).map_err(err)?;
    let b = ndchunk::random::uniform::<f64>(&[40, 6], [15, 4], 5).map_err(err)?;
    same("matmul", &a.matmul(&b).map_err(err)?, &ex)?;
    same(
        "einsum",
        &ndchunk::einsum("ij,ik->jk", &[&a, &a]).map_err(err)?,
        &ex,
    )?;
    // Factorisations: the QR tree's stages and the single-block kernels.
    let tall = ndchunk::random::uniform::<f64>(&[120, 5], [20, 5], 6).map_err(err)?;
    let (q, r) = ndchunk::linalg::tsqr(&tall).map_err(err)?;
    same("tsqr q", &q, &ex)?;
    same("tsqr r", &r, &ex)?;
    let (_, s, _) = ndchunk::linalg::svd(&tall).map_err(err)?;
    same("svd", &s, &ex)?;
    // Under a 4 KiB limit (1 KiB a task) the 5 contracted blocks are added by a tree.
    let options = ndchunk::PlanOptions {
        memory_limit: 4 << 10,
        ..ndchunk::PlanOptions::from_env().map_err(err)?
    };
    let small = ex.clone().with_plan_options(options);
    let local = Executor::local().with_plan_options(options);
    let c = a.matmul(&b).map_err(err)?;
    let text = c.explain_with(&small);
    if !text.contains("matmul.sum") {
        return Err(format!("no sum tree under a 4 KiB limit:\n{text}"));
    }
    let (want, got) = (
        c.compute_with(&local).map_err(err)?,
        c.compute_with(&small).map_err(err)?,
    );
    if want != got {
        return Err(format!(
            "matmul with a sum tree: dask gave\n{got:?}\nlocal gave\n{want:?}"
        ));
    }
    Ok(())
}

fn layout_ops_and_rechunks() -> Outcome {
    let ex = cluster();
    let a = ndchunk::from_array(matrix(12, 10), vec![vec![5, 7], vec![3, 3, 4]]).map_err(err)?;
    let c = &a + 1.0;
    // Views of an in-memory array read it in place (it travels in the stage).
    same(
        "slice of an in-memory array",
        &a.slice(ndchunk::s![2..11;3, ..;-1]).map_err(err)?,
        &ex,
    )?;
    same(
        "negative-step slice",
        &c.slice(ndchunk::s![..;-2, 1..9]).map_err(err)?,
        &ex,
    )?;
    same("transpose", &c.t(), &ex)?;
    same("reshape", &c.reshape(&[6, -1]).map_err(err)?, &ex)?;
    same(
        "concatenate",
        &ndchunk::concatenate(Axis(1), &[c.clone(), a.clone()]).map_err(err)?,
        &ex,
    )?;
    same(
        "stack",
        &ndchunk::stack(Axis(0), &[c.clone(), a.clone()]).map_err(err)?,
        &ex,
    )?;
    same(
        "pad",
        &c.pad(&[(1, 2), (0, 3)], PadMode::Edge).map_err(err)?,
        &ex,
    )?;
    same("roll", &c.roll(-3, Axis(1)).map_err(err)?, &ex)?;
    same(
        "tile and repeat",
        &c.tile(&[2, 1])
            .map_err(err)?
            .repeat(2, Axis(1))
            .map_err(err)?,
        &ex,
    )?;
    same("rechunk", &c.rechunk([4, 10]).map_err(err)?, &ex)?;
    // A budget of 0 forces the two-stage plan through intermediate chunks.
    same(
        "two-stage rechunk",
        &c.rechunk_within([12, 1], 0).map_err(err)?,
        &ex,
    )
}

fn gathers_resident_and_streaming() -> Outcome {
    let ex = cluster();
    let small =
        &ndchunk::from_array(matrix(20, 3), vec![vec![7, 7, 6], vec![3]]).map_err(err)? * 1.0;
    let large =
        &ndchunk::from_array(matrix(300, 8), vec![vec![64, 100, 136], vec![8]]).map_err(err)? * 1.0;
    let idx: Vec<i64> = (0..50).map(|i| (i * 37 % 23) as i64 - 11).collect();
    same(
        "take, resident",
        &small.take(&idx, Axis(0)).map_err(err)?,
        &ex,
    )?;
    let far: Vec<i64> = (0..400).map(|i| (i * 7919 % 300) as i64).collect();
    same(
        "take, streaming",
        &large.take(&far, Axis(0)).map_err(err)?,
        &ex,
    )?;
    let rows = Index::Ints(vec![4, -1, 4, 0]);
    let cols = Index::Ints(vec![2, 0]);
    same("oindex", &small.oindex(&[rows, cols]).map_err(err)?, &ex)?;
    let (r, c): (Vec<i64>, Vec<i64>) = (vec![1, 5, 19, 5], vec![0, 2, 1, 2]);
    same(
        "vindex",
        &small.vindex(&[r.clone(), c.clone()]).map_err(err)?,
        &ex,
    )?;
    let keep: Vec<bool> = (0..300).map(|i| i % 3 == 1).collect();
    same(
        "mask, streaming",
        &large.mask(&keep[..], Axis(0)).map_err(err)?,
        &ex,
    )
}

fn storage_sources_and_zarr_sink() -> Outcome {
    let ex = cluster();
    let dir = fresh_dir("distributed-storage");
    let a = ndchunk::from_array(matrix(30, 12), vec![vec![10, 10, 10], vec![6, 6]]).map_err(err)?;
    let zarr_in = dir.join("in.zarr");
    a.to_zarr(&zarr_in, ZarrOptions::default()).map_err(err)?;
    let z = ndchunk::from_zarr::<f64>(&zarr_in).map_err(err)?;
    same(
        "zarr source, mean",
        &(&z * 2.0).mean_axis(Axis(0)).map_err(err)?,
        &ex,
    )?;
    let h5 = dir.join("in.h5");
    a.to_hdf5(&h5, "/x", ndchunk::Hdf5Options::default())
        .map_err(err)?;
    let h = ndchunk::from_hdf5::<f64>(&h5, "/x").map_err(err)?;
    same("hdf5 source", &(&h - 1.0), &ex)?;
    let out = dir.join("out.zarr");
    (&z + 1.0)
        .rechunk([15, 12])
        .map_err(err)?
        .to_zarr_with(&out, ZarrOptions::default().chunks(&[15, 12]), &ex)
        .map_err(err)?;
    let back = ndchunk::from_zarr::<f64>(&out)
        .map_err(err)?
        .compute()
        .map_err(err)?;
    let expected = (&z + 1.0).compute().map_err(err)?;
    if back != expected {
        return Err("the Zarr array written under Dask differs".into());
    }
    // HDF5 is written by the workers too, one block at a time.
    let h5_out = dir.join("out.h5");
    (&z + 1.0)
        .to_hdf5_with(
            &h5_out,
            "/g/y",
            ndchunk::Hdf5Options::default().chunks(&[7, 5]),
            &ex,
        )
        .map_err(err)?;
    let back = ndchunk::from_hdf5::<f64>(&h5_out, "/g/y")
        .map_err(err)?
        .compute()
        .map_err(err)?;
    if back != expected {
        return Err("the HDF5 dataset written under Dask differs".into());
    }
    Ok(())
}

fn registered_functions_and_persisted_inputs() -> Outcome {
    let ex = cluster();
    let a = ndchunk::from_array(matrix(16, 5), vec![vec![8, 8], vec![5]]).map_err(err)?;
    let y = a.map_blocks_registered::<f64>("centre").map_err(err)?;
    same("registered map_blocks", &y, &ex)?;
    let p = (&a * 3.0).persist().map_err(err)?;
    same(
        "persisted input",
        &(&p + &a).sum_axis(Axis(1)).map_err(err)?,
        &ex,
    )
}

fn overlaps_and_scans() -> Outcome {
    let ex = cluster();
    let a = ndchunk::from_array(matrix(17, 6), vec![vec![5, 4, 8], vec![3, 3]]).map_err(err)?;
    let smoothed = a
        .map_overlap_registered::<f64>("neighbour_sum", &[1, 0], OverlapBoundary::Reflect, true)
        .map_err(err)?;
    same("registered map_overlap", &smoothed, &ex)?;
    let grown = a.overlap(&[2, 1], OverlapBoundary::Periodic).map_err(err)?;
    same("overlap", &grown, &ex)?;
    same("cumsum", &a.cumsum(Axis(0)).map_err(err)?, &ex)?;
    same("nancumprod", &a.nancumprod(Axis(1)).map_err(err)?, &ex)
}

fn dask_local_starts_its_own_cluster() -> Outcome {
    let a = ndchunk::from_array(matrix(10, 4), vec![vec![5, 5], vec![4]]).map_err(err)?;
    let y = a
        .map_blocks_registered::<f64>("double")
        .map_err(err)?
        .sum_axis(Axis(0))
        .map_err(err)?;
    same("dask_local", &y, &Executor::dask_local(2))
}

fn failing_task_names_task_op_and_stderr() -> Outcome {
    let ex = cluster();
    let a = ndchunk::from_array(matrix(10, 4), vec![vec![5, 5], vec![4]]).map_err(err)?;
    let y = a
        .map_blocks_registered::<f64>("fail_on_negative")
        .map_err(err)?;
    match y.compute_with(&ex) {
        Ok(_) => Err("a failing task gave a result".into()),
        Err(e) => {
            let text = e.to_string();
            println!("    the error reads: {text}");
            for needed in [
                "task",
                "block [",
                "map_blocks[fail_on_negative]",
                "a negative value reached fail_on_negative",
            ] {
                if !text.contains(needed) {
                    return Err(format!("the error does not say {needed:?}: {text}"));
                }
            }
            Ok(())
        }
    }
}

fn closures_are_refused_at_plan_time() -> Outcome {
    // No cluster is needed: the plan is refused before anything starts.
    let ex = Executor::dask("tcp://127.0.0.1:9");
    let a = ndchunk::from_array(matrix(4, 4), [2, 2]).map_err(err)?;
    for (what, result) in [
        ("mapv", a.mapv(|v| v + 1.0).compute_with(&ex)),
        (
            "map_blocks",
            a.map_blocks(|b| b.to_owned()).compute_with(&ex),
        ),
    ] {
        match result {
            Ok(_) => return Err(format!("{what}: a closure ran under Dask")),
            Err(e) if e.to_string().contains("register_fn") => {}
            Err(e) => return Err(format!("{what}: unclear error: {e}")),
        }
    }
    Ok(())
}

fn unreachable_scheduler_and_missing_python_are_errors() -> Outcome {
    let a = ndchunk::from_array(matrix(4, 4), [2, 2]).map_err(err)?;
    let y = &a + 1.0;
    let expect = |ex: Executor, needed: &str| -> Outcome {
        match y.compute_with(&ex) {
            Ok(_) => Err(format!("no error; expected one saying {needed:?}")),
            Err(e) if e.to_string().contains(needed) => Ok(()),
            Err(e) => Err(format!("expected an error saying {needed:?}, got: {e}")),
        }
    };
    // Port 9 (discard) has no scheduler on 127.0.0.1.
    let unreachable = Executor::dask("tcp://127.0.0.1:9");
    expect(
        unreachable,
        "cannot reach the Dask scheduler at tcp://127.0.0.1:9",
    )?;
    let no_python = Executor::dask("tcp://127.0.0.1:9").python("/nonexistent/python3");
    expect(no_python, "cannot start Python /nonexistent/python3")?;
    // The project's Python without its site-packages has no `distributed`.
    let dir = fresh_dir("distributed-bare-python");
    let bare = dir.join("python");
    std::fs::write(
        &bare,
        format!("#!/bin/sh\nexec {} -S \"$@\"\n", python().display()),
    )
    .map_err(|e| e.to_string())?;
    make_executable(&bare)?;
    expect(
        Executor::dask("tcp://127.0.0.1:9").python(&bare),
        "cannot import the `distributed` package",
    )?;
    // A batch system dask-jobqueue has no cluster class for.
    expect(
        Executor::dask_jobqueue(ndchunk::exec::dask::JobQueue::new("slurmm")),
        "cannot start a dask-jobqueue cluster on slurmm: ValueError(\"unknown batch system 'slurmm'",
    )
}

fn make_executable(path: &Path) -> Outcome {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| e.to_string())
}

fn scratch_is_removed_after_success_and_failure() -> Outcome {
    let root = fresh_dir("distributed-scratch");
    let ex = cluster().scratch(&root);
    let a = ndchunk::from_array(matrix(10, 4), vec![vec![5, 5], vec![4]]).map_err(err)?;
    (&a + 1.0).compute_with(&ex).map_err(err)?;
    let left = |when: &str| -> Outcome {
        let entries: Vec<PathBuf> = std::fs::read_dir(&root)
            .map_err(|e| e.to_string())?
            .map(|e| e.map(|e| e.path()).map_err(|e| e.to_string()))
            .collect::<std::result::Result<_, _>>()?;
        if entries.is_empty() {
            Ok(())
        } else {
            Err(format!("scratch left after {when}: {entries:?}"))
        }
    };
    left("success")?;
    let failing = a
        .map_blocks_registered::<f64>("fail_on_negative")
        .map_err(err)?;
    if failing.compute_with(&ex).is_ok() {
        return Err("a failing task gave a result".into());
    }
    left("failure")
}

/// Bytes of the committed results in the `values/` directories under `root`.
fn values_bytes(root: &Path) -> u64 {
    let Ok(runs) = std::fs::read_dir(root) else {
        return 0;
    };
    runs.flatten()
        .filter_map(|run| std::fs::read_dir(run.path().join("values")).ok())
        .flat_map(|values| values.flatten())
        .filter_map(|f| f.metadata().ok())
        .map(|m| m.len())
        .sum()
}

/// The run report of a Dask run: a bar per task on the rows of the two
/// Dask workers' threads, with the stages' names and the bytes each task
/// read and wrote.
/// The Dask tasks the scheduler at `address` has finished so far for
/// ndchunk (keys `ndchunk-...`), from its task prefixes' counts.
fn dask_tasks_done(address: &str) -> Result<u64, String> {
    let script = "import sys\n\
        from distributed import Client\n\
        def done(dask_scheduler):\n    \
            return sum(p.state_counts['memory'] for name, p in \
            dask_scheduler.task_prefixes.items() if name.startswith('ndchunk'))\n\
        with Client(sys.argv[1]) as c:\n    print(c.run_on_scheduler(done))\n";
    let out = Command::new(python())
        .args(["-c", script, address])
        .output()
        .map_err(|e| format!("python: {e}"))?;
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|_| {
            format!(
                "the scheduler's count: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
}

/// A sum over 2000 chunks of 4 elements: 2000 partial tasks and a combine
/// tree, each a few bytes. They run in batches, a few per worker thread per
/// stage, not a Dask task each, and the result is the local executor's.
fn tiny_tasks_share_dask_tasks() -> Outcome {
    let ex = cluster();
    let address = CLUSTER.get().map(|c| c.address.clone()).unwrap_or_default();
    let x = ndchunk::arange::<f64>(0.0, 8000.0, 1.0, [4]).map_err(err)?;
    let total = (x * 3.0 + 1.0).sum().map_err(err)?;
    let tasks = total.plan().map_err(err)?.tasks.len() as u64;
    let before = dask_tasks_done(&address)?;
    same("sum of 2000 small chunks", &total, &ex)?;
    let ran = dask_tasks_done(&address)? - before;
    println!("    {tasks} ndchunk tasks ran as {ran} Dask tasks");
    if ran == 0 || ran * 10 > tasks {
        return Err(format!(
            "{tasks} tiny tasks ran as {ran} Dask tasks, not in batches"
        ));
    }
    Ok(())
}

fn dask_run_report_has_a_row_per_worker_thread() -> Outcome {
    let path = fresh_dir("distributed-report").join("run.html");
    let ex = cluster().report(&path);
    let x = ndchunk::random::uniform::<f64>(&[64, 1000], [8, 1000], 3).map_err(err)?;
    let y = x.map_blocks_registered::<f64>("double").map_err(err)?;
    let got = y.sum().map_err(err)?.compute_with(&ex).map_err(err)?;
    if got != y.sum().map_err(err)?.compute().map_err(err)? {
        return Err("the Dask and local results differ".into());
    }
    let html = std::fs::read_to_string(&path).map_err(|e| format!("no report at {path:?}: {e}"))?;
    let rows: std::collections::BTreeSet<&str> = html
        .match_indices("tcp://127.0.0.1:")
        .map(|(i, _)| html[i..].split(" thread").next().unwrap_or(""))
        .collect();
    for wanted in ["double", "sum", "KiB · wrote", "\"type\":\"bar\""] {
        if !html.contains(wanted) {
            return Err(format!("the report lacks {wanted:?}"));
        }
    }
    if rows.len() != 2 {
        return Err(format!(
            "the report's rows are {rows:?}, not the two workers"
        ));
    }
    Ok(())
}

/// Runs `x`'s plan task by task as the Dask workers do, each task reading
/// its stage afresh from a scratch directory (no cache); returns the result
/// and the side-file bytes each task read.
fn run_from_scratch(x: &Array<f32>) -> Result<(Vec<f32>, Vec<u64>), String> {
    use ndchunk::exec::{dask::Scratch, eval::run_task, Value};
    use ndchunk::ship::side::bytes_read;
    let plan = x.plan().map_err(err)?;
    let scratch = Scratch::create(&std::env::temp_dir()).map_err(err)?;
    scratch.write_stages(&plan.stages).map_err(err)?;
    let worker = Scratch::open(scratch.path());
    let mut values: Vec<Option<std::sync::Arc<Value>>> = vec![None; plan.tasks.len()];
    let mut read = Vec::with_capacity(plan.tasks.len());
    for (id, task) in plan.tasks.iter().enumerate() {
        let before = bytes_read();
        let stage = worker.read_stage(task.stage).map_err(err)?;
        let inputs = task
            .deps
            .iter()
            .map(|&d| values[d].clone().ok_or("a task ran before its input"))
            .collect::<Result<Vec<_>, _>>()?;
        let value = run_task(&stage, task, inputs, &mut None).map_err(err)?;
        values[id] = Some(std::sync::Arc::new(value));
        read.push(bytes_read() - before);
    }
    let mut result = Vec::new();
    for &o in &plan.outputs {
        match values[o].as_deref() {
            Some(Value::Block(ndchunk::DynArray::F32(b))) => result.extend(b.iter().copied()),
            _ => return Err(format!("output task {o} gave no f32 block")),
        }
    }
    Ok((result, read))
}

/// In-memory inputs and index lists travel beside the stage files
/// (`data.bin`), and each task reads only its part: a block-local task its
/// block of the input, a gather its own index positions (a page of slack)
/// and the rows it gathers, which for these spread indices are all of X.
fn tasks_read_their_part_of_the_stage_data() -> Outcome {
    let (n, d, k, chunk) = (100_000usize, 8usize, 40usize, 10_000usize);
    let points = ndarray::Array2::from_shape_fn((n, d), |(i, j)| ((i * 31 + j * 7) % 97) as f32);
    let knn =
        ndarray::Array2::from_shape_fn((n, k), |(i, j)| ((i * 7919 + j * 104_729) % n) as i64);
    let (x_bytes, index_bytes) = ((n * d * 4) as u64, (n * k * 8) as u64);
    let x = ndchunk::from_array(points, [chunk, d]).map_err(err)?;

    let sums = x.sum_axis(Axis(1)).map_err(err)?;
    let (result, read) = run_from_scratch(&sums)?;
    if result != sums.compute().map_err(err)?.into_raw_vec_and_offset().0 {
        return Err("block-local sums differ from the local executor's".into());
    }
    let block = x_bytes / (n / chunk) as u64;
    if read.iter().any(|&r| r > block) || read.iter().sum::<u64>() != x_bytes {
        return Err(format!(
            "block-local tasks read {read:?}, not one block ({block} B) each"
        ));
    }

    let gathered = x.vindex(&[knn.into_dyn()]).map_err(err)?;
    let own = x.insert_axis(Axis(1)).map_err(err)?;
    let d2 = (&gathered - &own)
        .powi(2)
        .sum_axis(Axis(2))
        .and_then(|s| s.mean_axis(Axis(1)))
        .map_err(err)?;
    let (result, read) = run_from_scratch(&d2)?;
    if result != d2.compute().map_err(err)?.into_raw_vec_and_offset().0 {
        return Err("gathered distances differ from the local executor's".into());
    }
    let part = x_bytes + index_bytes / (n / chunk) as u64 + ndchunk::ship::side::PAGE_BYTES as u64;
    let most = read.iter().copied().max().unwrap_or(0);
    println!(
        "    plan data: X {x_bytes} B, index {index_bytes} B; most a gather task read: {most} B"
    );
    if most > part || most >= (x_bytes + index_bytes) / 2 {
        return Err(format!(
            "a gather task read {most} bytes; its part is at most {part}"
        ));
    }
    Ok(())
}

/// Results are deleted once their consumers are done: a chain of 10 block maps
/// over 16 blocks of 1 MiB writes 160 MiB of results, but the scratch
/// directory never holds more than twice one map's results (the working set:
/// a block map's inputs and outputs).
fn scratch_holds_the_working_set_not_every_result() -> Outcome {
    let root = fresh_dir("distributed-working-set");
    let ex = cluster().scratch(&root);
    let block = 1 << 17; // f64: 1 MiB
    let mut y = ndchunk::random::uniform::<f64>(&[16 * block], [block], 4).map_err(err)?;
    for _ in 0..10 {
        y = y.map_blocks_registered::<f64>("double").map_err(err)?;
    }
    let total = y.sum().map_err(err)?;
    let plan = total.plan().map_err(err)?;
    let written: u64 = plan.tasks.iter().map(|t| t.out_bytes).sum();
    let working_set = 16 * (block as u64 * 8);
    if written < 10 * working_set {
        return Err(format!(
            "the run writes {written} bytes of results, not 10x the working set {working_set}"
        ));
    }
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let (done, root) = (done.clone(), root.clone());
        std::thread::spawn(move || {
            let mut peak = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                peak = peak.max(values_bytes(&root));
                std::thread::sleep(Duration::from_millis(2));
            }
            peak
        })
    };
    let got = total.compute_with(&ex).map_err(err);
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let peak = watcher.join().map_err(|_| "watcher panicked")?;
    if got? != total.compute().map_err(err)? {
        return Err("the chained block maps differ from the local executor".into());
    }
    println!(
        "    scratch peak {:.1} MiB; results written {:.1} MiB; working set {:.1} MiB",
        peak as f64 / 1048576.0,
        written as f64 / 1048576.0,
        working_set as f64 / 1048576.0
    );
    if peak >= 2 * working_set {
        return Err(format!(
            "the scratch directory held {peak} bytes, over twice the working set {working_set}"
        ));
    }
    Ok(())
}

/// A scheduler and 2 workers as separate processes; one worker is killed while
/// tasks run.
fn killing_a_worker_mid_run_keeps_the_result_correct() -> Outcome {
    let dir = fresh_dir("distributed-kill");
    let dask = python().with_file_name("dask");
    let file = dir.join("scheduler.json");
    let quiet = |c: &mut Command| {
        c.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
    };
    let mut scheduler = Command::new(&dask);
    scheduler.args([
        "scheduler",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--no-dashboard",
        "--scheduler-file",
    ]);
    scheduler.arg(&file);
    quiet(&mut scheduler);
    let mut procs = Processes(vec![scheduler
        .spawn()
        .map_err(|e| format!("dask scheduler: {e}"))?]);
    let deadline = Instant::now() + Duration::from_secs(60);
    let address = loop {
        if let Some(a) = std::fs::read_to_string(&file)
            .ok()
            .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
            .and_then(|v| v["address"].as_str().map(String::from))
        {
            break a;
        }
        if Instant::now() > deadline {
            return Err("the scheduler did not start".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    for _ in 0..2 {
        let mut worker = Command::new(&dask);
        worker.args([
            "worker",
            "--nthreads",
            "1",
            "--no-nanny",
            "--no-dashboard",
            "--host",
            "127.0.0.1",
        ]);
        worker.arg(&address);
        quiet(&mut worker);
        procs
            .0
            .push(worker.spawn().map_err(|e| format!("dask worker: {e}"))?);
    }
    // 24 blocks of 150 ms each: about 2 s on 2 workers; one is killed after 1 s.
    let a = ndchunk::from_array(matrix(48, 6), vec![vec![2; 24], vec![6]]).map_err(err)?;
    let y = a
        .map_blocks_registered::<f64>("slow_double")
        .map_err(err)?
        .sum_axis(Axis(1))
        .map_err(err)?;
    let expected = y.compute().map_err(err)?;
    let victim = procs.0[1].id();
    let killer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1000));
        Command::new("kill")
            .args(["-9", &victim.to_string()])
            .status()
    });
    let got = y.compute_with(&Executor::dask(&address)).map_err(err);
    killer
        .join()
        .map_err(|_| "killer thread panicked".to_string())?
        .map_err(|e| format!("kill: {e}"))?;
    let killed = procs.0[1].try_wait().map_err(|e| e.to_string())?.is_some();
    if !killed {
        return Err("the worker was not killed during the run".into());
    }
    if got? != expected {
        return Err("the result after losing a worker differs".into());
    }
    Ok(())
}

/// Child processes killed when dropped.
struct Processes(Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for p in &mut self.0 {
            let _ = p.kill();
            let _ = p.wait();
        }
    }
}

//! A writer killed mid-write (SIGKILL) leaves nothing any reader opens as an
//! array: not at the target (absent, or the old version under `overwrite`),
//! and not beside it. The next write to the same target removes the leftovers.
//!
//! The writer is this test binary run again as a child (`writer_child`, which
//! does nothing unless `NDCHUNK_CRASH_CHILD` names what to write); its blocks
//! are slowed down so that the kill lands between chunks.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ndchunk::prelude::*;

const CHILD_ENV: &str = "NDCHUNK_CRASH_CHILD";

/// The array the child writes: 64 blocks of 256 f64, 40 ms each.
fn slow_array() -> ndchunk::Array<f64> {
    ndchunk::arange::<f64>(0.0, 16384.0, 1.0, [256])
        .unwrap()
        .map_blocks(|b| {
            std::thread::sleep(Duration::from_millis(40));
            b.to_owned()
        })
}

#[test]
fn writer_child() {
    let Ok(what) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (kind, target) = what.split_once(':').unwrap();
    let ex = Executor::local().threads(1).progress(false);
    match kind {
        "zarr" => slow_array()
            .to_zarr_with(target, ndchunk::ZarrOptions::default().overwrite(true), &ex)
            .unwrap(),
        _ => slow_array()
            .to_hdf5_with(
                target,
                "/data",
                ndchunk::Hdf5Options::default().overwrite(true),
                &ex,
            )
            .unwrap(),
    }
    unreachable!("the parent kills the writer before it finishes");
}

/// Entries of `dir` other than `keep`.
fn leftovers(dir: &Path, keep: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p != keep)
        .collect()
}

/// Starts the child writing `kind` to `target`, waits until `started` says
/// it is under way, and kills it.
fn kill_mid_write(kind: &str, target: &Path, mut started: impl FnMut(&[PathBuf]) -> bool) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["writer_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, format!("{kind}:{}", target.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let dir = target.parent().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !started(&leftovers(dir, target)) {
        assert!(Instant::now() < deadline, "the writer never started");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the writer ended early"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
}

/// Zarr chunk files under `dir` (v3 default keys: `c/...`).
fn chunk_files(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("c"))
        .map(|d| d.count())
        .unwrap_or(0)
}

/// True if the project's Python runs `code` (with the path as `sys.argv[1]`)
/// without an error.
fn python_succeeds(code: &str, path: &Path) -> bool {
    Command::new(common::python())
        .args(["-c", code])
        .arg(path)
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success()
}

/// True if zarr-python opens `path` as an array.
fn zarr_python_opens(path: &Path) -> bool {
    python_succeeds(
        "import sys, zarr; zarr.open_array(sys.argv[1], mode='r')",
        path,
    )
}

#[test]
fn a_killed_zarr_write_leaves_nothing_openable_and_is_cleaned_up() {
    let dir = common::fresh_dir("crash_zarr");
    let target = dir.join("big.zarr");
    // No earlier version: after the kill, no target and no openable partial.
    kill_mid_write("zarr", &target, |others| {
        others.iter().any(|p| chunk_files(p) >= 3)
    });
    assert!(!target.exists());
    let partials = leftovers(&dir, &target);
    assert_eq!(partials.len(), 1, "{partials:?}");
    let partial = &partials[0];
    assert!(chunk_files(partial) >= 3, "the kill landed mid-write");
    assert!(!partial.join("zarr.json").exists());
    assert!(ndchunk::from_zarr::<f64>(partial).is_err());
    assert!(!zarr_python_opens(partial));

    // An old version under overwrite: still whole after a second kill.
    let old = ndchunk::full(&[8], 7.0f64, [4]).unwrap();
    old.to_zarr(&target, ndchunk::ZarrOptions::default().overwrite(true))
        .unwrap();
    assert!(
        leftovers(&dir, &target).is_empty(),
        "the dead writer's partial is removed"
    );
    kill_mid_write("zarr", &target, |others| {
        others.iter().any(|p| chunk_files(p) >= 3)
    });
    assert_eq!(
        ndchunk::from_zarr::<f64>(&target)
            .unwrap()
            .compute()
            .unwrap(),
        old.compute().unwrap()
    );
    assert!(zarr_python_opens(&target));
    for p in leftovers(&dir, &target) {
        assert!(!zarr_python_opens(&p), "{p:?} opens as an array");
    }

    // The next write replaces the target and removes what the kill left.
    let new = ndchunk::full(&[8], 9.0f64, [4]).unwrap();
    new.to_zarr(&target, ndchunk::ZarrOptions::default().overwrite(true))
        .unwrap();
    assert_eq!(
        ndchunk::from_zarr::<f64>(&target)
            .unwrap()
            .compute()
            .unwrap(),
        new.compute().unwrap()
    );
    assert!(leftovers(&dir, &target).is_empty());
}

/// True if h5py finds dataset `/data` in `path`.
fn h5py_finds_data(path: &Path) -> bool {
    python_succeeds(
        "import sys, h5py; h5py.File(sys.argv[1], 'r')['data']",
        path,
    )
}

#[test]
fn a_killed_hdf5_write_leaves_no_dataset_and_is_cleaned_up() {
    let dir = common::fresh_dir("crash_hdf5");
    let target = dir.join("big.h5");
    let old = ndchunk::full(&[8], 7.0f64, [4]).unwrap();
    old.to_hdf5(&target, "/data", ndchunk::Hdf5Options::default())
        .unwrap();
    // HDF5 caches chunks until the end, so "under way" is: the partial file
    // exists and a dozen of the 64 slow blocks have had time to run.
    let mut seen: Option<Instant> = None;
    kill_mid_write("hdf5", &target, |others| {
        if others.is_empty() {
            return false;
        }
        seen.get_or_insert_with(Instant::now).elapsed() > Duration::from_millis(500)
    });
    assert_eq!(
        ndchunk::from_hdf5::<f64>(&target, "/data")
            .unwrap()
            .compute()
            .unwrap(),
        old.compute().unwrap()
    );
    let partials = leftovers(&dir, &target);
    assert_eq!(partials.len(), 1, "{partials:?}");
    assert!(ndchunk::from_hdf5::<f64>(&partials[0], "/data").is_err());
    assert!(!h5py_finds_data(&partials[0]));

    let new = ndchunk::full(&[8], 9.0f64, [4]).unwrap();
    new.to_hdf5(
        &target,
        "/data",
        ndchunk::Hdf5Options::default().overwrite(true),
    )
    .unwrap();
    assert_eq!(
        ndchunk::from_hdf5::<f64>(&target, "/data")
            .unwrap()
            .compute()
            .unwrap(),
        new.compute().unwrap()
    );
    assert!(leftovers(&dir, &target).is_empty());
}

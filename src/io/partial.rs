//! Writing a target so that no reader ever sees it half-written.
//!
//! A target (a Zarr directory, an HDF5 file) is written under a temporary
//! sibling name, `.NAME.ndchunk-PID-N.partial`, and given its real name only
//! when complete. Writers also make the partial itself unopenable until then
//! (Zarr's metadata is written last, HDF5's dataset is linked under its name
//! last), so a writer killed mid-write leaves nothing that looks like an array.
//! The next write to the same target removes what dead writers left.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};

/// The fresh temporary path, beside `target`, that a write of `target` goes to.
/// Partials of `target` left by processes that are no longer running are
/// removed first.
pub(crate) fn partial_path(target: &Path) -> Result<PathBuf> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let (parent, name) = parent_and_name(target)?;
    remove_stale(&parent, &name);
    Ok(parent.join(format!(
        "{}{}-{}.partial",
        prefix(&name),
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )))
}

/// Gives the complete `temp` the name `target`, replacing what was there in
/// one step (`renameat2(RENAME_EXCHANGE)`, then the old version, now at
/// `temp`, is removed), so `target` is at every moment either the old version
/// or the new one. Where the filesystem cannot exchange, the old version is
/// renamed away first, leaving a moment with no target but never a partial one.
pub(crate) fn replace(temp: &Path, target: &Path) -> Result<()> {
    let fail = |e: std::io::Error| Error::storage(target, format!("cannot move into place: {e}"));
    if std::fs::symlink_metadata(target).is_err() {
        return std::fs::rename(temp, target).map_err(fail);
    }
    match exchange(temp, target) {
        Ok(()) => remove(temp).map_err(fail),
        Err(_) => {
            let old = temp.with_extension("replaced");
            std::fs::rename(target, &old).map_err(fail)?;
            std::fs::rename(temp, target).map_err(fail)?;
            remove(&old).map_err(fail)
        }
    }
}

/// Removes a partial or replaced target, file or directory; for a Zarr
/// directory its metadata goes first, so it stops being openable at once.
pub(crate) fn remove(path: &Path) -> std::io::Result<()> {
    let meta = std::fs::symlink_metadata(path)?;
    if !meta.is_dir() {
        return std::fs::remove_file(path);
    }
    for key in ["zarr.json", ".zarray", ".zgroup", ".zattrs"] {
        let _ = std::fs::remove_file(path.join(key));
    }
    std::fs::remove_dir_all(path)
}

fn parent_and_name(target: &Path) -> Result<(PathBuf, String)> {
    let name = target
        .file_name()
        .ok_or_else(|| Error::storage(target, "the target has no file name"))?
        .to_string_lossy()
        .into_owned();
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((parent, name))
}

/// What every temporary name of target `name` starts with; the writer's PID follows.
fn prefix(name: &str) -> String {
    format!(".{name}.ndchunk-")
}

/// Removes the partial and replaced copies of target `name` in `dir` whose
/// writer is no longer running. Best effort: what cannot be removed stays.
fn remove_stale(dir: &Path, name: &str) {
    let prefix = prefix(name);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = file_name.strip_prefix(&prefix) else {
            continue;
        };
        let Some(stem) = rest
            .strip_suffix(".partial")
            .or_else(|| rest.strip_suffix(".replaced"))
        else {
            continue;
        };
        // `PID-N`, or `PID` alone (the HDF5 names of earlier versions).
        let pid = stem.split('-').next().and_then(|p| p.parse::<u32>().ok());
        if pid.is_some_and(|pid| pid != std::process::id() && !is_running(pid)) {
            let _ = remove(&entry.path());
        }
    }
}

/// True when process `pid` exists (signal 0 only checks).
fn is_running(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: kill with signal 0 sends nothing; it only reports whether the
    // process exists (EPERM: it does, owned by someone else).
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Swaps `a` and `b` atomically.
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    let c = |p: &Path| {
        CString::new(p.as_os_str().as_bytes())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))
    };
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: both are valid NUL-terminated paths, relative to the working directory.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("ndchunk-partial-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn stale_partials_of_dead_writers_are_removed_and_live_ones_kept() {
        let d = dir("stale");
        let target = d.join("a.zarr");
        // PID 2^22 + 1 is above Linux's pid_max limit (2^22), so never running.
        let dead = d.join(".a.zarr.ndchunk-4194305-0.partial");
        let dead_file = d.join(".a.zarr.ndchunk-4194305.partial");
        let replaced = d.join(".a.zarr.ndchunk-4194305-3.replaced");
        let live = d.join(format!(".a.zarr.ndchunk-{}-9.partial", std::process::id()));
        let other = d.join(".b.zarr.ndchunk-4194305-0.partial");
        for p in [&dead, &replaced, &live, &other] {
            std::fs::create_dir_all(p).unwrap();
            std::fs::write(p.join("zarr.json"), "{}").unwrap();
        }
        std::fs::write(&dead_file, "hdf5").unwrap();
        let fresh = partial_path(&target).unwrap();
        assert!(!dead.exists() && !dead_file.exists() && !replaced.exists());
        assert!(live.exists(), "this process's own partial is kept");
        assert!(other.exists(), "another target's partial is kept");
        assert!(fresh
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(".a.zarr.ndchunk-"));
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn replace_swaps_in_the_new_version() {
        let d = dir("replace");
        let target = d.join("t");
        std::fs::create_dir_all(&target).unwrap();
        std::fs::write(target.join("v"), "old").unwrap();
        let temp = partial_path(&target).unwrap();
        std::fs::create_dir_all(&temp).unwrap();
        std::fs::write(temp.join("v"), "new").unwrap();
        replace(&temp, &target).unwrap();
        assert_eq!(std::fs::read_to_string(target.join("v")).unwrap(), "new");
        assert!(!temp.exists());
        assert_eq!(std::fs::read_dir(&d).unwrap().count(), 1);
        std::fs::remove_dir_all(&d).unwrap();
    }
}

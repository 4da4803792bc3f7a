//! glibc malloc settings for block-sized buffers.
//!
//! Decoded chunks, blocks and reduction inputs are allocated and freed by the
//! million-byte. With glibc's defaults, each one is mapped fresh (or its heap is
//! trimmed on free) and every page is faulted in again: reading a 1.6 GB Zarr
//! array spent 6 s of system time on this for 0.6 s of work. Raising the mmap
//! threshold to glibc's largest (32 MiB) and the trim threshold to 256 MiB keeps
//! such buffers in the allocator for reuse. The settings are process-wide; they
//! are applied once, when the local executor first runs, unless
//! `NDCHUNK_MALLOC_TUNING=0`.
//!
//! Kept memory counts against the memory limit like any other: glibc keeps
//! freed buffers in its arenas (fragmented between live ones, not only at the
//! top), so a run whose held results stay under the limit could still be
//! resident far over it. Tasks may hold all but a sixteenth of the limit, and
//! in a run that may come near it [`Retention`] gives the freed pages back
//! before a task starts whenever resident memory plus what the running tasks
//! may yet allocate would come within that sixteenth of the limit, and at
//! the run's end. `NDCHUNK_MALLOC_TUNING=0` leaves glibc's thresholds alone but
//! not this: it is part of keeping the limit.

use std::sync::Once;

/// Environment variable that turns the tuning off with `0`.
pub const MALLOC_TUNING_ENV: &str = "NDCHUNK_MALLOC_TUNING";

/// Applies the settings once per process (glibc only; a no-op elsewhere).
pub fn tune_once() {
    static TUNED: Once = Once::new();
    TUNED.call_once(|| {
        if std::env::var(MALLOC_TUNING_ENV).is_ok_and(|v| v == "0") {
            return;
        }
        apply();
    });
}

/// Keeps the memory the allocator holds freed from pushing the process
/// over a run's memory limit.
pub(crate) struct Retention {
    /// Resident bytes when the run started: the program's own.
    baseline: u64,
    /// The run's memory limit.
    limit: u64,
    /// Whether the run may come near the limit, so that resident memory is
    /// looked at before each task.
    watch: bool,
}

impl Retention {
    /// For a run under `limit` bytes whose plan may hold `estimated_peak`
    /// bytes at once: watched when that is over a quarter of the limit. An
    /// unwatched run never looks at resident memory.
    pub fn new(limit: u64, estimated_peak: u64) -> Retention {
        let watch = estimated_peak > limit / 4;
        Retention {
            baseline: if watch {
                resident_bytes().unwrap_or(0)
            } else {
                0
            },
            limit,
            watch,
        }
    }

    /// The part of the limit that tasks may not hold: a sixteenth, for what
    /// the allocator keeps and for fragments it cannot give back.
    pub fn reserve(&self) -> u64 {
        self.limit / 16
    }

    /// Before a task starts, with the running tasks' estimates (its own
    /// included) at `running` bytes, what they may yet allocate: in a
    /// watched run, returns the allocator's free pages to the system if
    /// resident memory plus `running` would come within the reserve of the
    /// limit.
    pub fn make_room(&self, running: u64) {
        if self.watch {
            self.trim_above((self.limit - self.reserve()).saturating_sub(running));
        }
    }

    /// At the end of a watched run: returns the free pages to the system when
    /// resident memory grew by more than the reserve (the outputs kept for
    /// the caller count too, so the trim may give back little), so that the
    /// next run starts from the program's own memory.
    pub fn finish(&self) {
        if self.watch {
            self.trim_above(self.reserve());
        }
    }

    /// Trims when resident memory exceeds the baseline by `run_bytes`.
    fn trim_above(&self, run_bytes: u64) {
        let over = |rss: u64| rss > self.baseline.saturating_add(run_bytes);
        if resident_bytes().is_some_and(over) {
            release_free_pages();
        }
    }
}

/// The process's resident set in bytes (`/proc/self/statm`), where known.
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * page_size())
}

#[cfg(unix)]
fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(size).unwrap_or(4096)
}

#[cfg(not(unix))]
fn page_size() -> u64 {
    4096
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn release_free_pages() {
    // SAFETY: malloc_trim only returns free pages of every arena to the
    // system; it takes the arenas' own locks.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release_free_pages() {}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn apply() {
    // SAFETY: mallopt only changes allocator thresholds; glibc rejects values
    // out of range by returning 0, which leaves the defaults in place.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn apply() {}

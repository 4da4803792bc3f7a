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

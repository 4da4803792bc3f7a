//! A rechunk through an intermediate on disk, as the rechunker package does
//! when a rechunk's block columns exceed memory: a first stage writes each
//! input block to a file of its own (C-order bytes), a second assembles each
//! output block from the parts of the files it overlaps, read in place
//! (`pread`), so neither stage holds more than a block. Between them, one
//! task waits for every write, so the graph has a dependency per block, not
//! one per (input, output) pair (an all-to-all rechunk of 1024 by 512 blocks
//! would otherwise carry half a million). An in-memory rechunk
//! would hold, for each output block, every input block it overlaps (all of
//! the array, for an all-to-all rechunk) until that block is done.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::chunks::Chunks;
use crate::grid::{box_indices, overlapping_blocks};

/// Which half of a disk rechunk a stage is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DiskPhase {
    /// One task per input block: writes it to its file.
    Write,
    /// One task, done when every file is written.
    Barrier,
    /// One task per output block: reads it from the files it overlaps.
    Read,
}

/// One stage of a rechunk through disk.
#[derive(Debug, Serialize, Deserialize)]
pub struct DiskRechunkStage {
    /// Write or read.
    pub phase: DiskPhase,
    /// Where the input blocks' files are.
    pub dir: Arc<IntermediateDir>,
    /// The input's chunks (the files').
    pub from: Chunks,
    /// The output's chunks.
    pub to: Chunks,
    /// The stage read: the input's (write), the write stage (barrier) or the
    /// barrier (read).
    pub input: usize,
}

/// The directory of a disk rechunk's files: made by its first writer, and
/// removed with its contents when the plan that made it is dropped.
#[derive(Debug, Serialize, Deserialize)]
pub struct IntermediateDir {
    /// The directory.
    pub path: PathBuf,
    /// True for the plan's own copy (a copy read from bytes, in a worker,
    /// leaves the directory alone).
    #[serde(skip)]
    owned: bool,
}

impl IntermediateDir {
    /// A new directory name under `parent` (not made yet).
    pub fn new(parent: &Path) -> IntermediateDir {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let path = parent.join(format!(
            "ndchunk-rechunk-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        IntermediateDir { path, owned: true }
    }

    /// The file of input block `block`.
    pub fn file(&self, from: &Chunks, block: &[usize]) -> PathBuf {
        self.path.join(format!("{}.raw", from.ravel(block)))
    }
}

impl Drop for IntermediateDir {
    fn drop(&mut self) {
        if self.owned {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

impl DiskRechunkStage {
    /// The input blocks output block `block` overlaps.
    pub fn overlapped(&self, block: &[usize]) -> Vec<Vec<usize>> {
        let ranges: Vec<_> = self
            .to
            .block_ranges(block)
            .iter()
            .enumerate()
            .map(|(axis, r)| overlapping_blocks(self.from.offsets(axis), r.start, r.end))
            .collect();
        box_indices(&ranges)
    }

    /// The (stage, block) pairs the task at `block` reads: its input block
    /// (write), every write task (barrier), or the barrier (read). Results
    /// other than the read's are only markers that files are complete.
    pub fn reads(&self, block: &[usize]) -> Vec<(usize, Vec<usize>)> {
        match self.phase {
            DiskPhase::Write => vec![(self.input, block.to_vec())],
            DiskPhase::Barrier => self.from.block_indices().map(|b| (self.input, b)).collect(),
            DiskPhase::Read => vec![(self.input, vec![0; self.to.ndim()])],
        }
    }

    /// The stage's grid.
    pub fn grid(&self) -> Vec<usize> {
        match self.phase {
            DiskPhase::Write => self.from.numblocks(),
            DiskPhase::Barrier => vec![1; self.from.ndim()],
            DiskPhase::Read => self.to.numblocks(),
        }
    }
}

/// True when a rechunk from `from` to `to` should go through disk under a
/// memory limit of `limit` bytes: some output block overlaps input blocks
/// (its block column) of more than the limit together.
///
/// ```
/// use ndchunk::Chunks;
/// use ndchunk::plan::disk::needs_disk;
/// let from = Chunks::regular(&[4096, 8192], &[4096, 8])?;
/// let to = Chunks::regular(&[4096, 8192], &[8, 8192])?;
/// // Each row strip needs every column strip: 256 MiB of f64.
/// assert!(needs_disk(&from, &to, 8, 64 << 20));
/// assert!(!needs_disk(&from, &to, 8, 1 << 30));
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn needs_disk(from: &Chunks, to: &Chunks, itemsize: usize, limit: u64) -> bool {
    let direct = crate::plan::rechunk::direct_task_elements(from, to);
    let out: u64 = (0..to.ndim())
        .map(|axis| to.lens(axis).iter().copied().max().unwrap_or(0) as u64)
        .product();
    (direct - out).saturating_mul(itemsize as u64) > limit
}

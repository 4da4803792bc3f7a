//! The scratch directory of one distributed run: stage files, the task graph,
//! the Python driver and the tasks' committed results.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::exec::Value;
use crate::plan::Stage;
use crate::ship::side::SideFile;
use crate::ship::{from_bytes, to_bytes};

/// A scratch directory: made (and removed when dropped) by the driver, opened
/// by workers.
///
/// ```
/// use ndchunk::exec::dask::Scratch;
/// let root = std::env::temp_dir();
/// let scratch = Scratch::create(&root)?;
/// let dir = scratch.path().to_path_buf();
/// let worker = Scratch::open(&dir);
/// worker.write_value(3, &ndchunk::exec::Value::Written)?;
/// assert!(worker.has_value(3));
/// drop(scratch);
/// assert!(!dir.exists());
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub struct Scratch {
    path: PathBuf,
    run_id: String,
    owned: bool,
}

/// An I/O failure on `path` while doing `what`, as an executor error.
pub(super) fn io_error(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::Executor(format!("{what} {}: {e}", path.display()))
}

impl Scratch {
    /// Makes a new scratch directory under `root`.
    pub fn create(root: &Path) -> Result<Scratch> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let run_id = format!(
            "{}-{}-{nanos:08x}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = root.join(format!("ndchunk-dask-{run_id}"));
        for dir in [path.join("stages"), path.join("values")] {
            fs::create_dir_all(&dir).map_err(|e| io_error("cannot make", &dir, e))?;
        }
        Ok(Scratch {
            path,
            run_id,
            owned: true,
        })
    }

    /// A worker's view of the scratch directory at `path` (not removed on drop).
    pub fn open(path: &Path) -> Scratch {
        Scratch {
            path: path.to_path_buf(),
            run_id: String::new(),
            owned: false,
        }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A token unique to this run (Dask keys include it).
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    fn stage_path(&self, s: usize) -> PathBuf {
        self.path.join("stages").join(format!("{s}.bin"))
    }

    fn value_path(&self, t: usize) -> PathBuf {
        self.path.join("values").join(format!("{t}.bin"))
    }

    /// Writes stage `s`, with its data inline.
    pub fn write_stage(&self, s: usize, stage: &Stage) -> Result<()> {
        let path = self.stage_path(s);
        fs::write(&path, to_bytes(stage)?).map_err(|e| io_error("cannot write", &path, e))
    }

    /// Writes every stage, their in-memory arrays, index lists and orders
    /// going to one data file beside them (`data.bin`, each value once):
    /// a worker then reads the part of them its task touches, not all of
    /// them (see [`crate::ship::side`]).
    pub fn write_stages(&self, stages: &[Stage]) -> Result<()> {
        let mut side = SideFile::create(&self.path.join("data.bin"))?;
        for (s, stage) in stages.iter().enumerate() {
            let (written, back) = side.scope(|| self.write_stage(s, stage));
            written?;
            side = back;
        }
        Ok(())
    }

    /// Reads stage `s`.
    pub fn read_stage(&self, s: usize) -> Result<Stage> {
        let path = self.stage_path(s);
        let bytes = fs::read(&path).map_err(|e| io_error("cannot read", &path, e))?;
        from_bytes(&bytes, &format!("stage file {}", path.display()))
    }

    /// Writes the task graph the Python driver runs (`graph.json`).
    pub fn write_graph(&self, graph: &impl Serialize) -> Result<()> {
        let path = self.path.join("graph.json");
        let json = serde_json::to_vec(graph)
            .map_err(|e| Error::Executor(format!("cannot serialise the task graph: {e}")))?;
        fs::write(&path, json).map_err(|e| io_error("cannot write", &path, e))
    }

    /// True when task `t`'s result is committed.
    pub fn has_value(&self, t: usize) -> bool {
        self.value_path(t).is_file()
    }

    /// Commits task `t`'s result: written to a temporary file, then renamed, so
    /// a reader never sees a partial result. Returns the file's size.
    pub fn write_value(&self, t: usize, value: &Value) -> Result<u64> {
        let path = self.value_path(t);
        let tmp = self
            .path
            .join("values")
            .join(format!(".{t}.{}.partial", std::process::id()));
        let bytes = to_bytes(value)?;
        fs::write(&tmp, &bytes).map_err(|e| io_error("cannot write", &tmp, e))?;
        fs::rename(&tmp, &path).map_err(|e| io_error("cannot commit", &path, e))?;
        Ok(bytes.len() as u64)
    }

    /// Reads task `t`'s committed result.
    pub fn read_value(&self, t: usize) -> Result<Value> {
        self.read_value_counted(t).map(|(value, _)| value)
    }

    /// Reads task `t`'s committed result, and the size of its file.
    pub fn read_value_counted(&self, t: usize) -> Result<(Value, u64)> {
        let path = self.value_path(t);
        let bytes = fs::read(&path).map_err(|e| io_error("cannot read the result", &path, e))?;
        let value = from_bytes(&bytes, &format!("result file {}", path.display()))?;
        Ok((value, bytes.len() as u64))
    }
}

/// Environment variable: `1` keeps scratch directories after the run, for
/// inspecting the stage files and results (and re-running a task by hand).
pub const KEEP_SCRATCH_ENV: &str = "NDCHUNK_KEEP_SCRATCH";

impl Drop for Scratch {
    fn drop(&mut self) {
        let keep = std::env::var(KEEP_SCRATCH_ENV).is_ok_and(|v| v == "1");
        if self.owned && !keep {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

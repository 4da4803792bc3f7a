//! The local executor's spill directory: held results written to disk
//! (zstd-compressed) when keeping them would exceed the memory
//! limit, read back by their consumers and deleted after their last one.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use std::borrow::Cow;
use std::fs::File;
use std::io::{Read, Write};

use serde::{Deserialize, Serialize};

use crate::element::DType;
use crate::error::{Error, Result};
use crate::exec::Value;
use crate::ship::{c_order_bytes, from_bytes, read_c_order, to_bytes};

/// What a spill file holds, before its compressed body.
#[derive(Serialize, Deserialize)]
enum SpillHeader {
    /// A block's C-order bytes.
    Block(DType, Vec<usize>),
    /// Any other result, as postcard.
    Other,
}

/// zstd's level for spilled results: its fastest regular level, since a
/// spill is on the compute's critical path.
const LEVEL: i32 = 1;

/// One run's spill directory, made at the first spill and removed (with
/// anything left in it) when dropped.
pub(crate) struct SpillDir {
    path: PathBuf,
    /// Set once the directory is made (by whichever worker spills first),
    /// to the error if it could not be.
    made: OnceLock<std::result::Result<(), String>>,
    /// Results written, their bytes in memory, and their bytes on disk.
    pub written: AtomicU64,
    pub raw_bytes: AtomicU64,
    pub disk_bytes: AtomicU64,
}

impl SpillDir {
    /// A spill directory to be made under `parent`, else under
    /// [`crate::config::SPILL_DIR_ENV`], else the temporary directory.
    pub fn new(parent: Option<&Path>) -> SpillDir {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let path = crate::config::spill_parent(parent).join(format!(
            "ndchunk-spill-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        SpillDir {
            path,
            made: OnceLock::new(),
            written: AtomicU64::new(0),
            raw_bytes: AtomicU64::new(0),
            disk_bytes: AtomicU64::new(0),
        }
    }

    fn dir(&self) -> Result<&Path> {
        let made = self
            .made
            .get_or_init(|| std::fs::create_dir_all(&self.path).map_err(|e| e.to_string()));
        match made {
            Ok(()) => Ok(&self.path),
            Err(e) => Err(Error::Executor(format!(
                "cannot make {}: {e}",
                self.path.display()
            ))),
        }
    }

    fn file(&self, task: usize) -> Result<PathBuf> {
        Ok(self.dir()?.join(format!("{task}.zst")))
    }

    /// Writes task `task`'s result, `raw` bytes in memory; returns its bytes
    /// on disk. A block streams its C-order bytes through the compressor
    /// after a header (its dtype and shape), with no copy of it in memory;
    /// other results (reduction states, top-k candidates) go as postcard.
    pub fn write(&self, task: usize, value: &Value, raw: u64) -> Result<u64> {
        let path = self.file(task)?;
        let fail = |e: std::io::Error| io_error("cannot spill to", &path, e);
        let mut file = std::io::BufWriter::new(File::create(&path).map_err(fail)?);
        let (header, body): (SpillHeader, Cow<[u8]>) = match value {
            Value::Block(b) => (
                SpillHeader::Block(b.dtype(), b.shape().to_vec()),
                c_order_bytes(b),
            ),
            other => (SpillHeader::Other, Cow::Owned(to_bytes(other)?)),
        };
        let header = to_bytes(&header)?;
        file.write_all(&(header.len() as u32).to_le_bytes())
            .and_then(|()| file.write_all(&header))
            .map_err(fail)?;
        let mut encoder = zstd::stream::Encoder::new(file, LEVEL).map_err(fail)?;
        encoder.write_all(&body).map_err(fail)?;
        let file = encoder.finish().map_err(fail)?;
        let file = file.into_inner().map_err(|e| fail(e.into_error()))?;
        let disk = file.metadata().map_err(fail)?.len();
        self.written.fetch_add(1, Ordering::Relaxed);
        self.raw_bytes.fetch_add(raw, Ordering::Relaxed);
        self.disk_bytes.fetch_add(disk, Ordering::Relaxed);
        Ok(disk)
    }

    /// Reads task `task`'s result back (a block decompressed straight into
    /// its buffer).
    pub fn read(&self, task: usize) -> Result<Value> {
        let path = self.file(task)?;
        let fail = |e: std::io::Error| io_error("cannot read", &path, e);
        let mut file = std::io::BufReader::new(File::open(&path).map_err(fail)?);
        let mut len = [0u8; 4];
        file.read_exact(&mut len).map_err(fail)?;
        let mut header = vec![0u8; u32::from_le_bytes(len) as usize];
        file.read_exact(&mut header).map_err(fail)?;
        let what = format!("spilled result {}", path.display());
        let header: SpillHeader = from_bytes(&header, &what)?;
        let mut decoder = zstd::stream::Decoder::with_buffer(file).map_err(fail)?;
        match header {
            SpillHeader::Block(dtype, shape) => read_c_order(dtype, &shape, &mut decoder)
                .map(Value::Block)
                .map_err(fail),
            SpillHeader::Other => {
                let mut bytes = Vec::new();
                decoder.read_to_end(&mut bytes).map_err(fail)?;
                from_bytes(&bytes, &what)
            }
        }
    }

    /// Deletes task `task`'s file (its last consumer has it).
    pub fn remove(&self, task: usize) {
        if let Ok(path) = self.file(task) {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::Executor(format!("{what} {}: {e}", path.display()))
}

impl Drop for SpillDir {
    fn drop(&mut self) {
        if self.made.get().is_some() {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

//! Plan data carried beside the stage files, read a part at a time.
//!
//! A plan's large data — in-memory arrays ([`ResidentBlocks`]) and lists
//! such as a gather's index or a scatter's order ([`DataVec`]) — would make
//! each stage file as large as all of it, and every worker read all of it for
//! any one task. While a [`SideFile`] is in scope ([`SideFile::scope`], as the
//! Dask executor's scratch directory does when it writes the stages), each
//! such value is appended once to that one data file and the stage file holds
//! only where it is. A worker then reads a block of an array, or a page of a
//! list, when a task first touches it, and keeps it for the run's other tasks:
//! a task reads its part of the data, not the whole.
//!
//! ```
//! use ndchunk::ship::{from_bytes, side::{DataVec, SideFile}, to_bytes};
//! let dir = std::env::temp_dir().join(format!("ndchunk-side-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let list = DataVec::from((0..1_000_000usize).collect::<Vec<_>>());
//! let side = SideFile::create(&dir.join("data.bin"))?;
//! let (bytes, _side) = side.scope(|| to_bytes(&list));
//! let bytes = bytes?;
//! assert!(bytes.len() < 100); // where the list is, not the list
//! let back: DataVec<usize> = from_bytes(&bytes, "a list")?;
//! let before = ndchunk::ship::side::bytes_read();
//! assert_eq!(&*back.range(500_000..500_003)?, &[500_000, 500_001, 500_002]);
//! assert!(ndchunk::ship::side::bytes_read() - before <= 1 << 20); // one page
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use bytemuck::Pod;
use elsa::sync::FrozenMap;
use serde::de::Error as _;
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::block::DynArray;
use crate::element::DType;
use crate::error::{Error, Result};

/// Bytes of one page of a [`DataVec`] read from a side file.
pub const PAGE_BYTES: usize = 1 << 20;

static BYTES_READ: AtomicU64 = AtomicU64::new(0);

/// Bytes this process has read from side files so far (all threads): what
/// its tasks' parts of the plan data amount to.
pub fn bytes_read() -> u64 {
    BYTES_READ.load(Ordering::Relaxed)
}

/// The data file values are appended to while a [`SideFile::scope`] runs.
pub struct SideFile {
    path: PathBuf,
    file: File,
    len: u64,
    /// Where each value already written is, by the address of its shared
    /// data (a value several stages hold is written once).
    written: HashMap<usize, Record>,
}

thread_local! {
    static ACTIVE: RefCell<Option<SideFile>> = const { RefCell::new(None) };
}

impl SideFile {
    /// Makes (or empties) the data file at `path`.
    pub fn create(path: &Path) -> Result<SideFile> {
        let file = File::create(path).map_err(|e| io_error("cannot make", path, e))?;
        Ok(SideFile {
            path: path.to_path_buf(),
            file,
            len: 0,
            written: HashMap::new(),
        })
    }

    /// Runs `f` (which serialises plan data) with values going to this file;
    /// returns `f`'s result and the file, for further scopes.
    pub fn scope<R>(self, f: impl FnOnce() -> R) -> (R, SideFile) {
        ACTIVE.with(|a| *a.borrow_mut() = Some(self));
        let result = f();
        let side = ACTIVE.with(|a| a.borrow_mut().take());
        (
            result,
            side.expect("the side file is restored by its scope"),
        )
    }

    /// Appends `bytes` (once per `key`); returns where they start.
    fn append(&mut self, bytes: &[u8]) -> std::io::Result<u64> {
        let offset = self.len;
        self.file.write_all(bytes)?;
        self.len += bytes.len() as u64;
        Ok(offset)
    }
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::Executor(format!("{what} {}: {e}", path.display()))
}

/// Where a side file holds a value.
#[derive(Clone)]
enum Record {
    /// A list: its first byte and length.
    List(u64, usize),
    /// Blocks: each one's place, dtype and shape.
    Blocks(Vec<BlockEntry>),
}

/// With a side file in scope: its path and where the value at `key` is,
/// written by `write` the first time (which appends the value and says
/// where). `None` without a side file.
fn locate_in_side_file(
    key: usize,
    write: impl FnOnce(&mut SideFile) -> std::io::Result<Record>,
) -> Option<std::io::Result<(String, Record)>> {
    ACTIVE.with(|a| {
        let mut active = a.borrow_mut();
        let side = active.as_mut()?;
        let path = side.path.display().to_string();
        if let Some(record) = side.written.get(&key) {
            return Some(Ok((path, record.clone())));
        }
        Some(write(side).map(|record| {
            side.written.insert(key, record.clone());
            (path, record)
        }))
    })
}

/// Reads `len` bytes at `offset` of `path`.
fn read_at(path: &Path, offset: u64, len: usize) -> Result<Vec<u8>> {
    let file = File::open(path).map_err(|e| io_error("cannot open the plan data", path, e))?;
    let mut bytes = vec![0u8; len];
    file.read_exact_at(&mut bytes, offset)
        .map_err(|e| io_error("cannot read the plan data", path, e))?;
    BYTES_READ.fetch_add(len as u64, Ordering::Relaxed);
    Ok(bytes)
}

/// A value's serialised form: its bytes inline, or where a side file holds them.
#[derive(Serialize, Deserialize)]
enum Wire<'a, L> {
    Inline(#[serde(borrow)] Cow<'a, [u8]>),
    Side { path: String, at: L },
}

/// A list of plain values shared by a plan's stages (a gather's index, a
/// scatter's order): in memory where the plan was made; in a worker that read
/// it from a side file, loaded a page ([`PAGE_BYTES`]) at a time as tasks
/// touch it.
///
/// ```
/// let v = ndchunk::ship::side::DataVec::from(vec![3u32, 1, 2]);
/// assert_eq!((v.len(), &*v.range(1..3)?), (3, &[1u32, 2][..]));
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub struct DataVec<T: Pod>(Arc<ListRepr<T>>);

enum ListRepr<T> {
    Memory(Vec<T>),
    Side {
        path: PathBuf,
        offset: u64,
        len: usize,
        pages: Box<[OnceLock<Vec<T>>]>,
        whole: OnceLock<Vec<T>>,
    },
}

impl<T: Pod> Clone for DataVec<T> {
    fn clone(&self) -> Self {
        DataVec(self.0.clone())
    }
}

impl<T: Pod> From<Vec<T>> for DataVec<T> {
    fn from(v: Vec<T>) -> Self {
        DataVec(Arc::new(ListRepr::Memory(v)))
    }
}

impl<T: Pod + std::fmt::Debug> std::fmt::Debug for DataVec<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DataVec(len {})", self.len())
    }
}

impl<T: Pod> DataVec<T> {
    fn per_page() -> usize {
        (PAGE_BYTES / std::mem::size_of::<T>().max(1)).max(1)
    }

    fn key(&self) -> usize {
        Arc::as_ptr(&self.0) as *const () as usize
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        match &*self.0 {
            ListRepr::Memory(v) => v.len(),
            ListRepr::Side { len, .. } => *len,
        }
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values at `range`, reading only the pages that hold them.
    pub fn range(&self, range: Range<usize>) -> Result<Cow<'_, [T]>> {
        if range.end > self.len() || range.start > range.end {
            return Err(Error::Executor(format!(
                "plan data: range {range:?} of a list of {}",
                self.len()
            )));
        }
        let (path, offset, len, pages) = match &*self.0 {
            ListRepr::Memory(v) => return Ok(Cow::Borrowed(&v[range])),
            ListRepr::Side {
                path,
                offset,
                len,
                pages,
                ..
            } => (path, offset, len, pages),
        };
        let per = Self::per_page();
        let size = std::mem::size_of::<T>();
        let page = |p: usize| -> Result<&[T]> {
            if let Some(done) = pages[p].get() {
                return Ok(done);
            }
            let start = p * per;
            let count = per.min(len - start);
            let bytes = read_at(path, offset + (start * size) as u64, count * size)?;
            Ok(pages[p].get_or_init(|| bytemuck::pod_collect_to_vec(&bytes)))
        };
        if range.is_empty() {
            return Ok(Cow::Borrowed(&[]));
        }
        let (first, last) = (range.start / per, (range.end - 1) / per);
        if first == last {
            let p = page(first)?;
            return Ok(Cow::Borrowed(
                &p[range.start - first * per..range.end - first * per],
            ));
        }
        let mut out = Vec::with_capacity(range.len());
        for p in first..=last {
            let values = page(p)?;
            let from = range.start.max(p * per) - p * per;
            let to = range.end.min((p + 1) * per) - p * per;
            out.extend_from_slice(&values[from..to]);
        }
        Ok(Cow::Owned(out))
    }

    /// All values (the whole list read once where it is in a side file): for
    /// planning, which runs where the plan is made.
    pub fn as_slice(&self) -> Result<&[T]> {
        match &*self.0 {
            ListRepr::Memory(v) => Ok(v),
            ListRepr::Side {
                path,
                offset,
                len,
                whole,
                ..
            } => {
                if let Some(v) = whole.get() {
                    return Ok(v);
                }
                let bytes = read_at(path, *offset, len * std::mem::size_of::<T>())?;
                Ok(whole.get_or_init(|| bytemuck::pod_collect_to_vec(&bytes)))
            }
        }
    }
}

impl<T: Pod> Serialize for DataVec<T> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            return s.serialize_none();
        }
        let ListRepr::Memory(values) = &*self.0 else {
            // Read back from a side file: written again inline (not a path
            // the plan's maker holds).
            let values = self.as_slice().map_err(S::Error::custom)?;
            return Wire::<(u64, usize)>::Inline(Cow::Borrowed(bytemuck::cast_slice(values)))
                .serialize(s);
        };
        let record = locate_in_side_file(self.key(), |side| {
            let offset = side.append(bytemuck::cast_slice(values))?;
            Ok(Record::List(offset, values.len()))
        });
        match record {
            None => Wire::<(u64, usize)>::Inline(Cow::Borrowed(bytemuck::cast_slice(values)))
                .serialize(s),
            Some(Ok((path, Record::List(offset, len)))) => Wire::Side {
                path,
                at: (offset, len),
            }
            .serialize(s),
            Some(Ok((_, Record::Blocks(_)))) => Err(S::Error::custom(
                "plan data: a list and blocks at the same address",
            )),
            Some(Err(e)) => Err(S::Error::custom(format!(
                "cannot write plan data to the side file: {e}"
            ))),
        }
    }
}

impl<'de, T: Pod> Deserialize<'de> for DataVec<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        if d.is_human_readable() {
            return Err(D::Error::custom(
                "plan data is only carried in the binary form",
            ));
        }
        Ok(match Wire::<(u64, usize)>::deserialize(d)? {
            Wire::Inline(bytes) => {
                if bytes.len() % std::mem::size_of::<T>().max(1) != 0 {
                    return Err(D::Error::custom("plan data: a partial value"));
                }
                DataVec::from(bytemuck::pod_collect_to_vec::<u8, T>(&bytes))
            }
            Wire::Side {
                path,
                at: (offset, len),
            } => DataVec(Arc::new(ListRepr::Side {
                path: PathBuf::from(path),
                offset,
                len,
                pages: (0..len.div_ceil(Self::per_page()))
                    .map(|_| OnceLock::new())
                    .collect(),
                whole: OnceLock::new(),
            })),
        })
    }
}

/// The blocks of an in-memory input (a [`crate::expr::Resident`]): in memory
/// where the plan was made; in a worker that read them from a side file,
/// each region a task reads is read when first asked for (only its bytes) and
/// kept for the run's other tasks.
///
/// ```
/// use ndchunk::{DType, DynArray, ship::side::ResidentBlocks};
/// let blocks = ResidentBlocks::from(vec![DynArray::zeros(DType::F32, &[2, 3])]);
/// assert_eq!((blocks.len(), blocks.get(0)?.shape()), (1, &[2, 3][..]));
/// let (block, local) = blocks.region(0, &[1..2, 0..3])?;
/// assert_eq!((block.shape(), local), (&[2, 3][..], vec![1..2, 0..3]));
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub struct ResidentBlocks(Arc<BlocksRepr>);

enum BlocksRepr {
    Memory(Vec<DynArray>),
    Side {
        path: PathBuf,
        entries: Vec<BlockEntry>,
        /// Regions read so far, by block and box.
        regions: FrozenMap<(usize, Vec<Range<usize>>), Box<DynArray>>,
    },
}

/// Where one block is in a side file.
#[derive(Clone, Serialize, Deserialize)]
struct BlockEntry {
    offset: u64,
    dtype: DType,
    shape: Vec<usize>,
}

impl Clone for ResidentBlocks {
    fn clone(&self) -> Self {
        ResidentBlocks(self.0.clone())
    }
}

impl std::fmt::Debug for ResidentBlocks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ResidentBlocks(len {})", self.len())
    }
}

impl From<Vec<DynArray>> for ResidentBlocks {
    fn from(blocks: Vec<DynArray>) -> Self {
        ResidentBlocks(Arc::new(BlocksRepr::Memory(blocks)))
    }
}

/// Runs read one at a time up to this many; more, and the bytes from the
/// first run's start to the last one's end are read at once.
const MAX_RUNS: usize = 64;

impl ResidentBlocks {
    /// Number of blocks.
    pub fn len(&self) -> usize {
        match &*self.0 {
            BlocksRepr::Memory(b) => b.len(),
            BlocksRepr::Side { entries, .. } => entries.len(),
        }
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Block `i` whole; an error past the end.
    pub fn get(&self, i: usize) -> Result<&DynArray> {
        let whole: Vec<Range<usize>> = match &*self.0 {
            BlocksRepr::Memory(b) => return b.get(i).ok_or_else(|| self.missing(i)),
            BlocksRepr::Side { entries, .. } => {
                let entry = entries.get(i).ok_or_else(|| self.missing(i))?;
                entry.shape.iter().map(|&n| 0..n).collect()
            }
        };
        Ok(self.region(i, &whole)?.0)
    }

    /// The box `ranges` of block `i`: an array holding it and the box's
    /// ranges there (the block itself in memory; in a worker, the box alone,
    /// read from the side file the first time).
    pub fn region(
        &self,
        i: usize,
        ranges: &[Range<usize>],
    ) -> Result<(&DynArray, Vec<Range<usize>>)> {
        let (path, entries, regions) = match &*self.0 {
            BlocksRepr::Memory(blocks) => {
                let block = blocks.get(i).ok_or_else(|| self.missing(i))?;
                return Ok((block, ranges.to_vec()));
            }
            BlocksRepr::Side {
                path,
                entries,
                regions,
            } => (path, entries, regions),
        };
        let entry = entries.get(i).ok_or_else(|| self.missing(i))?;
        let local = ranges.iter().map(|r| 0..r.len()).collect();
        let key = (i, ranges.to_vec());
        if let Some(found) = regions.get(&key) {
            return Ok((found, local));
        }
        let read = read_box(path, entry, ranges)?;
        Ok((regions.insert(key, Box::new(read)), local))
    }

    /// Every block, in order.
    pub fn all(&self) -> Result<Vec<&DynArray>> {
        (0..self.len()).map(|i| self.get(i)).collect()
    }

    fn missing(&self, i: usize) -> Error {
        Error::Executor(format!("resident input: no block {i} of {}", self.len()))
    }
}

/// Reads the box `ranges` of the C-order block `entry` in `path`: one read
/// per contiguous run, or one read of the span they cover when they are many.
fn read_box(path: &Path, entry: &BlockEntry, ranges: &[Range<usize>]) -> Result<DynArray> {
    let bad = |what: String| Error::Executor(format!("plan data {}: {what}", path.display()));
    if ranges.len() != entry.shape.len()
        || ranges
            .iter()
            .zip(&entry.shape)
            .any(|(r, &n)| r.start > r.end || r.end > n)
    {
        return Err(bad(format!(
            "box {ranges:?} of a block of shape {:?}",
            entry.shape
        )));
    }
    let size = entry.dtype.size();
    let shape: Vec<usize> = ranges.iter().map(|r| r.len()).collect();
    let count: usize = shape.iter().product();
    // Axes from `split` on are covered whole, so each run is `run` elements.
    let split = (0..ranges.len())
        .rev()
        .find(|&a| ranges[a].len() != entry.shape[a])
        .unwrap_or(0);
    let run: usize = ranges[split].len() * entry.shape[split + 1..].iter().product::<usize>();
    let strides: Vec<usize> = (0..entry.shape.len())
        .map(|a| entry.shape[a + 1..].iter().product())
        .collect();
    let starts: Vec<usize> = if count == 0 {
        Vec::new()
    } else {
        crate::grid::box_indices(&ranges[..split])
            .iter()
            .map(|ix| {
                ix.iter().zip(&strides).map(|(i, s)| i * s).sum::<usize>()
                    + ranges[split].start * strides[split]
            })
            .collect()
    };
    let mut bytes = Vec::with_capacity(count * size);
    if starts.len() > MAX_RUNS {
        let (first, last) = (starts[0], starts[starts.len() - 1] + run);
        let span = read_at(
            path,
            entry.offset + (first * size) as u64,
            (last - first) * size,
        )?;
        for &s in &starts {
            bytes.extend_from_slice(&span[(s - first) * size..(s - first + run) * size]);
        }
    } else {
        for &s in &starts {
            bytes.extend(read_at(path, entry.offset + (s * size) as u64, run * size)?);
        }
    }
    super::from_c_order_bytes(entry.dtype, &shape, &bytes).map_err(bad)
}

impl Serialize for ResidentBlocks {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            return s.serialize_none();
        }
        let inline = |s: S, blocks: Vec<&DynArray>| {
            let bytes = postcard::to_stdvec(&blocks).map_err(S::Error::custom)?;
            Wire::<Vec<BlockEntry>>::Inline(Cow::Owned(bytes)).serialize(s)
        };
        let BlocksRepr::Memory(blocks) = &*self.0 else {
            return inline(s, self.all().map_err(S::Error::custom)?);
        };
        let key = Arc::as_ptr(&self.0) as *const () as usize;
        let record = locate_in_side_file(key, |side| {
            let mut entries = Vec::with_capacity(blocks.len());
            for b in blocks {
                let offset = side.append(&super::c_order_bytes(b))?;
                entries.push(BlockEntry {
                    offset,
                    dtype: b.dtype(),
                    shape: b.shape().to_vec(),
                });
            }
            Ok(Record::Blocks(entries))
        });
        match record {
            None => inline(s, blocks.iter().collect()),
            Some(Ok((path, Record::Blocks(entries)))) => {
                Wire::Side { path, at: entries }.serialize(s)
            }
            Some(Ok((_, Record::List(..)))) => Err(S::Error::custom(
                "plan data: a list and blocks at the same address",
            )),
            Some(Err(e)) => Err(S::Error::custom(format!(
                "cannot write plan data to the side file: {e}"
            ))),
        }
    }
}

impl<'de> Deserialize<'de> for ResidentBlocks {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        if d.is_human_readable() {
            return Err(D::Error::custom(
                "plan data is only carried in the binary form",
            ));
        }
        Ok(match Wire::<Vec<BlockEntry>>::deserialize(d)? {
            Wire::Inline(bytes) => {
                let blocks: Vec<DynArray> =
                    postcard::from_bytes(&bytes).map_err(D::Error::custom)?;
                ResidentBlocks::from(blocks)
            }
            Wire::Side { path, at: entries } => ResidentBlocks(Arc::new(BlocksRepr::Side {
                path: PathBuf::from(path),
                entries,
                regions: FrozenMap::new(),
            })),
        })
    }
}

//! HDF5 datasets as lazy arrays, and arrays written as HDF5 datasets.
//!
//! Every HDF5 call takes the library's global lock, so reads and writes never
//! run in parallel, whatever the thread count; computing between them does.
//! Blocks follow the dataset's own chunks, so each read decodes whole chunks
//! through one hyperslab selection.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hdf5::{Dataset, File, H5Type, Hyperslab, SliceOrIndex};
use ndarray::IxDyn;
use serde::{Deserialize, Serialize};

use crate::array::Array;
use crate::block::DynArray;
use crate::chunks::{ChunkSpec, Chunks};
use crate::element::{DType, Element};
use crate::error::{Error, Result};
use crate::exec::Executor;
use crate::expr::{Node, Op, UserFn};
use crate::io::partial;
use crate::plan::lower;
use crate::registry::{read_params, BlockFn, Recipe, StoreFn};

/// The dataset `dataset` (e.g. `/group/data`) of the HDF5 file at `path`, with
/// one block per dataset chunk (automatic chunks for a contiguous dataset).
///
/// ```no_run
/// let x = ndchunk::from_hdf5::<f64>("data.h5", "/measurements")?;
/// println!("{}", x.sum()?.compute()?);
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn from_hdf5<T: Element>(path: impl AsRef<Path>, dataset: &str) -> Result<Array<T>> {
    super::register_kinds();
    let (ds, name) = open::<T>(path.as_ref(), dataset)?;
    let shape = ds.shape();
    let chunks = match ds.chunk() {
        Some(c) => Chunks::regular(&shape, &c)?,
        None => ChunkSpec::Auto.resolve(&shape, T::DTYPE)?,
    };
    source(ds, name, path.as_ref(), dataset, chunks)
}

/// [`from_hdf5`] with blocks of `chunks`.
///
/// ```no_run
/// // Blocks of 10 000 rows and whole columns, whatever the dataset's chunks.
/// let x = ndchunk::from_hdf5_with::<f32>("data.h5", "/x", [10_000, -1])?;
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn from_hdf5_with<T: Element>(
    path: impl AsRef<Path>,
    dataset: &str,
    chunks: impl Into<ChunkSpec>,
) -> Result<Array<T>> {
    super::register_kinds();
    let (ds, name) = open::<T>(path.as_ref(), dataset)?;
    let chunks = chunks.into().resolve(&ds.shape(), T::DTYPE)?;
    source(ds, name, path.as_ref(), dataset, chunks)
}

/// What another process needs to read an HDF5 source: the `hdf5` kind's
/// recipe parameters.
#[derive(Serialize, Deserialize)]
struct SourceParams {
    path: PathBuf,
    dataset: String,
    chunks: Chunks,
    dtype: DType,
}

fn open<T: Element>(path: &Path, dataset: &str) -> Result<(Arc<Dataset>, String)> {
    let name = format!("{}:{dataset}", path.display());
    let fail = |e: &dyn std::fmt::Display| Error::Storage {
        path: name.clone(),
        chunk: None,
        message: e.to_string(),
    };
    if !path.is_file() {
        return Err(fail(&"no such file"));
    }
    let file = File::open(path).map_err(|e| fail(&e))?;
    let ds = file.dataset(dataset).map_err(|e| fail(&e))?;
    let found = ds
        .dtype()
        .and_then(|t| t.to_descriptor())
        .map_err(|e| fail(&e))?;
    let expected = with_dtype!(T::DTYPE, U => <U as H5Type>::type_descriptor());
    if found != expected {
        return Err(Error::DtypeMismatch {
            op: format!("from_hdf5({name})"),
            expected: T::DTYPE.to_string(),
            found: found.to_string(),
        });
    }
    Ok((Arc::new(ds), name))
}

/// The lazy array reading `ds` (dataset `dataset` of `path`) in blocks of `chunks`.
fn source<T: Element>(
    ds: Arc<Dataset>,
    name: String,
    path: &Path,
    dataset: &str,
    chunks: Chunks,
) -> Result<Array<T>> {
    let label = format!("from_hdf5[{name}]");
    let params = SourceParams {
        path: path.to_path_buf(),
        dataset: dataset.to_string(),
        chunks: chunks.clone(),
        dtype: T::DTYPE,
    };
    let recipe = Recipe::new(super::HDF5, &params)?;
    let read = block_reader::<T>(ds, name, chunks.clone());
    Ok(super::source_array(&label, read, recipe, chunks))
}

/// The block reader of an HDF5 source made again in another process from its
/// recipe's parameters: the file is opened again and the dataset's dtype checked.
pub(crate) fn reader(params: &str) -> Result<Arc<BlockFn>> {
    let p: SourceParams = read_params("from_hdf5", params)?;
    with_dtype!(p.dtype, T => {
        let (ds, name) = open::<T>(&p.path, &p.dataset)?;
        Ok(block_reader::<T>(ds, name, p.chunks))
    })
}

fn block_reader<T: Element>(ds: Arc<Dataset>, name: String, grid: Chunks) -> Arc<BlockFn> {
    Arc::new(move |block: &[usize], _: &[&DynArray]| {
        let ranges = grid.block_ranges(block);
        with_dtype!(T::DTYPE, U => ds
        .read_slice::<U, _, IxDyn>(hyperslab(&ranges))
        .map(U::wrap)
        .map_err(|e| Error::Storage {
            path: name.clone(),
            chunk: Some(format!("{ranges:?}")),
            message: e.to_string(),
        }))
    })
}

fn hyperslab(ranges: &[Range<usize>]) -> Hyperslab {
    Hyperslab::from(
        ranges
            .iter()
            .map(|r| SliceOrIndex::from(r.clone()))
            .collect::<Vec<_>>(),
    )
}

/// How [`Array::to_hdf5`] stores a dataset.
///
/// ```
/// let options = ndchunk::Hdf5Options::default().chunks(&[1000, 64]).deflate(4);
/// # let _ = options;
/// ```
#[derive(Clone, Debug, Default)]
pub struct Hdf5Options {
    chunks: Option<Vec<usize>>,
    deflate: Option<u8>,
    overwrite: bool,
}

impl Hdf5Options {
    /// Store chunks of this shape (default: the array's first block shape).
    pub fn chunks(mut self, shape: &[usize]) -> Self {
        self.chunks = Some(shape.to_vec());
        self
    }

    /// Compress chunks with deflate at `level` (0–9); default: no compression.
    pub fn deflate(mut self, level: u8) -> Self {
        self.deflate = Some(level);
        self
    }

    /// Replace an existing file (`true`) or fail (`false`, the default).
    pub fn overwrite(mut self, yes: bool) -> Self {
        self.overwrite = yes;
        self
    }
}

impl<T: Element> Array<T> {
    /// Computes the array and writes it as dataset `dataset` of a new HDF5 file
    /// at `path`, written beside it and renamed into place when complete.
    ///
    /// ```
    /// let file = std::env::temp_dir().join(format!("ndchunk-doc-{}.h5", std::process::id()));
    /// let x = ndchunk::arange::<i32>(0, 12, 1, [5])?;
    /// x.to_hdf5(&file, "/numbers", ndchunk::Hdf5Options::default().deflate(4).overwrite(true))?;
    /// assert_eq!(ndchunk::from_hdf5::<i32>(&file, "/numbers")?.compute()?, x.compute()?);
    /// std::fs::remove_file(&file).unwrap();
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn to_hdf5(
        &self,
        path: impl AsRef<Path>,
        dataset: &str,
        options: Hdf5Options,
    ) -> Result<()> {
        self.to_hdf5_with(path, dataset, options, &Executor::default())
    }

    /// [`Array::to_hdf5`] on `executor`.
    ///
    /// ```
    /// let file = std::env::temp_dir().join(format!("ndchunk-doc-w-{}.h5", std::process::id()));
    /// let x = ndchunk::ones::<f64>(&[4, 3], [2, 3])?;
    /// let one_thread = ndchunk::Executor::local().threads(1);
    /// x.to_hdf5_with(&file, "/ones", ndchunk::Hdf5Options::default().overwrite(true), &one_thread)?;
    /// assert_eq!(ndchunk::from_hdf5::<f64>(&file, "/ones")?.compute()?, x.compute()?);
    /// std::fs::remove_file(&file).unwrap();
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn to_hdf5_with(
        &self,
        path: impl AsRef<Path>,
        dataset: &str,
        options: Hdf5Options,
        executor: &Executor,
    ) -> Result<()> {
        let path = path.as_ref();
        let name = format!("{}:{dataset}", path.display());
        let fail = |e: &dyn std::fmt::Display| Error::Storage {
            path: name.clone(),
            chunk: None,
            message: first_cause(&e.to_string()),
        };
        if path.exists() && !options.overwrite {
            return Err(fail(
                &"already exists (pass Hdf5Options::overwrite(true) to replace it)",
            ));
        }
        let chunks = match &options.chunks {
            Some(c) => c.clone(),
            None => self
                .chunks()
                .all_lens()
                .iter()
                .map(|l| l[0].max(1))
                .collect(),
        };
        if chunks.len() != self.ndim() || chunks.contains(&0) {
            return Err(fail(&format!(
                "chunk shape {chunks:?} must have {} positive lengths",
                self.ndim()
            )));
        }
        if options.deflate.is_some_and(|l| l > 9) {
            return Err(fail(&"deflate level must be in 0..=9"));
        }
        super::register_kinds();
        let blocks = self.rechunk(chunks.iter().map(|&n| n as i64).collect::<Vec<_>>())?;
        let temp = partial::partial_path(path)?;
        let written = (|| {
            let file = File::create(&temp).map_err(|e| fail(&e))?;
            let (parent, leaf) = parent_group(&file, dataset).map_err(|e| fail(&e))?;
            // Written under a partial name, linked under its own only when
            // complete: a reader of the unfinished file finds no such dataset.
            let unfinished = format!("{leaf}.ndchunk-partial");
            let ds =
                create_dataset::<T>(&parent, &unfinished, self.shape(), &chunks, options.deflate)
                    .map_err(|e| fail(&e))?;
            let params = SinkParams {
                target: name.clone(),
                temp: temp.clone(),
                dataset: ds.name(),
                chunks: blocks.chunks().clone(),
                dtype: T::DTYPE,
            };
            // Closed here: the store tasks open the file one at a time, in
            // whichever process runs them.
            drop((ds, parent));
            file.close().map_err(|e| fail(&e))?;
            let store = sink_node(blocks.node(), params)?;
            executor.run(&lower(&store, &executor.plan_options()?)?)?;
            let file = open_unlocked(&temp).map_err(|e| fail(&e))?;
            let (parent, leaf) = parent_group(&file, dataset).map_err(|e| fail(&e))?;
            parent.relink(&unfinished, leaf).map_err(|e| fail(&e))?;
            drop(parent);
            file.flush().map_err(|e| fail(&e))?;
            file.close().map_err(|e| fail(&e))
        })();
        match written {
            Ok(()) => partial::replace(&temp, path),
            Err(e) => {
                let _ = partial::remove(&temp);
                Err(e)
            }
        }
    }
}

/// What a store task needs to write blocks into the unfinished dataset, in
/// any process: the sink's recipe parameters.
#[derive(Serialize, Deserialize)]
struct SinkParams {
    /// `path:dataset` of the target, for errors.
    target: String,
    /// The file being written (a partial name until complete).
    temp: PathBuf,
    /// The unfinished dataset's path in the file.
    dataset: String,
    /// The write units (the array's blocks as stored).
    chunks: Chunks,
    dtype: DType,
}

/// The serial store node writing `units` (the array rechunked to write
/// units): HDF5 has no parallel writers, so its blocks are stored one at a
/// time, each task opening the file and closing it (flushed) again.
fn sink_node(units: &Arc<Node>, params: SinkParams) -> Result<Arc<Node>> {
    let recipe = Recipe::new(super::HDF5, &params)?;
    let name = format!("to_hdf5[{}]", params.target);
    let f: Arc<StoreFn> =
        Arc::new(move |index: &[usize], block: DynArray| write_block(&params, index, block));
    Ok(Node::new(
        Op::Store {
            sink: UserFn::storage(&name, f, recipe),
            serial: true,
        },
        vec![units.clone()],
        units.chunks.clone(),
        units.dtype,
    ))
}

/// The writer of an HDF5 sink made again in another process from its
/// recipe's parameters.
pub(crate) fn writer(params: &str) -> Result<Arc<StoreFn>> {
    let p: SinkParams = read_params("to_hdf5", params)?;
    Ok(Arc::new(move |index: &[usize], block: DynArray| {
        write_block(&p, index, block)
    }))
}

/// The unfinished file opened for writing without HDF5's file lock. The
/// store stage already runs one writer at a time; the lock would only add a
/// false conflict: a child process that another thread spawned while the
/// file was open inherits the lock with the descriptor and holds it after
/// the file is closed here.
fn open_unlocked(path: &Path) -> hdf5::Result<File> {
    File::with_options()
        .with_fapl(|p| p.file_locking(false))
        .open_rw(path)
}

/// Writes block `index` into the unfinished dataset. Write errors (a full
/// disk) surface only when HDF5's caches are flushed, and the dataset must
/// be closed before the file, or closing it is deferred and its errors lost.
fn write_block(p: &SinkParams, index: &[usize], block: DynArray) -> Result<()> {
    let ranges = p.chunks.block_ranges(index);
    let fail = |message: String| Error::Storage {
        path: p.target.clone(),
        chunk: Some(format!("{ranges:?}")),
        message: first_cause(&message),
    };
    let file = open_unlocked(&p.temp).map_err(|e| fail(e.to_string()))?;
    let ds = file.dataset(&p.dataset).map_err(|e| fail(e.to_string()))?;
    with_dtype!(p.dtype, U => match U::unwrap(block) {
        Ok(a) => ds.write_slice(&a, hyperslab(&ranges)).map_err(|e| e.to_string()),
        Err(_) => Err("block of another dtype".to_string()),
    })
    .map_err(&fail)?;
    file.flush().map_err(|e| fail(e.to_string()))?;
    drop(ds);
    file.close().map_err(|e| fail(e.to_string()))
}

/// HDF5's error text cut to its first cause: a failed write's report runs on
/// with the time, buffer address and `bytes actually written =
/// 18446744073709551615`; what matters is the call and the system's reason.
///
/// `H5Fflush(): unable to flush file's cached information: file write failed:
/// time = ..., errno = 27, error message = 'File too large', ...` becomes
/// `H5Fflush(): unable to flush file's cached information: file write failed:
/// File too large (errno 27)`.
fn first_cause(text: &str) -> String {
    let Some((head, detail)) = text.split_once(" time = ") else {
        return text.lines().next().unwrap_or(text).to_string();
    };
    let field = |key: &str| {
        let start = detail.find(key)? + key.len();
        let rest = &detail[start..];
        let end = rest.find(['\'', ',']).unwrap_or(rest.len());
        Some(rest[..end].trim().to_string())
    };
    match (field("error message = '"), field("errno = ")) {
        (Some(reason), Some(errno)) => format!("{} {reason} (errno {errno})", head.trim_end()),
        (Some(reason), None) => format!("{} {reason}", head.trim_end()),
        _ => head.trim_end().trim_end_matches(':').to_string(),
    }
}

/// The group that holds `dataset` in `file` (created with its parents when
/// missing), and the dataset's own name in it.
fn parent_group<'a>(file: &File, dataset: &'a str) -> hdf5::Result<(hdf5::Group, &'a str)> {
    let trimmed = dataset.trim_start_matches('/');
    let (groups, leaf) = match trimmed.rsplit_once('/') {
        Some((g, l)) => (Some(g), l),
        None => (None, trimmed),
    };
    let mut parent = file.as_group()?;
    if let Some(groups) = groups {
        for g in groups.split('/').filter(|g| !g.is_empty()) {
            parent = match parent.group(g) {
                Ok(existing) => existing,
                Err(_) => parent.create_group(g)?,
            };
        }
    }
    Ok((parent, leaf))
}

/// Creates dataset `name` of `shape` in `parent`.
fn create_dataset<T: Element>(
    parent: &hdf5::Group,
    name: &str,
    shape: &[usize],
    chunks: &[usize],
    deflate: Option<u8>,
) -> hdf5::Result<Dataset> {
    let chunk: Vec<usize> = chunks
        .iter()
        .zip(shape)
        .map(|(&c, &n)| c.min(n.max(1)))
        .collect();
    with_dtype!(T::DTYPE, U => {
        let mut builder = parent.new_dataset::<U>().chunk(chunk.clone());
        if let Some(level) = deflate {
            builder = builder.deflate(level);
        }
        builder.shape(shape.to_vec()).create(name)
    })
}

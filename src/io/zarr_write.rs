//! Writing lazy arrays as Zarr v3 arrays.
//!
//! The array is first rechunked to the stored chunks (or shards), so that each
//! task writes whole chunks and no two tasks write the same one. Blocks are
//! written by store tasks (the `zarr` sink kind), in whichever process or
//! thread of the executor runs them, as they are computed. Everything goes to a
//! temporary sibling directory (see `io/partial.rs`) whose metadata
//! (`zarr.json`) is written after the last chunk, and which is renamed into
//! place only then: an interrupted or failed write never leaves, at the target
//! or beside it, anything a Zarr reader opens as an array.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Map, Value as Json};
use zarrs::array::codec::api::BytesToBytesCodecTraits;
use zarrs::array::codec::{
    BloscCodec, BloscCompressionLevel, BloscCompressor, BloscShuffleMode, ZstdCodec,
};
use zarrs::array::{data_type, Array as ZarrArray, ArrayBuilder, ArraySubset, DataType};
use zarrs::filesystem::{FilesystemStore, FilesystemStoreOptions};

use serde::{Deserialize, Serialize};

use crate::array::{rechunk_node, AnyArray, Array};
use crate::block::DynArray;
use crate::chunks::Chunks;
use crate::element::{DType, Element};
use crate::error::{Error, Result};
use crate::exec::Executor;
use crate::expr::{Node, Op, UserFn};
use crate::io::deferred_sync::{sync_tree, DeferredSyncStore};
use crate::io::partial;
use crate::plan::lower_many;
use crate::registry::{read_params, Recipe, StoreFn};

/// Compression of the stored chunks.
///
/// ```
/// use ndchunk::{ZarrCodec, ZarrOptions};
/// let fast = ZarrOptions::default().codec(ZarrCodec::Blosc(5));
/// let raw = ZarrOptions::default().codec(ZarrCodec::None);
/// # let _ = (fast, raw);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum ZarrCodec {
    /// Zstandard at this level (1–22; 3 is zstd's own default).
    Zstd(i32),
    /// Blosc with LZ4 and byte shuffling, at this level (0–9).
    Blosc(u8),
    /// No compression.
    None,
}

/// How [`Array::to_zarr`] stores an array.
///
/// ```
/// use ndchunk::ZarrOptions;
/// let options = ZarrOptions::default()
///     .chunks(&[100, 10])
///     .shards(&[1000, 10])
///     .dimension_names(&["time", "station"])
///     .attribute("units", "K")
///     .overwrite(true);
/// # let _ = options;
/// ```
#[derive(Clone, Debug)]
pub struct ZarrOptions {
    codec: ZarrCodec,
    chunks: Option<Vec<usize>>,
    shards: Option<Vec<usize>>,
    dimension_names: Option<Vec<String>>,
    attributes: Map<String, Json>,
    overwrite: bool,
    direct_io: bool,
}

impl Default for ZarrOptions {
    /// Zstandard level 3, chunks as the array's blocks, no sharding, no names or
    /// attributes, and an error if the target exists.
    fn default() -> Self {
        ZarrOptions {
            codec: ZarrCodec::Zstd(3),
            chunks: None,
            shards: None,
            dimension_names: None,
            attributes: Map::new(),
            overwrite: false,
            direct_io: false,
        }
    }
}

impl ZarrOptions {
    /// Compress chunks with `codec`.
    pub fn codec(mut self, codec: ZarrCodec) -> Self {
        self.codec = codec;
        self
    }

    /// Store chunks of this shape (the inner chunks when sharded); by default the
    /// array's first block shape.
    pub fn chunks(mut self, shape: &[usize]) -> Self {
        self.chunks = Some(shape.to_vec());
        self
    }

    /// Group chunks into shards of this shape (a multiple of the chunk shape
    /// along every axis); each task then writes one shard.
    pub fn shards(mut self, shape: &[usize]) -> Self {
        self.shards = Some(shape.to_vec());
        self
    }

    /// Name the axes.
    pub fn dimension_names(mut self, names: &[&str]) -> Self {
        self.dimension_names = Some(names.iter().map(|n| n.to_string()).collect());
        self
    }

    /// Add the attribute `key` with `value`.
    pub fn attribute(mut self, key: &str, value: impl Into<Json>) -> Self {
        self.attributes.insert(key.to_string(), value.into());
        self
    }

    /// Replace an existing array at the target (`true`) or fail (`false`, the
    /// default).
    pub fn overwrite(mut self, yes: bool) -> Self {
        self.overwrite = yes;
        self
    }

    /// Write chunk files with `O_DIRECT` (Linux), past the page cache: no kernel
    /// copy of every byte, and the written array does not push other data out
    /// of the cache, but reading it back right away comes from the disk. W5 on
    /// the 2-core VM took 2.5 s with it and 3.1 s without. Default: off.
    pub fn direct_io(mut self, yes: bool) -> Self {
        self.direct_io = yes;
        self
    }
}

impl<T: Element> Array<T> {
    /// Computes the array and writes it to a new Zarr v3 array at `path`.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("ndchunk-doc-{}.zarr", std::process::id()));
    /// let x = ndchunk::arange::<f64>(0.0, 12.0, 1.0, [5])?.reshape(&[3, 4])?;
    /// x.to_zarr(&dir, ndchunk::ZarrOptions::default().overwrite(true))?;
    /// assert_eq!(ndchunk::from_zarr::<f64>(&dir)?.compute()?, x.compute()?);
    /// std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn to_zarr(&self, path: impl AsRef<Path>, options: ZarrOptions) -> Result<()> {
        self.to_zarr_with(path, options, &Executor::default())
    }

    /// [`Array::to_zarr`] on `executor`.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("ndchunk-doc-w-{}.zarr", std::process::id()));
    /// let x = ndchunk::ones::<u8>(&[10], [4])?;
    /// let one_thread = ndchunk::Executor::local().threads(1);
    /// x.to_zarr_with(&dir, ndchunk::ZarrOptions::default().overwrite(true), &one_thread)?;
    /// assert_eq!(ndchunk::from_zarr::<u8>(&dir)?.compute()?, x.compute()?);
    /// std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn to_zarr_with(
        &self,
        path: impl AsRef<Path>,
        options: ZarrOptions,
        executor: &Executor,
    ) -> Result<()> {
        store_with(&[(self.into(), path.as_ref(), options)], executor)
    }
}

/// Writes several arrays to Zarr in one pass: what they share (a source read,
/// an intermediate result) is computed once. Each target is written and moved
/// into place as [`Array::to_zarr`] does; if any block fails, none of the
/// targets is replaced.
///
/// ```
/// let dir = std::env::temp_dir().join(format!("ndchunk-store-{}", std::process::id()));
/// let x = ndchunk::random::uniform::<f64>(&[100], [25], 1)?;
/// let (a, b) = (&x * 2.0, x.gt(0.5));
/// let options = ndchunk::ZarrOptions::default().overwrite(true);
/// ndchunk::store(&[
///     ((&a).into(), dir.join("a.zarr").as_path(), options.clone()),
///     ((&b).into(), dir.join("b.zarr").as_path(), options),
/// ])?;
/// assert_eq!(ndchunk::from_zarr::<bool>(dir.join("b.zarr"))?.compute()?, b.compute()?);
/// std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn store(items: &[(AnyArray, &Path, ZarrOptions)]) -> Result<()> {
    store_with(items, &Executor::default())
}

/// A target being written: where, its temporary directory and its array
/// (whose metadata is stored only once every chunk is).
struct Target {
    path: PathBuf,
    temp: PathBuf,
    array: ZarrArray<DeferredSyncStore>,
    /// The blocks, one write unit each.
    chunks: Chunks,
    dtype: DType,
}

/// What a worker process needs to store blocks into a Zarr array being
/// assembled: the `zarr` sink kind's recipe parameters.
#[derive(Serialize, Deserialize)]
struct SinkParams {
    /// Where the array goes when complete (named in errors).
    target: PathBuf,
    /// The temporary directory the chunks are written to.
    temp: PathBuf,
    /// The array's metadata as JSON, written to `temp` only after every chunk.
    metadata: String,
    chunks: Chunks,
    dtype: DType,
}

/// The writer of a Zarr sink made again in another process from its recipe's
/// parameters: the unfinished array is opened from the metadata it carries.
pub(crate) fn writer(params: &str) -> Result<Arc<StoreFn>> {
    let p: SinkParams = read_params("to_zarr", params)?;
    let fail = |e: &dyn std::fmt::Display| Error::storage(&p.target, e);
    // Another process, perhaps on another machine, which the commit does not
    // see: each chunk is synced here.
    let store = FilesystemStore::new(&p.temp).map_err(|e| fail(&e))?;
    let store = Arc::new(DeferredSyncStore::new(store, false));
    let metadata = serde_json::from_str(&p.metadata).map_err(|e| fail(&e))?;
    let array = ZarrArray::new_with_metadata(store, "/", metadata).map_err(|e| fail(&e))?;
    let target = Target {
        path: p.target,
        temp: p.temp,
        array,
        chunks: p.chunks,
        dtype: p.dtype,
    };
    Ok(Arc::new(move |index: &[usize], block: DynArray| {
        write_block(&target, index, block)
    }))
}

/// The store node writing `units` (the array rechunked to write units) into
/// `target`, under whichever executor runs it.
fn sink_node(units: &Arc<Node>, target: &Arc<Target>) -> Result<Arc<Node>> {
    let params = SinkParams {
        target: target.path.clone(),
        temp: target.temp.clone(),
        metadata: serde_json::to_string(target.array.metadata())
            .map_err(|e| Error::storage(&target.path, e))?,
        chunks: target.chunks.clone(),
        dtype: target.dtype,
    };
    let recipe = Recipe::new(super::ZARR, &params)?;
    let here = target.clone();
    let f: Arc<StoreFn> =
        Arc::new(move |index: &[usize], block: DynArray| write_block(&here, index, block));
    let name = format!("to_zarr[{}]", target.path.display());
    let sink = UserFn::storage(&name, f, recipe);
    Ok(Node::new(
        Op::Store {
            sink,
            serial: false,
        },
        vec![units.clone()],
        units.chunks.clone(),
        units.dtype,
    ))
}

/// [`store`] on `executor`.
///
/// ```
/// let dir = std::env::temp_dir().join(format!("ndchunk-doc-sw-{}.zarr", std::process::id()));
/// let x = ndchunk::arange::<i32>(0, 6, 1, [2])?;
/// let options = ndchunk::ZarrOptions::default().overwrite(true);
/// ndchunk::store_with(&[((&x).into(), dir.as_path(), options)], &ndchunk::Executor::local())?;
/// assert_eq!(ndchunk::from_zarr::<i32>(&dir)?.compute()?, x.compute()?);
/// std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn store_with(items: &[(AnyArray, &Path, ZarrOptions)], executor: &Executor) -> Result<()> {
    super::register_kinds();
    let mut temps: Vec<PathBuf> = Vec::with_capacity(items.len());
    let mut targets: Vec<Arc<Target>> = Vec::with_capacity(items.len());
    let written = (|| {
        let mut sinks = Vec::with_capacity(items.len());
        for (array, path, options) in items {
            let (units, chunks) = write_units(array.node(), path, options)?;
            let temp = partial::partial_path(path)?;
            temps.push(temp.clone());
            let zarr = create(
                &temp,
                &array.node().shape,
                array.node().dtype,
                &chunks,
                options,
            )?;
            let target = Arc::new(Target {
                path: path.to_path_buf(),
                temp,
                array: zarr,
                chunks: units.chunks.clone(),
                dtype: units.dtype,
            });
            sinks.push(sink_node(&units, &target)?);
            targets.push(target);
        }
        let (plan, _) = lower_many(&sinks, &executor.plan_options()?)?;
        // The store tasks write the blocks; the outputs are acknowledgements.
        executor.run(&plan)?;
        // Chunk writes did not wait for the disk: what this process wrote
        // is made durable here, before any target is renamed into place.
        for t in &targets {
            t.array
                .store_metadata()
                .map_err(|e| Error::storage(&t.path, e))?;
            sync_tree(&t.temp).map_err(|e| Error::storage(&t.path, e))?;
        }
        Ok(())
    })();
    match written {
        Ok(()) => targets
            .iter()
            .try_for_each(|t| partial::replace(&t.temp, &t.path)),
        Err(e) => {
            for temp in temps {
                let _ = partial::remove(&temp);
            }
            Err(e)
        }
    }
}

/// `node` rechunked to whole write units (shards, else chunks), after checking
/// `options` against it; and the stored chunk shape.
fn write_units(
    node: &Arc<Node>,
    path: &Path,
    options: &ZarrOptions,
) -> Result<(Arc<Node>, Vec<usize>)> {
    let fail = |message: String| Error::storage(path, message);
    let ndim = node.shape.len();
    let chunks = match &options.chunks {
        Some(c) => c.clone(),
        None => node.chunks.all_lens().iter().map(|l| l[0].max(1)).collect(),
    };
    let unit = options.shards.clone().unwrap_or_else(|| chunks.clone());
    for (what, shape) in [("chunk", &chunks), ("shard", &unit)] {
        if shape.len() != ndim || shape.contains(&0) {
            return Err(fail(format!(
                "{what} shape {shape:?} must have {ndim} positive lengths"
            )));
        }
    }
    if unit.iter().zip(&chunks).any(|(s, c)| s % c != 0) {
        return Err(fail(format!(
            "shard shape {unit:?} is not a multiple of the chunk shape {chunks:?}"
        )));
    }
    if path.exists() && !options.overwrite {
        return Err(fail(
            "already exists (pass ZarrOptions::overwrite(true) to replace it)".into(),
        ));
    }
    let units = Chunks::regular(&node.shape, &unit)?;
    Ok((rechunk_node(node, units, None), chunks))
}

/// Stores block `block_idx` (a whole write unit) in `target`.
fn write_block(target: &Target, block_idx: &[usize], block: DynArray) -> Result<()> {
    if block.shape().contains(&0) {
        return Ok(());
    }
    let idx: Vec<u64> = block_idx.iter().map(|&b| b as u64).collect();
    // A subset, not a chunk: edge chunks are stored whole, padded with the
    // fill value.
    let ranges: Vec<std::ops::Range<u64>> = target
        .chunks
        .block_ranges(block_idx)
        .into_iter()
        .map(|r| r.start as u64..r.end as u64)
        .collect();
    let subset = ArraySubset::new_with_ranges(&ranges);
    // Stored from a borrow: zarrs copies an owned array into bytes of its own
    // first.
    let stored = with_dtype!(target.dtype, U => match U::unwrap(block) {
        Ok(a) => target.array.store_array_subset(&subset, &a).map_err(|e| e.to_string()),
        Err(_) => Err("block of another dtype".to_string()),
    });
    stored.map_err(|message| {
        Error::storage_chunk(
            &target.path,
            target.array.chunk_key(&idx).to_string(),
            message,
        )
    })
}

/// Creates the directory `dir` and the array to be written there; the caller
/// stores the metadata once every chunk is, then syncs the directory.
fn create(
    dir: &Path,
    shape: &[usize],
    dtype: DType,
    chunks: &[usize],
    options: &ZarrOptions,
) -> Result<ZarrArray<DeferredSyncStore>> {
    let fail = |e: &dyn std::fmt::Display| Error::storage(dir, e);
    std::fs::create_dir_all(dir).map_err(|e| fail(&e))?;
    let mut store_options = FilesystemStoreOptions::default();
    store_options.direct_io(options.direct_io);
    let store = FilesystemStore::new_with_options(dir, store_options).map_err(|e| fail(&e))?;
    let store = DeferredSyncStore::new(store, !options.direct_io);
    let shape: Vec<u64> = shape.iter().map(|&n| n as u64).collect();
    let inner: Vec<u64> = chunks.iter().map(|&n| n as u64).collect();
    let grid = match &options.shards {
        Some(s) => s.iter().map(|&n| n as u64).collect(),
        None => inner.clone(),
    };
    let fill = with_dtype!(dtype, U => zarrs::array::FillValue::from(U::default()));
    let mut builder = ArrayBuilder::new(shape, grid, zarr_data_type(dtype), fill);
    builder
        .bytes_to_bytes_codecs(codecs(&options.codec, dtype).map_err(|e| fail(&e))?)
        .attributes(options.attributes.clone())
        .dimension_names(options.dimension_names.clone());
    if options.shards.is_some() {
        builder.subchunk_shape(inner);
    }
    builder.build(Arc::new(store), "/").map_err(|e| fail(&e))
}

fn codecs(
    codec: &ZarrCodec,
    dtype: DType,
) -> std::result::Result<Vec<Arc<dyn BytesToBytesCodecTraits>>, String> {
    Ok(match codec {
        ZarrCodec::Zstd(level) => vec![Arc::new(ZstdCodec::new(*level, false))],
        ZarrCodec::Blosc(level) => {
            let level = BloscCompressionLevel::try_from(*level)
                .map_err(|l| format!("blosc level {l} is not in 0..=9"))?;
            let codec = BloscCodec::new(
                BloscCompressor::LZ4,
                level,
                None,
                BloscShuffleMode::Shuffle,
                Some(dtype.size()),
            )
            .map_err(|e| e.to_string())?;
            vec![Arc::new(codec)]
        }
        ZarrCodec::None => Vec::new(),
    })
}

fn zarr_data_type(dtype: DType) -> DataType {
    match dtype {
        DType::Bool => data_type::bool(),
        DType::I8 => data_type::int8(),
        DType::I16 => data_type::int16(),
        DType::I32 => data_type::int32(),
        DType::I64 => data_type::int64(),
        DType::U8 => data_type::uint8(),
        DType::U16 => data_type::uint16(),
        DType::U32 => data_type::uint32(),
        DType::U64 => data_type::uint64(),
        DType::F32 => data_type::float32(),
        DType::F64 => data_type::float64(),
    }
}

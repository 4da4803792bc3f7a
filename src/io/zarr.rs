//! Reading Zarr arrays (v2 and v3) as lazy arrays.
//!
//! The array's own directory is the store root, so an array inside a group is
//! opened by its path (`store.zarr/group/array`). Each block is read with one
//! subset request: `zarrs` decodes only the chunks it overlaps (and, in a
//! sharded array, only the inner chunks), and missing chunks read as the fill
//! value.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ndarray::ArrayD;
use serde::{Deserialize, Serialize};
use zarrs::array::{Array as ZarrArray, ArrayShardedExt, ArraySubset};
use zarrs::filesystem::FilesystemStore;

use crate::array::Array;
use crate::block::DynArray;
use crate::chunks::{ChunkSpec, Chunks};
use crate::element::DType;
use crate::element::Element;
use crate::error::{Error, Result};
use crate::registry::{read_params, BlockFn, Recipe};

pub(super) type Store = ZarrArray<FilesystemStore>;

/// The Zarr array at `path` (v2 or v3), chunked as stored: one block per stored
/// chunk (per shard, for a sharded array).
///
/// A missing path, metadata that cannot be read, or a dtype other than `T`
/// gives an `Err` naming the path; a chunk that fails to decode gives one naming
/// the chunk's key, at compute time.
///
/// ```no_run
/// let x = ndchunk::from_zarr::<f32>("data.zarr/group/temperature")?;
/// println!("{}", x.mean()?.compute()?);
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn from_zarr<T: Element>(path: impl AsRef<Path>) -> Result<Array<T>> {
    super::register_kinds();
    let (array, path) = open::<T>(path.as_ref())?;
    let chunks = stored_chunks(&array, &path)?;
    source(array, path, chunks)
}

/// [`from_zarr`] with blocks of `chunks`, each axis' block length rounded up to
/// a multiple of the stored chunk length, so that no stored chunk is read by two
/// blocks. For a sharded array the unit is the inner chunk: blocks smaller than
/// a shard read only their inner chunks (zarrs decodes shards partially), so
/// slices and gathers of such an array read only the inner chunks they touch.
///
/// ```no_run
/// // Blocks of 1000 rows (or the next multiple of the stored rows), whole columns.
/// let x = ndchunk::from_zarr_with::<f64>("data.zarr", [1000, -1])?;
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn from_zarr_with<T: Element>(
    path: impl AsRef<Path>,
    chunks: impl Into<ChunkSpec>,
) -> Result<Array<T>> {
    super::register_kinds();
    let (array, path) = open::<T>(path.as_ref())?;
    let stored = stored_chunks(&array, &path)?;
    let shape = stored.shape();
    let inner = array.effective_subchunk_shape();
    let asked = chunks.into().resolve(&shape, T::DTYPE)?;
    let lens: Vec<usize> = (0..shape.len())
        .map(|axis| {
            let unit = match &inner {
                Some(c) => c[axis].get() as usize,
                None => stored.lens(axis)[0],
            }
            .max(1);
            let len = asked.lens(axis)[0].max(1);
            len.div_ceil(unit) * unit
        })
        .collect();
    let chunks = Chunks::regular(&shape, &lens)?;
    source(array, path, chunks)
}

/// Opens the array at `path`, checking that its dtype is `T`'s.
pub(super) fn open<T: Element>(path: &Path) -> Result<(Arc<Store>, PathBuf)> {
    if !path.is_dir() {
        return Err(Error::storage(path, "no Zarr array here (not a directory)"));
    }
    let store = FilesystemStore::new(path).map_err(|e| Error::storage(path, e))?;
    let store = Arc::new(store);
    let array = ZarrArray::open(store.clone(), "/").map_err(|e| match group_arrays(&store) {
        Some(arrays) if arrays.is_empty() => {
            Error::storage(path, "is a Zarr group, not an array, and holds no arrays")
        }
        Some(arrays) => Error::storage(
            path,
            format!(
                "is a Zarr group, not an array; its arrays are: {} (open one as {}/NAME)",
                arrays.join(", "),
                path.display()
            ),
        ),
        None => Error::storage(path, e),
    })?;
    let found = array.data_type();
    let matches =
        with_dtype!(T::DTYPE, U => <U as zarrs::array::Element>::validate_data_type(found).is_ok());
    if !matches {
        return Err(Error::DtypeMismatch {
            op: format!("from_zarr({})", path.display()),
            expected: T::DTYPE.name().to_string(), // NumPy and Zarr v3 names agree
            found: found.to_string(),
        });
    }
    Ok((Arc::new(array), path.to_path_buf()))
}

/// The paths of the arrays in the group at the root of `store`, if it is a group.
fn group_arrays(store: &Arc<FilesystemStore>) -> Option<Vec<String>> {
    let group = zarrs::group::Group::open(store.clone(), "/").ok()?;
    let mut paths: Vec<String> = group
        .children(true)
        .ok()?
        .iter()
        .filter(|n| matches!(n.metadata(), zarrs::node::NodeMetadata::Array(_)))
        .map(|n| n.path().as_str().trim_start_matches('/').to_string())
        .collect();
    paths.sort();
    Some(paths)
}

/// One block per stored chunk (the last along each axis cut at the array's end).
fn stored_chunks(array: &Store, path: &Path) -> Result<Chunks> {
    let shape: Vec<usize> = array.shape().iter().map(|&n| n as usize).collect();
    let zero = vec![0; shape.len()];
    let chunk = array
        .chunk_shape_usize(&zero)
        .map_err(|e| Error::storage(path, format!("chunk grid: {e}")))?;
    Chunks::regular(&shape, &chunk)
}

/// What another process needs to read a Zarr source: the `zarr` kind's
/// recipe parameters.
#[derive(Serialize, Deserialize)]
struct SourceParams {
    path: PathBuf,
    chunks: Chunks,
    dtype: DType,
}

/// The lazy array reading `array`'s blocks of `chunks`.
fn source<T: Element>(array: Arc<Store>, path: PathBuf, chunks: Chunks) -> Result<Array<T>> {
    let name = format!("from_zarr[{}]", path.display());
    let params = SourceParams {
        path: path.clone(),
        chunks: chunks.clone(),
        dtype: T::DTYPE,
    };
    let recipe = Recipe::new(super::ZARR, &params)?;
    let read = block_reader::<T>(array, path, chunks.clone());
    Ok(super::source_array(&name, read, recipe, chunks))
}

fn block_reader<T: Element>(array: Arc<Store>, path: PathBuf, grid: Chunks) -> Arc<BlockFn> {
    let plain_zstd = super::zstd_chunk::is_plain_zstd(&array);
    Arc::new(move |block: &[usize], _: &[&DynArray]| {
        read_block::<T>(&array, &path, &grid, block, plain_zstd)
    })
}

/// The block reader of a Zarr source made again in another process from its
/// recipe's parameters: the array is opened again and its dtype checked.
pub(crate) fn reader(params: &str) -> Result<Arc<BlockFn>> {
    let p: SourceParams = read_params("from_zarr", params)?;
    with_dtype!(p.dtype, T => {
        let (array, path) = open::<T>(&p.path)?;
        Ok(block_reader::<T>(array, path, p.chunks))
    })
}

/// Block `block` of `chunks`, read from `array`; a whole chunk of a
/// `plain_zstd` array is decoded straight into the block's buffer (see
/// [`super::zstd_chunk`]).
fn read_block<T: Element>(
    array: &Store,
    path: &Path,
    chunks: &Chunks,
    block: &[usize],
    plain_zstd: bool,
) -> Result<DynArray> {
    let ranges: Vec<std::ops::Range<u64>> = chunks
        .block_ranges(block)
        .into_iter()
        .map(|r| r.start as u64..r.end as u64)
        .collect();
    let subset = ArraySubset::new_with_ranges(&ranges);
    if plain_zstd {
        let direct = with_num_dtype!(T::DTYPE, U => {
            super::zstd_chunk::read_whole_chunk::<U>(array, &subset).map(|a| a.map(U::wrap))
        }, else => Ok(None));
        match direct {
            Ok(Some(block)) => return Ok(block),
            Ok(None) => {}
            Err((key, message)) => return Err(Error::storage_chunk(path, key, message)),
        }
    }
    with_dtype!(T::DTYPE, U => {
        let read = array.retrieve_array_subset::<ArrayD<U>>(&subset);
        match read {
            Ok(a) => Ok(U::wrap(a)),
            Err(e) => Err(blame_chunk::<U>(array, path, &subset, e)),
        }
    })
}

/// The error of a failed read, naming the first chunk of `subset` that fails
/// on its own (the subset's error alone does not say which).
fn blame_chunk<U: zarrs::array::ElementOwned>(
    array: &Store,
    path: &Path,
    subset: &ArraySubset,
    error: zarrs::array::ArrayError,
) -> Error {
    let culprit = array
        .chunks_in_array_subset(subset)
        .ok()
        .flatten()
        .and_then(|chunks| {
            chunks.indices().into_iter().find_map(|idx| {
                let failed = array.retrieve_chunk::<ArrayD<U>>(&idx).err()?;
                Some((array.chunk_key(&idx).to_string(), failed.to_string()))
            })
        });
    match culprit {
        Some((key, message)) => Error::storage_chunk(path, key, message),
        None => Error::storage(path, error),
    }
}

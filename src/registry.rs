//! Things a plan names as data, looked up by name in the process that runs it:
//! storage kinds (the readers and writers of Zarr, HDF5, ... made from
//! parameters) and block functions registered with [`register_fn`].
//!
//! A closure cannot travel to a Dask worker; a name can. A storage source or
//! sink carries a [`Recipe`] (its kind's name and the kind's own parameters as
//! JSON), and the worker makes the reader or writer again from it. Kinds are
//! registered by the module that implements them (`io` registers `zarr` and
//! `hdf5` when first used, and every worker process registers them before
//! reading a plan), so this module knows none of them: the planner and the
//! executor stay below storage.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use ndarray::{ArrayD, ArrayViewD};
use serde::{Deserialize, Serialize};

use crate::block::DynArray;
use crate::element::{DType, Element};
use crate::error::{Error, Result};

/// A user block function: block index and input blocks in, one block out.
pub type BlockFn = dyn Fn(&[usize], &[&DynArray]) -> Result<DynArray> + Send + Sync;

/// A sink's writer: stores one block (by its index in the sink's grid).
pub type StoreFn = dyn Fn(&[usize], DynArray) -> Result<()> + Send + Sync;

/// Makes a source's block reader from a recipe's parameters.
pub type MakeReader = fn(&str) -> Result<Arc<BlockFn>>;

/// Makes a sink's block writer from a recipe's parameters.
pub type MakeWriter = fn(&str) -> Result<Arc<StoreFn>>;

/// How a storage kind makes its reader or writer from a recipe's parameters.
#[derive(Clone, Copy, Debug)]
pub struct StorageKind {
    /// The kind's name, as recipes give it (`zarr`).
    pub name: &'static str,
    /// Makes a source's block reader.
    pub reader: MakeReader,
    /// Makes a sink's block writer, for kinds that workers may write.
    pub writer: Option<MakeWriter>,
}

/// A storage source or sink as data: which kind, and the kind's parameters
/// (JSON, read only by the kind).
///
/// ```
/// let r = ndchunk::registry::Recipe::new("no-such-kind", &serde_json::json!({"path": "x"}))?;
/// assert_eq!(r.kind, "no-such-kind");
/// let e = r.reader().err().unwrap().to_string();
/// assert!(e.contains("no-such-kind") && e.contains("not registered"), "{e}");
/// # Ok::<(), ndchunk::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipe {
    /// The storage kind's name.
    pub kind: String,
    /// The kind's parameters as JSON.
    pub params: String,
}

impl Recipe {
    /// A recipe of `kind` with `params` (serialised as JSON).
    pub fn new(kind: &str, params: &impl Serialize) -> Result<Recipe> {
        let params = serde_json::to_string(params)
            .map_err(|e| Error::invalid(kind, format!("parameters: {e}")))?;
        Ok(Recipe {
            kind: kind.to_string(),
            params,
        })
    }

    /// The block reader this recipe describes, made in this process.
    pub fn reader(&self) -> Result<Arc<BlockFn>> {
        (storage_kind(&self.kind)?.reader)(&self.params)
    }

    /// The block writer this recipe describes, made in this process.
    pub fn writer(&self) -> Result<Arc<StoreFn>> {
        match storage_kind(&self.kind)?.writer {
            Some(make) => make(&self.params),
            None => Err(Error::invalid(
                &self.kind,
                "this storage kind is written by the process that plans, not by workers",
            )),
        }
    }
}

/// A recipe's parameters `params` read back as `P`, by the kind's reader or
/// writer maker (`op` names it in the error).
///
/// ```
/// let n: u32 = ndchunk::registry::read_params("demo", "7")?;
/// assert_eq!(n, 7);
/// let e = ndchunk::registry::read_params::<u32>("demo", "{}").unwrap_err().to_string();
/// assert!(e.contains("demo") && e.contains("{}"), "{e}");
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn read_params<P: serde::de::DeserializeOwned>(op: &str, params: &str) -> Result<P> {
    serde_json::from_str(params)
        .map_err(|e| Error::invalid(op, format!("recipe parameters {params}: {e}")))
}

fn storage_kinds() -> &'static RwLock<HashMap<&'static str, StorageKind>> {
    static KINDS: OnceLock<RwLock<HashMap<&'static str, StorageKind>>> = OnceLock::new();
    KINDS.get_or_init(Default::default)
}

/// Registers `kind` under its name (again: replaces it).
pub fn register_storage_kind(kind: StorageKind) {
    if let Ok(mut kinds) = storage_kinds().write() {
        kinds.insert(kind.name, kind);
    }
}

/// The storage kind registered as `name`.
pub fn storage_kind(name: &str) -> Result<StorageKind> {
    storage_kinds()
        .read()
        .ok()
        .and_then(|kinds| kinds.get(name).copied())
        .ok_or_else(|| {
            Error::invalid(
                name,
                "storage kind is not registered in this process (is ndchunk built with \
                 its cargo feature?)",
            )
        })
}

/// A function registered by name: its block function and dtypes.
#[derive(Clone)]
pub(crate) struct Registered {
    /// Input dtype.
    pub input: DType,
    /// Output dtype.
    pub output: DType,
    /// The function over blocks.
    pub f: Arc<BlockFn>,
}

fn registry() -> &'static RwLock<HashMap<String, Registered>> {
    static REGISTRY: OnceLock<RwLock<HashMap<String, Registered>>> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

/// The function registered as `name`, if any.
pub(crate) fn registered(name: &str) -> Option<Registered> {
    registry().read().ok()?.get(name).cloned()
}

/// `f` as a function over dynamically typed blocks: the first input must hold `T`.
pub(crate) fn block_fn_of<T: Element, U: Element>(
    op: &str,
    f: impl Fn(ArrayViewD<T>) -> Result<ArrayD<U>> + Send + Sync + 'static,
) -> Arc<BlockFn> {
    let op = op.to_string();
    Arc::new(move |_: &[usize], ins: &[&DynArray]| {
        let input =
            ins.first()
                .and_then(|b| T::unwrap_ref(b))
                .ok_or_else(|| Error::DtypeMismatch {
                    op: op.clone(),
                    expected: T::DTYPE.to_string(),
                    found: ins
                        .first()
                        .map_or("no input".into(), |b| b.dtype().to_string()),
                })?;
        f(input.view()).map(U::wrap)
    })
}

/// Registers `f` as the block function `name`, for
/// [`Array::map_blocks_registered`](crate::Array::map_blocks_registered).
///
/// Closures cannot travel between processes: under the Dask executor each task
/// runs in a fresh process of the same program, which finds the function by its
/// name. Register every function at the top of `main`, before
/// [`worker::run_if_worker`](crate::worker::run_if_worker), in the same order in
/// every process. Registering a name again replaces the function.
///
/// ```
/// ndchunk::register_fn("halve", |b: ndarray::ArrayViewD<f64>| b.mapv(|v| v / 2.0));
/// let x = ndchunk::arange::<f64>(0.0, 4.0, 1.0, [2])?;
/// let y = x.map_blocks_registered::<f64>("halve")?;
/// assert_eq!(y.compute()?.into_raw_vec_and_offset().0, vec![0.0, 0.5, 1.0, 1.5]);
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn register_fn<T: Element, U: Element>(
    name: &str,
    f: impl Fn(ArrayViewD<T>) -> ArrayD<U> + Send + Sync + 'static,
) {
    let entry = Registered {
        input: T::DTYPE,
        output: U::DTYPE,
        f: block_fn_of(name, move |b| Ok(f(b))),
    };
    if let Ok(mut r) = registry().write() {
        r.insert(name.to_string(), entry);
    }
}

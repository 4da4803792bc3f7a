//! User functions carried in a graph. They are named so that a plan can refer
//! to them as data (the distributed executor looks them up by name).

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use ndarray::{ArrayD, ArrayViewD};
use serde::Deserialize;

use crate::block::{DynArray, Tile};
use crate::element::{DType, Element};
use crate::error::{Error, Result};

/// A user elementwise function over tiles: inputs in, one output tile out.
pub type TileFn = dyn Fn(&[&Tile], &mut Tile) -> Result<()> + Send + Sync;

/// A user block function: block index and input blocks in, one block out.
pub type BlockFn = dyn Fn(&[usize], &[&DynArray]) -> Result<DynArray> + Send + Sync;

/// How a process that did not build the graph makes a storage source's reader
/// again: storage sources are data, not closures.
#[derive(Clone, Debug, PartialEq, serde::Serialize, Deserialize)]
pub enum Recipe {
    /// Blocks of `chunks` of the Zarr array at `path`.
    Zarr {
        /// The array's directory.
        path: std::path::PathBuf,
        /// Block grid.
        chunks: crate::chunks::Chunks,
        /// Element type.
        dtype: crate::element::DType,
    },
    /// Blocks of `chunks` of dataset `dataset` of the HDF5 file at `path`.
    Hdf5 {
        /// The file.
        path: std::path::PathBuf,
        /// The dataset's path in the file.
        dataset: String,
        /// Block grid.
        chunks: crate::chunks::Chunks,
        /// Element type.
        dtype: crate::element::DType,
    },
}

impl Recipe {
    /// The source's block grid.
    ///
    /// ```
    /// let chunks = ndchunk::Chunks::new(vec![vec![2, 2]])?;
    /// let r = ndchunk::expr::Recipe::Zarr {
    ///     path: "x.zarr".into(),
    ///     chunks: chunks.clone(),
    ///     dtype: ndchunk::DType::F32,
    /// };
    /// assert_eq!(r.chunks(), &chunks);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn chunks(&self) -> &crate::chunks::Chunks {
        match self {
            Recipe::Zarr { chunks, .. } | Recipe::Hdf5 { chunks, .. } => chunks,
        }
    }
}

/// A named user function.
pub struct UserFn<F: ?Sized> {
    /// Unique name (`mapv#3`), stable for the life of the graph; for a registered
    /// function, the name it was registered under.
    pub name: String,
    /// The function.
    pub f: Arc<F>,
    /// For storage sources: how another process makes the reader again.
    pub recipe: Option<Recipe>,
}

impl<F: ?Sized> UserFn<F> {
    /// Wraps `f` with a fresh name built from `kind`.
    pub fn new(kind: &str, f: Arc<F>) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        UserFn {
            name: format!("{kind}#{}", NEXT.fetch_add(1, Ordering::Relaxed)),
            f,
            recipe: None,
        }
    }

    /// A storage source's reader `f`, named `name`, made again from `recipe`
    /// in other processes.
    pub fn source(name: &str, f: Arc<F>, recipe: Recipe) -> Self {
        UserFn {
            recipe: Some(recipe),
            ..UserFn::new(name, f)
        }
    }

    /// True when a worker process can run it: a storage source, or a function
    /// registered under its name (see [`register_fn`]).
    ///
    /// ```
    /// let x = ndchunk::arange::<f64>(0.0, 4.0, 1.0, [2])?;
    /// let closure = x.mapv(|v| v + 1.0);
    /// let ndchunk::expr::Op::Elementwise(ndchunk::expr::ElemOp::User(f, _)) = &closure.node().op else {
    ///     unreachable!()
    /// };
    /// assert!(!f.is_portable());
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn is_portable(&self) -> bool {
        self.recipe.is_some() || registered(&self.name).is_some()
    }
}

impl<F: ?Sized> Clone for UserFn<F> {
    fn clone(&self) -> Self {
        UserFn {
            name: self.name.clone(),
            f: self.f.clone(),
            recipe: self.recipe.clone(),
        }
    }
}

impl<F: ?Sized> fmt::Debug for UserFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UserFn({})", self.name)
    }
}

/// Human-readable forms (a plan as JSON) show the name; the binary form carries
/// the recipe too.
impl<F: ?Sized> serde::Serialize for UserFn<F> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&self.name)
        } else {
            (&self.name, &self.recipe).serialize(s)
        }
    }
}

/// The function a worker runs for `name`: an error saying it is not registered.
fn unregistered(name: &str) -> Error {
    Error::invalid(
        name,
        "user function is not registered in this process (see ndchunk::register_fn)",
    )
}

/// Deserialising gives a function that reports it is not registered in this
/// process: elementwise closures cannot be registered (see [`register_fn`]).
impl<'de> serde::Deserialize<'de> for UserFn<TileFn> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let (name, recipe) = <(String, Option<Recipe>)>::deserialize(d)?;
        let missing = name.clone();
        let f: Arc<TileFn> = Arc::new(move |_: &[&Tile], _: &mut Tile| Err(unregistered(&missing)));
        Ok(UserFn { name, f, recipe })
    }
}

/// Deserialising makes a storage source's reader from its recipe, or finds a
/// registered function by name; otherwise the function reports that it is not
/// registered when called.
impl<'de> serde::Deserialize<'de> for UserFn<BlockFn> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let (name, recipe) = <(String, Option<Recipe>)>::deserialize(d)?;
        let f: Arc<BlockFn> = match &recipe {
            Some(r) => crate::io::reader(r).map_err(serde::de::Error::custom)?,
            None => match registered(&name) {
                Some(entry) => entry.f,
                None => {
                    let missing = name.clone();
                    Arc::new(move |_: &[usize], _: &[&DynArray]| Err(unregistered(&missing)))
                }
            },
        };
        Ok(UserFn { name, f, recipe })
    }
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
    f: impl Fn(ArrayViewD<T>) -> ArrayD<U> + Send + Sync + 'static,
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
        Ok(U::wrap(f(input.view())))
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
        f: block_fn_of(name, f),
    };
    if let Ok(mut r) = registry().write() {
        r.insert(name.to_string(), entry);
    }
}

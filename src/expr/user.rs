//! User functions carried in a graph. They are named so that a plan can refer
//! to them as data (the distributed executor looks them up by name).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::block::{DynArray, Tile};
use crate::error::{Error, Result};
use crate::registry::{registered, BlockFn, Recipe, StoreFn};

/// A user elementwise function over tiles: inputs in, one output tile out.
pub type TileFn = dyn Fn(&[&Tile], &mut Tile) -> Result<()> + Send + Sync;

/// A named user function.
pub struct UserFn<F: ?Sized> {
    /// Unique name (`mapv#3`), stable for the life of the graph; for a registered
    /// function, the name it was registered under.
    pub name: String,
    /// The function.
    pub f: Arc<F>,
    /// For storage sources and sinks: how another process makes the reader
    /// or writer again (see [`crate::registry`]).
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

    /// A storage source's reader or a sink's writer `f`, named `name`, made
    /// again from `recipe` in other processes.
    pub fn storage(name: &str, f: Arc<F>, recipe: Recipe) -> Self {
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
            Some(r) => r.reader().map_err(serde::de::Error::custom)?,
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

/// Deserialising makes a sink's writer from its recipe; without one, the
/// writer reports that it cannot be made in this process.
impl<'de> serde::Deserialize<'de> for UserFn<StoreFn> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let (name, recipe) = <(String, Option<Recipe>)>::deserialize(d)?;
        let f: Arc<StoreFn> = match &recipe {
            Some(r) => r.writer().map_err(serde::de::Error::custom)?,
            None => {
                let missing = name.clone();
                Arc::new(move |_: &[usize], _: DynArray| Err(unregistered(&missing)))
            }
        };
        Ok(UserFn { name, f, recipe })
    }
}

//! User functions carried in a graph. They are named so that a plan can refer
//! to them as data (the distributed executor looks them up by name).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::block::{DynArray, Tile};
use crate::error::Result;

/// A user elementwise function over tiles: inputs in, one output tile out.
pub type TileFn = dyn Fn(&[&Tile], &mut Tile) -> Result<()> + Send + Sync;

/// A user block function: block index and input blocks in, one block out.
pub type BlockFn = dyn Fn(&[usize], &[&DynArray]) -> Result<DynArray> + Send + Sync;

/// A named user function.
pub struct UserFn<F: ?Sized> {
    /// Unique name (`mapv#3`), stable for the life of the graph.
    pub name: String,
    /// The function.
    pub f: Arc<F>,
}

impl<F: ?Sized> UserFn<F> {
    /// Wraps `f` with a fresh name built from `kind`.
    pub fn new(kind: &str, f: Arc<F>) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        UserFn {
            name: format!("{kind}#{}", NEXT.fetch_add(1, Ordering::Relaxed)),
            f,
        }
    }
}

impl<F: ?Sized> Clone for UserFn<F> {
    fn clone(&self) -> Self {
        UserFn {
            name: self.name.clone(),
            f: self.f.clone(),
        }
    }
}

impl<F: ?Sized> fmt::Debug for UserFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UserFn({})", self.name)
    }
}

impl<F: ?Sized> serde::Serialize for UserFn<F> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.name)
    }
}

/// Deserialising gives a function that reports it is not registered in this process.
impl<'de> serde::Deserialize<'de> for UserFn<TileFn> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        let missing = name.clone();
        let f: Arc<TileFn> = Arc::new(move |_: &[&Tile], _: &mut Tile| {
            Err(crate::Error::invalid(
                &missing,
                "user function is not registered in this process",
            ))
        });
        Ok(UserFn { name, f })
    }
}

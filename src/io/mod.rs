//! Sources and sinks in storage: Zarr arrays (v2 and v3, through `zarrs`, with
//! the `zarr` cargo feature) and HDF5 datasets (through `hdf5-metno`, with the
//! `hdf5` feature). Each is a storage kind registered in [`crate::registry`],
//! so plans name them as data and the layers below never import this module.

#[cfg(feature = "zarr")]
mod deferred_sync;
#[cfg(feature = "hdf5")]
pub mod hdf5;
#[cfg(any(feature = "zarr", feature = "hdf5"))]
pub(crate) mod partial;
#[cfg(feature = "zarr")]
pub mod zarr;
#[cfg(feature = "zarr")]
pub mod zarr_write;
#[cfg(feature = "zarr")]
mod zstd_chunk;

use std::sync::Once;

#[cfg(any(feature = "zarr", feature = "hdf5"))]
use crate::{
    array::Array,
    chunks::Chunks,
    element::Element,
    expr::{Node, Op, UserFn},
    registry::{register_storage_kind, BlockFn, Recipe, StorageKind},
};
#[cfg(any(feature = "zarr", feature = "hdf5"))]
use std::sync::Arc;

/// The storage kind of Zarr arrays.
#[cfg(feature = "zarr")]
const ZARR: &str = "zarr";
/// The storage kind of HDF5 datasets.
#[cfg(feature = "hdf5")]
const HDF5: &str = "hdf5";

/// Registers this module's storage kinds (`zarr`, `hdf5`), once per process:
/// called by every source and sink constructor, and by worker processes before
/// they read a plan.
pub fn register_kinds() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        #[cfg(feature = "zarr")]
        register_storage_kind(StorageKind {
            name: ZARR,
            reader: zarr::reader,
            writer: Some(zarr_write::writer),
        });
        #[cfg(feature = "hdf5")]
        register_storage_kind(StorageKind {
            name: HDF5,
            reader: hdf5::reader,
            writer: Some(hdf5::writer),
        });
    });
}

/// The lazy array of a storage source named `name`: `read` gives its blocks
/// (of `chunks`), and `recipe` lets other processes make `read` again.
#[cfg(any(feature = "zarr", feature = "hdf5"))]
fn source_array<T: Element>(
    name: &str,
    read: Arc<BlockFn>,
    recipe: Recipe,
    chunks: Chunks,
) -> Array<T> {
    let f = UserFn::storage(name, read, recipe);
    Array::from_node(Node::new(Op::FromFn(f), Vec::new(), chunks, T::DTYPE))
}

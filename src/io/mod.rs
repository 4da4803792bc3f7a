//! Sources and sinks in storage: Zarr arrays (v2 and v3, through `zarrs`) and
//! HDF5 datasets (through `hdf5-metno`).

pub mod hdf5;
pub(crate) mod partial;
pub mod zarr;
pub mod zarr_write;

use std::sync::Arc;

use crate::array::Array;
use crate::element::Element;
use crate::error::Result;
use crate::expr::{BlockFn, Node, Op, Recipe, UserFn};

/// The lazy array of a storage source named `name`: `read` gives its blocks (of
/// the recipe's chunks), and `recipe` lets other processes make `read` again.
fn source_array<T: Element>(name: &str, read: Arc<BlockFn>, recipe: Recipe) -> Array<T> {
    let chunks = recipe.chunks().clone();
    let f = UserFn::source(name, read, recipe);
    Array::from_node(Node::new(Op::FromFn(f), Vec::new(), chunks, T::DTYPE))
}

/// The block reader a storage source's recipe describes, made in this process.
pub(crate) fn reader(recipe: &Recipe) -> Result<Arc<BlockFn>> {
    match recipe {
        Recipe::Zarr {
            path,
            chunks,
            dtype,
        } => zarr::reader(path, chunks, *dtype),
        Recipe::Hdf5 {
            path,
            dataset,
            chunks,
            dtype,
        } => hdf5::reader(path, dataset, chunks, *dtype),
    }
}

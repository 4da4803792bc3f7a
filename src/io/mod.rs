//! Sources and sinks in storage: Zarr arrays (v2 and v3, through `zarrs`) and
//! HDF5 datasets (through `hdf5-metno`).

pub mod hdf5;
pub mod zarr;
pub mod zarr_write;

use std::sync::Arc;

use crate::error::Result;
use crate::expr::{BlockFn, Recipe};

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

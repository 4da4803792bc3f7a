//! Sources and sinks in storage: Zarr arrays (v2 and v3, through `zarrs`) and
//! HDF5 datasets (through `hdf5-metno`).

pub mod hdf5;
pub mod zarr;
pub mod zarr_write;

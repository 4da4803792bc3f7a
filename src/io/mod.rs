//! Sources and sinks in storage: Zarr arrays (v2 and v3, through `zarrs`).

pub mod zarr;
pub mod zarr_write;

//! # ndchunk
//!
//! Lazy, chunked, out-of-core n-dimensional arrays: dask.array's model in Rust.
//!
//! An [`Array`] is a handle to a node of a logical graph. Operations build the
//! graph and do no work; [`Array::compute`] plans it (culling what the result does
//! not need, fusing elementwise chains into one pass over cache-sized tiles,
//! turning reductions into trees) and runs the plan on a memory-bounded local
//! executor.
//!
//! ```
//! use ndchunk::prelude::*;
//! let u = ndchunk::random::uniform::<f32>(&[1_000_000], [250_000], 42)?;
//! let m = ((&u * 2.0 + 1.0).powi(2)).mean()?.compute()?[[]];
//! assert!((m - 13.0 / 3.0).abs() < 1e-2);
//! # Ok::<(), ndchunk::Error>(())
//! ```
//!
//! Differences from NumPy, on purpose: operands of a binary operation share one
//! dtype (use [`Array::astype`] to convert; there is no implicit promotion);
//! integer `/` is floor division (NumPy's `//`), integer `%` takes the divisor's
//! sign, and integer division or remainder by zero gives 0; float maths (`sqrt`,
//! `exp`, ...) is defined on float arrays only; float sums and means accumulate in `f64` even for `f32` input (at least as accurate as
//! NumPy's pairwise `f32` sums).
//!
//! ## Cargo features
//!
//! - `zarr` (default): Zarr v2/v3 sources and sinks ([`from_zarr`],
//!   `Array::to_zarr`, [`store`]), through `zarrs`.
//! - `hdf5` (default): HDF5 sources and sinks ([`from_hdf5`],
//!   `Array::to_hdf5`), through `hdf5-metno`; needs the system's libhdf5
//!   (Debian's `libhdf5-dev`).
//!
//! `default-features = false` builds the in-memory core with neither.
#![warn(missing_docs)]

#[macro_use]
mod macros;

pub mod array;
// The internal layers below stay reachable by path, because the integration
// tests, the comparison harness and worker processes inspect plans and
// graphs, but they are not the API: the documented surface is the crate root,
// the prelude and the modules shown.
#[doc(hidden)]
pub mod block;
pub mod chunks;
pub mod config;
pub mod element;
pub mod error;
pub mod exec;
#[doc(hidden)]
pub mod expr;
pub mod grid;
#[doc(hidden)]
pub mod huge_pages;
pub mod io;
#[doc(hidden)]
pub mod plan;
pub mod registry;
#[doc(hidden)]
pub mod ship;
pub mod worker;

pub use array::blockwise::blockwise;
pub use array::counting::{Bins, Unique, UniqueOptions};
pub use array::creation::{arange, eye, eye_k, from_array, from_fn, full, linspace, ones, zeros};
pub use array::einsum::einsum;
pub use array::elementwise::{where_, Operand};
pub use array::indexing::{BoolMask, Index, Indexer};
pub use array::join::{concatenate, stack, PadMode};
pub use array::linalg;
pub use array::neighbors;
pub use array::overlap::{Boundaries, OverlapBoundary};
pub use array::random;
pub use array::reductions::ReduceOptions;
pub use array::sort::Side;
pub use array::{compute_all, compute_all_with, compute_any, AnyArray, Array};
pub use block::{DynArray, DynSliceMut};
pub use chunks::{AxisChunks, ChunkSpec, Chunks};
pub use config::PlanOptions;
pub use element::{DType, Element, FloatElement, IntElement, NumElement, Scalar};
pub use error::{Error, Result};
pub use exec::Executor;
#[cfg(feature = "hdf5")]
pub use io::hdf5::{from_hdf5, from_hdf5_with, Hdf5Options};
#[cfg(feature = "zarr")]
pub use io::zarr::{from_zarr, from_zarr_with};
#[cfg(feature = "zarr")]
pub use io::zarr_write::{store, store_with, ZarrCodec, ZarrOptions};
pub use ndarray::{s, Axis, NewAxis, Slice};
pub use registry::register_fn;

/// The names most programs need: `use ndchunk::prelude::*;`.
pub mod prelude {
    pub use crate::{
        s, Array, Axis, ChunkSpec, Chunks, DType, Element, Error, Executor, NewAxis, ReduceOptions,
        Slice,
    };
}

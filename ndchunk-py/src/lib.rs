//! `ndchunk._ndchunk`: the Rust half of the Python package. The Python
//! layer (`python/ndchunk/`) gives it dask.array's API; this module holds
//! the lazy arrays ([`array::RawArray`]) and the functions that make,
//! combine and compute them.

mod array;
mod convert;
mod errors;
mod exec;
mod functions;
mod more;

/// The extension module.
#[pyo3::pymodule(name = "_ndchunk")]
mod ndchunk_module {
    #[pymodule_export]
    use crate::array::RawArray;
    #[pymodule_export]
    use crate::functions::{
        arange, compute, concatenate, einsum, from_hdf5, from_numpy, from_zarr, full, linspace,
        matmul, persist, random, resolve_chunks, run_worker, stack, store, tensordot, to_hdf5,
        where_,
    };
    #[pymodule_export]
    use crate::more::{
        bincount, diagonal, digitize, gradient, histogram, histogram2d, kneighbors, knn, layout,
        linalg, norm, overlap, pad, permutation, product, svd_compressed,
    };
    use pyo3::prelude::*;

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("__version__", env!("CARGO_PKG_VERSION"))
    }
}

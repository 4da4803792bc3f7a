"""ndchunk: lazy, chunked, out-of-core N-dimensional arrays with dask.array's
API, computed in Rust.

>>> import numpy as np, ndchunk as nc
>>> x = nc.from_array(np.arange(12.0).reshape(3, 4), chunks=(2, 2))
>>> y = (x - x.mean(axis=0)) ** 2
>>> y.sum().compute()
np.float64(128.0)
"""

from . import linalg, random
from ._chunks import parse_bytes
from ._functions import (
    all, amax, amin, any, argmax, argmin, broadcast_to, clip, concatenate, count_nonzero, dot, einsum,
    expand_dims, map_blocks, matmul, max, mean, min, moveaxis, nanmax, nanmean, nanmin, nansum, nonzero,
    prod, ravel, cumsum, cumprod, nancumsum, nancumprod, sort, argsort, partition, argpartition, flip,
    diff, topk, argtopk, quantile, nanquantile, percentile, nanpercentile, median, nanmedian, unique,
    isin, searchsorted, nanvar, nanstd, nanprod, histogram, digitize, bincount, pad, roll, repeat, tile,
    diagonal, trace, outer, vdot, overlap, trim_internal, map_overlap, isclose, allclose, array_equal,
    nan_to_num, argwhere, flatnonzero, knn, histogram2d, gradient, permutation, kneighbors, reshape, round, squeeze, stack, std, sum, swapaxes, take, tensordot, transpose, var, where,
)
from ._ndchunk import __version__
from .core import Array, asarray, compute, from_array, persist
from .io import from_hdf5, from_zarr, store, to_hdf5, to_zarr
from .creation import (
    arange, empty, empty_like, eye, full, full_like, linspace, ones, ones_like, zeros, zeros_like,
)

__all__ = [name for name in dir() if not name.startswith("_")]

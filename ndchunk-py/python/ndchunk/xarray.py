"""xarray's chunk manager for ndchunk: ``chunked_array_type="ndchunk"``.

Registered under the entry point ``xarray.chunkmanagers`` as ``ndchunk``, so

>>> ds = xr.open_zarr(path, chunked_array_type="ndchunk", chunks={})   # doctest: +SKIP
>>> ds.mean("time").compute()                                          # doctest: +SKIP

runs through ndchunk. Cubed's manager (cubed-xarray) was the reference for
which hooks xarray calls.
"""

from __future__ import annotations

import numpy as np

try:
    from xarray.namedarray.parallelcompat import ChunkManagerEntrypoint
except ImportError:  # xarray not installed: the module imports, the manager is unusable
    ChunkManagerEntrypoint = object

from . import _ndchunk
from ._chunks import to_spec
from ._dtypes import held
from .core import Array, compute, from_array, persist


class NdchunkManager(ChunkManagerEntrypoint):
    """The chunk manager xarray finds for ``chunked_array_type="ndchunk"``."""

    available = True

    def __init__(self) -> None:
        self.array_cls = Array

    def is_chunked_array(self, data) -> bool:
        return isinstance(data, Array)

    def chunks(self, data: Array):
        return data.chunks

    def normalize_chunks(self, chunks, shape=None, limit=None, dtype=None, previous_chunks=None):
        """dask's chunk forms resolved to a tuple of tuples for ``shape``."""
        if isinstance(chunks, tuple) and all(isinstance(c, tuple) for c in chunks):
            return chunks
        dt = held(dtype if dtype is not None else np.float64)
        spec = to_spec(chunks, len(shape), previous_chunks)
        if limit is not None and spec is None:
            spec = int(limit)
        return tuple(tuple(c) for c in _ndchunk.resolve_chunks(spec, list(shape), dt.name))

    def from_array(self, data, chunks, **kwargs) -> Array:
        if isinstance(data, Array):
            return data.rechunk(chunks)
        return from_array(np.asarray(data), chunks=chunks)

    def rechunk(self, data: Array, chunks, **kwargs) -> Array:
        return data.rechunk(chunks)

    def compute(self, *data, **kwargs):
        return compute(*data, **kwargs)

    def persist(self, *data, **kwargs):
        return persist(*data, **kwargs)

    @property
    def array_api(self):
        import ndchunk

        return ndchunk

    def reduction(self, arr, func, combine_func=None, aggregate_func=None, axis=None, dtype=None,
                  keepdims=False):
        """xarray's blockwise reductions (``first``, ``last``): ``func`` (then
        ``aggregate_func``) applied to blocks holding the reduced axes whole."""
        axes = tuple(range(arr.ndim)) if axis is None else (axis,) if isinstance(axis, int) else tuple(axis)
        axes = tuple(a % arr.ndim for a in axes)
        whole = arr.rechunk({a: -1 for a in axes})

        def block(b):
            out = func(b, axis=axes, keepdims=True)
            return out if aggregate_func is None else aggregate_func(out, axis=axes, keepdims=True)

        chunks = tuple((1,) if a in axes else c for a, c in enumerate(whole.chunks))
        kept = whole.map_blocks(block, dtype=dtype or arr.dtype, chunks=chunks)
        return kept if keepdims else kept.squeeze(axis=axes)

    def map_blocks(self, func, *args, dtype=None, chunks=None, drop_axis=None, new_axis=None, **kwargs):
        from ._functions import map_blocks

        return map_blocks(func, *args, dtype=dtype, chunks=chunks, drop_axis=drop_axis, new_axis=new_axis,
                          **kwargs)

    def blockwise(self, func, out_ind, *args, adjust_chunks=None, new_axes=None, align_arrays=True, **kwargs):
        """Blockwise calls of one array indexed like the output."""
        arrays = args[0::2]
        dtype = kwargs.pop("dtype", None)
        if len(arrays) != 1 or not isinstance(arrays[0], Array) or new_axes or adjust_chunks:
            raise NotImplementedError("blockwise: one ndchunk array, indexed like the output")
        return arrays[0].map_blocks(lambda b: func(b, **kwargs), dtype=dtype)

    def apply_gufunc(self, func, signature, *args, axes=None, keepdims=False, output_dtypes=None,
                     vectorize=None, **kwargs):
        """Functions whose core dimensions are whole in every block
        (``xr.apply_ufunc(..., dask="parallelized")``): one array, one
        output of the same shape."""
        for dask_only in ("allow_rechunk", "output_sizes", "meta"):
            kwargs.pop(dask_only, None)
        if vectorize:
            func = np.vectorize(func, signature=signature)
        arrays = [a for a in args if isinstance(a, Array)]
        if len(arrays) != 1 or len(args) != 1:
            raise NotImplementedError("apply_gufunc: one ndchunk array argument")
        dtype = output_dtypes[0] if output_dtypes else arrays[0].dtype
        return arrays[0].map_blocks(lambda b: func(b, **kwargs), dtype=dtype)

    def unify_chunks(self, *args, **kwargs):
        arrays = args[0::2]
        return {}, list(arrays)

    def store(self, sources, targets, **kwargs):
        """``to_zarr``/``to_netcdf``: each source written into its target,
        block by block (see :func:`ndchunk.store`)."""
        from .io import store

        kwargs.pop("flush", None)
        kwargs.pop("lock", None)
        kwargs.pop("compute", None)
        return store(sources, targets, regions=kwargs.pop("regions", None), **kwargs)

    def get_auto_chunk_size(self) -> int:
        import os

        return int(os.environ.get("NDCHUNK_CHUNK_SIZE", 128 * 2**20))

"""Zarr storage (v2 and v3, read and written in Rust) and ``store``."""

from __future__ import annotations

import json
import os

import numpy as np

from . import _ndchunk
from ._chunks import to_spec
from ._dtypes import held
from .core import Array, _options

# Zarr v3 data type names that differ from NumPy's.
_V3_NAMES = {"bool": "bool"}


def _path(url, component=None) -> str:
    path = os.fspath(url)
    if path.startswith("file://"):
        path = path[len("file://"):]
    return os.path.join(path, component) if component else path


def _stored_dtype(path: str) -> np.dtype:
    """The dtype in the Zarr metadata at ``path`` (v3 ``zarr.json`` or v2 ``.zarray``)."""
    v3, v2 = os.path.join(path, "zarr.json"), os.path.join(path, ".zarray")
    if os.path.exists(v3):
        with open(v3) as f:
            meta = json.load(f)
        if meta.get("node_type") != "array":
            raise ValueError(f"{path}: a Zarr group, not an array (give the array's component)")
        name = meta["data_type"]
        return np.dtype(_V3_NAMES.get(name, name))
    if os.path.exists(v2):
        with open(v2) as f:
            return np.dtype(json.load(f)["dtype"])
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such Zarr array")
    raise FileNotFoundError(f"{path}: not a Zarr array (no zarr.json or .zarray)")


def from_zarr(url, component=None, chunks=None, **kwargs) -> Array:
    """The Zarr array at ``url`` (a directory; ``component`` inside a group),
    in its stored chunks, or in ``chunks`` rounded up to multiples of them.

    ``FileNotFoundError`` when there is no array there.
    """
    path = _path(url, component)
    dt = held(_stored_dtype(path))
    if chunks is None:
        return Array(_ndchunk.from_zarr(path, dt.name))
    ndim = len(_ndchunk.from_zarr(path, dt.name).shape)
    return Array(_ndchunk.from_zarr(path, dt.name, to_spec(chunks, ndim)))


def from_hdf5(path, dataset, chunks=None) -> Array:
    """The HDF5 dataset ``dataset`` of the file at ``path`` (read in Rust),
    in its stored chunks, or in ``chunks``. The dtype is read with h5py."""
    import h5py

    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such HDF5 file")
    with h5py.File(path, "r") as f:
        if dataset not in f:
            raise KeyError(f"{path}: no dataset {dataset!r}")
        dt, ndim = held(f[dataset].dtype), f[dataset].ndim
    spec = None if chunks is None else to_spec(chunks, ndim)
    return Array(_ndchunk.from_hdf5(path, dataset, dt.name, spec))


def to_hdf5(arr, path, dataset, chunks=None, deflate=None, overwrite=False, **kwargs) -> None:
    """Writes ``arr`` as the HDF5 dataset ``dataset`` of the file at ``path``
    (in Rust, crash-safe: complete, or not there); ``deflate`` (0-9)
    compresses, ``chunks`` (a chunk shape) sets the stored chunks."""
    from .core import from_array

    source = arr if isinstance(arr, Array) else from_array(arr)
    _ndchunk.to_hdf5(source._raw, os.fspath(path), dataset, None if chunks is None else [int(c) for c in chunks],
                     deflate, bool(overwrite), _options(kwargs))


def to_zarr(arr, url, component=None, overwrite=False, compute=True, codec="zstd", level=3,
            chunks=None, dimension_names=None, **kwargs) -> None:
    """Writes ``arr`` as a Zarr v3 array at ``url`` (crash-safe: complete, or
    not there). Zstandard level 3 unless ``codec``/``level`` say otherwise;
    stored chunks are the blocks unless ``chunks`` (a chunk shape) is given."""
    store([arr], [_path(url, component)], overwrite=overwrite, compute=compute, codec=codec, level=level,
          chunks=[chunks], dimension_names=[dimension_names], **kwargs)


def store(sources, targets, lock=False, regions=None, compute=True, return_stored=False, overwrite=False,
          codec="zstd", level=3, chunks=None, dimension_names=None, **kwargs):
    """Stores ``sources`` into ``targets`` in one compute (what they share is
    computed once), as ``dask.array.store``.

    A target that is a path (``str`` or ``os.PathLike``) becomes a Zarr v3
    array written by ndchunk; any other target is written with
    ``target[region] = block``, block by block (a zarr-python array, an
    h5py dataset, a NumPy array). ``compute=False`` is not supported:
    ndchunk has no delayed values.
    """
    from .core import from_array

    if not compute:
        raise NotImplementedError("store(compute=False): ndchunk computes stores at once")
    if isinstance(sources, Array) or not isinstance(sources, (list, tuple)):
        sources, targets = [sources], [targets]
        regions = None if regions is None else [regions]
    sources = [s if isinstance(s, Array) else from_array(s) for s in sources]
    if len(sources) != len(targets):
        raise ValueError(f"store: {len(sources)} sources but {len(targets)} targets")
    opts = _options(kwargs)
    paths = [isinstance(t, (str, os.PathLike)) for t in targets]
    if any(paths):
        n = len(sources)
        _ndchunk.store([s._raw for s, p in zip(sources, paths) if p],
                       [_path(t) for t, p in zip(targets, paths) if p],
                       codec, level,
                       [c for c, p in zip(chunks or [None] * n, paths) if p],
                       [d for d, p in zip(dimension_names or [None] * n, paths) if p],
                       overwrite, opts)
    for k, (source, target) in enumerate(zip(sources, targets)):
        if paths[k]:
            continue
        region = None if regions is None else regions[k]
        _store_by_blocks(source, target, region, opts)
    return None


def _store_by_blocks(source: Array, target, region, opts) -> None:
    """``target[region][block] = values`` for each block of ``source``."""
    import itertools

    offsets = [np.concatenate([[0], np.cumsum(c)]).astype(int) for c in source.chunks]
    base = region if region is not None else tuple(slice(0, n) for n in source.shape)
    if not isinstance(base, tuple):
        base = (base,)
    starts = [s.start or 0 for s in base] + [0] * (source.ndim - len(base))
    for index in itertools.product(*[range(len(c)) for c in source.chunks]):
        local = tuple(slice(int(o[i]), int(o[i + 1])) for o, i in zip(offsets, index))
        values = _ndchunk.compute([source[local]._raw], opts)[0]
        target[tuple(slice(s + b.start, s + b.stop) for s, b in zip(starts, local))] = values

"""Arrays made from nothing: constants, ranges and identities (dask's names)."""

from __future__ import annotations

import numpy as np

from . import _ndchunk
from ._chunks import to_spec
from ._dtypes import held
from .core import Array


def _shape(shape) -> list[int]:
    if isinstance(shape, (int, np.integer)):
        return [int(shape)]
    return [int(s) for s in shape]


def full(shape, fill_value, dtype=None, chunks="auto") -> Array:
    """An array of ``shape`` filled with ``fill_value`` (dtype as NumPy's
    ``full`` gives it when not given).

    >>> import ndchunk as nc
    >>> nc.full((2, 3), 7, chunks=2).compute().tolist()
    [[7, 7, 7], [7, 7, 7]]
    """
    shape = _shape(shape)
    dt = held(dtype if dtype is not None else np.array(fill_value).dtype)
    value = np.asarray(fill_value).astype(dt).item()
    return Array(_ndchunk.full(shape, value, dt.name, to_spec(chunks, len(shape))))


def zeros(shape, dtype=float, chunks="auto") -> Array:
    """An array of zeros."""
    return full(shape, 0, dtype=dtype, chunks=chunks)


def ones(shape, dtype=float, chunks="auto") -> Array:
    """An array of ones."""
    return full(shape, 1, dtype=dtype, chunks=chunks)


def empty(shape, dtype=float, chunks="auto") -> Array:
    """An array of ``shape`` (zeros: ndchunk has no uninitialised memory)."""
    return zeros(shape, dtype=dtype, chunks=chunks)


def _like(a, dtype, chunks, shape):
    return (a.shape if shape is None else shape,
            a.dtype if dtype is None else dtype,
            (a.chunks if isinstance(a, Array) and shape is None else "auto") if chunks is None else chunks)


def zeros_like(a, dtype=None, chunks=None, shape=None) -> Array:
    """Zeros of ``a``'s shape, dtype and chunks."""
    s, d, c = _like(a, dtype, chunks, shape)
    return zeros(s, dtype=d, chunks=c)


def ones_like(a, dtype=None, chunks=None, shape=None) -> Array:
    """Ones of ``a``'s shape, dtype and chunks."""
    s, d, c = _like(a, dtype, chunks, shape)
    return ones(s, dtype=d, chunks=c)


def empty_like(a, dtype=None, chunks=None, shape=None) -> Array:
    """Zeros of ``a``'s shape, dtype and chunks."""
    return zeros_like(a, dtype=dtype, chunks=chunks, shape=shape)


def full_like(a, fill_value, dtype=None, chunks=None, shape=None) -> Array:
    """``fill_value`` in ``a``'s shape, dtype and chunks."""
    s, d, c = _like(a, dtype, chunks, shape)
    return full(s, fill_value, dtype=d, chunks=c)


def arange(start, stop=None, step=1, dtype=None, chunks="auto") -> Array:
    """NumPy's ``arange``: ``[start, stop)`` by ``step``.

    >>> import ndchunk as nc
    >>> nc.arange(5, chunks=2).compute().tolist()
    [0, 1, 2, 3, 4]
    """
    if stop is None:
        start, stop = 0, start
    dt = held(dtype if dtype is not None else np.arange(start, start + step, step).dtype)
    return Array(_ndchunk.arange(float(start), float(stop), float(step), dt.name, to_spec(chunks, 1)))


def linspace(start, stop, num=50, endpoint=True, dtype=None, chunks="auto") -> Array:
    """NumPy's ``linspace`` (``endpoint=True``)."""
    if not endpoint:
        step = (stop - start) / num
        stop = stop - step
    dt = held(dtype if dtype is not None else float)
    return Array(_ndchunk.linspace(float(start), float(stop), int(num), dt.name, to_spec(chunks, 1)))


def eye(N, M=None, k=0, dtype=float, chunks="auto") -> Array:
    """An identity-like matrix: ones on diagonal ``k``."""
    M = N if M is None else M
    rows = arange(N, dtype=np.int64, chunks=chunks if not isinstance(chunks, tuple) else chunks[0])
    cols = arange(M, dtype=np.int64, chunks=-1)
    diag = rows[:, None] + k == cols[None, :]
    out = diag.astype(dtype)
    return out if chunks == "auto" else out.rechunk(chunks)

"""NumPy's indexing rules over ndchunk's slicing, ``take`` and ``vindex``.

``x[key]`` follows NumPy: basic indices (slices, integers, ``None``, ``...``)
make a view; integer and boolean arrays (NumPy arrays, lists, or lazy
ndchunk arrays, which are computed first) are advanced indices, broadcast
together, whose dimensions replace the indexed axes in place when the
advanced indices are adjacent and go first otherwise. Integers count as
advanced indices when any array index is present, as in NumPy.
"""

from __future__ import annotations

import operator

import numpy as np


def _slice_entry(s: slice, n: int):
    """A Python slice of an axis of length ``n`` as ndarray's (start, stop, step)."""
    start, stop, step = s.indices(n)
    if step > 0:
        return (start, max(stop, start), step)
    count = len(range(start, stop, step))
    if count == 0:
        return (0, 0, 1)
    lowest = start + (count - 1) * step
    return (lowest, start + 1, step)


def _integer(k, n: int, axis: int) -> int:
    i = operator.index(k)
    if not -n <= i < n:
        raise IndexError(f"index {i} is out of bounds for axis {axis} with size {n}")
    return i % n


def _normalise(key, ndim: int, compute):
    """The key as a list of items, ``...`` expanded: ``None``, ``slice``,
    ``int``, or integer/boolean NumPy arrays."""
    if not isinstance(key, tuple):
        key = (key,)
    items = []
    for k in key:
        if hasattr(k, "_raw"):
            k = compute(k)
        if isinstance(k, (list, np.ndarray)):
            k = np.asarray(k)
            if k.dtype.kind not in "iub" and not (k.size == 0 and k.dtype.kind == "f"):
                raise IndexError("arrays used as indices must be of integer (or boolean) type")
            if k.dtype.kind == "f":
                k = k.astype(np.int64)
        elif isinstance(k, (bool, np.bool_)):
            raise IndexError("boolean scalar indices are not supported by ndchunk")
        elif not (k is None or k is Ellipsis or isinstance(k, slice)):
            try:
                k = operator.index(k)
            except TypeError:
                raise IndexError(
                    "only integers, slices (`:`), ellipsis (`...`), numpy.newaxis (`None`) "
                    f"and integer or boolean arrays are valid indices, not {type(k).__name__}"
                ) from None
        items.append(k)
    consumed = sum(
        (k.ndim if isinstance(k, np.ndarray) and k.dtype == bool else 1)
        for k in items if k is not None and k is not Ellipsis
    )
    ellipses = sum(1 for k in items if k is Ellipsis)
    if ellipses > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if consumed > ndim:
        raise IndexError(
            f"too many indices for array: array is {ndim}-dimensional, but {consumed} were indexed"
        )
    fill = [slice(None)] * (ndim - consumed)
    if ellipses:
        at = next(i for i, k in enumerate(items) if k is Ellipsis)
        items = items[:at] + fill + items[at + 1:]
    else:
        items = items + fill
    return items


def getitem(x, key, compute):
    """NumPy's ``x[key]`` (``compute`` turns a lazy indexer into NumPy)."""
    items = _normalise(key, x.ndim, compute)
    if not any(isinstance(k, np.ndarray) for k in items):
        return _basic(x, items)
    # Advanced: booleans become their nonzero positions, integers 0-d arrays.
    expanded = []
    shape = iter(x.shape)
    for k in items:
        if isinstance(k, np.ndarray) and k.dtype == bool:
            dims = [next(shape) for _ in range(k.ndim)]
            if list(k.shape) != dims:
                raise IndexError(
                    f"boolean index of shape {k.shape} does not match the indexed dimensions {tuple(dims)}"
                )
            expanded.extend(np.nonzero(k))
        elif isinstance(k, (np.ndarray, int)):
            next(shape)
            expanded.append(np.asarray(k, dtype=np.int64))
        else:
            if k is not None:
                next(shape)
            expanded.append(k)
    return _advanced(x, expanded, pointwise_first=False)


def _basic(x, items):
    entries = []
    axis = 0
    for k in items:
        if k is None:
            entries.append(None)
            continue
        n = x.shape[axis]
        entries.append(_slice_entry(k, n) if isinstance(k, slice) else _integer(k, n, axis))
        axis += 1
    return _sliced(x, entries)


def _sliced(x, entries):
    """``x`` sliced by ndarray ``entries``; ``x`` itself when they select
    everything (no view node, so gathers read ``x``'s blocks directly)."""
    if all(isinstance(e, tuple) and e == (0, n, 1) for e, n in zip(entries, x.shape)) and len(entries) == x.ndim:
        return x
    return x._wrap(x._raw.slice(entries))


def _advanced(x, items, pointwise_first: bool):
    """``items``: ``None``, slices and int64 arrays (one per axis they index)."""
    entries, adv_axes, adv_pos, arrays = [], [], [], []
    out_axis = axis = 0
    for pos, k in enumerate(items):
        if k is None:
            entries.append(None)
        elif isinstance(k, slice):
            entries.append(_slice_entry(k, x.shape[axis]))
            axis += 1
        else:
            entries.append((0, x.shape[axis], 1))
            adv_axes.append(out_axis)
            adv_pos.append(pos)
            arrays.append(k)
            axis += 1
        out_axis += 1
    y = _sliced(x, entries)
    try:
        arrays = [np.ascontiguousarray(a, dtype=np.int64) for a in np.broadcast_arrays(*arrays)]
    except ValueError:
        shapes = " ".join(str(a.shape) for a in arrays)
        raise IndexError(f"shape mismatch: indexing arrays could not be broadcast together with shapes {shapes}") from None
    if len(arrays) == 1:
        if pointwise_first and adv_axes[0] != 0:
            y = y.transpose([adv_axes[0]] + [a for a in range(y.ndim) if a != adv_axes[0]])
            return y._wrap(y._raw.take(arrays[0], 0))
        return y._wrap(y._raw.take(arrays[0], adv_axes[0]))
    rest = [a for a in range(y.ndim) if a not in adv_axes]
    if adv_axes != list(range(len(adv_axes))):
        y = y.transpose(adv_axes + rest)
    z = y._wrap(y._raw.vindex(arrays))
    adjacent = adv_pos == list(range(adv_pos[0], adv_pos[0] + len(adv_pos)))
    p = adv_axes[0]
    if pointwise_first or not adjacent or p == 0:
        return z
    b = arrays[0].ndim
    order = list(range(b, b + p)) + list(range(b)) + list(range(b + p, z.ndim))
    return z.transpose(order)


def vindex(x, key, compute):
    """dask's ``x.vindex[key]``: the array indices broadcast pointwise and
    their dimensions come first, then the sliced axes."""
    items = _normalise(key, x.ndim, compute)
    expanded = []
    for axis, k in enumerate(items):
        if isinstance(k, np.ndarray) and k.dtype == bool:
            raise IndexError("vindex does not take boolean arrays; use x[mask]")
        if isinstance(k, (np.ndarray, int)):
            expanded.append(np.asarray(k, dtype=np.int64))
        elif k is None:
            raise IndexError("vindex does not take None (np.newaxis)")
        else:
            expanded.append(k)
    if not any(isinstance(k, np.ndarray) for k in expanded):
        return _basic(x, items)
    return _advanced(x, expanded, pointwise_first=True)


def oindex(x, key, compute):
    """Outer indexing (zarr's and dask's ``oindex``): each 1-d array or
    boolean mask indexes its axis independently."""
    items = _normalise(key, x.ndim, compute)
    entries, takes, drop = [], [], []
    for axis, k in enumerate(items):
        if k is None:
            raise IndexError("oindex does not take None (np.newaxis)")
        n = x.shape[axis]
        if isinstance(k, np.ndarray):
            if k.ndim != 1:
                raise IndexError(f"oindex takes 1-d indexers, got shape {k.shape} for axis {axis}")
            if k.dtype == bool:
                if k.shape[0] != n:
                    raise IndexError(f"boolean index of length {k.shape[0]} for axis {axis} of size {n}")
                k = np.flatnonzero(k)
            takes.append((axis, np.ascontiguousarray(k, dtype=np.int64)))
            entries.append((0, n, 1))
        elif isinstance(k, slice):
            entries.append(_slice_entry(k, n))
        else:
            i = _integer(k, n, axis)
            entries.append((i, i + 1, 1))
            drop.append(axis)
    y = _sliced(x, entries)
    for axis, idx in takes:
        y = y._wrap(y._raw.take(idx, axis))
    if drop:
        y = y._wrap(y._raw.slice([0 if a in drop else (0, y.shape[a], 1) for a in range(y.ndim)]))
    return y


class Indexer:
    """``x.vindex[...]`` and ``x.oindex[...]``."""

    __slots__ = ("_array", "_how")

    def __init__(self, array, how):
        self._array = array
        self._how = how

    def __getitem__(self, key):
        from .core import _compute_indexer

        return self._how(self._array, key, _compute_indexer)

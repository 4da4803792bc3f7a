"""NumPy's functions over ndchunk arrays, for ``np.sum(x)`` (through
``__array_function__``) and as ``nc.sum(x)``.

The module defines ``sum``, ``min``, ``max``, ``all``, ``any`` and ``round``
as NumPy names them; Python's own are reached as ``builtins.all`` and so on.
"""

from __future__ import annotations

import builtins

from collections.abc import Iterable

import numpy as np

from . import _ndchunk
from .core import Array, _asarray, _axis, _binary, _operand, _scalar_as
from ._dtypes import held

HANDLED: dict = {}


def implements(*numpy_functions):
    """Registers the decorated function as ndchunk's form of ``numpy_functions``."""
    def register(f):
        for nf in numpy_functions:
            HANDLED[nf] = f
        return f
    return register


def _reduction(name, numpy_function, has_ddof=False, has_dtype=True):
    def reduce(a, axis=None, dtype=None, out=None, keepdims=False, ddof=0, split_every=None, **kwargs):
        if kwargs.get("where", True) is True:
            kwargs.pop("where", None)
        if kwargs:
            raise TypeError(f"{name}: unsupported arguments {', '.join(kwargs)}")
        return _asarray(a)._reduce(name, axis, dtype if has_dtype else None, keepdims,
                                   ddof if has_ddof else 0, split_every, out)
    reduce.__name__ = name
    reduce.__doc__ = f"NumPy's ``{name}`` over ``axis`` (all axes when ``None``), with ``keepdims``" + \
        (" and ``ddof``." if has_ddof else ".")
    HANDLED[numpy_function] = reduce
    return reduce


sum = _reduction("sum", np.sum)
prod = _reduction("prod", np.prod)
mean = _reduction("mean", np.mean)
var = _reduction("var", np.var, has_ddof=True)
std = _reduction("std", np.std, has_ddof=True)
min = _reduction("min", np.min, has_dtype=False)
max = _reduction("max", np.max, has_dtype=False)
amin, amax = min, max
argmin = _reduction("argmin", np.argmin, has_dtype=False)
argmax = _reduction("argmax", np.argmax, has_dtype=False)
any = _reduction("any", np.any, has_dtype=False)
all = _reduction("all", np.all, has_dtype=False)
nansum = _reduction("nansum", np.nansum)
nanmean = _reduction("nanmean", np.nanmean)
nanmin = _reduction("nanmin", np.nanmin, has_dtype=False)
nanmax = _reduction("nanmax", np.nanmax, has_dtype=False)
count_nonzero = _reduction("count_nonzero", np.count_nonzero, has_dtype=False)


def _common(arrays, op):
    arrays = [_asarray(a) for a in arrays]
    if not arrays:
        raise ValueError(f"{op}: need at least one array")
    dt = np.result_type(*[a.dtype for a in arrays])
    return [a.astype(dt) for a in arrays]


@implements(np.concatenate)
def concatenate(seq, axis=0, **kwargs):
    """The arrays joined along an existing ``axis`` (promoted to one dtype)."""
    arrays = _common(seq, "concatenate")
    if axis is None:
        arrays = [a.ravel() for a in arrays]
        axis = 0
    return Array(_ndchunk.concatenate([a._raw for a in arrays], _axis(axis, arrays[0].ndim, "concatenate")))


@implements(np.stack)
def stack(seq, axis=0, **kwargs):
    """The arrays (one shape) stacked along a new ``axis``."""
    arrays = _common(seq, "stack")
    return Array(_ndchunk.stack([a._raw for a in arrays], _axis(axis, arrays[0].ndim + 1, "stack")))


@implements(np.where)
def where(condition, x=None, y=None):
    """``x`` where ``condition`` is true, else ``y`` (NumPy's promotion)."""
    if x is None and y is None:
        return nonzero(condition)
    cond = _asarray(condition).astype(bool)
    (kx, vx), (ky, vy) = _operand(x), _operand(y)
    dt = held(np.result_type(kx, ky))
    args = [v.astype(dt)._raw if isinstance(v, Array) else _scalar_as(v, dt) for v in (vx, vy)]
    if not isinstance(vx, Array) and not isinstance(vy, Array):
        from .creation import full_like

        args[0] = full_like(cond, args[0], dtype=dt)._raw
    return Array(_ndchunk.where(cond._raw, args[0], args[1]))


@implements(np.nonzero)
def nonzero(a):
    """The positions of the non-zero elements, one array per axis (computed now)."""
    return tuple(_asarray(i) for i in np.nonzero(_asarray(a).compute()))


@implements(np.take)
def take(a, indices, axis=None, **kwargs):
    """NumPy's ``take``: positions ``indices`` along ``axis`` (of the flattened array without)."""
    x = _asarray(a)
    if axis is None:
        x, axis = x.ravel(), 0
    idx = indices.compute() if isinstance(indices, Array) else np.asarray(indices)
    if idx.dtype.kind not in "iu":
        raise IndexError("take: indices must be integers")
    return Array(x._raw.take(np.ascontiguousarray(idx, dtype=np.int64), _axis(axis, x.ndim, "take")))


@implements(np.transpose)
def transpose(a, axes=None):
    """The axes reversed, or in the order ``axes``."""
    return _asarray(a).transpose(axes)


@implements(np.reshape)
def reshape(a, shape=None, order="C", **kwargs):
    """NumPy's ``reshape`` (C order)."""
    if shape is None:
        shape = kwargs.pop("newshape")
    return _asarray(a).reshape(shape, order=order)


@implements(np.ravel)
def ravel(a, order="C"):
    """The array flattened (C order)."""
    return _asarray(a).ravel()


@implements(np.squeeze)
def squeeze(a, axis=None):
    """Length-1 axes removed."""
    return _asarray(a).squeeze(axis)


@implements(np.swapaxes)
def swapaxes(a, axis1, axis2):
    """Two axes swapped."""
    return _asarray(a).swapaxes(axis1, axis2)


@implements(np.moveaxis)
def moveaxis(a, source, destination):
    """Axes moved to new positions, the others in order."""
    x = _asarray(a)
    src = [_axis(s, x.ndim, "moveaxis") for s in (source if isinstance(source, Iterable) else [source])]
    dst = [_axis(d, x.ndim, "moveaxis") for d in (destination if isinstance(destination, Iterable) else [destination])]
    order = [n for n in range(x.ndim) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return x.transpose(order)


@implements(np.expand_dims)
def expand_dims(a, axis):
    """New length-1 axes at ``axis``."""
    x = _asarray(a)
    axes = axis if isinstance(axis, Iterable) else [axis]
    ndim = x.ndim + len(axes)
    axes = sorted(_axis(n, ndim, "expand_dims") for n in axes)
    return x[tuple(None if n in axes else slice(None) for n in range(ndim))]


@implements(np.broadcast_to)
def broadcast_to(a, shape, chunks=None):
    """The array broadcast to ``shape`` (read-only view)."""
    x = _asarray(a)
    out = Array(x._raw.broadcast_to([int(s) for s in shape]))
    return out if chunks is None else out.rechunk(chunks)


@implements(np.clip)
def clip(a, a_min=None, a_max=None, **kwargs):
    """Each element limited to ``[a_min, a_max]`` (NaN stays NaN)."""
    x = _asarray(a)
    if a_min is not None:
        x = _binary(np.maximum, x, a_min)
    if a_max is not None:
        x = _binary(np.minimum, x, a_max)
    return x


@implements(np.matmul)
def matmul(a, b):
    """NumPy's ``matmul`` (``a @ b``), operands promoted to one dtype."""
    x, y = _common([a, b], "matmul")
    return Array(_ndchunk.matmul(x._raw, y._raw))


@implements(np.dot)
def dot(a, b):
    """NumPy's ``dot``."""
    x, y = _common([a, b], "dot")
    if x.ndim == 0 or y.ndim == 0:
        return _binary(np.multiply, x, y)
    if y.ndim == 1 or x.ndim <= 2 and y.ndim <= 2:
        return tensordot(x, y, axes=([x.ndim - 1], [0]))
    return tensordot(x, y, axes=([x.ndim - 1], [y.ndim - 2]))


@implements(np.tensordot)
def tensordot(a, b, axes=2):
    """NumPy's ``tensordot``: ``axes`` an integer or two lists of axes."""
    x, y = _common([a, b], "tensordot")
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        a_axes, b_axes = list(range(x.ndim - n, x.ndim)), list(range(n))
    else:
        a_axes, b_axes = axes
        a_axes = list(a_axes) if isinstance(a_axes, Iterable) else [a_axes]
        b_axes = list(b_axes) if isinstance(b_axes, Iterable) else [b_axes]
    return Array(_ndchunk.tensordot(x._raw, y._raw, [int(v) for v in a_axes], [int(v) for v in b_axes]))


@implements(np.einsum)
def einsum(subscripts, *operands, **kwargs):
    """NumPy's ``einsum`` (explicit or implicit output), operands promoted."""
    dtype = kwargs.pop("dtype", None)
    kwargs.pop("optimize", None)
    arrays = _common(operands, "einsum")
    if dtype is not None:
        arrays = [a.astype(dtype) for a in arrays]
    return Array(_ndchunk.einsum(subscripts, [a._raw for a in arrays]))


@implements(np.shape)
def shape(a):
    """The shape."""
    return _asarray(a).shape


@implements(np.ndim)
def ndim(a):
    """Number of dimensions."""
    return _asarray(a).ndim


@implements(np.round, np.around)
def round(a, decimals=0):
    """Rounded to ``decimals`` places, halves to even (NumPy's ``round``)."""
    x = _asarray(a)
    if x.dtype.kind in "iub":
        return x
    if decimals == 0:
        return np.rint(x)
    scale = 10.0 ** decimals
    return np.rint(x * scale) / scale


def map_blocks(func, *args, dtype=None, chunks=None, drop_axis=None, new_axis=None, meta=None, **kwargs):
    """``func`` applied to each block of one array (dask's ``map_blocks``).

    ``func`` gets a NumPy array (a copy of the block) and returns one of
    ``dtype`` (the input's when not given) and of the block's shape in
    ``chunks`` (the input's chunks when not given). It runs on the compute's
    worker threads, one block at a time per thread, holding the GIL while it
    runs. An exception it raises is raised by the compute.
    """
    if drop_axis or new_axis:
        raise NotImplementedError("map_blocks: drop_axis and new_axis")
    arrays = [a for a in args if isinstance(a, Array)]
    if len(arrays) != 1 or not isinstance(args[0], Array):
        raise NotImplementedError("map_blocks: one ndchunk array as the first argument")
    x = arrays[0]
    rest = args[1:]
    out_dtype = held(dtype if dtype is not None else x.dtype)
    if chunks is None:
        out_chunks = x.chunks
    else:
        out_chunks = tuple(tuple(c) if isinstance(c, Iterable) else (c,) * n for c, n in zip(chunks, x.numblocks))

    def call(block):
        result = func(block, *rest, **kwargs)
        return np.ascontiguousarray(result, dtype=out_dtype)

    return Array(x._raw.map_blocks(call, out_dtype.name, [list(c) for c in out_chunks]))


def _nan_count(x, axis, keepdims):
    return (~np.isnan(x)).sum(axis=axis, keepdims=keepdims)


@implements(np.nanvar)
def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kwargs):
    """Variance of the non-NaN elements."""
    x = _asarray(a)
    if x.dtype.kind != "f":
        return var(x, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)
    x = x if dtype is None else x.astype(dtype)
    centred = x - nanmean(x, axis=axis, keepdims=True)
    # NaN where the data had none (inf - inf) stays, as in NumPy.
    squares = sum(where(np.isnan(x), 0, centred * centred), axis=axis, keepdims=keepdims)
    return squares / np.maximum(_nan_count(x, axis, keepdims) - ddof, 0).astype(x.dtype)


@implements(np.nanstd)
def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kwargs):
    """Standard deviation of the non-NaN elements."""
    return np.sqrt(nanvar(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims))


@implements(np.nanprod)
def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
    """Product treating NaN as one."""
    x = _asarray(a)
    if x.dtype.kind == "f":
        x = where(np.isnan(x), 1, x)
    return prod(x, axis=axis, dtype=dtype, keepdims=keepdims)


def _along(a, op, axis, n=1):
    x = _asarray(a)
    if axis is None:
        x, axis = x.ravel(), 0
    return Array(x._raw.along(op, _axis(axis, x.ndim, op), int(n)))


def _scan(name, numpy_function):
    def scan(a, axis=None, dtype=None, out=None):
        x = _asarray(a)
        return _along(x if dtype is None else x.astype(dtype), name, axis)
    scan.__name__ = name
    scan.__doc__ = f"NumPy's ``{name}`` along ``axis`` (of the flattened array when ``None``)."
    HANDLED[numpy_function] = scan
    return scan


cumsum = _scan("cumsum", np.cumsum)
cumprod = _scan("cumprod", np.cumprod)
nancumsum = _scan("nancumsum", np.nancumsum)
nancumprod = _scan("nancumprod", np.nancumprod)


@implements(np.sort)
def sort(a, axis=-1, kind=None, order=None, stable=None):
    """Sorted along ``axis`` (NaN last, stable)."""
    return _along(a, "sort", axis)


@implements(np.argsort)
def argsort(a, axis=-1, kind=None, order=None, stable=None):
    """The positions that sort along ``axis`` (stable)."""
    return _along(a, "argsort", axis)


@implements(np.partition)
def partition(a, kth, axis=-1, kind="introselect", order=None):
    """NumPy's ``partition``: element ``kth`` in its sorted place."""
    return _along(a, "partition", axis, kth)


@implements(np.argpartition)
def argpartition(a, kth, axis=-1, kind="introselect", order=None):
    """The positions ``partition`` would give."""
    return _along(a, "argpartition", axis, kth)


@implements(np.flip)
def flip(a, axis=None):
    """Reversed along ``axis`` (every axis when ``None``)."""
    x = _asarray(a)
    for ax in (range(x.ndim) if axis is None else (axis if isinstance(axis, Iterable) else [axis])):
        x = _along(x, "flip", ax)
    return x


@implements(np.diff)
def diff(a, n=1, axis=-1, **kwargs):
    """The ``n``-th differences along ``axis``."""
    x = _asarray(a)
    if x.dtype == bool:
        raise TypeError("diff of booleans: cast first (NumPy's result is xor)")
    return _along(x, "diff", axis, n)


def topk(a, k, axis=-1, split_every=None):
    """The ``k`` largest elements along ``axis``, largest first (the ``-k``
    smallest, smallest first, when ``k`` is negative), as dask's ``topk``."""
    return _along(a, "topk", axis, k)


def argtopk(a, k, axis=-1, split_every=None):
    """The positions of :func:`topk`'s elements."""
    return _along(a, "argtopk", axis, k)


def _quantile(a, q, axis, method, keepdims, skip_nan, scale):
    if method != "linear":
        raise NotImplementedError(f"quantile: method={method!r} (only 'linear')")
    x = _asarray(a)
    qs = np.asarray(q, dtype=np.float64) / scale
    if ((qs < 0) | (qs > 1)).any():
        raise ValueError(f"Quantiles must be in the range [0, 1] (percentiles in [0, 100]), got {q}")
    if axis is not None and not isinstance(axis, int) and not isinstance(axis, np.integer):
        raise NotImplementedError("quantile over several axes")
    ax = None if axis is None else _axis(axis, x.ndim, "quantile")
    out = Array(x._raw.quantiles([float(v) for v in qs.ravel()], ax, skip_nan))
    out = out.reshape(qs.shape + out.shape[1:])
    if keepdims:
        where_ = (ax,) if ax is not None else tuple(range(x.ndim))
        key = (slice(None),) * qs.ndim + tuple(None if d in where_ else slice(None) for d in range(x.ndim))
        out = out[key]
    # NumPy: the input's float dtype (float64 for integers), promoted with
    # q's (weak when a Python float).
    base = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    return out.astype(np.result_type(base, q if isinstance(q, float) else np.asarray(q).dtype))


@implements(np.quantile)
def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, **kw):
    """NumPy's ``quantile`` (linear method), exact."""
    return _quantile(a, q, axis, method, keepdims, False, 1.0)


@implements(np.nanquantile)
def nanquantile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, **kw):
    """Quantiles of the non-NaN elements."""
    return _quantile(a, q, axis, method, keepdims, True, 1.0)


@implements(np.percentile)
def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, **kw):
    """NumPy's ``percentile`` (linear method), exact."""
    return _quantile(a, q, axis, method, keepdims, False, 100.0)


@implements(np.nanpercentile)
def nanpercentile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, **kw):
    """Percentiles of the non-NaN elements."""
    return _quantile(a, q, axis, method, keepdims, True, 100.0)


@implements(np.median)
def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """The median (exact)."""
    return quantile(a, 0.5, axis=axis, keepdims=keepdims)


@implements(np.nanmedian)
def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """The median of the non-NaN elements."""
    return nanquantile(a, 0.5, axis=axis, keepdims=keepdims)


@implements(np.unique)
def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None, **kw):
    """The sorted distinct values of the flattened array, and as NumPy's the
    first positions, the inverse (of the input's shape) and the counts."""
    if axis is not None:
        raise NotImplementedError("unique: axis")
    x = _asarray(ar)
    values, index, inverse, counts = x.ravel()._raw.unique(bool(return_index), bool(return_inverse),
                                                            bool(return_counts))
    extra = [Array(r) for r, asked in ((index, return_index), (inverse, return_inverse), (counts, return_counts))
             if asked]
    if return_inverse:
        at = 1 if return_index else 0
        extra[at] = extra[at].reshape(x.shape)
    return (Array(values), *extra) if extra else Array(values)


@implements(np.isin)
def isin(element, test_elements, assume_unique=False, invert=False, **kw):
    """Whether each element is among ``test_elements``."""
    x, t = _common([element, test_elements], "isin")
    return Array(x._raw.isin(t.ravel()._raw, bool(invert)))


@implements(np.searchsorted)
def searchsorted(a, v, side="left", sorter=None):
    """Where ``v`` goes in the sorted 1-d ``a``."""
    if sorter is not None:
        raise NotImplementedError("searchsorted: sorter")
    x, y = _common([a, v], "searchsorted")
    return Array(x._raw.searchsorted(y._raw, side == "right"))


@implements(np.histogram)
def histogram(a, bins=10, range=None, density=None, weights=None):
    """NumPy's ``histogram``: the counts (computed lazily) and the edges
    (a NumPy array, known when the histogram is built)."""
    x = _asarray(a)
    w = None if weights is None else _asarray(weights).astype(np.float64)._raw
    edges_arg = bins if isinstance(bins, (int, np.integer)) else [float(e) for e in np.asarray(bins)]
    counts, edges = _ndchunk.histogram(x._raw, edges_arg, None if range is None else tuple(map(float, range)),
                                       w, bool(density))
    return Array(counts), np.asarray(edges)


@implements(np.digitize)
def digitize(x, bins, right=False):
    """NumPy's ``digitize``: the bin of each element."""
    return Array(_ndchunk.digitize(_asarray(x)._raw, [float(b) for b in np.asarray(bins)], bool(right)))


@implements(np.bincount)
def bincount(x, weights=None, minlength=0):
    """NumPy's ``bincount`` of non-negative integers (1-d)."""
    w = None if weights is None else _asarray(weights).astype(np.float64)._raw
    return Array(_ndchunk.bincount(_asarray(x)._raw, int(minlength), w))


@implements(np.pad)
def pad(array, pad_width, mode="constant", constant_values=0, **kwargs):
    """NumPy's ``pad`` (modes constant, edge, reflect, symmetric, wrap)."""
    x = _asarray(array)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (x.ndim, 2))
    value = np.asarray(constant_values).astype(x.dtype).item() if mode == "constant" else 0
    return Array(_ndchunk.pad(x._raw, [tuple(map(int, w)) for w in widths], mode, value))


@implements(np.roll)
def roll(a, shift, axis=None):
    """Elements shifted by ``shift`` along ``axis`` (of the flattened array without)."""
    x = _asarray(a)
    if axis is None:
        return roll(x.ravel(), shift, 0).reshape(x.shape)
    shifts = shift if isinstance(shift, Iterable) else [shift]
    axes = axis if isinstance(axis, Iterable) else [axis]
    for s, ax in np.broadcast(shifts, axes):
        x = Array(_ndchunk.layout(x._raw, "roll", int(s), _axis(ax, x.ndim, "roll")))
    return x


@implements(np.repeat)
def repeat(a, repeats, axis=None):
    """Each element ``repeats`` times along ``axis`` (an integer count)."""
    x = _asarray(a)
    if axis is None:
        x, axis = x.ravel(), 0
    if not isinstance(repeats, (int, np.integer)):
        raise NotImplementedError("repeat: one integer count for every element")
    return Array(_ndchunk.layout(x._raw, "repeat", int(repeats), _axis(axis, x.ndim, "repeat")))


@implements(np.tile)
def tile(A, reps):
    """NumPy's ``tile``."""
    x = _asarray(A)
    reps = [int(r) for r in (reps if isinstance(reps, Iterable) else [reps])]
    if len(reps) > x.ndim:
        x = x.reshape((1,) * (len(reps) - x.ndim) + x.shape)
    reps = [1] * (x.ndim - len(reps)) + reps
    return Array(_ndchunk.layout(x._raw, "tile", reps=reps))


@implements(np.diagonal)
def diagonal(a, offset=0, axis1=0, axis2=1):
    """NumPy's ``diagonal``."""
    return Array(_ndchunk.diagonal(_asarray(a)._raw, int(offset), int(axis1), int(axis2), False))


@implements(np.trace)
def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    """NumPy's ``trace``: the sum of a diagonal."""
    x = _asarray(a) if dtype is None else _asarray(a).astype(dtype)
    return Array(_ndchunk.diagonal(x._raw, int(offset), int(axis1), int(axis2), True))


@implements(np.outer)
def outer(a, b, out=None):
    """NumPy's ``outer`` of the flattened arrays."""
    x, y = _common([a, b], "outer")
    return Array(_ndchunk.product(x.ravel()._raw, y.ravel()._raw, "outer"))


@implements(np.vdot)
def vdot(a, b):
    """NumPy's ``vdot`` (the dot product of the flattened arrays)."""
    x, y = _common([a, b], "vdot")
    return Array(_ndchunk.product(x.ravel()._raw, y.ravel()._raw, "vdot"))


def _depth_boundary(x, depth, boundary):
    if isinstance(depth, dict):
        depth = [int(depth.get(a, 0)) for a in range(x.ndim)]
    elif isinstance(depth, (int, np.integer)):
        depth = [int(depth)] * x.ndim
    if isinstance(boundary, dict):
        boundary = [boundary.get(a, "none") for a in range(x.ndim)]
    elif boundary is None or isinstance(boundary, (str, int, float)):
        boundary = ["none" if boundary is None else boundary]
    return [int(d) for d in depth], [b if isinstance(b, str) else np.asarray(b).astype(x.dtype).item()
                                     for b in boundary]


def overlap(x, depth, boundary="none"):
    """dask's ``overlap``: each block grown by ``depth`` elements of its
    neighbours (or of the ``boundary`` rule at the array's edges)."""
    x = _asarray(x)
    d, b = _depth_boundary(x, depth, boundary)
    return Array(_ndchunk.overlap(x._raw, d, b, False))


def trim_internal(x, depth, boundary="none"):
    """dask's ``trim_internal``: the overlap taken off every block again."""
    x = _asarray(x)
    d, b = _depth_boundary(x, depth, boundary)
    return Array(_ndchunk.overlap(x._raw, d, b, True))


def map_overlap(func, x, depth, boundary="none", trim=True, dtype=None, **kwargs):
    """dask's ``map_overlap``: ``func`` applied to each block grown by
    ``depth``, the growth trimmed off again (``trim``). ``func`` returns a
    block of its input's shape."""
    x = _asarray(x)
    grown = overlap(x, depth, boundary)
    mapped = grown.map_blocks(func, dtype=dtype, **kwargs)
    return trim_internal(mapped, depth, boundary) if trim else mapped


@implements(np.isclose)
def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """NumPy's ``isclose``: ``|a - b| <= atol + rtol * |b|`` in floats; equal
    infinities are close, NaN only with ``equal_nan``."""
    x, y = _common([a, b], "isclose")
    dt = np.result_type(x.dtype, 1.0)
    x, y = x.astype(dt), y.astype(dt)
    within = np.absolute(x - y) <= atol + rtol * np.absolute(y)
    result = where(np.isfinite(x) & np.isfinite(y), within, x == y)
    if equal_nan:
        result = result | (np.isnan(x) & np.isnan(y))
    return result


@implements(np.allclose)
def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Whether every element is close (computed now, as NumPy's is a bool)."""
    return bool(isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan).all().compute())


@implements(np.array_equal)
def array_equal(a1, a2, equal_nan=False):
    """Whether the shapes and the elements are equal (computed now)."""
    x, y = _asarray(a1), _asarray(a2)
    if x.shape != y.shape:
        return False
    same = x == y
    if equal_nan:
        same = same | (np.isnan(x) & np.isnan(y))
    return bool(same.all().compute())


@implements(np.nan_to_num)
def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """NaN and infinities replaced by finite numbers (NumPy's defaults)."""
    a = _asarray(x)
    if a.dtype.kind != "f":
        return a
    info = np.finfo(a.dtype)
    a = where(np.isnan(a), nan, a)
    a = where(a == np.inf, info.max if posinf is None else posinf, a)
    return where(a == -np.inf, info.min if neginf is None else neginf, a).astype(_asarray(x).dtype)


@implements(np.argwhere)
def argwhere(a):
    """The positions of the non-zero elements, one row each (computed now)."""
    return _asarray(np.argwhere(_asarray(a).compute()))


@implements(np.flatnonzero)
def flatnonzero(a):
    """The flat positions of the non-zero elements (computed now)."""
    return _asarray(np.flatnonzero(_asarray(a).compute()))


def knn(x, k):
    """Exact ``k`` nearest neighbours of every row of the 2-d float array
    ``x`` (Euclidean, each row its own first neighbour): NumPy arrays of
    positions ``(n, k)`` and distances."""
    return _ndchunk.knn(_asarray(x)._raw, int(k))


@implements(np.histogram2d)
def histogram2d(x, y, bins=10, range=None, density=None, weights=None):
    """NumPy's ``histogram2d`` of two 1-d arrays: the counts (lazy) and both edges."""
    if density or weights is not None:
        raise NotImplementedError("histogram2d: density and weights")
    a, b = _common([x, y], "histogram2d")
    # As NumPy: an int or one array of edges for both axes; two of them, one per axis.
    if isinstance(bins, (int, np.integer)) or len(bins) != 2:
        pair = (bins, bins)
    else:
        pair = tuple(bins)
    pair = tuple(int(v) if isinstance(v, (int, np.integer)) else [float(e) for e in np.asarray(v)] for v in pair)
    rng = None if range is None else tuple(tuple(map(float, r)) for r in range)
    counts, xe, ye = _ndchunk.histogram2d(a._raw, b._raw, pair, rng)
    return Array(counts), np.asarray(xe), np.asarray(ye)


@implements(np.gradient)
def gradient(f, *varargs, axis=None, edge_order=1):
    """NumPy's ``gradient`` (uniform spacing, ``edge_order=1``): one array
    per axis, or one array for a single axis."""
    x = _asarray(f)
    if edge_order != 1:
        raise NotImplementedError("gradient: edge_order=1 only")
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    axes = list(range(x.ndim)) if axis is None else [axis] if isinstance(axis, (int, np.integer)) else list(axis)
    axes = [_axis(a, x.ndim, "gradient") for a in axes]
    spacing = list(varargs) if varargs else [1.0]
    if len(spacing) == 1:
        spacing = spacing * len(axes)
    if len(spacing) != len(axes) or not builtins.all(np.ndim(s) == 0 for s in spacing):
        raise NotImplementedError("gradient: one scalar spacing per axis")
    out = [Array(_ndchunk.gradient(x._raw, a, float(h))) for a, h in zip(axes, spacing)]
    return out[0] if len(out) == 1 else tuple(out)


def permutation(x, axis=0, seed=0):
    """``x`` with its positions along ``axis`` in a random order from ``seed``
    (a gather; reproducible for a seed)."""
    a = _asarray(x)
    return Array(_ndchunk.permutation(a._raw, _axis(axis, a.ndim, "permutation"), int(seed)))


def kneighbors(queries, corpus, k):
    """The exact ``k`` nearest rows of ``corpus`` to each row of ``queries``
    (Euclidean): NumPy arrays of positions and distances."""
    q, c = _common([queries, corpus], "kneighbors")
    return _ndchunk.kneighbors(q._raw, c._raw, int(k))

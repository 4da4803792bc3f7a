"""The lazy array of the Python package: dask.array's ``Array`` over ndchunk.

Building an expression does no work; :meth:`Array.compute` plans it (culling,
fusing elementwise chains, reduction trees) and runs it in Rust with the GIL
released, returning a NumPy array that owns the result (no copy).
"""

from __future__ import annotations

import numbers
import operator
import shutil
import subprocess
from collections.abc import Iterable

import numpy as np

from . import _ndchunk
from ._chunks import to_spec
from ._dtypes import held, is_weak_scalar, resolve
from ._indexing import Indexer, getitem, oindex, vindex
from ._ufuncs import BINARY, BOOL_BINARY, IDENTITY, LOGICAL, UNARY

# Options of the executor every compute uses unless given others: see
# ``ndchunk.config``.
_DEFAULTS: dict = {}


def _options(kwargs: dict) -> dict:
    opts = dict(_DEFAULTS)
    scheduler = kwargs.pop("scheduler", None)
    if scheduler is not None and not isinstance(scheduler, str):
        # A distributed.Client (or anything with a scheduler address).
        address = getattr(getattr(scheduler, "scheduler", None), "address", None) or getattr(scheduler, "address", None)
        if address is None:
            raise TypeError(f"scheduler must be a dask.distributed Client or an address, not {type(scheduler).__name__}")
        kwargs.setdefault("dask", address)
    elif isinstance(scheduler, str) and scheduler not in ("threads", "sync", "single-threaded", "synchronous"):
        kwargs.setdefault("dask", scheduler)
    elif scheduler in ("sync", "single-threaded", "synchronous"):
        kwargs.setdefault("threads", 1)
    for key in ("threads", "memory_limit", "progress", "dask", "python", "worker"):
        if key in kwargs:
            opts[key] = kwargs.pop(key)
    if opts.get("dask"):
        import sys

        from .worker import executable

        opts.setdefault("python", sys.executable)
        opts.setdefault("worker", executable())
    if kwargs:
        raise TypeError(f"unknown compute options: {', '.join(sorted(kwargs))}")
    return opts


def _axes(axis):
    """``axis`` (``None``, an integer or several) as a list for the Rust layer."""
    if axis is None:
        return None
    if isinstance(axis, Iterable):
        return [operator_index(a) for a in axis]
    return [operator_index(axis)]


def operator_index(a) -> int:
    """``a`` as an integer (Python's ``operator.index``), a ``TypeError`` otherwise."""
    try:
        return operator.index(a)
    except TypeError:
        raise TypeError(f"expected an integer, not {type(a).__name__}") from None


def _axis(axis, ndim: int, op: str) -> int:
    a = operator_index(axis)
    if not -ndim <= a < ndim:
        raise np.exceptions.AxisError(a, ndim, op)
    return a % ndim


class Array:
    """A lazy, chunked N-dimensional array (dask.array's ``Array``).

    >>> import numpy as np, ndchunk as nc
    >>> x = nc.from_array(np.arange(10.0), chunks=4)
    >>> x.chunks
    ((4, 4, 2),)
    >>> float((x * 2 + 1).sum().compute())
    100.0
    """

    __slots__ = ("_raw", "__weakref__")
    __array_priority__ = 20

    def __init__(self, raw):
        raw.check()
        self._raw = raw

    @staticmethod
    def _wrap(raw) -> Array:
        return Array(raw)

    # -- description ---------------------------------------------------------

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape, as NumPy's."""
        return tuple(self._raw.shape)

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return len(self._raw.shape)

    @property
    def dtype(self) -> np.dtype:
        """The NumPy dtype of the elements."""
        return np.dtype(self._raw.dtype)

    @property
    def chunks(self) -> tuple[tuple[int, ...], ...]:
        """The chunk lengths along each axis, as dask's tuple of tuples."""
        return tuple(tuple(c) for c in self._raw.chunks)

    @property
    def chunksize(self) -> tuple[int, ...]:
        """The largest chunk along each axis."""
        return tuple(max(c, default=0) for c in self.chunks)

    @property
    def numblocks(self) -> tuple[int, ...]:
        """Number of blocks along each axis."""
        return tuple(len(c) for c in self.chunks)

    @property
    def npartitions(self) -> int:
        """Number of blocks in all."""
        return int(np.prod(self.numblocks, dtype=np.int64))

    @property
    def size(self) -> int:
        """Number of elements."""
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def itemsize(self) -> int:
        """Bytes per element."""
        return self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        """Bytes of all elements."""
        return self.size * self.itemsize

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    def __repr__(self) -> str:
        return f"ndchunk.Array<shape={self.shape}, dtype={self.dtype}, chunksize={self.chunksize}>"

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def explain(self) -> str:
        """The plan: stages, tasks, estimated memory (printable)."""
        return self._raw.explain()

    def visualize(self, filename: str | None = None) -> str:
        """The logical graph in Graphviz's DOT language; written to ``filename``
        (as SVG when the name ends in ``.svg`` and Graphviz's ``dot`` is on
        ``PATH``, else as DOT) when given."""
        dot = self._raw.to_dot()
        if filename is None:
            return dot
        if filename.endswith(".svg"):
            exe = shutil.which("dot")
            if exe is None:
                raise RuntimeError("visualize: writing SVG needs Graphviz's `dot` on PATH (apt install graphviz)")
            subprocess.run([exe, "-Tsvg", "-o", filename], input=dot.encode(), check=True)
        else:
            with open(filename, "w") as f:
                f.write(dot)
        return dot

    # -- computing -----------------------------------------------------------

    def compute(self, **kwargs) -> np.ndarray:
        """The values, as a NumPy array owning the result buffer.

        Keyword arguments choose the executor: ``threads``, ``memory_limit``
        (bytes), ``progress``, ``scheduler`` (a ``distributed.Client`` or a
        scheduler address: run on that Dask cluster).
        """
        return _ndchunk.compute([self._raw], _options(kwargs))[0]

    def persist(self, **kwargs) -> Array:
        """An array backed by its computed blocks (later expressions reuse them)."""
        return Array(_ndchunk.persist(self._raw, _options(kwargs)))

    def __array__(self, dtype=None, copy=None):
        if copy is False:
            raise ValueError("ndchunk.Array cannot be viewed as NumPy without computing it (copy=False)")
        out = self.compute()
        return out if dtype is None else out.astype(dtype, copy=False)

    def __bool__(self):
        return bool(self.compute())

    def __int__(self):
        return int(self.compute())

    def __float__(self):
        return float(self.compute())

    def __index__(self):
        return operator.index(self.compute()[()])

    # -- conversions and layout ---------------------------------------------

    def astype(self, dtype, copy: bool = True) -> Array:
        """The values cast to ``dtype`` (NumPy's unsafe casting)."""
        dt = held(dtype)
        if dt == self.dtype:
            return self
        return Array(self._raw.astype(dt.name))

    def rechunk(self, chunks="auto", threshold=None, block_size_limit=None, balance=False, method=None,
                budget=None) -> Array:
        """The same values in new chunks (dask's forms: ``"auto"``, an int,
        a tuple per axis with ``-1`` for a whole axis, tuples of lengths, a
        dict of axes, or a size such as ``"64MiB"``). ``budget`` (bytes, or
        a size such as ``"32MiB"``) bounds what a task holds, through
        intermediate chunks where needed; dask's other arguments are
        accepted and ignored."""
        if isinstance(budget, str):
            from ._chunks import parse_bytes

            budget = parse_bytes(budget)
        spec = to_spec(chunks, self.ndim, self.chunks)
        return Array(self._raw.rechunk(spec, None if budget is None else int(budget)))

    def reshape(self, *shape, **kwargs) -> Array:
        """NumPy's ``reshape`` (C order; one ``-1``)."""
        if kwargs.pop("order", "C") != "C":
            raise NotImplementedError("reshape: only order='C'")
        if len(shape) == 1 and isinstance(shape[0], Iterable):
            shape = tuple(shape[0])
        return Array(self._raw.reshape([operator_index(s) for s in shape]))

    def ravel(self) -> Array:
        """The array flattened in C order."""
        return self.reshape(-1)

    flatten = ravel

    def transpose(self, *axes) -> Array:
        """The axes reversed, or in the order ``axes``."""
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], Iterable)):
            axes = axes[0]
        if not axes:
            axes = tuple(range(self.ndim))[::-1]
        axes = [_axis(a, self.ndim, "transpose") for a in axes]
        if sorted(axes) != list(range(self.ndim)):
            raise ValueError(f"axes {tuple(axes)} don't match an array of {self.ndim} dimensions")
        if axes == list(range(self.ndim)):
            return self
        return Array(self._raw.transpose(axes))

    @property
    def T(self) -> Array:
        """The axes reversed."""
        return self.transpose()

    @property
    def mT(self) -> Array:
        """The last two axes swapped."""
        return self.swapaxes(-1, -2)

    def swapaxes(self, a, b) -> Array:
        """Axes ``a`` and ``b`` swapped."""
        order = list(range(self.ndim))
        a, b = _axis(a, self.ndim, "swapaxes"), _axis(b, self.ndim, "swapaxes")
        order[a], order[b] = order[b], order[a]
        return self.transpose(order)

    def squeeze(self, axis=None) -> Array:
        """Length-1 axes removed (all of them, or ``axis``)."""
        if axis is None:
            drop = [a for a, n in enumerate(self.shape) if n == 1]
        else:
            drop = [_axis(a, self.ndim, "squeeze") for a in (axis if isinstance(axis, Iterable) else [axis])]
            for a in drop:
                if self.shape[a] != 1:
                    raise ValueError(f"cannot select an axis to squeeze out which has size not equal to one (axis {a})")
        return self[tuple(0 if a in drop else slice(None) for a in range(self.ndim))]

    # -- indexing ------------------------------------------------------------

    def __getitem__(self, key) -> Array:
        return getitem(self, key, _compute_indexer)

    @property
    def vindex(self) -> Indexer:
        """Pointwise indexing (dask's ``vindex``): ``x.vindex[rows, cols]``."""
        return Indexer(self, vindex)

    @property
    def oindex(self) -> Indexer:
        """Outer indexing (zarr's ``oindex``): each indexer applies to its axis."""
        return Indexer(self, oindex)

    # -- elementwise ---------------------------------------------------------

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method != "__call__" or kwargs.get("out") is not None:
            return NotImplemented
        where = kwargs.pop("where", True)
        dtype = kwargs.pop("dtype", None)
        kwargs.pop("casting", None)
        kwargs.pop("order", None)
        kwargs.pop("subok", None)
        if kwargs or where is not True:
            return NotImplemented
        if ufunc in IDENTITY:
            x = _asarray(inputs[0])
            resolve(ufunc, [x.dtype])
            return x
        if ufunc.nin == 2 and ufunc in BINARY:
            out = _binary(ufunc, *inputs)
        elif ufunc.nin == 1 and ufunc in UNARY:
            out = _unary(ufunc, inputs[0])
        else:
            return NotImplemented
        return out if dtype is None else out.astype(dtype)

    def __array_function__(self, func, types, args, kwargs):
        from . import _functions

        impl = _functions.HANDLED.get(func)
        if impl is None:
            return NotImplemented
        return impl(*args, **kwargs)

    def __neg__(self):
        return _unary(np.negative, self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _unary(np.absolute, self)

    def __invert__(self):
        return _unary(np.invert, self)

    def __matmul__(self, other):
        from ._functions import matmul

        return matmul(self, other)

    def __rmatmul__(self, other):
        from ._functions import matmul

        return matmul(other, self)

    # -- reductions ----------------------------------------------------------

    def _reduce(self, op, axis=None, dtype=None, keepdims=False, ddof=0, split_every=None, out=None):
        if out is not None:
            raise NotImplementedError(f"{op}: out= is not supported (arrays are immutable)")
        x = self if dtype is None else self.astype(dtype)
        axes = _axes(axis)
        raw = x._raw.reduce(op, axes, bool(keepdims), int(ddof), split_every)
        result = Array(raw)
        if dtype is not None and op in ("sum", "prod", "nansum", "mean", "nanmean", "var", "std"):
            result = result.astype(dtype)
        return result

    def sum(self, axis=None, dtype=None, keepdims=False, split_every=None, out=None):
        """Sum over ``axis`` (all axes when ``None``)."""
        return self._reduce("sum", axis, dtype, keepdims, split_every=split_every, out=out)

    def prod(self, axis=None, dtype=None, keepdims=False, split_every=None, out=None):
        """Product over ``axis``."""
        return self._reduce("prod", axis, dtype, keepdims, split_every=split_every, out=out)

    def mean(self, axis=None, dtype=None, keepdims=False, split_every=None, out=None):
        """Arithmetic mean over ``axis``."""
        return self._reduce("mean", axis, dtype, keepdims, split_every=split_every, out=out)

    def var(self, axis=None, dtype=None, keepdims=False, ddof=0, split_every=None, out=None):
        """Variance over ``axis`` with ``ddof`` delta degrees of freedom."""
        return self._reduce("var", axis, dtype, keepdims, ddof, split_every, out)

    def std(self, axis=None, dtype=None, keepdims=False, ddof=0, split_every=None, out=None):
        """Standard deviation over ``axis``."""
        return self._reduce("std", axis, dtype, keepdims, ddof, split_every, out)

    def min(self, axis=None, keepdims=False, split_every=None, out=None):
        """Minimum over ``axis`` (NaN propagates; empty is a ``ValueError``)."""
        return self._reduce("min", axis, None, keepdims, split_every=split_every, out=out)

    def max(self, axis=None, keepdims=False, split_every=None, out=None):
        """Maximum over ``axis``."""
        return self._reduce("max", axis, None, keepdims, split_every=split_every, out=out)

    def argmin(self, axis=None, keepdims=False, split_every=None, out=None):
        """Position of the first minimum (a flat index when ``axis`` is ``None``)."""
        return self._reduce("argmin", axis, None, keepdims, split_every=split_every, out=out)

    def argmax(self, axis=None, keepdims=False, split_every=None, out=None):
        """Position of the first maximum."""
        return self._reduce("argmax", axis, None, keepdims, split_every=split_every, out=out)

    def any(self, axis=None, keepdims=False, split_every=None, out=None):
        """Whether any element is non-zero."""
        return self._reduce("any", axis, None, keepdims, split_every=split_every, out=out)

    def all(self, axis=None, keepdims=False, split_every=None, out=None):
        """Whether every element is non-zero."""
        return self._reduce("all", axis, None, keepdims, split_every=split_every, out=out)

    # -- storage -------------------------------------------------------------

    def to_zarr(self, url, component=None, overwrite=False, **kwargs):
        """Writes the array to a Zarr store (see :func:`ndchunk.to_zarr`)."""
        from .io import to_zarr

        return to_zarr(self, url, component=component, overwrite=overwrite, **kwargs)

    def to_hdf5(self, path, dataset, **kwargs):
        """Writes the array as an HDF5 dataset (see :func:`ndchunk.to_hdf5`)."""
        from .io import to_hdf5

        return to_hdf5(self, path, dataset, **kwargs)

    def map_blocks(self, func, *args, dtype=None, chunks=None, **kwargs):
        """``func`` applied to each block (see :func:`ndchunk.map_blocks`)."""
        from ._functions import map_blocks

        return map_blocks(func, self, *args, dtype=dtype, chunks=chunks, **kwargs)


def _reflected(name):
    return lambda self, other: _binary(name, other, self)


def _forward(name):
    return lambda self, other: _binary(name, self, other)


for _dunder, _uf in {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "truediv": np.true_divide,
    "floordiv": np.floor_divide, "mod": np.remainder, "pow": np.power,
    "and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor,
    "lshift": np.left_shift, "rshift": np.right_shift,
}.items():
    setattr(Array, f"__{_dunder}__", _forward(_uf))
    setattr(Array, f"__r{_dunder}__", _reflected(_uf))
for _dunder, _uf in {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
                     "gt": np.greater, "ge": np.greater_equal}.items():
    setattr(Array, f"__{_dunder}__", _forward(_uf))
Array.__hash__ = object.__hash__


def _compute_indexer(a: Array) -> np.ndarray:
    return a.compute()


def from_array(x, chunks="auto", name=None, lock=False, asarray=None, fancy=True, getitem=None,
               meta=None, inline_array=False, copy=False) -> Array:
    """A lazy array over ``x`` (a NumPy array, or anything ``np.asarray`` takes).

    A C-contiguous, aligned, native-order NumPy array is read in place: the
    lazy array holds a reference to it and each block copies its region when
    a task needs it, so writing to ``x`` before a compute changes what it
    reads (as with ``dask.array.from_array``). Other inputs, and any input
    with ``copy=True``, are copied once into memory ndchunk holds (gathers
    then read it in place instead of copying blocks out of NumPy's buffer).
    ``chunks`` takes dask's forms; the other arguments are accepted for
    dask's signature and ignored.

    >>> import numpy as np, ndchunk as nc
    >>> nc.from_array(np.ones((4, 6)), chunks=(2, -1)).chunks
    ((2, 2), (6,))
    """
    if isinstance(x, Array):
        return x if chunks == "auto" else x.rechunk(chunks)
    arr = np.asarray(x)
    dt = held(arr.dtype)
    if arr.dtype != dt or not (arr.flags.c_contiguous and arr.flags.aligned):
        arr = np.ascontiguousarray(arr, dtype=dt)
    return Array(_ndchunk.from_numpy(arr, to_spec(chunks, arr.ndim), bool(copy)))


asarray = from_array


def _asarray(v) -> Array:
    if isinstance(v, Array):
        return v
    return from_array(v, chunks=-1 if np.ndim(v) == 0 else "auto")


def _operand(v):
    """(promotion key, value): arrays and NumPy scalars are strong, Python
    scalars weak."""
    if isinstance(v, Array):
        return v.dtype, v
    if is_weak_scalar(v):
        return v, v
    if isinstance(v, np.generic):
        return held(v.dtype), v.item()
    if isinstance(v, numbers.Number) and not isinstance(v, complex):
        return float(v), float(v)
    a = _asarray(np.asarray(v)) if not hasattr(v, "_raw") else v
    return a.dtype, a


def _scalar_as(value, dt: np.dtype):
    return np.asarray(value).astype(dt).item()


def _binary(ufunc, a, b) -> Array:
    (ka, va), (kb, vb) = _operand(a), _operand(b)
    if not isinstance(va, Array) and not isinstance(vb, Array):
        return _asarray(ufunc(a, b))
    ins, out = resolve(ufunc, [ka, kb])
    name = BINARY[ufunc]
    if ufunc in LOGICAL:
        ins = [np.dtype(bool), np.dtype(bool)]
    if ins[0] == bool and name in BOOL_BINARY:
        name = BOOL_BINARY[name]
    if name == "power" and ins[0].kind in "iub":
        return _integer_power(va, vb, ins[0], out)
    if name == "power" and isinstance(va, Array) and not isinstance(vb, Array) and vb in _FAST_POWERS:
        # NumPy's fast paths for scalar exponents (the same values, bit for bit).
        return _FAST_POWERS[vb](va.astype(ins[0])).astype(out)
    if ins[0] != ins[1]:
        ins = [np.result_type(*ins)] * 2
    if isinstance(va, Array):
        left = va.astype(ins[0])
        other = vb.astype(ins[1])._raw if isinstance(vb, Array) else _scalar_as(vb, ins[1])
        result = Array(left._raw.binary(name, other, False))
    else:
        right = vb.astype(ins[1])
        result = Array(right._raw.binary(name, _scalar_as(va, ins[0]), True))
    return result if result.dtype == out else result.astype(out)


_FAST_POWERS = {
    2: lambda x: Array(x._raw.powi(2)),
    1: lambda x: x,
    0.5: lambda x: _unary(np.sqrt, x),
    -1: lambda x: Array(x._raw.powi(-1)),
}


def _integer_power(base, exponent, dt, out) -> Array:
    """Integer powers by repeated squaring (exact, wrapping as NumPy's): the
    exponent must be a non-negative integer scalar."""
    if not isinstance(base, Array) or isinstance(exponent, Array):
        raise TypeError("power of integers: ndchunk takes an integer array raised to a non-negative "
                        "integer scalar; cast to float for other powers")
    e = int(exponent)
    if e < 0:
        raise ValueError("Integers to negative integer powers are not allowed.")
    x = base.astype(dt)
    result = None
    while True:
        if e & 1:
            result = x if result is None else _binary(np.multiply, result, x)
        e >>= 1
        if not e:
            break
        x = _binary(np.multiply, x, x)
    if result is None:
        from .creation import ones_like

        result = ones_like(base, dtype=dt)
    return result.astype(out)


def _unary(ufunc, a) -> Array:
    x = _asarray(a)
    ins, out = resolve(ufunc, [x.dtype])
    name = UNARY[ufunc]
    if ufunc in LOGICAL:
        ins = [np.dtype(bool)]
    x = x.astype(ins[0])
    dt = ins[0]
    if dt == bool and name in ("absolute", "logical_not", "invert"):
        result = x if name == "absolute" else Array(x._raw.unary("logical_not"))
    elif dt.kind in "iub" and name in ("floor", "ceil", "trunc", "rint"):
        result = x
    elif dt.kind in "iu" and name == "square":
        result = _binary(np.multiply, x, x)
    elif dt.kind in "iu" and name == "reciprocal":
        raise TypeError("reciprocal of integers: cast to float first")
    else:
        result = Array(x._raw.unary(name))
    return result if result.dtype == out else result.astype(out)


def compute(*args, **kwargs):
    """Computes every ndchunk array in ``args`` in one plan (what they
    share is computed once); other values pass through. Returns a tuple,
    as ``dask.compute``."""
    opts = _options(kwargs)
    lazy = [a._raw for a in args if isinstance(a, Array)]
    results = iter(_ndchunk.compute(lazy, opts) if lazy else [])
    return tuple(next(results) if isinstance(a, Array) else a for a in args)


def persist(*args, **kwargs):
    """Each ndchunk array in ``args`` backed by its computed blocks."""
    return tuple(a.persist(**kwargs) if isinstance(a, Array) else a for a in args)

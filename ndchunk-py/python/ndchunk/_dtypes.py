"""NumPy's dtypes as ndchunk holds them, and NumPy 2's promotion rules.

ndchunk holds ``bool``, ``int8``..``int64``, ``uint8``..``uint64``,
``float32`` and ``float64``. The result dtype of every ufunc comes from NumPy
itself (``ufunc.resolve_dtypes``, which applies NEP 50: Python scalars are
weak, NumPy scalars and arrays are not), so ``int32 + float64`` is
``float64`` and ``int8 / int8`` is ``float64`` as in NumPy. Where NumPy would
compute in ``float16`` (``np.sqrt`` of ``int8``), ndchunk computes in
``float32``: it has no half floats.
"""

from __future__ import annotations

import numpy as np

SUPPORTED = frozenset(
    np.dtype(n) for n in
    ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32", "float64")
)


def held(dtype) -> np.dtype:
    """``dtype`` as ndchunk holds it: ``float16`` widens to ``float32``;
    others it cannot hold (complex, strings, objects) raise ``TypeError``."""
    dt = np.dtype(dtype)
    if dt == np.float16:
        return np.dtype(np.float32)
    if dt.newbyteorder("=") in SUPPORTED:
        return dt.newbyteorder("=")
    raise TypeError(
        f"dtype {dt} is not supported by ndchunk (bool, int8..int64, uint8..uint64, float32, float64)"
    )


def is_weak_scalar(v) -> bool:
    """True for Python's ``bool``, ``int`` and ``float`` (weak under NEP 50)."""
    return type(v) in (bool, int, float)


def resolve(ufunc: np.ufunc, operands) -> tuple[list[np.dtype], np.dtype]:
    """The dtypes NumPy casts ``operands`` to for ``ufunc``, and its result dtype.

    ``operands`` holds dtypes (arrays, NumPy scalars) and Python scalars,
    which stay weak; a Python int out of range of the dtype it meets raises
    ``OverflowError``, as in NumPy.
    """
    keys = []
    for op in operands:
        if is_weak_scalar(op):
            keys.append(type(op))
        else:
            keys.append(np.dtype(op))
    try:
        loop = ufunc.resolve_dtypes(tuple(keys) + (None,) * ufunc.nout)
    except TypeError as e:
        names = ", ".join(str(k.__name__ if isinstance(k, type) else k) for k in keys)
        raise TypeError(f"{ufunc.__name__}: no loop for ({names}): {e}") from None
    ins = [held(d) for d in loop[: ufunc.nin]]
    for op, dt in zip(operands, ins):
        if is_weak_scalar(op) and dt.kind in "iu" and type(op) is int:
            info = np.iinfo(dt)
            if not info.min <= op <= info.max:
                raise OverflowError(f"Python integer {op} out of bounds for {dt}")
    return ins, held(loop[ufunc.nin])

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

import functools

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


COMPARISONS = frozenset(
    (np.equal, np.not_equal, np.less, np.less_equal, np.greater, np.greater_equal)
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
        if type(op) is bool:
            keys.append(np.dtype(bool))
        elif is_weak_scalar(op):
            keys.append(type(op))
        else:
            keys.append(np.dtype(op))
    ins, result = _loop(ufunc, tuple(keys))
    ins = list(ins)
    for op, dt in zip(operands, ins):
        if type(op) is int and dt.kind in "iu":
            info = np.iinfo(dt)
            if info.min <= op <= info.max:
                continue
            if ufunc not in COMPARISONS:
                raise OverflowError(f"Python integer {op} out of bounds for {dt}")
            # NumPy compares with a Python int of any size exactly.
            wide = np.dtype(np.int64) if -(2**63) <= op < 2**63 and dt != np.uint64 else (
                np.dtype(np.uint64) if 0 <= op < 2**64 and dt.kind == "u" else np.dtype(np.float64))
            return [wide] * len(ins), result
    return ins, result


@functools.lru_cache(maxsize=4096)
def _loop(ufunc: np.ufunc, keys: tuple) -> tuple[tuple[np.dtype, ...], np.dtype]:
    """The held input dtypes and result dtype of ``ufunc``'s loop for ``keys``
    (dtypes, and the types of weak Python scalars); cached, as it depends
    on nothing else."""
    try:
        loop = ufunc.resolve_dtypes(keys + (None,) * ufunc.nout)
    except TypeError:
        loop = _legacy_loop(ufunc, list(keys))
    return tuple(held(d) for d in loop[: ufunc.nin]), held(loop[ufunc.nin])


def _legacy_loop(ufunc: np.ufunc, keys) -> list[np.dtype]:
    """The loop NumPy's call finds by casting where ``resolve_dtypes`` finds
    none (``np.sign`` of ``bool`` runs the ``int8`` loop): the first loop of
    ``ufunc.types`` every input casts to safely."""
    samples = [np.zeros(1, k) if isinstance(k, np.dtype) else k(0) for k in keys]
    try:
        with np.errstate(all="ignore"):
            ufunc(*samples)
    except TypeError as e:
        names = ", ".join(str(k.__name__ if isinstance(k, type) else k) for k in keys)
        raise TypeError(f"{ufunc.__name__}: no loop for ({names}): {e}") from None
    for signature in ufunc.types:
        ins, outs = signature.split("->")
        if len(ins) != ufunc.nin or "O" in signature:
            continue
        loop = [np.dtype(c) for c in ins + outs]
        if all(np.can_cast(s.dtype if isinstance(s, np.ndarray) else type(s), d) for s, d in zip(samples, loop)):
            return loop
    raise TypeError(f"{ufunc.__name__}: no loop for {keys}")

"""``numpy.linalg``'s functions over ndchunk arrays (float32 and float64;
integers are promoted to float64), as ``dask.array.linalg`` has them."""

from __future__ import annotations

import numpy as np

from . import _ndchunk
from ._functions import HANDLED, _common
from .core import Array, _asarray


def _float(a):
    x = _asarray(a)
    return x if x.dtype.kind == "f" else x.astype(np.float64)


def _call(op, a, b=None, **kw):
    if b is None:
        x = _float(a)
        outs = _ndchunk.linalg(op, x._raw, None, **kw)
    else:
        x, y = _common([_float(a), _float(b)], op)
        outs = _ndchunk.linalg(op, x._raw, y._raw, **kw)
    return [Array(o) for o in outs]


def solve(a, b):
    """``x`` with ``a @ x == b`` (``a`` square and invertible)."""
    return _call("solve", a, b)[0]


def inv(a):
    """The inverse of the square matrix ``a``."""
    return _call("inv", a)[0]


def cholesky(a, upper=False):
    """The Cholesky factor of the symmetric positive definite ``a`` (lower, or upper)."""
    return _call("cholesky", a, upper=bool(upper))[0]


def qr(a, mode="reduced"):
    """``q, r`` of the tall-and-skinny ``a`` (``mode="reduced"``)."""
    if mode != "reduced":
        raise NotImplementedError("qr: mode='reduced' only")
    q, r = _call("qr", a)
    return q, r


def svd(a, full_matrices=False, compute_uv=True):
    """``u, s, vh`` of ``a`` (thin), or ``s`` without ``compute_uv``."""
    if full_matrices:
        raise NotImplementedError("svd: full_matrices=False only")
    if not compute_uv:
        return _call("svdvals", a)[0]
    u, s, vh = _call("svd", a)
    return u, s, vh


def svd_compressed(a, k, n_power_iter=0, n_oversamples=10, seed=None, compute=False):
    """dask's ``svd_compressed``: a randomised thin SVD of rank ``k``
    (``u, s, vh``), reproducible from ``seed``."""
    x = _float(a)
    u, s, vh = _ndchunk.svd_compressed(x._raw, int(k), int(n_power_iter), int(n_oversamples),
                                       0 if seed is None else int(seed))
    return Array(u), Array(s), Array(vh)


def lstsq(a, b, rcond=None):
    """NumPy's ``lstsq``: solution, residuals, rank and singular values."""
    x, res, rank = _call("lstsq", a, b, rcond=rcond)
    return x, res, rank, svd(a, compute_uv=False)


def norm(x, ord=None, axis=None, keepdims=False):
    """NumPy's ``linalg.norm``."""
    a = _float(x)
    if axis is not None:
        axis = [int(axis)] if isinstance(axis, (int, np.integer)) else [int(v) for v in axis]
    return Array(_ndchunk.norm(a._raw, ord, axis, bool(keepdims)))


HANDLED.update({np.linalg.solve: solve, np.linalg.inv: inv, np.linalg.cholesky: cholesky,
                np.linalg.qr: qr, np.linalg.svd: svd, np.linalg.lstsq: lstsq, np.linalg.norm: norm})

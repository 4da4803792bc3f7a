#!/usr/bin/env python3
"""Writes ndchunk's conformance cases: tests/conformance/cases/GROUP.json.

Each case names an op, its arguments and its inputs (values, dtype, shape and
an irregular chunking), and NumPy's (or dask's, for the overlap family) result
or the class of the error it raised. `tests/conformance/main.rs` replays every case
under `cargo test`. Regenerate after changing this file:

    .venv/bin/python tests/conformance/generate.py

The draws are seeded, so the files change only when the cases do. Cases marked
with a `source` naming a dask test reproduce that test's inputs and parameters
(the expected values are computed here, by dask and NumPy, not copied).
"""

import json
import math
import pathlib
import sys
import warnings

import dask
import dask.array as da
import numpy as np

OUT = pathlib.Path(__file__).resolve().parent / "cases"
rng = np.random.default_rng(20261203)

INT_DTYPES = ["int8", "int32", "int64", "uint8", "uint16", "uint64"]
FLOAT_DTYPES = ["float32", "float64"]
NUM_DTYPES = INT_DTYPES + FLOAT_DTYPES


def encode_value(v):
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (np.floating, float)):
        f = float(v)
        if math.isnan(f):
            return "nan"
        if math.isinf(f):
            return "inf" if f > 0 else "-inf"
        return f
    return int(v)


def encode(a):
    a = np.asarray(a)
    return {
        "dtype": str(a.dtype),
        "shape": list(a.shape),
        "data": [encode_value(v) for v in a.reshape(-1)],
    }


def axis_chunks(n):
    """A random partition of n (irregular, sometimes one block, sometimes ones)."""
    if n == 0:
        return [0]
    style = rng.integers(0, 4)
    if style == 0:
        return [n]
    if style == 1:
        size = int(rng.integers(1, n + 1))
        lens = [size] * (n // size) + ([n % size] if n % size else [])
        return lens
    lens = []
    left = n
    while left > 0:
        take = int(rng.integers(1, min(left, 4 if style == 2 else 7) + 1))
        lens.append(take)
        left -= take
    return lens


def chunking(shape):
    return [axis_chunks(n) for n in shape]


def values(dtype, shape, special=True):
    n = int(np.prod(shape, dtype=np.int64))
    if dtype == "bool":
        return rng.integers(0, 2, size=shape).astype(bool)
    if dtype.startswith("float"):
        a = rng.normal(0.0, 2.0, size=n)
        if special and n > 0:
            for _ in range(int(rng.integers(0, 3))):
                a[rng.integers(0, n)] = rng.choice([np.nan, np.inf, -np.inf, 0.0, -0.0])
        return a.astype(dtype).reshape(shape)
    info = np.iinfo(dtype)
    lo, hi = max(info.min, -5), min(info.max, 6)
    return rng.integers(lo, hi, size=shape, endpoint=False).astype(dtype)


def shape_of(max_ndim=3, max_len=7, min_ndim=0):
    ndim = int(rng.integers(min_ndim, max_ndim + 1))
    return tuple(int(rng.integers(0 if rng.random() < 0.1 else 1, max_len + 1)) for _ in range(ndim))


def make_case(op, args, arrays, compute, source="numpy", chunks=None, tol=None):
    inputs = []
    for k, a in enumerate(arrays):
        entry = encode(a)
        entry["chunks"] = chunks[k] if chunks else chunking(a.shape)
        inputs.append(entry)
    case = {"op": op, "args": args, "inputs": inputs, "source": source}
    try:
        with np.errstate(all="ignore"):
            result = compute([np.asarray(a) for a in arrays], [i["chunks"] for i in inputs])
    except Exception as e:  # the class NumPy raised is the expectation
        case["error"] = type(e).__name__
        return case
    if isinstance(result, tuple):
        result, result_chunks = result
        case["expect_chunks"] = [list(c) for c in result_chunks]
    case["expect"] = encode(result)
    if tol is not None:
        case["tol"] = tol
    return case


def scan_tol(a, dtype):
    """Absolute tolerance of a float scan: rounding of running sums of |x|."""
    if not dtype.startswith("float"):
        return None
    eps = float(np.finfo(dtype).eps)
    finite = np.where(np.isfinite(a), np.abs(a), 0.0).astype(np.float64)
    scale = float(finite.sum()) if finite.size else 0.0
    return {"atol": 8 * eps * max(scale, 1.0), "rtol": 8 * eps}


def scans():
    cases = []
    numpy_of = {
        "cumsum": np.cumsum,
        "cumprod": np.cumprod,
        "nancumsum": np.nancumsum,
        "nancumprod": np.nancumprod,
    }
    for op, fn in numpy_of.items():
        for dtype in ["bool"] + NUM_DTYPES:
            for _ in range(6):
                shape = shape_of(min_ndim=1)
                a = values(dtype, shape)
                if op.endswith("cumprod") and dtype.startswith("float"):
                    a = (np.sign(a) * (1.0 + np.abs(a) / 8)).astype(dtype)
                # Now and then an axis out of range (an error).
                axis = int(rng.integers(0, len(shape))) if rng.random() < 0.95 else len(shape)
                tol = scan_tol(a, dtype)
                if op.endswith("cumprod") and tol:
                    tol = {"atol": 0.0, "rtol": 64 * float(np.finfo(dtype).eps) * max(len(a.reshape(-1)), 1)}
                cases.append(make_case(op, {"axis": axis}, [a],
                                       lambda xs, _c, fn=fn, axis=axis: fn(xs[0], axis=axis), tol=tol))
    for dtype in NUM_DTYPES:
        for _ in range(8):
            shape = shape_of(min_ndim=1)
            a = values(dtype, shape, special=False)
            axis = int(rng.integers(0, len(shape)))
            n = int(rng.integers(0, 4))
            tol = {"atol": 1e-5 * 64, "rtol": 1e-5} if dtype == "float32" else None
            cases.append(make_case("diff", {"n": n, "axis": axis}, [a],
                                   lambda xs, _c, n=n, axis=axis: np.diff(xs[0], n=n, axis=axis), tol=tol))
    for dtype in FLOAT_DTYPES:
        for _ in range(10):
            shape = shape_of(min_ndim=1)
            a = values(dtype, shape)
            axis = int(rng.integers(0, len(shape)))
            spacing = float(rng.choice([1.0, 0.5, 3.0]))
            tol = {"atol": 1e-5, "rtol": 1e-5} if dtype == "float32" else None
            cases.append(make_case("gradient", {"axis": axis, "spacing": spacing}, [a],
                                   lambda xs, _c, axis=axis, s=spacing: np.gradient(xs[0], s, axis=axis),
                                   tol=tol))
    # Edge cases: 0-d inputs have no axis; a one-element axis has no gradient.
    cases.append(make_case("cumsum", {"axis": 0}, [np.array(3.0)], lambda xs, _c: np.cumsum(xs[0], axis=0)))
    cases.append(make_case("gradient", {"axis": 0, "spacing": 1.0}, [np.array([2.0])],
                           lambda xs, _c: np.gradient(xs[0], axis=0)))
    return cases


# Block functions the Rust side implements under the same names.
def box3(b):
    """Each element plus its neighbours along every axis (clamped at the block's edges)."""
    out = b.copy()
    for axis in range(b.ndim):
        if b.shape[axis] == 0:
            continue
        padded = np.concatenate([np.take(out, [0], axis=axis), out, np.take(out, [-1], axis=axis)], axis=axis)
        n = b.shape[axis]
        out = (np.take(padded, range(0, n), axis=axis) + np.take(padded, range(1, n + 1), axis=axis)
               + np.take(padded, range(2, n + 2), axis=axis))
    return out


def plus_size(b):
    """The block plus its number of elements (dask's test_map_overlap)."""
    return b + np.array(b.size).astype(b.dtype)


BLOCK_FNS = {"box3": box3, "plus_size": plus_size}

BOUNDARIES = ["none", "reflect", "periodic", "nearest", "constant"]


def dask_boundary(name, value):
    return value if name == "constant" else name


def overlap_cases():
    cases = []

    def add_overlap(a, chunks, depth, boundary, value, source="dask"):
        args = {"depth": depth, "boundary": boundary, "value": value}

        def compute(xs, cs):
            x = da.from_array(xs[0], chunks=tuple(tuple(c) for c in cs[0]))
            g = da.overlap.overlap(x, depth=dict(enumerate(depth)),
                                   boundary={k: dask_boundary(boundary, value) for k in range(x.ndim)})
            return g.compute(scheduler="sync"), g.chunks

        cases.append(make_case("overlap", args, [a], compute, source=source, chunks=[chunks]))

    def add_map(a, chunks, fn, depth, boundary, value, trim, source="dask"):
        args = {"fn": fn, "depth": depth, "boundary": boundary, "value": value, "trim": trim}

        def compute(xs, cs):
            x = da.from_array(xs[0], chunks=tuple(tuple(c) for c in cs[0]))
            f = BLOCK_FNS[fn]
            extra = {}
            if not trim:
                # The function trims itself: its result has the block's shape.
                assert boundary != "none"

                def f(b, f=f):
                    full = f(b)
                    return full[tuple(slice(d, full.shape[k] - d) for k, d in enumerate(depth))]

                extra["chunks"] = x.chunks
            y = x.map_overlap(f, depth=dict(enumerate(depth)),
                              boundary={k: dask_boundary(boundary, value) for k in range(x.ndim)},
                              trim=trim, dtype=x.dtype, **extra)
            return y.compute(scheduler="sync"), y.chunks

        cases.append(make_case("map_overlap", args, [a], compute, source=source, chunks=[chunks]))

    # Ported from dask/array/tests/test_overlap.py (inputs and parameters).
    x = np.arange(64).reshape((8, 8))
    add_overlap(x, [[4, 4], [4, 4]], [2, 1], "none", 0, "dask test_overlap_internal")
    for b in ["periodic", "reflect", "nearest", "constant"]:
        add_overlap(x, [[4, 4], [4, 4]], [2, 0], b, 0, f"dask test_{b}")
    add_overlap(np.arange(16).reshape(4, 4), [[2, 2], [2, 2]], [2, 2], "constant", 33, "dask test_boundaries")
    for b in BOUNDARIES:
        add_map(np.arange(10), [[5, 5]], "plus_size", [2], b, 0, True, "dask test_map_overlap")
        add_map(np.arange(10), [[5, 5]], "plus_size", [0], b, 0, True, "dask test_map_overlap_no_depth")

    # Random shapes, chunkings, depths and boundaries.
    for _ in range(60):
        dtype = str(rng.choice(["int32", "int64", "float64", "float32", "uint8"]))
        shape = shape_of(max_ndim=3, max_len=9, min_ndim=1)
        shape = tuple(max(n, 1) for n in shape)
        a = values(dtype, shape, special=False)
        chunks = chunking(shape)
        depth = [int(rng.integers(0, min(c) + 1)) for c in chunks]
        boundary = str(rng.choice(BOUNDARIES))
        value = int(rng.integers(-3, 4))
        add_overlap(a, chunks, depth, boundary, value)
        fn = str(rng.choice(list(BLOCK_FNS)))
        trim = bool(rng.random() < 0.7) or boundary == "none"
        add_map(a, chunks, fn, depth, boundary, value, trim)
    return cases


def per_axis_boundary_cases():
    """Overlap and map_overlap with a boundary per axis (dask's dict)."""
    cases = []
    for _ in range(30):
        dtype = str(rng.choice(["int32", "float64"]))
        shape = tuple(int(rng.integers(1, 8)) for _ in range(int(rng.integers(2, 4))))
        a = values(dtype, shape, special=False)
        chunks = chunking(shape)
        depth = [int(rng.integers(0, min(c) + 1)) for c in chunks]
        names = [str(rng.choice(BOUNDARIES)) for _ in shape]
        vals = [int(rng.integers(-3, 4)) for _ in shape]
        args = {"depth": depth, "boundary": names, "value": vals}

        def spec(names=names, vals=vals):
            return {k: dask_boundary(b, v) for k, (b, v) in enumerate(zip(names, vals))}

        def grown(xs, cs, depth=depth, spec=spec):
            x = da.from_array(xs[0], chunks=tuple(tuple(c) for c in cs[0]))
            g = da.overlap.overlap(x, depth=dict(enumerate(depth)), boundary=spec())
            return g.compute(scheduler="sync"), g.chunks

        cases.append(make_case("overlap", args, [a], grown, source="dask", chunks=[chunks]))

        def mapped(xs, cs, depth=depth, spec=spec):
            x = da.from_array(xs[0], chunks=tuple(tuple(c) for c in cs[0]))
            y = x.map_overlap(box3, depth=dict(enumerate(depth)), boundary=spec(), trim=True, dtype=x.dtype)
            return y.compute(scheduler="sync"), y.chunks

        cases.append(make_case("map_overlap", dict(args, fn="box3", trim=True), [a], mapped, source="dask",
                               chunks=[chunks]))
    return cases


def trim_cases():
    cases = []
    for _ in range(20):
        dtype = str(rng.choice(["int32", "float64"]))
        shape = tuple(int(rng.integers(1, 10)) for _ in range(int(rng.integers(1, 4))))
        a = values(dtype, shape, special=False)
        chunks = chunking(shape)
        depth = [int(rng.integers(0, max(min(c) // 2, 0) + 1)) for c in chunks]
        boundary = str(rng.choice(["none", "reflect"]))

        def compute(xs, cs, depth=depth, boundary=boundary):
            x = da.from_array(xs[0], chunks=tuple(tuple(c) for c in cs[0]))
            t = da.overlap.trim_internal(x, dict(enumerate(depth)), boundary=boundary)
            return t.compute(scheduler="sync"), t.chunks

        cases.append(make_case("trim_internal", {"depth": depth, "boundary": boundary}, [a], compute,
                               source="dask", chunks=[chunks]))
    return cases


def sort_values(dtype, shape):
    """Values with ties (small integers, rounded floats), NaN, -0.0 and infinities."""
    a = values(dtype, shape)
    if dtype.startswith("float") and a.size:
        a = np.round(a * 2) / 2  # ties
        flat = a.reshape(-1)
        for _ in range(int(rng.integers(0, 4))):
            flat[rng.integers(0, flat.size)] = rng.choice([np.nan, -0.0, 0.0, np.inf, -np.inf])
        a = flat.reshape(shape).astype(dtype)
    return a


def sorting_cases():
    cases = []
    # 1-d arrays of up to 300 elements: the replay's 512-byte chunk budget
    # sorts those beyond it by sample sort; N-d arrays by lanes.
    for op in ["sort", "argsort"]:
        fn = np.sort if op == "sort" else np.argsort
        for dtype in ["bool"] + NUM_DTYPES:
            for _ in range(7):
                if rng.random() < 0.5:
                    shape = (int(rng.integers(0, 300)),)
                else:
                    shape = shape_of(min_ndim=1, max_len=9)
                a = sort_values(dtype, shape)
                axis = int(rng.integers(0, len(shape))) if rng.random() < 0.95 else len(shape)
                cases.append(make_case(op, {"axis": axis}, [a],
                                       lambda xs, _c, fn=fn, axis=axis: fn(xs[0], axis=axis, kind="stable")))
    for op in ["partition", "argpartition"]:
        fn = np.sort if op == "partition" else np.argsort
        for dtype in ["int32", "float64"]:
            for _ in range(6):
                shape = shape_of(min_ndim=1, max_len=9)
                a = sort_values(dtype, shape)
                axis = int(rng.integers(0, len(shape)))
                n = shape[axis]
                kth = int(rng.integers(-n - 1, n + 1)) if n else 0

                def compute(xs, _c, fn=fn, axis=axis, kth=kth, op=op):
                    # ndchunk's partition is the sort: a partition NumPy accepts.
                    np_part = getattr(np, op)(xs[0], kth, axis=axis)
                    got = fn(xs[0], axis=axis, kind="stable")
                    at = [slice(None)] * xs[0].ndim
                    at[axis] = kth
                    if op == "partition":
                        assert np.array_equal(np_part[tuple(at)], got[tuple(at)], equal_nan=True)
                    return got

                cases.append(make_case(op, {"kth": kth, "axis": axis}, [a], compute))
    for dtype in ["bool", "int32", "uint8", "float32", "float64"]:
        for _ in range(6):
            a = np.sort(sort_values(dtype, (int(rng.integers(0, 40)),)), kind="stable")
            v = sort_values(dtype, shape_of(max_ndim=2, max_len=6))
            side = str(rng.choice(["left", "right"]))
            cases.append(make_case("searchsorted", {"side": side}, [a, v],
                                   lambda xs, _c, side=side: np.searchsorted(xs[0], xs[1], side=side)))
    for fn in ["median", "quantile", "percentile"]:
        for nan in [False, True]:
            name = ("nan" if nan else "") + fn
            for dtype in NUM_DTYPES:
                for _ in range(4):
                    shape = shape_of(min_ndim=1, max_len=8)
                    if rng.random() < 0.3:
                        shape = (int(rng.integers(0, 200)),)
                    a = sort_values(dtype, shape)
                    axis = None if rng.random() < 0.4 else int(rng.integers(0, len(shape)))
                    if fn == "median":
                        q = None
                    elif rng.random() < 0.5:
                        q = float(rng.choice([0.0, 0.25, 0.5, 0.9, 1.0, float(rng.random())]))
                    else:
                        q = [float(v) for v in rng.random(int(rng.integers(1, 4)))]
                    if fn == "percentile" and q is not None:
                        q = [v * 100 for v in q] if isinstance(q, list) else q * 100
                    if rng.random() < 0.05 and q is not None:
                        q = 1.5 if fn == "quantile" else 150.0  # out of range: an error
                    if nan and isinstance(q, list) and a.size == 0:
                        # NumPy's nanquantile of an empty array returns
                        # nanmean's result, without the quantiles' axis;
                        # ndchunk keeps the axis (filled with NaN).
                        continue
                    args = {"fn": fn, "q": q, "axis": axis, "nan": nan}

                    def compute(xs, _c, f=getattr(np, name), q=q, axis=axis, fn=fn):
                        return f(xs[0], axis=axis) if fn == "median" else f(xs[0], q, axis=axis)

                    tol = {"atol": 0.0, "rtol": 2e-7} if dtype == "float32" else None
                    cases.append(make_case("quantile", args, [a], compute, tol=tol))
    return cases


def counting_cases():
    cases = []
    for dtype in NUM_DTYPES:
        for _ in range(6):
            shape = shape_of(max_ndim=3, max_len=8)
            a = sort_values(dtype, shape) if dtype.startswith("float") else values(dtype, shape)
            if dtype.startswith("float"):
                a = np.where(np.isinf(a), 0.0, a).astype(dtype)  # an infinite range is an error
            style = int(rng.integers(0, 3))
            if style == 0:
                bins, rng_ = int(rng.integers(1, 7)), None
            elif style == 1:
                bins, rng_ = int(rng.integers(1, 7)), [float(rng.integers(-4, 0)), float(rng.integers(0, 4))]
            else:
                bins, rng_ = sorted(float(v) for v in rng.integers(-6, 6, size=int(rng.integers(2, 6)))), None
            weighted = bool(rng.random() < 0.3)
            density = bool(rng.random() < 0.3)
            w = rng.random(shape).astype(np.float64) if weighted else None
            args = {"bins": bins, "range": rng_, "density": density, "weighted": weighted}
            arrays = [a] + ([w] if weighted else [])

            def compute(xs, _c, bins=bins, rng_=rng_, density=density, weighted=weighted):
                h, _edges = np.histogram(xs[0], bins=bins, range=rng_,
                                         weights=xs[1] if weighted else None, density=density)
                return h

            tol = {"atol": 1e-12, "rtol": 1e-12}
            cases.append(make_case("histogram", args, arrays, compute, tol=tol))
    for dtype in ["int32", "float64", "float32", "uint8"]:
        for _ in range(5):
            a = values(dtype, shape_of(max_ndim=2, max_len=8), special=False)
            bins = sorted(float(v) for v in rng.integers(-5, 6, size=int(rng.integers(1, 6))))
            if rng.random() < 0.4:
                bins = bins[::-1]
            right = bool(rng.random() < 0.5)
            cases.append(make_case("digitize", {"bins": bins, "right": right}, [a],
                                   lambda xs, _c, bins=bins, right=right: np.digitize(xs[0], bins, right=right)))
    for dtype in ["bool", "int16", "uint64", "float32", "float64"]:
        for _ in range(5):
            a = sort_values(dtype, shape_of(max_ndim=3, max_len=6))
            test = sort_values(dtype, (int(rng.integers(0, 8)),))
            invert = bool(rng.random() < 0.3)
            cases.append(make_case("isin", {"invert": invert}, [a, test],
                                   lambda xs, _c, invert=invert: np.isin(xs[0], xs[1], invert=invert)))
    for dtype in ["int8", "int32", "uint8", "int64"]:
        for _ in range(5):
            n = int(rng.integers(0, 40))
            a = rng.integers(-1 if rng.random() < 0.1 else 0, 9, size=n).astype(dtype)
            minlength = int(rng.integers(0, 12))
            weighted = bool(rng.random() < 0.4)
            w = rng.random(n) if weighted else None
            args = {"minlength": minlength, "weighted": weighted}
            cases.append(make_case("bincount", args, [a] + ([w] if weighted else []),
                                   lambda xs, _c, m=minlength, weighted=weighted:
                                   np.bincount(xs[0], weights=xs[1] if weighted else None, minlength=m),
                                   tol={"atol": 1e-12, "rtol": 1e-12}))
    for dtype in ["bool", "int8", "int32", "uint16", "int64", "uint64", "float32", "float64"]:
        for _ in range(5):
            shape = shape_of(max_ndim=3, max_len=7)
            a = sort_values(dtype, shape)
            if dtype == "int64" and rng.random() < 0.5 and a.size:
                a = (a.astype(np.int64) * 10**12)  # a range too wide to count: sorted
            # "fast" parts ask for no first positions, so small integer ranges are counted.
            for part, k in [("values", None), ("index", 1), ("inverse", 2), ("counts", 3),
                            ("values fast", None), ("inverse fast", 2), ("counts fast", 3)]:
                def compute(xs, _c, k=k):
                    out = np.unique(xs[0], return_index=True, return_inverse=True, return_counts=True)
                    return out[0] if k is None else out[k]
                cases.append(make_case("unique", {"part": part}, [a], compute))
    for op in ["flatnonzero", "argwhere", "nonzero"]:
        for dtype in ["bool", "int32", "float64"]:
            for _ in range(4):
                a = sort_values(dtype, shape_of(max_ndim=3, max_len=6))
                if op == "nonzero":
                    axis_out = int(rng.integers(0, max(a.ndim, 1)))
                    cases.append(make_case(op, {"axis": axis_out}, [a],
                                           lambda xs, _c, k=axis_out: np.nonzero(xs[0])[k]))
                else:
                    cases.append(make_case(op, {}, [a], lambda xs, _c, op=op: getattr(np, op)(xs[0])))
    for dtype in ["int32", "float32", "float64"]:
        for _ in range(5):
            n = int(rng.integers(1, 40))
            x, y = values(dtype, (n,), special=False), values(dtype, (n,), special=False)
            bins = [int(rng.integers(1, 5)), int(rng.integers(1, 5))]
            rng_ = None if rng.random() < 0.5 else [[-3.0, 3.0], [-2.0, 4.0]]
            cases.append(make_case("histogram2d", {"bins": bins, "range": rng_}, [x, y],
                                   lambda xs, _c, b=bins, r=rng_: np.histogram2d(xs[0], xs[1], bins=b, range=r)[0]
                                   .astype(np.int64)))
    # Negative values have no bin (NumPy: ValueError).
    cases.append(make_case("bincount", {"minlength": 0, "weighted": False},
                           [np.array([3, -1, 2], np.int32)], lambda xs, _c: np.bincount(xs[0])))
    for dtype in ["bool", "int32", "float64"]:
        for _ in range(5):
            shape = shape_of(min_ndim=1, max_len=6)
            a = sort_values(dtype, shape)
            axis = int(rng.integers(0, len(shape)))
            cases.append(make_case("count_nonzero", {"axis": axis}, [a],
                                   lambda xs, _c, axis=axis: np.asarray(np.count_nonzero(xs[0], axis=axis), np.int64)))
    return cases


def dask_ports():
    """Inputs and parameters of dask's own tests for these functions
    (dask/array/tests/test_reductions.py, test_percentiles.py and
    test_routines.py of the installed dask); expectations are NumPy's."""
    cases = []
    # test_reductions.py::test_array_cumreduction_axis (axis=None is the
    # flattened array: ndchunk's scans take an axis, so it is left out).
    s = (10, 11, 12)
    for func in ["cumsum", "cumprod", "nancumsum", "nancumprod"]:
        for use_nan in [False, True]:
            for axis in [0, 1, -1]:
                a = np.arange(np.prod(s), dtype=float).reshape(s)
                if use_nan:
                    a[1] = np.nan
                ax = axis % 3
                tol = {"atol": 0.0, "rtol": 1e-12}
                cases.append(make_case(func, {"axis": ax}, [a],
                                       lambda xs, _c, f=getattr(np, func), ax=ax: f(xs[0], axis=ax),
                                       source="dask test_array_cumreduction_axis",
                                       chunks=[[[4, 4, 2], [5, 5, 1], [6, 6]]], tol=tol))

    def percentile(a, chunks, q, name):
        args = {"fn": "percentile", "q": q, "axis": None, "nan": False}
        cases.append(make_case("quantile", args, [a], lambda xs, _c, q=q: np.percentile(xs[0], q),
                               source=f"dask {name}", chunks=[chunks]))

    # test_percentiles.py
    percentile(np.ones(16), [[4] * 4], [0.0, 50.0, 100.0], "test_percentile")
    percentile(np.array([0, 0, 5, 5, 5, 5, 20, 20]), [[3, 3, 2]], [0.0, 50.0, 100.0], "test_percentile")
    # dask's chunks are (5, 0, 5); ndchunk has no empty chunks, so (5, 5).
    percentile(np.ones(10), [[5, 5]], [10.0, 50.0, 90.0], "test_percentiles_with_empty_arrays")
    percentile(np.ones(10), [[5, 5]], [], "test_percentiles_with_empty_q")
    for x in [np.ones(17), np.linspace(500, 1000, 50), np.array([5000, 4400, 6000, 6050, 6000] * 3)]:
        for q in [5.0, 50.0, 95.0]:
            n = len(x)
            percentile(x, [[4] * (n // 4) + ([n % 4] if n % 4 else [])], q,
                       "test_percentiles_with_scaler_percentile")

    # test_routines.py
    def unique_parts(a, chunks, name):
        for part, k in [("values", None), ("index", 1), ("inverse", 2), ("counts", 3)]:
            def compute(xs, _c, k=k):
                out = np.unique(xs[0], return_index=True, return_inverse=True, return_counts=True)
                return out[0] if k is None else out[k]
            cases.append(make_case("unique", {"part": part}, [a], compute, source=f"dask {name}",
                                   chunks=[chunks]))

    def regular(shape, chunks):
        return [[c] * (n // c) + ([n % c] if n % c else []) for n, c in zip(shape, chunks)]

    unique_parts(np.array([1, 2, 4, 4, 5, 2]), [[3, 3]], "test_unique_kwargs")
    for seed in [23, 796]:
        for shape, ch in [((10,), (5,)), ((10,), (3,)), ((4, 5), (3, 2)), ((20, 20), (4, 5))]:
            r = np.random.default_rng(seed)
            unique_parts(r.integers(0, 10, size=shape), regular(shape, ch), "test_unique_rand")
    shapes = [((10,), (5,)), ((10,), (3,)), ((4, 5), (3, 2)), ((20, 20), (4, 5))]
    for seed in [23, 796]:
        for es, ec in shapes:
            for ts, tc in shapes:
                for invert in [True, False]:
                    r = np.random.default_rng(seed)
                    a1 = r.integers(0, 10, size=es)
                    a2 = r.integers(0, 10, size=ts) - 5
                    cases.append(make_case("isin", {"invert": invert}, [a1, a2],
                                           lambda xs, _c, inv=invert: np.isin(xs[0], xs[1], invert=inv),
                                           source="dask test_isin_rand",
                                           chunks=[regular(es, ec), regular(ts, tc)]))
    for a, ac, v, vc in [([0], 1, [0], 1),
                         ([-10, 0, 10, 20, 30], 3, [11, 30], 2),
                         ([-10, 0, 10, 20, 30], 3, [11, 30, -20, 1, -10, 10, 37, 11], 5),
                         ([-10, 0, 10, 20, 30], 3, [[11, 30, -20, 1, -10, 10, 37, 11]], 5),
                         ([-10, 0, 10, 20, 30], 3, [[7, 0], [-10, 10], [11, -1], [15, 15]], (2, 2))]:
        a, v = np.array(a), np.array(v)
        vc = vc if isinstance(vc, tuple) else (vc,) * v.ndim
        for side in ["left", "right"]:
            cases.append(make_case("searchsorted", {"side": side}, [a, v],
                                   lambda xs, _c, side=side: np.searchsorted(xs[0], xs[1], side=side),
                                   source="dask test_searchsorted",
                                   chunks=[regular(a.shape, (ac,)), regular(v.shape, vc)]))
    x = np.array([2, 1, 5, 2, 1])
    cases.append(make_case("bincount", {"minlength": 6, "weighted": False}, [x],
                           lambda xs, _c: np.bincount(xs[0], minlength=6), source="dask test_bincount",
                           chunks=[[[2, 2, 1]]]))
    for w in [np.array([1, 2, 1, 0.5, 1]), np.array([1, 2, 1, 0, 1], dtype=np.float64)]:
        cases.append(make_case("bincount", {"minlength": 6, "weighted": True}, [x, w],
                               lambda xs, _c: np.bincount(xs[0], weights=xs[1], minlength=6),
                               source="dask test_bincount_with_weights", chunks=[[[2, 2, 1]], [[2, 2, 1]]]))
    cases.append(make_case("bincount", {"minlength": 0, "weighted": False}, [np.array([1, 1, 3, 7, 0])],
                           lambda xs, _c: np.bincount(xs[0]), source="dask test_bincount_unspecified_minlength",
                           chunks=[[[2, 2, 1]]]))
    for chunks in [2, 4]:
        for right in [False, True]:
            x = np.array([2, 4, 5, 6, 1])
            cases.append(make_case("digitize", {"bins": [1.0, 2.0, 3.0, 4.0, 5.0], "right": right}, [x],
                                   lambda xs, _c, right=right: np.digitize(xs[0], [1, 2, 3, 4, 5], right=right),
                                   source="dask test_digitize", chunks=[regular((5,), (chunks,))]))
    v = rng.random(100)
    hist = lambda xs, bins, r: np.histogram(xs[0], bins=bins, range=r)[0]
    edges = [float(e) for e in np.arange(0, 1.01, 0.01)]
    cases.append(make_case("histogram", {"bins": edges, "range": None, "density": False, "weighted": False}, [v],
                           lambda xs, _c: hist(xs, np.array(edges), None), source="dask test_histogram",
                           chunks=[[[10] * 10]]))
    cases.append(make_case("histogram", {"bins": 10, "range": [0.0, 1.0], "density": False, "weighted": False},
                           [v], lambda xs, _c: hist(xs, 10, (0, 1)),
                           source="dask test_histogram_alternative_bins_range", chunks=[[[10] * 10]]))
    cases.append(make_case("histogram", {"bins": 10, "range": [-3.0, 3.0], "density": False, "weighted": False},
                           [np.array([-2, np.nan, 2])], lambda xs, _c: hist(xs, 10, (-3, 3)),
                           source="dask test_histogram_bins_range_with_nan_array", chunks=[[[1, 1, 1]]]))
    return cases


REDUCTIONS = ["sum", "prod", "mean", "var", "std", "min", "max", "argmin", "argmax", "any", "all",
              "nansum", "nanmean", "nanmin", "nanmax"]


def reduction_cases():
    cases = []
    for op in REDUCTIONS:
        for dtype in (["bool"] if op in ("any", "all", "sum") else []) + NUM_DTYPES:
            for _ in range(5):
                shape = shape_of(max_ndim=3, max_len=6)
                a = values(dtype, shape, special=op.startswith("nan") or rng.random() < 0.5)
                if op == "prod" and dtype.startswith("float"):
                    a = (np.sign(a) * (0.5 + np.abs(a) / 4)).astype(dtype)
                nd = len(shape)
                if op in ("argmin", "argmax"):
                    axes = None if nd == 0 or rng.random() < 0.3 else [int(rng.integers(-nd, nd))]
                else:
                    k = int(rng.integers(0, nd + 1))
                    axes = None if rng.random() < 0.3 else sorted(
                        int(v) for v in rng.choice(nd, size=k, replace=False)) if nd else None
                keepdims = bool(rng.random() < 0.4)
                ddof = int(rng.integers(0, 2)) if op in ("var", "std") else 0
                args = {"axes": axes, "keepdims": keepdims, "ddof": ddof}

                def compute(xs, _c, op=op, axes=axes, keepdims=keepdims, ddof=ddof):
                    f = getattr(np, op)
                    ax = None if axes is None else (axes[0] if op in ("argmin", "argmax") else tuple(axes))
                    extra = {"ddof": ddof} if op in ("var", "std") else {}
                    out = np.asarray(f(xs[0], axis=ax, keepdims=keepdims, **extra))
                    if op in ("argmin", "argmax"):
                        out = out.astype(np.int64)
                    return out

                tol = None
                if dtype.startswith("float") and op not in ("min", "max", "nanmin", "nanmax", "argmin", "argmax"):
                    tol = {"atol": 0.0, "rtol": 64 * float(np.finfo(dtype).eps)}
                cases.append(make_case(op, args, [a], compute, tol=tol))
    return cases


UNARY_FLOAT = ["sqrt", "exp", "log", "log10", "log2", "sin", "cos", "tan", "tanh", "floor", "ceil", "rint",
               "arcsin", "arccos", "arctan", "sinh", "cosh", "arcsinh", "arccosh", "arctanh", "exp2", "log1p",
               "expm1", "cbrt", "trunc", "deg2rad", "rad2deg", "isnan", "isinf", "isfinite", "signbit", "sign",
               "abs", "negative", "nan_to_num"]
BINARY_NUM = ["add", "subtract", "multiply", "maximum", "minimum", "fmax", "fmin", "floor_divide",
              "remainder", "fmod"]
BINARY_FLOAT = ["divide", "power", "hypot", "arctan2", "copysign", "logaddexp"]
BINARY_INT = ["bitwise_and", "bitwise_or", "bitwise_xor", "left_shift", "right_shift"]


def elementwise_cases():
    cases = []
    for op in UNARY_FLOAT:
        for dtype in FLOAT_DTYPES:
            for _ in range(3):
                a = values(dtype, shape_of(max_ndim=3, max_len=6))
                if op in ("arcsin", "arccos", "arctanh"):
                    a = (a / 3).astype(dtype)
                tol = None if op in ("floor", "ceil", "rint", "trunc", "isnan", "isinf", "isfinite",
                                     "signbit", "sign", "abs", "negative", "nan_to_num") else \
                    {"atol": 0.0, "rtol": 4 * float(np.finfo(dtype).eps)}
                cases.append(make_case(op, {}, [a], lambda xs, _c, op=op: getattr(np, op)(xs[0]), tol=tol))
    for ops, dtypes in [(BINARY_NUM, NUM_DTYPES), (BINARY_FLOAT, FLOAT_DTYPES),
                        (BINARY_INT, ["int8", "int32", "uint8", "uint64"])]:
        for op in ops:
            for dtype in dtypes:
                for _ in range(3):
                    shape = shape_of(max_ndim=3, max_len=6)
                    a, b = values(dtype, shape), values(dtype, shape)
                    if op in ("left_shift", "right_shift"):
                        b = np.abs(b.astype(np.int64)).astype(dtype)  # negative counts are undefined in C
                    if op == "power":
                        a = np.abs(a).astype(dtype)
                    tol = None
                    if dtype.startswith("float") and op in BINARY_FLOAT + ["floor_divide", "remainder", "fmod"]:
                        tol = {"atol": 0.0, "rtol": 4 * float(np.finfo(dtype).eps)}
                    cases.append(make_case(op, {}, [a, b], lambda xs, _c, op=op: getattr(np, op)(xs[0], xs[1]),
                                           tol=tol, chunks=[chunking(shape)] * 2))
    for dtype in FLOAT_DTYPES:
        for _ in range(5):
            shape = shape_of(max_ndim=2, max_len=6)
            a = values(dtype, shape)
            b = (a + rng.normal(0, 1e-6, size=shape)).astype(dtype) if rng.random() < 0.5 else values(dtype, shape)
            equal_nan = bool(rng.random() < 0.5)
            cases.append(make_case("isclose", {"equal_nan": equal_nan}, [a, b],
                                   lambda xs, _c, e=equal_nan: np.isclose(xs[0], xs[1], equal_nan=e),
                                   chunks=[chunking(shape)] * 2))
    for dtype in ["bool", "int8", "int64", "uint16", "float32", "float64"]:
        for target in ["bool", "int8", "int32", "int64", "uint8", "uint64", "float32", "float64"]:
            a = values(dtype, shape_of(max_ndim=2, max_len=6), special=False)
            if dtype.startswith("float") and target != "bool":
                # Float to integer is defined where the value fits the target.
                info = np.iinfo(target) if target[0] in "iu" else None
                a = np.clip(a, max(info.min, -100) if info else -1e6, min(info.max, 100) if info else 1e6).astype(dtype)
            if dtype[0] == "i" and target[0] == "u":
                a = np.abs(a).astype(dtype)
            cases.append(make_case("astype", {"dtype": target}, [a], lambda xs, _c, t=target: xs[0].astype(t)))
    for op in ["equal", "not_equal", "less", "less_equal", "greater", "greater_equal"]:
        for dtype in ["bool", "int32", "uint8", "float64"]:
            shape = shape_of(max_ndim=2, max_len=6)
            a, b = values(dtype, shape), values(dtype, shape)
            cases.append(make_case(op, {}, [a, b], lambda xs, _c, op=op: getattr(np, op)(xs[0], xs[1]),
                                   chunks=[chunking(shape)] * 2))
    for dtype in ["int32", "float64", "uint8"]:
        for _ in range(4):
            shape = shape_of(max_ndim=2, max_len=6)
            a, b = values(dtype, shape), values(dtype, shape)
            cond = rng.random(shape) < 0.5
            cases.append(make_case("where", {}, [a, b, cond], lambda xs, _c: np.where(xs[2], xs[0], xs[1]),
                                   chunks=[chunking(shape)] * 3))
            lo, hi = sorted(int(v) for v in rng.integers(0, 5, size=2))
            cases.append(make_case("clip", {"lo": lo, "hi": hi}, [a],
                                   lambda xs, _c, lo=lo, hi=hi: np.clip(xs[0], np.array(lo, dtype=xs[0].dtype),
                                                                        np.array(hi, dtype=xs[0].dtype))))
    return cases


def layout_cases():
    cases = []
    for dtype in ["int32", "float64", "bool", "uint8"]:
        for _ in range(8):
            shape = shape_of(min_ndim=1, max_ndim=3, max_len=7)
            a = values(dtype, shape, special=False)
            n = int(np.prod(shape))
            # reshape to a random factorisation (with -1 sometimes)
            target = [n] if n else [0]
            if n > 1:
                d = [k for k in range(1, n + 1) if n % k == 0]
                f = int(rng.choice(d))
                target = [f, n // f]
            if rng.random() < 0.3:
                target[0] = -1
            cases.append(make_case("reshape", {"shape": target}, [a], lambda xs, _c, t=target: xs[0].reshape(t)))
            perm = [int(v) for v in rng.permutation(len(shape))]
            cases.append(make_case("transpose", {"axes": perm}, [a], lambda xs, _c, p=perm: np.transpose(xs[0], p)))
            axis = int(rng.integers(0, len(shape)))
            cases.append(make_case("flip", {"axis": axis}, [a], lambda xs, _c, ax=axis: np.flip(xs[0], ax)))
            shift = int(rng.integers(-9, 10))
            cases.append(make_case("roll", {"shift": shift, "axis": axis}, [a],
                                   lambda xs, _c, sh=shift, ax=axis: np.roll(xs[0], sh, axis=ax)))
            reps = int(rng.integers(0, 3))
            cases.append(make_case("repeat", {"repeats": reps, "axis": axis}, [a],
                                   lambda xs, _c, r=reps, ax=axis: np.repeat(xs[0], r, axis=ax)))
            widths = [[int(rng.integers(0, 3)), int(rng.integers(0, 3))] for _ in shape]
            mode = str(rng.choice(["constant", "edge", "reflect", "symmetric", "wrap"]))
            cases.append(make_case("pad", {"widths": widths, "mode": mode}, [a],
                                   lambda xs, _c, w=widths, m=mode: np.pad(xs[0], w, mode=m)))
            # A slice per axis: NumPy's a[start:stop][::step] (ndarray's
            # negative steps walk the range from its end).
            slices = []
            for m in shape:
                start = int(rng.integers(-m, m + 1)) if m else 0
                stop = int(rng.integers(-m, m + 1)) if m else 0
                step = int(rng.choice([1, 2, 3, -1, -2]))
                slices.append([start, stop, step])

            def sliced(xs, _c, slices=slices):
                out = xs[0]
                for ax, (start, stop, step) in enumerate(slices):
                    idx = [slice(None)] * out.ndim
                    idx[ax] = slice(start, stop)
                    out = out[tuple(idx)]
                    idx[ax] = slice(None, None, step)
                    out = out[tuple(idx)]
                return out

            cases.append(make_case("slice", {"slices": slices}, [a], sliced))
            m = shape[axis]
            idx = [int(v) for v in rng.integers(-m - (1 if rng.random() < 0.1 else 0), m, size=int(rng.integers(0, 6)))] if m else []
            cases.append(make_case("take", {"indices": idx, "axis": axis}, [a],
                                   lambda xs, _c, i=idx, ax=axis: np.take(xs[0], i, axis=ax)))
            keep = [bool(v) for v in rng.random(m) < 0.5]
            cases.append(make_case("mask", {"keep": keep, "axis": axis}, [a],
                                   lambda xs, _c, k=keep, ax=axis: np.compress(k, xs[0], axis=ax)))
            if len(shape) >= 2 and all(shape):
                rows = [int(v) for v in rng.integers(-shape[0], shape[0], size=int(rng.integers(1, 5)))]
                cols = [int(v) for v in rng.integers(-shape[1], shape[1], size=len(rows))]
                cases.append(make_case("vindex", {"rows": rows, "cols": cols}, [a],
                                       lambda xs, _c, r=rows, c=cols: xs[0][r, c]))
                cases.append(make_case("oindex", {"rows": rows, "cols": cols}, [a],
                                       lambda xs, _c, r=rows, c=cols: xs[0][np.ix_(r, c)]))
            reps = [int(rng.integers(0, 3)) for _ in shape]
            cases.append(make_case("tile", {"reps": reps}, [a], lambda xs, _c, r=reps: np.tile(xs[0], r)))
            # A new leading axis, and length-1 axes stretched (or kept).
            target = [int(rng.integers(1, 3))] + [int(rng.integers(0, 4)) if m == 1 else m for m in shape]
            cases.append(make_case("broadcast_to", {"shape": target}, [a],
                                   lambda xs, _c, t=target: np.broadcast_to(xs[0], t)))
            cases.append(make_case("squeeze", {}, [a], lambda xs, _c: np.squeeze(xs[0])))
            other = int(rng.integers(0, len(shape)))
            cases.append(make_case("swap_axes", {"a": axis, "b": other}, [a],
                                   lambda xs, _c, p=axis, q=other: np.swapaxes(xs[0], p, q)))
            at = int(rng.integers(0, len(shape) + 1))
            cases.append(make_case("insert_axis", {"axis": at}, [a], lambda xs, _c, ax=at: np.expand_dims(xs[0], ax)))
            if len(shape) >= 2 and dtype != "bool":
                off = int(rng.integers(-2, 3))
                cases.append(make_case("diagonal", {"offset": off}, [a],
                                       lambda xs, _c, o=off: np.diagonal(xs[0], o, 0, 1)))
            b = values(dtype, shape, special=False)
            cases.append(make_case("concatenate", {"axis": axis}, [a, b],
                                   lambda xs, _c, ax=axis: np.concatenate(xs, axis=ax)))
            sax = int(rng.integers(0, len(shape) + 1))
            cases.append(make_case("stack", {"axis": sax}, [a, b], lambda xs, _c, ax=sax: np.stack(xs, axis=ax)))
            new = chunking(shape)
            cases.append(make_case("rechunk", {"chunks": new}, [a],
                                   lambda xs, _c, new=new: (xs[0], [list(c) for c in new])))
            k = int(rng.integers(-m, m + 1)) if m else 0
            if dtype != "bool":
                def topk(xs, _c, k=k, ax=axis):
                    s = np.sort(xs[0], axis=ax, kind="stable")
                    return np.flip(np.take(s, range(m - k, m), axis=ax), ax) if k >= 0 else \
                        np.take(s, range(0, -k), axis=ax)
                cases.append(make_case("topk", {"k": k, "axis": axis}, [a], topk))
    return cases


def contraction_cases():
    cases = []
    for dtype in ["float64", "float32", "int64", "int32"]:
        for _ in range(8):
            m, k, n = (int(rng.integers(0 if rng.random() < 0.1 else 1, 7)) for _ in range(3))
            batch = [int(rng.integers(1, 4))] if rng.random() < 0.3 else []
            a = values(dtype, tuple(batch + [m, k]), special=False)
            b = values(dtype, tuple(batch + [k, n]), special=False)
            tol = {"atol": 1e-12, "rtol": 1e-5 if dtype == "float32" else 1e-12}
            cases.append(make_case("matmul", {}, [a, b], lambda xs, _c: np.matmul(xs[0], xs[1]), tol=tol))
            c = values(dtype, (k, m, 2), special=False)
            cases.append(make_case("tensordot", {"a_axes": [-1, -2], "b_axes": [0, 1]}, [a[..., :, :] if not batch else a[0], c],
                                   lambda xs, _c: np.tensordot(xs[0], xs[1], axes=([-1, -2], [0, 1])), tol=tol))
            v = values(dtype, (k,), special=False)
            w = values(dtype, (k,), special=False)
            cases.append(make_case("dot", {}, [v, w], lambda xs, _c: np.asarray(np.dot(xs[0], xs[1])), tol=tol))
            cases.append(make_case("outer", {}, [v, w], lambda xs, _c: np.outer(xs[0], xs[1])))
            sq = values(dtype, (m, m), special=False)
            off = int(rng.integers(-2, 3))
            cases.append(make_case("trace", {"offset": off}, [sq],
                                   lambda xs, _c, o=off: np.asarray(np.trace(xs[0], offset=o)), tol=tol))
            for sub, ops in [("ij->ji", [sq]), ("ii->", [sq]), ("i,i->", [v, w]), ("ij,j->i", [sq, v[:m] if m <= k else None])]:
                if any(o is None for o in ops):
                    continue
                cases.append(make_case("einsum", {"subscripts": sub}, ops,
                                       lambda xs, _c, sub=sub: np.asarray(np.einsum(sub, *xs)), tol=tol))
            cases.append(make_case("einsum", {"subscripts": "ij,jk->ik"}, [a if not batch else a[0], b if not batch else b[0]],
                                   lambda xs, _c: np.einsum("ij,jk->ik", xs[0], xs[1]), tol=tol))
    for dtype in FLOAT_DTYPES:
        tol = {"atol": 1e-4 if dtype == "float32" else 1e-10, "rtol": 1e-4 if dtype == "float32" else 1e-10}
        for _ in range(6):
            n = int(rng.integers(1, 7))
            m = n + int(rng.integers(0, 5))
            a = (rng.normal(size=(n, n)) + n * np.eye(n)).astype(dtype)
            b = rng.normal(size=(n, int(rng.integers(1, 3)))).astype(dtype)
            cases.append(make_case("solve", {}, [a, b], lambda xs, _c: np.linalg.solve(xs[0], xs[1]), tol=tol))
            cases.append(make_case("inv", {}, [a], lambda xs, _c: np.linalg.inv(xs[0]), tol=tol))
            spd = (a @ a.T + n * np.eye(n)).astype(dtype)
            cases.append(make_case("cholesky", {}, [spd], lambda xs, _c: np.linalg.cholesky(xs[0]), tol=tol))
            tall = rng.normal(size=(m, n)).astype(dtype)
            cases.append(make_case("svdvals", {}, [tall],
                                   lambda xs, _c: np.linalg.svd(xs[0], compute_uv=False), tol=tol))
            rhs = rng.normal(size=(m,)).astype(dtype)
            cases.append(make_case("lstsq", {}, [tall, rhs],
                                   lambda xs, _c: np.linalg.lstsq(xs[0], xs[1], rcond=None)[0], tol=tol))
            for ord_ in [None, "fro", "inf", "1"]:
                if ord_ in ("inf", "1"):
                    f = lambda xs, _c, o=ord_: np.asarray(np.linalg.norm(xs[0], np.inf if o == "inf" else 1))
                else:
                    f = lambda xs, _c, o=ord_: np.asarray(np.linalg.norm(xs[0], o))
                cases.append(make_case("norm", {"ord": ord_}, [tall], f, tol=tol))
        # A singular matrix: NumPy raises LinAlgError.
        cases.append(make_case("solve", {}, [np.zeros((2, 2), dtype), np.ones((2, 1), dtype)],
                               lambda xs, _c: np.linalg.solve(xs[0], xs[1])))
    return cases


def main():
    warnings.simplefilter("ignore")  # NumPy's warnings for NaN and empty slices
    OUT.mkdir(exist_ok=True)
    groups = {"scans": scans(), "overlap": overlap_cases() + trim_cases(), "sorting": sorting_cases(),
              "counting": counting_cases(), "dask_ports": dask_ports(), "overlap_per_axis": per_axis_boundary_cases(), "reductions": reduction_cases(),
              "elementwise": elementwise_cases(), "layout": layout_cases(), "contraction": contraction_cases()}
    for name, cases in groups.items():
        path = OUT / f"{name}.json"
        path.write_text(json.dumps(cases, separators=(",", ":")) + "\n")
        print(f"{path.relative_to(OUT.parent.parent.parent)}: {len(cases)} cases", file=sys.stderr)
    print(f"numpy {np.__version__}, dask {dask.__version__}", file=sys.stderr)


if __name__ == "__main__":
    main()

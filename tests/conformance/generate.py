#!/usr/bin/env python3
"""Writes ndchunk's conformance cases: tests/conformance/cases/GROUP.json.

Each case names an op, its arguments and its inputs (values, dtype, shape and
an irregular chunking), and NumPy's (or dask's, for the overlap family) result
or the class of the error it raised. `tests/conformance.rs` replays every case
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


def main():
    OUT.mkdir(exist_ok=True)
    groups = {"scans": scans(), "overlap": overlap_cases() + trim_cases(), "sorting": sorting_cases(),
              "counting": counting_cases()}
    for name, cases in groups.items():
        path = OUT / f"{name}.json"
        path.write_text(json.dumps(cases, separators=(",", ":")) + "\n")
        print(f"{path.relative_to(OUT.parent.parent.parent)}: {len(cases)} cases", file=sys.stderr)
    print(f"numpy {np.__version__}, dask {dask.__version__}", file=sys.stderr)


if __name__ == "__main__":
    main()

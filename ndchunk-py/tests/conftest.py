"""Shared hypothesis strategies: shapes, irregular chunkings, dtypes, values."""

import numpy as np
from hypothesis import settings, strategies as st

import os

settings.register_profile("ci", max_examples=60, deadline=None)
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("NDCHUNK_HYPOTHESIS", "ci"))

DTYPES = [np.dtype(n) for n in
          ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32", "float64")]


@st.composite
def shapes(draw, min_dims=0, max_dims=3, max_side=6):
    return tuple(draw(st.lists(st.integers(0, max_side), min_size=min_dims, max_size=max_dims)))


@st.composite
def chunks_for(draw, shape):
    """Irregular chunk lengths per axis (dask's tuple of tuples)."""
    out = []
    for n in shape:
        if n == 0:
            out.append((0,))
            continue
        cuts = sorted(draw(st.sets(st.integers(1, n - 1), max_size=3))) if n > 1 else []
        bounds = [0, *cuts, n]
        out.append(tuple(b - a for a, b in zip(bounds, bounds[1:])))
    return tuple(out)


def values(dtype, shape, seed):
    """Values of ``dtype`` with the edge cases (NaN, inf, -0.0, extremes) mixed in."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape, dtype=np.int64))
    if dtype == bool:
        return rng.integers(0, 2, n).astype(bool).reshape(shape)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        v = rng.integers(max(info.min, -100), min(info.max, 100), n, endpoint=True).astype(dtype)
        if n > 2:
            v[0], v[-1] = info.min, info.max
        return v.reshape(shape)
    v = rng.normal(0, 10, n).astype(dtype)
    specials = np.array([np.nan, np.inf, -np.inf, -0.0], dtype=dtype)
    if n:
        k = rng.integers(0, n, min(n, 2))
        v[k] = rng.choice(specials, len(k))
    return v.reshape(shape)


@st.composite
def arrays(draw, dtypes=DTYPES, min_dims=0, max_dims=3):
    dtype = draw(st.sampled_from(dtypes))
    shape = draw(shapes(min_dims, max_dims))
    chunks = draw(chunks_for(shape))
    seed = draw(st.integers(0, 2**32 - 1))
    return values(dtype, shape, seed), chunks


def assert_same(got, want):
    """Equal dtype, shape and values (NaN equal to NaN)."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape, (got.shape, want.shape)
    if want.dtype.kind == "f":
        np.testing.assert_allclose(got, want, rtol=2e-6 if want.dtype == np.float32 else 1e-12,
                                   atol=0, equal_nan=True)
    else:
        np.testing.assert_array_equal(got, want)

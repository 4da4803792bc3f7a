"""Scans, sorting, order statistics, sets and the NaN statistics against NumPy."""

import numpy as np
from hypothesis import given, strategies as st

import ndchunk as nc
from conftest import DTYPES, arrays, assert_same

NUMERIC = [d for d in DTYPES if d != np.bool_]


@given(st.sampled_from(["cumsum", "cumprod", "nancumsum", "nancumprod", "sort", "argsort", "flip"]),
       arrays(min_dims=1), st.data())
def test_along_an_axis(name, case, data):
    a, chunks = case
    axis = data.draw(st.integers(-a.ndim, a.ndim - 1))
    kwargs = {"axis": axis}
    if name in ("sort", "argsort"):
        kwargs["kind"] = "stable"
    want = getattr(np, name)(a, **kwargs)
    assert_same(getattr(np, name)(nc.from_array(a, chunks=chunks), **kwargs).compute(), want)


@given(arrays(dtypes=NUMERIC, min_dims=1, max_dims=2), st.data(),
       st.lists(st.floats(0, 1), min_size=1, max_size=3), st.booleans())
def test_quantiles_are_exact(case, data, q, skip_nan):
    a, chunks = case
    if a.size == 0:
        return
    axis = data.draw(st.one_of(st.none(), st.integers(0, a.ndim - 1)))
    f = np.nanquantile if skip_nan else np.quantile
    with np.errstate(all="ignore"):
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # NumPy interpolates small integers in their own dtype (median of
            # int8 [63, -83] is 118); ndchunk in float64, as NumPy does for int64.
            want = f(a.astype(np.float64) if a.dtype.kind in "iu" else a, q, axis=axis)
    got = f(nc.from_array(a, chunks=chunks), q, axis=axis).compute()
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-6 if a.dtype == np.float32 else 1e-12, equal_nan=True)


@given(arrays(min_dims=1))
def test_unique(case):
    a, chunks = case
    assert_same(np.unique(nc.from_array(a, chunks=chunks)).compute(), np.unique(a))


@given(arrays(dtypes=NUMERIC, min_dims=1, max_dims=2), st.lists(st.integers(-5, 5), max_size=4), st.booleans())
def test_isin(case, test, invert):
    a, chunks = case
    t = np.array([abs(v) if a.dtype.kind == 'u' else v for v in test]).astype(a.dtype)
    assert_same(np.isin(nc.from_array(a, chunks=chunks), t, invert=invert).compute(), np.isin(a, t, invert=invert))


@given(arrays(dtypes=NUMERIC, min_dims=1, max_dims=1), st.sampled_from(["left", "right"]))
def test_searchsorted(case, side):
    a, chunks = case
    s = np.sort(a)
    v = a[::-1].copy()
    got = np.searchsorted(nc.from_array(s, chunks=chunks), nc.from_array(v, chunks=2), side=side)
    assert_same(got.compute(), np.searchsorted(s, v, side=side))


@given(arrays(dtypes=[np.dtype("float64"), np.dtype("float32")], min_dims=1, max_dims=2), st.data(),
       st.integers(0, 1))
def test_nan_statistics(case, data, ddof):
    a, chunks = case
    axis = data.draw(st.one_of(st.none(), st.integers(0, a.ndim - 1)))
    x = nc.from_array(a, chunks=chunks)
    import warnings
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for name, kw in (("nanvar", {"ddof": ddof}), ("nanstd", {"ddof": ddof}), ("nanprod", {})):
            want = getattr(np, name)(a, axis=axis, **kw)
            got = getattr(np, name)(x, axis=axis, **kw).compute()
            assert got.dtype == want.dtype and got.shape == np.shape(want)
            np.testing.assert_allclose(got, want, rtol=1e-4, equal_nan=True)


def test_topk_and_diff():
    a = np.array([[5, 1, 9, 3], [2, 8, 0, 7]], dtype=np.int32)
    x = nc.from_array(a, chunks=(1, 3))
    assert_same(nc.topk(x, 2, axis=1).compute(), -np.sort(-a, axis=1)[:, :2])
    assert_same(nc.topk(x, -2, axis=1).compute(), np.sort(a, axis=1)[:, :2])
    assert_same(np.diff(x, n=2, axis=1).compute(), np.diff(a, n=2, axis=1))
    assert_same(np.median(x, axis=0).compute(), np.median(a, axis=0))


@given(arrays(min_dims=1, max_dims=2), st.booleans(), st.booleans(), st.booleans())
def test_unique_with_index_inverse_counts(case, index, inverse, counts):
    a, chunks = case
    got = np.unique(nc.from_array(a, chunks=chunks), return_index=index, return_inverse=inverse,
                    return_counts=counts)
    want = np.unique(a, return_index=index, return_inverse=inverse, return_counts=counts)
    if not (index or inverse or counts):
        got, want = (got,), (want,)
    for g, w in zip(got, want):
        assert_same(g.compute(), w)

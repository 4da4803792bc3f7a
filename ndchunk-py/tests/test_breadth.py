"""The rest of the API against NumPy: counting, padding and tiling, overlap,
products, linear algebra, closeness and nearest neighbours."""

import numpy as np
import pytest
from hypothesis import given, strategies as st

import ndchunk as nc
from conftest import arrays, assert_same

RNG = np.random.default_rng(7)


def test_histogram_digitize_bincount():
    a = RNG.normal(size=1000)
    x = nc.from_array(a, chunks=128)
    counts, edges = np.histogram(x, bins=12, range=(-3, 3))
    want_counts, want_edges = np.histogram(a, bins=12, range=(-3, 3))
    assert_same(counts.compute(), want_counts)
    np.testing.assert_allclose(edges, want_edges)
    w = RNG.random(1000)
    d, _ = np.histogram(x, bins=[-2, 0, 0.5, 2], weights=nc.from_array(w, chunks=300), density=True)
    np.testing.assert_allclose(d.compute(), np.histogram(a, bins=[-2, 0, 0.5, 2], weights=w, density=True)[0])
    assert_same(np.digitize(x, [-1, 0, 1], right=True).compute(), np.digitize(a, [-1, 0, 1], right=True))
    i = RNG.integers(0, 9, 500)
    assert_same(np.bincount(nc.from_array(i, chunks=64), minlength=12).compute(), np.bincount(i, minlength=12))


@given(arrays(min_dims=1, max_dims=2), st.sampled_from(["constant", "edge", "reflect", "symmetric", "wrap"]),
       st.integers(0, 2), st.integers(0, 2))
def test_pad(case, mode, before, after):
    a, chunks = case
    if a.size == 0 and mode != "constant":
        return
    widths = [(before, after)] * a.ndim
    assert_same(np.pad(nc.from_array(a, chunks=chunks), widths, mode=mode).compute(), np.pad(a, widths, mode=mode))


def test_roll_repeat_tile_diagonal_trace_outer():
    a = np.arange(24, dtype=np.int16).reshape(4, 6)
    x = nc.from_array(a, chunks=(3, 4))
    assert_same(np.roll(x, 2, axis=1).compute(), np.roll(a, 2, axis=1))
    assert_same(np.roll(x, -5).compute(), np.roll(a, -5))
    assert_same(np.repeat(x, 3, axis=0).compute(), np.repeat(a, 3, axis=0))
    assert_same(np.tile(x, (2, 1, 2)).compute(), np.tile(a, (2, 1, 2)))
    assert_same(np.diagonal(x, 1).compute(), np.diagonal(a, 1))
    assert_same(np.trace(x, -1).compute(), np.trace(a, -1))
    v = np.arange(5.0)
    assert_same(np.outer(x[0], nc.from_array(v, chunks=2)).compute(), np.outer(a[0], v))
    assert_same(np.vdot(nc.from_array(v, chunks=2), v[::-1].copy()).compute(), np.vdot(v, v[::-1]))


def test_overlap_and_map_overlap_match_dask():
    da = pytest.importorskip("dask.array")
    a = RNG.normal(size=(20, 9))
    x, d = nc.from_array(a, chunks=(6, 4)), da.from_array(a, chunks=(6, 4))
    for boundary in ["reflect", "periodic", "nearest", 0.5, "none"]:
        assert_same(nc.overlap(x, {0: 2, 1: 1}, boundary).compute(),
                    da.overlap.overlap(d, {0: 2, 1: 1}, {0: boundary, 1: boundary}).compute())
    smooth = lambda b: (b + np.roll(b, 1, axis=0) + np.roll(b, -1, axis=0)) / 3
    assert_same(nc.map_overlap(smooth, x, 1, boundary="reflect").compute(),
                da.map_overlap(smooth, d, depth=1, boundary="reflect").compute())


def test_linalg():
    a = RNG.normal(size=(60, 5))
    x = nc.from_array(a, chunks=(20, 5))
    q, r = nc.linalg.qr(x)
    np.testing.assert_allclose((q @ r).compute(), a, atol=1e-12)
    s = np.linalg.svd(x, compute_uv=False)
    np.testing.assert_allclose(s.compute(), np.linalg.svd(a, compute_uv=False))
    m = a.T @ a
    mx = nc.from_array(m, chunks=2)
    b = RNG.normal(size=5)
    np.testing.assert_allclose(np.linalg.solve(mx, b).compute(), np.linalg.solve(m, b))
    np.testing.assert_allclose(np.linalg.inv(mx).compute(), np.linalg.inv(m))
    np.testing.assert_allclose(np.linalg.cholesky(mx).compute(), np.linalg.cholesky(m))
    np.testing.assert_allclose(np.linalg.norm(x, axis=1).compute(), np.linalg.norm(a, axis=1))
    np.testing.assert_allclose(nc.linalg.norm(mx, "fro").compute(), np.linalg.norm(m, "fro"))
    sol = np.linalg.lstsq(x, nc.from_array(a[:, 0] + 1, chunks=20))[0]
    np.testing.assert_allclose(sol.compute(), np.linalg.lstsq(a, a[:, 0] + 1, rcond=None)[0], atol=1e-10)
    with pytest.raises(ValueError, match="singular"):
        np.linalg.inv(nc.zeros((3, 3), chunks=3)).compute()


def test_closeness_and_nan_to_num():
    a = np.array([1.0, np.nan, np.inf, -np.inf, 1e-9, 2.0])
    b = np.array([1.0 + 1e-7, np.nan, np.inf, np.inf, 0.0, 3.0])
    x = nc.from_array(a, chunks=4)
    for equal_nan in (False, True):
        assert_same(np.isclose(x, b, equal_nan=equal_nan).compute(), np.isclose(a, b, equal_nan=equal_nan))
    assert np.allclose(x[:1], b[:1]) and not np.allclose(x, b)
    assert np.array_equal(x, a, equal_nan=True) and not np.array_equal(x, a)
    assert_same(np.nan_to_num(x).compute(), np.nan_to_num(a))
    assert_same(np.argwhere(x > 1).compute(), np.argwhere(a > 1))


def test_exact_knn():
    a = RNG.normal(size=(300, 4))
    idx, dist = nc.knn(nc.from_array(a, chunks=(70, 4)), 5)
    d = ((a[:, None, :] - a[None, :, :]) ** 2).sum(-1)
    want = np.argsort(d, axis=1, kind="stable")[:, :5]
    assert_same(idx, want)
    np.testing.assert_allclose(dist, np.sqrt(np.take_along_axis(d, want, 1)), atol=1e-12)


def test_explain_and_visualize(tmp_path):
    x = (nc.ones((10, 10), chunks=5) * 2).sum(axis=0)
    assert "tasks:" in x.explain()
    dot = x.visualize()
    assert dot.startswith("digraph")
    x.visualize(str(tmp_path / "g.dot"))
    assert (tmp_path / "g.dot").read_text() == dot
    import shutil
    if shutil.which("dot"):
        x.visualize(str(tmp_path / "g.svg"))
        assert "<svg" in (tmp_path / "g.svg").read_text()


def test_histogram2d_gradient_permutation_svd_compressed_kneighbors():
    a, b = RNG.normal(size=400), RNG.normal(size=400)
    x, y = nc.from_array(a, chunks=64), nc.from_array(b, chunks=100)
    for bins in (5, [3, 4], np.linspace(-2, 2, 6)):
        counts, xe, ye = np.histogram2d(x, y, bins=bins, range=None if not isinstance(bins, int) else [[-3, 3], [-3, 3]])
        want = np.histogram2d(a, b, bins=bins, range=None if not isinstance(bins, int) else [[-3, 3], [-3, 3]])
        assert_same(counts.compute(), want[0].astype(np.int64))
        np.testing.assert_allclose(xe, want[1])
        np.testing.assert_allclose(ye, want[2])
    m = RNG.normal(size=(30, 20))
    xm = nc.from_array(m, chunks=(7, 6))
    for axis in (0, 1):
        np.testing.assert_allclose(np.gradient(xm, 0.5, axis=axis).compute(), np.gradient(m, 0.5, axis=axis))
    gx, gy = np.gradient(xm)
    np.testing.assert_allclose(gy.compute(), np.gradient(m)[1])
    p = nc.permutation(xm, axis=0, seed=3).compute()
    assert sorted(map(tuple, p)) == sorted(map(tuple, m))
    assert_same(p, nc.permutation(xm, axis=0, seed=3).compute())
    u, s, vh = nc.linalg.svd_compressed(xm, 5, n_power_iter=4, seed=1)
    np.testing.assert_allclose(s.compute(), np.linalg.svd(m, compute_uv=False)[:5], rtol=0.1)
    idx, dist = nc.kneighbors(xm[:5], xm, 3)
    d = ((m[:5, None, :] - m[None, :, :]) ** 2).sum(-1)
    assert_same(idx, np.argsort(d, axis=1, kind="stable")[:, :3])

"""Zarr storage from Python (interop with zarr-python) and xarray's chunk
manager (``chunked_array_type="ndchunk"``)."""

import numpy as np
import pytest

import ndchunk as nc
from conftest import assert_same

zarr = pytest.importorskip("zarr")
xr = pytest.importorskip("xarray")


def test_zarr_round_trip_with_zarr_python(tmp_path):
    a = np.random.default_rng(0).normal(size=(30, 7)).astype(np.float32)
    z = zarr.create_array(str(tmp_path / "in.zarr"), shape=a.shape, chunks=(8, 7), dtype=a.dtype)
    z[:] = a
    x = nc.from_zarr(tmp_path / "in.zarr")
    assert x.chunks == ((8, 8, 8, 6), (7,))
    assert_same(x.compute(), a)
    (x * 2).to_zarr(tmp_path / "out.zarr")
    assert_same(zarr.open_array(str(tmp_path / "out.zarr"))[:], a * 2)
    nc.store([x, x.sum(axis=0)], [str(tmp_path / "a.zarr"), str(tmp_path / "b.zarr")])
    assert_same(zarr.open_array(str(tmp_path / "b.zarr"))[:], np.asarray(x.sum(axis=0)))
    target = zarr.create_array(str(tmp_path / "t.zarr"), shape=a.shape, chunks=(10, 7), dtype=a.dtype)
    nc.store(x + 1, target)
    assert_same(target[:], a + 1)


def test_missing_store_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such Zarr array"):
        nc.from_zarr(tmp_path / "absent.zarr")
    x = nc.ones((3,), chunks=2)
    x.to_zarr(tmp_path / "once.zarr")
    with pytest.raises(OSError):
        x.to_zarr(tmp_path / "once.zarr")
    x.to_zarr(tmp_path / "once.zarr", overwrite=True)


@pytest.fixture
def dataset(tmp_path):
    rng = np.random.default_rng(1)
    ds = xr.Dataset(
        {"t": (("time", "x"), rng.normal(size=(24, 10))), "n": (("x",), np.arange(10))},
        coords={"time": np.arange(24), "x": np.arange(10) * 0.5},
    )
    path = tmp_path / "ds.zarr"
    ds.to_zarr(path, mode="w")
    return ds, path


def test_open_zarr_through_ndchunk(dataset):
    ds, path = dataset
    lazy = xr.open_zarr(path, chunked_array_type="ndchunk", chunks={})
    assert isinstance(lazy["t"].data, nc.Array)
    mean = lazy.mean("time").compute()
    np.testing.assert_allclose(mean["t"].values, ds["t"].values.mean(axis=0))
    idx = np.array([7, 1, 1, 4])
    picked = lazy.isel(x=idx).compute()
    assert_same(picked["t"].values, ds["t"].values[:, idx])


def test_chunk_and_to_zarr_through_ndchunk(dataset, tmp_path):
    ds, _ = dataset
    chunked = ds.chunk({"time": 5}, chunked_array_type="ndchunk")
    assert isinstance(chunked["t"].data, nc.Array)
    assert chunked["t"].data.chunks == ((5, 5, 5, 5, 4), (10,))
    anomaly = chunked - chunked.mean("time")
    out = tmp_path / "anomaly.zarr"
    anomaly.to_zarr(out, mode="w")
    back = xr.open_zarr(out).compute()
    np.testing.assert_allclose(back["t"].values, ds["t"].values - ds["t"].values.mean(axis=0))
    np.testing.assert_allclose(
        chunked["t"].std("time", ddof=1).compute().values, ds["t"].values.std(axis=0, ddof=1))


def test_hdf5_written_by_h5py(tmp_path):
    h5py = pytest.importorskip("h5py")
    a = np.arange(120, dtype=np.int32).reshape(12, 10)
    with h5py.File(tmp_path / "d.h5", "w") as f:
        f.create_dataset("g/x", data=a, chunks=(5, 10))
    x = nc.from_hdf5(tmp_path / "d.h5", "g/x")
    assert x.chunks == ((5, 5, 2), (10,))
    assert_same((x * 2).compute(), a * 2)
    with pytest.raises(FileNotFoundError):
        nc.from_hdf5(tmp_path / "absent.h5", "x")
    (x + 1).to_hdf5(tmp_path / "out.h5", "y", deflate=4)
    with h5py.File(tmp_path / "out.h5", "r") as f:
        assert_same(f["y"][:], a + 1)


def test_manager_reduction_and_apply_ufunc(dataset):
    from ndchunk.xarray import NdchunkManager

    ds, _ = dataset
    manager = NdchunkManager()
    a = ds["t"].values
    x = nc.from_array(a, chunks=(5, 4))
    for keepdims in (False, True):
        got = manager.reduction(x, np.nanmax, axis=0, keepdims=keepdims).compute()
        assert_same(got, np.nanmax(a, axis=0, keepdims=keepdims))
    chunked = ds.chunk({"time": 6}, chunked_array_type="ndchunk")
    doubled = xr.apply_ufunc(lambda v: v * 2, chunked["t"], dask="parallelized", output_dtypes=[float])
    assert isinstance(doubled.data, nc.Array)
    np.testing.assert_allclose(doubled.compute().values, a * 2)
